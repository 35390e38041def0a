package objstore_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sleeperd/sleeperd/storage/objstore"
)

// settledStamp waits (bounded) for the stamp of prefix to settle and returns it; it skips
// the test where the store's file system gives no settled stamps.
func settledStamp(t *testing.T, s objstore.Stamper, prefix string) objstore.Stamp {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		st, settled, err := s.Stamp(context.Background(), prefix)
		if err != nil {
			t.Fatalf("Stamp(%s): %v", prefix, err)
		}
		if settled {
			return st
		}
		if time.Now().After(deadline) {
			t.Skip("no settled stamps on this file system")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestLocalStampChangesWithEntries(t *testing.T) {
	ctx := context.Background()
	s, err := objstore.NewLocal(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	if _, settled, err := s.Stamp(ctx, "log/"); err != nil || settled {
		t.Fatalf("stamp of a missing directory: settled %v, %v; want not settled", settled, err)
	}
	if _, settled, _ := s.Stamp(ctx, "log"); settled {
		t.Fatal("stamp of a prefix without a trailing slash is settled")
	}
	if err := s.PutIfAbsent(ctx, "log/1", []byte("a")); err != nil {
		t.Fatal(err)
	}
	if _, settled, _ := s.Stamp(ctx, "log/"); settled {
		t.Fatal("stamp taken right after a change is settled")
	}
	steps := []struct {
		what   string
		change func() error
	}{
		{"PutIfAbsent", func() error { return s.PutIfAbsent(ctx, "log/2", []byte("b")) }},
		{"Put of a new object", func() error { return s.Put(ctx, "log/3", bytes.NewReader([]byte("c"))) }},
		{"Put replacing an object", func() error { return s.Put(ctx, "log/3", bytes.NewReader([]byte("d"))) }},
		{"Delete", func() error { return s.Delete(ctx, "log/1") }},
	}
	for _, step := range steps {
		before := settledStamp(t, s, "log/")
		// A stamp stays as it is while nothing changes, and reading changes nothing.
		if _, err := s.ReadAll(ctx, "log/2"); err != nil && step.what != "PutIfAbsent" {
			t.Fatal(err)
		}
		if again, settled, err := s.Stamp(ctx, "log/"); err != nil || !settled || again != before {
			t.Fatalf("before %s: stamp changed without a change (settled %v, %v)", step.what, settled, err)
		}
		if err := step.change(); err != nil {
			t.Fatal(err)
		}
		if after, _, err := s.Stamp(ctx, "log/"); err != nil || after == before {
			t.Fatalf("%s left the settled stamp as it was (%v)", step.what, err)
		}
	}
	// Objects in other directories leave the stamp as it is.
	before := settledStamp(t, s, "log/")
	if err := s.PutIfAbsent(ctx, "other/1", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if after, _, _ := s.Stamp(ctx, "log/"); after != before {
		t.Fatal("an object under another prefix changed the stamp")
	}
}

// TestLocalStampDirectoryReplaced: Stamp keeps the directories it stamps open and stats them
// through the open descriptor. A directory removed and made again by other means (a restored
// backup, say) is another directory: the stamps of the new one change with its entries as
// ever.
func TestLocalStampDirectoryReplaced(t *testing.T) {
	ctx := context.Background()
	root := filepath.Join(t.TempDir(), "store")
	s, err := objstore.NewLocal(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutIfAbsent(ctx, "log/1", []byte("a")); err != nil {
		t.Fatal(err)
	}
	old := settledStamp(t, s, "log/")
	if err := os.RemoveAll(filepath.Join(root, "log")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(root, "log"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "log", "1"), []byte("a"), 0o644); err != nil {
		t.Fatal(err)
	}
	if now, _, err := s.Stamp(ctx, "log/"); err != nil || now == old {
		t.Fatalf("the replaced directory has the stamp of the one removed (%v)", err)
	}
	for _, n := range []string{"log/2", "log/3"} {
		before := settledStamp(t, s, "log/")
		if err := s.PutIfAbsent(ctx, n, []byte("b")); err != nil {
			t.Fatal(err)
		}
		if after, _, err := s.Stamp(ctx, "log/"); err != nil || after == before {
			t.Fatalf("adding %s to the replaced directory left its settled stamp as it was (%v)", n, err)
		}
	}
}

// TestLocalStampConcurrent stamps one prefix from many goroutines while entries are written
// under it (run it with -race): every stamp taken after a write returned differs from every
// settled stamp taken before the write began.
func TestLocalStampConcurrent(t *testing.T) {
	ctx := context.Background()
	s, err := objstore.NewLocal(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutIfAbsent(ctx, "log/0", []byte("a")); err != nil {
		t.Fatal(err)
	}
	settledStamp(t, s, "log/")
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, _, err := s.Stamp(ctx, "log/"); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for i := 1; i <= 3; i++ {
		before := settledStamp(t, s, "log/")
		if err := s.PutIfAbsent(ctx, fmt.Sprintf("log/%d", i), []byte("b")); err != nil {
			t.Fatal(err)
		}
		if after, _, err := s.Stamp(ctx, "log/"); err != nil || after == before {
			t.Fatalf("write %d left the settled stamp as it was (%v)", i, err)
		}
	}
	close(stop)
	wg.Wait()
}
