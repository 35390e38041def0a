package engine

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestSpillAreaConcurrent makes and removes spill directories under one parent from many
// goroutines at once, as processes sharing a spill directory (the system temporary
// directory by default) do: each one's sweep must leave the others' directories alone, even
// one made a moment before its lock was taken, and none may fail for another's sweep.
func TestSpillAreaConcurrent(t *testing.T) {
	parent := t.TempDir()
	const workers, rounds = 8, 300
	var wg sync.WaitGroup
	errc := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for range rounds {
				a := &spillArea{parent: parent}
				dir, err := a.path()
				if err != nil {
					errc <- err
					return
				}
				// A spill file goes into the directory; another sweep must not have taken it.
				if err := os.WriteFile(filepath.Join(dir, "run"), []byte("x"), 0o644); err != nil {
					errc <- err
					a.close()
					return
				}
				a.close()
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	if left, _ := os.ReadDir(parent); len(left) != 0 {
		t.Errorf("%d entries left in the spill directory", len(left))
	}
}

// TestSweepSpillUnlocked checks that a sweep takes a spill directory without a lock file for
// that of a process killed while making it only once it is a minute old.
func TestSweepSpillUnlocked(t *testing.T) {
	parent := t.TempDir()
	fresh, old := filepath.Join(parent, spillPrefix+"fresh"), filepath.Join(parent, spillPrefix+"old")
	for _, d := range []string{fresh, old} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "lock.new"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	past := time.Now().Add(-2 * unnamedLockAge)
	if err := os.Chtimes(old, past, past); err != nil {
		t.Fatal(err)
	}
	if n := sweepSpill(parent); n != 1 {
		t.Errorf("swept %d directories, want 1", n)
	}
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Errorf("the directory of a process killed while making it is left: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("a directory being made was removed: %v", err)
	}
}
