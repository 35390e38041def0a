package engine

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
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
