package slt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sleeperd/sleeperd/storage/parquet"
)

// exportServer serves a fresh engine and returns a connection to it.
func exportServer(ctx context.Context, t *testing.T, mem memory.Allocator) *pgx.Conn {
	t.Helper()
	addr := serve(ctx, t, openEngine(ctx, t, mem))
	return dial(ctx, t, fmt.Sprintf("postgres://slt@%s/slt?sslmode=disable", addr))
}

func mustExec(ctx context.Context, t *testing.T, c *pgx.Conn, sql string) string {
	t.Helper()
	tag, err := c.Exec(ctx, sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return tag.String()
}

// readParquet reads every row of a Parquet file written by COPY, each formatted as its
// columns' values joined by "|", in file order.
func readParquet(t *testing.T, mem memory.Allocator, name string) (cols []string, rows []string) {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.Open(f, fi.Size())
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	for _, fl := range pf.Schema().Fields() {
		cols = append(cols, fl.Name)
	}
	r, err := pf.Read(context.Background(), parquet.ReadOptions{Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for {
		b, err := r.Next(context.Background())
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < int(b.NumRows()); i++ {
			vals := make([]string, b.NumCols())
			for j := range vals {
				vals[j] = b.Column(j).ValueStr(i)
			}
			rows = append(rows, strings.Join(vals, "|"))
		}
		b.Release()
	}
	return cols, rows
}

// TestCopyTableToParquet exports a table of several leaf partitions, filled by several
// inserts whose keys interleave, and checks there is one file per leaf, named by it, its
// rows in key order and within the leaf's range, and that together they hold exactly the
// table's rows.
func TestCopyTableToParquet(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
	defer cancel()
	func() {
		c := exportServer(ctx, t, mem)
		mustExec(ctx, t, c, "CREATE TABLE e (k bigint, v text, n int) WITH (row_keys = 'k', split_points = '10,20,30')")
		// Each insert writes a file into each leaf it touches, so leaves hold several files
		// whose keys interleave.
		inserts := [][]int{{35, 5, 15, 25}, {1, 12, 31, 22, 9}, {40, 3, 19, 28, 11}, {7, 33, 21}}
		total := 0
		for _, ks := range inserts {
			var vals []string
			for _, k := range ks {
				v := fmt.Sprintf("(%d, 'v%d', %d)", k, k, k*k)
				if k%4 == 0 {
					v = fmt.Sprintf("(%d, NULL, NULL)", k)
				}
				vals = append(vals, v)
			}
			mustExec(ctx, t, c, "INSERT INTO e VALUES "+strings.Join(vals, ", "))
			total += len(ks)
		}
		// A deleted row is not exported: leaves are read as queries read them.
		if tag := mustExec(ctx, t, c, "DELETE FROM e WHERE k = 12"); tag != "DELETE 1" {
			t.Fatalf("DELETE: %s", tag)
		}
		total--
		dir := filepath.Join(t.TempDir(), "export", "e") // created by COPY
		if tag := mustExec(ctx, t, c, fmt.Sprintf("COPY e TO '%s' (FORMAT parquet)", dir)); tag != fmt.Sprintf("COPY %d", total) {
			t.Errorf("tag %q, want COPY %d", tag, total)
		}

		var leaves []string
		rs, err := c.Query(ctx, "SELECT partition_id FROM sleeper.partitions WHERE table_name = 'e' AND leaf")
		if err != nil {
			t.Fatal(err)
		}
		for rs.Next() {
			var id string
			if err := rs.Scan(&id); err != nil {
				t.Fatal(err)
			}
			leaves = append(leaves, id+".parquet")
		}
		if rs.Err() != nil {
			t.Fatal(rs.Err())
		}
		if len(leaves) != 4 {
			t.Fatalf("%d leaves, want 4", len(leaves))
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, en := range entries {
			names = append(names, en.Name())
		}
		slices.Sort(leaves)
		if !slices.Equal(names, leaves) {
			t.Fatalf("files %v, want one per leaf %v", names, leaves)
		}

		var got []string
		for _, name := range names {
			cols, rows := readParquet(t, mem, filepath.Join(dir, name))
			if !slices.Equal(cols, []string{"k", "v", "n"}) {
				t.Errorf("%s: columns %v", name, cols)
			}
			var ks []int
			for _, r := range rows {
				var k int
				fmt.Sscanf(r, "%d|", &k)
				ks = append(ks, k)
			}
			if !slices.IsSorted(ks) {
				t.Errorf("%s: keys %v not sorted", name, ks)
			}
			// A leaf's keys lie in one of the ranges the split points make.
			if len(ks) > 0 {
				band := func(k int) int { return min(k/10, 3) }
				if band(ks[0]) != band(ks[len(ks)-1]) {
					t.Errorf("%s: keys %v span partitions", name, ks)
				}
			}
			got = append(got, rows...)
		}

		var want []string
		rs, err = c.Query(ctx, "SELECT k, v, n FROM e")
		if err != nil {
			t.Fatal(err)
		}
		for rs.Next() {
			var k int64
			var v *string
			var n *int32
			if err := rs.Scan(&k, &v, &n); err != nil {
				t.Fatal(err)
			}
			vs, ns := "(null)", "(null)"
			if v != nil {
				vs = *v
			}
			if n != nil {
				ns = fmt.Sprint(*n)
			}
			want = append(want, fmt.Sprintf("%d|%s|%s", k, vs, ns))
		}
		if rs.Err() != nil {
			t.Fatal(rs.Err())
		}
		slices.Sort(got)
		slices.Sort(want)
		if len(want) != total || !slices.Equal(got, want) {
			t.Errorf("exported rows\n%v\nwant the table's\n%v", got, want)
		}

		// Exporting again replaces the files.
		if tag := mustExec(ctx, t, c, fmt.Sprintf("COPY e TO '%s' (FORMAT parquet)", dir)); tag != fmt.Sprintf("COPY %d", total) {
			t.Errorf("second export: tag %q", tag)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != len(leaves) {
			t.Errorf("second export left %d files, want %d", len(entries), len(leaves))
		}
	}()
}

// TestCopyTableToParquetProperties checks the exported files carry the table's Parquet
// properties, read back with arrow-go's own Parquet reader.
func TestCopyTableToParquetProperties(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
	defer cancel()
	func() {
		c := exportServer(ctx, t, mem)
		mustExec(ctx, t, c, "CREATE TABLE p (k int PRIMARY KEY, v text) WITH (compression = 'snappy', row_group_rows = '3')")
		mustExec(ctx, t, c, "INSERT INTO p SELECT g, 'v' || g FROM generate_series(1, 10) AS g")
		dir := filepath.Join(t.TempDir(), "p")
		if tag := mustExec(ctx, t, c, fmt.Sprintf("COPY p TO '%s' (FORMAT parquet)", dir)); tag != "COPY 10" {
			t.Errorf("tag %q, want COPY 10", tag)
		}
		entries, err := os.ReadDir(dir)
		if err != nil || len(entries) != 1 {
			t.Fatalf("%v, %v: want one file", entries, err)
		}
		r, err := file.OpenParquetFile(filepath.Join(dir, entries[0].Name()), false)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if r.NumRows() != 10 || r.NumRowGroups() != 4 {
			t.Errorf("%d rows in %d row groups, want 10 in 4", r.NumRows(), r.NumRowGroups())
		}
		for g := 0; g < r.NumRowGroups(); g++ {
			cc, err := r.MetaData().RowGroup(g).ColumnChunk(0)
			if err != nil {
				t.Fatal(err)
			}
			if cc.Compression() != compress.Codecs.Snappy {
				t.Errorf("row group %d compressed with %v, want snappy", g, cc.Compression())
			}
		}
	}()
}

// TestCopyEmptyTableToParquet exports a table with no rows: one empty file for its one leaf.
func TestCopyEmptyTableToParquet(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
	defer cancel()
	func() {
		c := exportServer(ctx, t, mem)
		mustExec(ctx, t, c, "CREATE TABLE z (k int PRIMARY KEY, v text)")
		dir := filepath.Join(t.TempDir(), "z")
		if tag := mustExec(ctx, t, c, fmt.Sprintf("COPY z TO '%s' (FORMAT parquet)", dir)); tag != "COPY 0" {
			t.Errorf("tag %q, want COPY 0", tag)
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 {
			t.Fatalf("%d files, want 1", len(entries))
		}
		cols, rows := readParquet(t, mem, filepath.Join(dir, entries[0].Name()))
		if !slices.Equal(cols, []string{"k", "v"}) || len(rows) != 0 {
			t.Errorf("columns %v, rows %v; want k, v and none", cols, rows)
		}
	}()
}

// TestCopyQueryToFile checks COPY (query) TO a file writes, in CSV and text, the bytes COPY
// TO STDOUT sends, and in Parquet the query's rows; and that paths must be absolute.
func TestCopyQueryToFile(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
	defer cancel()
	func() {
		c := exportServer(ctx, t, mem)
		mustExec(ctx, t, c, copyTable)
		for _, r := range copyRows {
			mustExec(ctx, t, c, "INSERT INTO t VALUES "+r)
		}
		dir := t.TempDir()
		const q = "(SELECT k, s, f, n, b, d, tz, by, v FROM t WHERE k > 1 ORDER BY k DESC)"
		for _, opts := range []string{"CSV HEADER", "(FORMAT csv, FORCE_QUOTE *, NULL 'nil')", "", "(FORMAT text, DELIMITER '|')"} {
			want, wantTag, err := copyTo(ctx, c, "COPY "+q+" TO STDOUT "+opts)
			if err != nil {
				t.Fatalf("%s: %v", opts, err)
			}
			name := filepath.Join(dir, "out.txt")
			tag := mustExec(ctx, t, c, fmt.Sprintf("COPY %s TO '%s' %s", q, name, opts))
			got, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != want || tag != wantTag {
				t.Errorf("%s: file %q (%s), want %q (%s)", opts, got, tag, want, wantTag)
			}
		}
		if len(copyRows) < 2 {
			t.Fatal("too few rows")
		}

		name := filepath.Join(dir, "q.parquet")
		if tag := mustExec(ctx, t, c, fmt.Sprintf("COPY (SELECT k, k * 2 AS twice FROM t ORDER BY k DESC) TO '%s' (FORMAT parquet)", name)); tag != fmt.Sprintf("COPY %d", len(copyRows)) {
			t.Errorf("parquet tag %q", tag)
		}
		cols, rows := readParquet(t, mem, name)
		var want []string
		for k := len(copyRows); k >= 1; k-- {
			want = append(want, fmt.Sprintf("%d|%d", k, 2*k))
		}
		if !slices.Equal(cols, []string{"k", "twice"}) || !slices.Equal(rows, want) {
			t.Errorf("parquet: %v %v, want k, twice and %v", cols, rows, want)
		}

		for _, sql := range []string{
			"COPY t TO 'relative/dir' (FORMAT parquet)",
			"COPY (SELECT 1) TO 'out.csv' CSV",
		} {
			_, err := c.Exec(ctx, sql)
			var pe *pgconn.PgError
			if !errors.As(err, &pe) || pe.Code != "42602" || pe.Message != "relative path not allowed for COPY to file" {
				t.Errorf("%s: %v, want 42602 relative path not allowed for COPY to file", sql, err)
			}
		}
		// A path that cannot be written fails the COPY, which leaves the connection serving.
		for _, sql := range []string{
			fmt.Sprintf("COPY t TO '%s' (FORMAT parquet)", filepath.Join(name, "sub")),
			fmt.Sprintf("COPY (SELECT 1) TO '%s' CSV", filepath.Join(name, "sub.csv")),
		} {
			_, err := c.Exec(ctx, sql)
			var pe *pgconn.PgError
			if !errors.As(err, &pe) || pe.Code != "58030" {
				t.Errorf("%s: %v, want 58030", sql, err)
			}
		}
		var one int
		if err := c.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
			t.Errorf("after a failed COPY: %d, %v", one, err)
		}
		// The Parquet file reads back with COPY FROM.
		mustExec(ctx, t, c, "CREATE TABLE q (k int PRIMARY KEY, twice bigint)")
		if tag := mustExec(ctx, t, c, fmt.Sprintf("COPY q FROM '%s' (FORMAT parquet)", name)); tag != fmt.Sprintf("COPY %d", len(copyRows)) {
			t.Errorf("COPY FROM the parquet file: %q", tag)
		}
	}()
}
