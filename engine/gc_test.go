package engine

import (
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/storage/objstore"
)

// objects lists the objects under the prefix of the table with the given ID.
func objects(t *testing.T, store objstore.Store, id string) []string {
	t.Helper()
	names, err := store.List(context.Background(), "tables/"+id+"/")
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func countFiles(names []string) int {
	n := 0
	for _, name := range names {
		if strings.Contains(name, "/files/") {
			n++
		}
	}
	return n
}

// TestDropTablePurged checks that the objects of a dropped table are deleted once its drop
// is older than its gc_delay and no running query reads it, and not before; that a table
// created under the same name gets another ID and keeps its data; and that two engines
// sharing the store may purge at once.
func TestDropTablePurged(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	store := objstore.NewMem()
	e, c := open(t, store, mem)
	defer e.Close()
	other, c2 := open(t, store, mem)
	defer other.Close()

	run(t, c, "CREATE TABLE d (k int, v text) WITH (row_keys = 'k', split_points = '50', gc_delay = '0s')")
	run(t, c, "INSERT INTO d VALUES (1, 'a'), (60, 'b')")
	run(t, c, "INSERT INTO d VALUES (2, 'c')")
	run(t, c, "CREATE TABLE late (k int) WITH (row_keys = 'k', gc_delay = '1h')")
	run(t, c, "INSERT INTO late VALUES (1)")
	oldID, lateID := mustTable(t, e, "d").ID, mustTable(t, e, "late").ID
	if n := countFiles(objects(t, store, oldID)); n != 3 {
		t.Fatalf("table d has %d files, want 3", n)
	}

	// A query that has planned its read of d and not finished it.
	st, err := c.Prepare(ctx, "SELECT k, v FROM d ORDER BY k", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	res, err := st.Execute(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}

	run(t, c2, "DROP TABLE d")
	run(t, c2, "DROP TABLE late")
	run(t, c2, "CREATE TABLE d (k int, v text) WITH (row_keys = 'k', gc_delay = '0s')")
	run(t, c2, "INSERT INTO d VALUES (7, 'new')")
	newID := mustTable(t, e, "d").ID
	if newID == oldID {
		t.Fatalf("the new table d has the dropped table's ID %s", oldID)
	}

	// The engine running the query keeps d's files; the delay of late keeps its files.
	run(t, c, "VACUUM")
	if n := countFiles(objects(t, store, oldID)); n != 3 {
		t.Fatalf("with a query reading it, the dropped table has %d files left, want 3", n)
	}
	var got []string
	for {
		b, err := res.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("reading the dropped table in a running query: %v", err)
		}
		for i := range int(b.NumRows()) {
			got = append(got, b.Column(0).ValueStr(i)+" "+b.Column(1).ValueStr(i))
		}
		b.Release()
	}
	res.Close()
	if strings.Join(got, "|") != "1 a|2 c|60 b" {
		t.Errorf("the running query read %q", got)
	}

	// Both engines purge at once: both succeed and nothing of d is left.
	var wg sync.WaitGroup
	var errs [2]error
	for i, conn := range []Conn{c, c2} {
		wg.Go(func() { _, _, errs[i] = tryRun(conn, "VACUUM") })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("VACUUM: %v", err)
		}
	}
	if left := objects(t, store, oldID); len(left) != 0 {
		t.Errorf("the dropped table's objects are left: %q", left)
	}
	if n := countFiles(objects(t, store, lateID)); n != 1 {
		t.Errorf("the table dropped within its gc_delay has %d files, want 1", n)
	}
	// The new table under the old name is intact.
	expect(t, c, "SELECT k, v FROM d", "7 new")
	if n := countFiles(objects(t, store, newID)); n != 1 {
		t.Errorf("the new table d has %d files, want 1", n)
	}
	// The purge of late waits for its drop to be an hour old: pretend it is.
	e.now = func() time.Time { return time.Now().Add(time.Hour) }
	run(t, c, "VACUUM")
	if left := objects(t, store, lateID); len(left) != 0 {
		t.Errorf("an hour after its drop, the objects of late are left: %q", left)
	}
}

// TestOrphansSwept checks that VACUUM deletes an object under a table's prefix that its state
// does not name once it is older than the table's orphan_age, and keeps it before.
func TestOrphansSwept(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	store := objstore.NewMem()
	e, c := open(t, store, mem)
	defer e.Close()
	run(t, c, "CREATE TABLE o (k int, v text) WITH (row_keys = 'k', split_points = '50')")
	run(t, c, "INSERT INTO o VALUES (1, 'a'), (60, 'b')")
	id := mustTable(t, e, "o").ID
	orphan := "tables/" + id + "/files/dead-writer.parquet"
	if err := store.Put(ctx, orphan, strings.NewReader("not committed")); err != nil {
		t.Fatal(err)
	}
	run(t, c, "VACUUM o")
	if _, err := store.Size(ctx, orphan); err != nil {
		t.Fatalf("an orphan younger than orphan_age was deleted: %v", err)
	}
	run(t, c, "ALTER TABLE o SET (orphan_age = '0s')")
	run(t, c, "VACUUM o")
	if _, err := store.Size(ctx, orphan); err == nil {
		t.Fatal("the orphan is still there")
	}
	expect(t, c, "SELECT k, v FROM o ORDER BY k", "1 a|60 b")
	if n := countFiles(objects(t, store, id)); n != 2 {
		t.Errorf("%d files left, want the 2 committed", n)
	}
	if _, _, err := tryRun(c, "ALTER TABLE o SET (orphan_age = 'soon')"); err == nil {
		t.Error("a bad orphan_age was accepted")
	}
}
