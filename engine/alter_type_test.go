package engine

import (
	"context"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/merge"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// ALTER COLUMN ... TYPE widens character varying without touching data files, keeps the
// new type across a restart, and refuses changes to key columns that would change their
// stored values.
func TestAlterColumnType(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	store := objstore.NewMem()
	e, c := open(t, store, mem)
	run(t, c, "CREATE TABLE w (id integer PRIMARY KEY, n integer, s varchar(4))")
	run(t, c, "INSERT INTO w VALUES (1, 1, 'abcd')")
	runErr(t, c, "ALTER TABLE w ALTER COLUMN s TYPE varchar(2)", errs.StringTooLong)
	runErr(t, c, "ALTER TABLE w ALTER COLUMN s TYPE char(10)", errs.NotImplemented)
	runErr(t, c, "ALTER TABLE w ALTER COLUMN id TYPE bigint", errs.NotImplemented)
	runErr(t, c, "ALTER TABLE w ALTER COLUMN id TYPE text", errs.NotImplemented)
	run(t, c, "ALTER TABLE w ALTER COLUMN s TYPE varchar(8)")
	e.Close()

	e, c = open(t, store, mem)
	defer e.Close()
	runErr(t, c, "INSERT INTO w VALUES (2, 2, 'abcdefghi')", errs.StringTooLong)
	run(t, c, "INSERT INTO w VALUES (2, 2, 'abcdefgh')")
	expect(t, c, "SELECT s FROM w ORDER BY id", "abcd|abcdefgh")
	// A key column whose stored values stay as they are may change type.
	run(t, c, "CREATE TABLE k (name varchar(3) PRIMARY KEY, v integer)")
	run(t, c, "INSERT INTO k VALUES ('abc', 1)")
	run(t, c, "ALTER TABLE k ALTER COLUMN name TYPE text")
	run(t, c, "INSERT INTO k VALUES ('abcdef', 2)")
	expect(t, c, "SELECT name FROM k ORDER BY name", "abc|abcdef")
}

// Files written before a change of a column's type hold it under its former name and type;
// reads convert them, across a restart, and compaction of old and new files writes one file
// holding the column under its new name in the new type.
func TestAlterColumnTypeCompaction(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	store := objstore.NewMem()
	ctx := context.Background()
	e, c := open(t, store, mem)
	run(t, c, "CREATE TABLE m (id integer PRIMARY KEY, n integer, s text)")
	run(t, c, "INSERT INTO m VALUES (1, 10, '7')")
	run(t, c, "INSERT INTO m VALUES (2, 20, '8')")
	run(t, c, "ALTER TABLE m ALTER COLUMN n TYPE bigint")
	run(t, c, "ALTER TABLE m ALTER COLUMN s TYPE smallint USING s::smallint")
	run(t, c, "INSERT INTO m VALUES (3, 30000000000, 9)")
	e.Close()

	e, c = open(t, store, mem)
	defer e.Close()
	expect(t, c, "SELECT id, n, s FROM m ORDER BY id", "1 10 7|2 20 8|3 30000000000 9")
	// fileTypes returns the stored name and type of n and s in each data file of m.
	fileTypes := func() []string {
		tb, err := e.cat.Table(ctx, "m")
		if err != nil {
			t.Fatal(err)
		}
		st, err := e.ss.Snapshot(ctx, tb.StateID())
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, f := range st.Files() {
			if len(st.FileReferences(f.Name)) == 0 {
				continue // left for garbage collection
			}
			pf, err := merge.OpenFile(ctx, nil, store, f.Name, f.Bytes, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, fd := range pf.Schema().Fields() {
				if fd.Name != "id" && fd.Name != merge.VersionColumn && fd.Name != merge.DeletedColumn {
					out = append(out, fd.Name+" "+fd.Type.String())
				}
			}
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	if got, want := fileTypes(), []string{"n int32", "n#2 int64", "s utf8", "s#2 int16"}; !slices.Equal(got, want) {
		t.Fatalf("before compaction the files hold %v, want %v", got, want)
	}
	run(t, c, "VACUUM FULL m")
	if got, want := fileTypes(), []string{"n#2 int64", "s#2 int16"}; !slices.Equal(got, want) {
		t.Fatalf("after compaction the files hold %v, want %v", got, want)
	}
	expect(t, c, "SELECT id, n, s FROM m ORDER BY id", "1 10 7|2 20 8|3 30000000000 9")
	tb, err := e.cat.Table(ctx, "m")
	if err != nil {
		t.Fatal(err)
	}
	if typ := tb.Schema().Field(1).Type; !arrow.TypeEqual(typ, arrow.PrimitiveTypes.Int64) {
		t.Fatalf("n is %s", typ)
	}
	// A dropped column's former names are never given to a new column.
	run(t, c, "ALTER TABLE m DROP COLUMN s")
	run(t, c, "ALTER TABLE m ADD COLUMN s text")
	expect(t, c, "SELECT id, s FROM m ORDER BY id", "1 (null)|2 (null)|3 (null)")
}

// A column added with a default and then changed in type: rows of files older than the
// column take the default converted to the new type, rows of files from between take their
// values converted, later rows their own.
func TestAlterColumnTypeAddedColumn(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	e, c := open(t, objstore.NewMem(), mem)
	defer e.Close()
	run(t, c, "CREATE TABLE a (id integer PRIMARY KEY)")
	run(t, c, "INSERT INTO a VALUES (1)")
	run(t, c, "ALTER TABLE a ADD COLUMN q numeric(6,2) DEFAULT 2.5")
	run(t, c, "INSERT INTO a VALUES (2, 7.25)")
	run(t, c, "ALTER TABLE a ALTER COLUMN q TYPE integer")
	run(t, c, "INSERT INTO a VALUES (3, 9)")
	expect(t, c, "SELECT id, q FROM a ORDER BY id", "1 3|2 7|3 9")
	run(t, c, "ALTER TABLE a ALTER COLUMN q TYPE text")
	expect(t, c, "SELECT id, q || '!' FROM a ORDER BY id", "1 3!|2 7!|3 9!")
	runErr(t, c, "ALTER TABLE a ALTER COLUMN q TYPE boolean USING q::boolean", errs.InvalidText)
	run(t, c, "VACUUM FULL a")
	expect(t, c, "SELECT id, q FROM a ORDER BY id", "1 3|2 7|3 9")
}
