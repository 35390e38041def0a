package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/parquet"
)

// TestExportManyLeaves exports, through the engine API, a table of more leaves than
// GOMAXPROCS and one keyed by insertion order, whose files carry its hidden row id.
func TestExportManyLeaves(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	_, c := open(t, objstore.NewMem(), mem)
	var splits []string
	for i := 1; i < 40; i++ {
		splits = append(splits, fmt.Sprint(i*10))
	}
	run(t, c, fmt.Sprintf("CREATE TABLE m (k int, v text) WITH (row_keys = 'k', split_points = '%s')", strings.Join(splits, ",")))
	run(t, c, "INSERT INTO m SELECT (g * 7) % 400, 'x' FROM generate_series(1, 400) AS g")
	run(t, c, "CREATE TABLE h (a int, b text)")
	run(t, c, "INSERT INTO h VALUES (3, 'c'), (1, NULL), (2, 'b')")
	dir := t.TempDir()
	if _, tag := run(t, c, fmt.Sprintf("COPY m TO '%s' (FORMAT parquet)", filepath.Join(dir, "m"))); tag != "COPY 400" {
		t.Errorf("tag %q, want COPY 400", tag)
	}
	entries, err := os.ReadDir(filepath.Join(dir, "m"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 40 {
		t.Errorf("%d files, want 40", len(entries))
	}
	var rows int64
	for _, en := range entries {
		f := readFile(t, filepath.Join(dir, "m", en.Name()))
		rows += f.NumRows()
	}
	if rows != 400 {
		t.Errorf("%d rows in the files, want 400", rows)
	}

	if _, tag := run(t, c, fmt.Sprintf("COPY h TO '%s' (FORMAT parquet)", filepath.Join(dir, "h"))); tag != "COPY 3" {
		t.Errorf("tag %q, want COPY 3", tag)
	}
	entries, err = os.ReadDir(filepath.Join(dir, "h"))
	if err != nil || len(entries) != 1 {
		t.Fatalf("%v, %v: want one file", entries, err)
	}
	f := readFile(t, filepath.Join(dir, "h", entries[0].Name()))
	var names []string
	for _, fl := range f.Schema().Fields() {
		names = append(names, fl.Name)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"_rowid", "a", "b"}) || f.NumRows() != 3 {
		t.Errorf("columns %v, %d rows; want _rowid, a, b and 3", names, f.NumRows())
	}
}

func readFile(t *testing.T, name string) *parquet.File {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	f, err := parquet.Open(strings.NewReader(string(b)), int64(len(b)))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return f
}
