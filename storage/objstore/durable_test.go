package objstore_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sleeperd/sleeperd/storage/objstore"
)

// syncEvent is one fsync a write made: the path synced and whether the object was in place
// at that moment.
type syncEvent struct {
	path   string
	placed bool
}

// TestLocalDurableWrites checks that Put and PutIfAbsent make an object durable before they
// return: the data is fsynced before the object appears under its name, and the directory
// holding the name, and the parent of every directory created for it, are fsynced after.
// Without the directory fsync a commit could name an object that a power cut removes.
func TestLocalDurableWrites(t *testing.T) {
	ctx := context.Background()
	for _, op := range []string{"Put", "PutIfAbsent"} {
		t.Run(op, func(t *testing.T) {
			root := t.TempDir()
			s, err := objstore.NewLocal(root)
			if err != nil {
				t.Fatal(err)
			}
			name := "tables/t1/files/f.parquet"
			final := filepath.Join(root, filepath.FromSlash(name))
			var events []syncEvent
			objstore.SetSync(s, func(f *os.File) error {
				_, err := os.Stat(final)
				events = append(events, syncEvent{f.Name(), err == nil})
				return f.Sync()
			})
			write := func(name string) {
				t.Helper()
				var err error
				if op == "Put" {
					err = s.Put(ctx, name, strings.NewReader("data"))
				} else {
					err = s.PutIfAbsent(ctx, name, []byte("data"))
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			write(name)
			if len(events) == 0 {
				t.Fatal("no fsync at all")
			}
			// The data: a temporary file, synced while the name is still free.
			if first := events[0]; filepath.Dir(first.path) != filepath.Join(root, ".tmp") || first.placed {
				t.Errorf("first fsync %+v, want the temporary file before the object is in place", first)
			}
			// The object's directory, synced once the object is in place.
			dir := filepath.Dir(final)
			i := slices.IndexFunc(events, func(e syncEvent) bool { return e.path == dir && e.placed })
			if i < 0 {
				t.Errorf("the object's directory %s was not fsynced after the object was placed; fsyncs: %+v", dir, events)
			}
			// Every directory that gained an entry: the root gained tables/, tables/ gained
			// t1/, t1/ gained files/.
			for _, d := range []string{root, filepath.Join(root, "tables"), filepath.Join(root, "tables", "t1")} {
				if !slices.ContainsFunc(events, func(e syncEvent) bool { return e.path == d }) {
					t.Errorf("created directory's parent %s was not fsynced; fsyncs: %+v", d, events)
				}
			}
			// A second object in the same directory: the data, then its directory.
			events = nil
			final = filepath.Join(dir, "g.parquet")
			write("tables/t1/files/g.parquet")
			if len(events) != 2 || events[0].placed || events[1].path != dir || !events[1].placed {
				t.Errorf("fsyncs of a write into an existing directory: %+v, want the data then %s", events, dir)
			}
		})
	}
}
