package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/internal/arrowgen"
	"github.com/sleeperd/sleeperd/internal/s3test"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// importErr runs q, which must fail with kind, and returns the error.
func importErr(t *testing.T, c Conn, q string, kind error) *errs.Error {
	t.Helper()
	_, _, err := tryRun(c, q)
	var e *errs.Error
	if !errors.Is(err, kind) || !errors.As(err, &e) {
		t.Fatalf("%s: %v, want %v", q, err, kind)
	}
	return e
}

func sameRows(t *testing.T, c Conn, q1, q2 string) {
	t.Helper()
	a, _ := run(t, c, q1)
	b, _ := run(t, c, q2)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("%s:\n%v\n%s:\n%v", q1, a, q2, b)
	}
}

// writePqarrow writes the columns of b with arrow-go's Parquet writer, without the Arrow
// schema, as files written elsewhere are.
func writePqarrow(t *testing.T, name string, b arrow.RecordBatch) {
	t.Helper()
	if err := arrowgen.WriteParquet(name, b, nil); err != nil {
		t.Fatal(err)
	}
}

// TestImportParquetRoundTrip exports tables to Parquet directories and imports them into
// new tables through a glob and a directory.
func TestImportParquetRoundTrip(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	e, c := open(t, objstore.NewMem(), mem)
	run(t, c, "CREATE TABLE m (k int, v text, d date, n numeric(10,2), f float8) WITH (row_keys = 'k', split_points = '100,200,300')")
	run(t, c, "INSERT INTO m SELECT g, 'v' || g, DATE '2024-01-01' + g, g / 4.0, CASE WHEN g % 5 = 0 THEN NULL ELSE g * 0.5 END FROM generate_series(1, 400) AS g")
	run(t, c, "CREATE TABLE h (a int, b text)")
	run(t, c, "INSERT INTO h VALUES (3, 'c'), (1, NULL), (2, 'b')")
	dir := t.TempDir()
	run(t, c, fmt.Sprintf("COPY m TO '%s' (FORMAT parquet)", filepath.Join(dir, "m")))
	run(t, c, fmt.Sprintf("COPY h TO '%s' (FORMAT parquet)", filepath.Join(dir, "h")))

	run(t, c, "CREATE TABLE m2 (k int, v text, d date, n numeric(10,2), f float8) WITH (row_keys = 'k', split_points = '250')")
	if _, tag := run(t, c, fmt.Sprintf("COPY m2 FROM '%s' (FORMAT parquet)", filepath.Join(dir, "m", "*.parquet"))); tag != "COPY 400" {
		t.Errorf("tag %q, want COPY 400", tag)
	}
	sameRows(t, c, "SELECT * FROM m ORDER BY k", "SELECT * FROM m2 ORDER BY k")
	var size int64
	files, _ := filepath.Glob(filepath.Join(dir, "m", "*.parquet"))
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		size += st.Size()
	}
	if b, r := e.CopyProgress(); r != 400 || b != size {
		t.Errorf("CopyProgress after a COPY of 400 rows from %d bytes: %d bytes, %d rows", size, b, r)
	}

	// A directory; the hidden row id COPY TO wrote is not read: rows get new ones.
	run(t, c, "CREATE TABLE h2 (a int, b text)")
	if _, tag := run(t, c, fmt.Sprintf("COPY h2 FROM '%s' (FORMAT parquet)", filepath.Join(dir, "h"))); tag != "COPY 3" {
		t.Errorf("tag %q, want COPY 3", tag)
	}
	sameRows(t, c, "SELECT * FROM h ORDER BY a", "SELECT * FROM h2 ORDER BY a")

	// A column list: the file's other columns must not be there.
	run(t, c, "CREATE TABLE m3 (k int, v text, x text)")
	ie := importErr(t, c, fmt.Sprintf("COPY m3 (k, v) FROM '%s/m/*' (FORMAT parquet)", dir), errs.UndefinedColumn)
	if !strings.Contains(ie.Where, "file \""+filepath.Join(dir, "m")) {
		t.Errorf("context %q does not name the file", ie.Where)
	}
}

// TestImportParquetForeign imports files written by another writer: columns in another
// order and case, narrower integer types cast to the table's, missing columns NULL, an
// extra column refused, a value out of range refused.
func TestImportParquetForeign(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	_, c := open(t, objstore.NewMem(), mem)
	run(t, c, "CREATE TABLE f (k bigint, v text, n int, x text) WITH (row_keys = 'k')")
	dir := t.TempDir()
	go1 := memory.NewGoAllocator()
	build := func(fields []arrow.Field, fill func(bs []array.Builder)) arrow.RecordBatch {
		schema := arrow.NewSchema(fields, nil)
		rb := array.NewRecordBuilder(go1, schema)
		defer rb.Release()
		fill(rb.Fields())
		return rb.NewRecordBatch()
	}
	b := build([]arrow.Field{
		{Name: "V", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "n", Type: arrow.PrimitiveTypes.Int16, Nullable: true},
		{Name: "k", Type: arrow.PrimitiveTypes.Int32},
	}, func(bs []array.Builder) {
		bs[0].(*array.StringBuilder).AppendValues([]string{"a", "b", ""}, []bool{true, true, false})
		bs[1].(*array.Int16Builder).AppendValues([]int16{7, -8, 9}, nil)
		bs[2].(*array.Int32Builder).AppendValues([]int32{3, 1, 2}, nil)
	})
	writePqarrow(t, filepath.Join(dir, "ok.parquet"), b)
	b.Release()
	if _, tag := run(t, c, fmt.Sprintf("COPY f FROM '%s' (FORMAT parquet)", filepath.Join(dir, "ok.parquet"))); tag != "COPY 3" {
		t.Errorf("tag %q", tag)
	}
	rows, _ := run(t, c, "SELECT k, v, n, x FROM f ORDER BY k")
	if got := fmt.Sprint(rows); got != "[[1 b -8 (null)] [2 (null) 9 (null)] [3 a 7 (null)]]" {
		t.Errorf("rows %s", got)
	}

	b = build([]arrow.Field{
		{Name: "k", Type: arrow.PrimitiveTypes.Int64},
		{Name: "extra", Type: arrow.PrimitiveTypes.Int64},
	}, func(bs []array.Builder) {
		bs[0].(*array.Int64Builder).Append(10)
		bs[1].(*array.Int64Builder).Append(11)
	})
	writePqarrow(t, filepath.Join(dir, "extra.parquet"), b)
	b.Release()
	e := importErr(t, c, fmt.Sprintf("COPY f FROM '%s' (FORMAT parquet)", filepath.Join(dir, "extra.parquet")), errs.UndefinedColumn)
	if e.Msg != `column "extra" of relation "f" does not exist` {
		t.Errorf("message %q", e.Msg)
	}

	b = build([]arrow.Field{
		{Name: "k", Type: arrow.PrimitiveTypes.Int64},
		{Name: "n", Type: arrow.PrimitiveTypes.Int64},
	}, func(bs []array.Builder) {
		bs[0].(*array.Int64Builder).Append(20)
		bs[1].(*array.Int64Builder).Append(1 << 40)
	})
	writePqarrow(t, filepath.Join(dir, "range.parquet"), b)
	b.Release()
	importErr(t, c, fmt.Sprintf("COPY f FROM '%s' (FORMAT parquet)", filepath.Join(dir, "range.parquet")), errs.NumericRange)

	// varchar(n) and char(n) lengths are checked as on assignment.
	run(t, c, "CREATE TABLE vc (k int, v varchar(3), c char(3)) WITH (row_keys = 'k')")
	chars := func(name string, vs []string) {
		b := build([]arrow.Field{
			{Name: "k", Type: arrow.PrimitiveTypes.Int32},
			{Name: "v", Type: arrow.BinaryTypes.String},
			{Name: "c", Type: arrow.BinaryTypes.String},
		}, func(bs []array.Builder) {
			bs[0].(*array.Int32Builder).AppendValues([]int32{1, 2}, nil)
			bs[1].(*array.StringBuilder).AppendValues(vs, nil)
			bs[2].(*array.StringBuilder).AppendValues([]string{"x  ", "yz    "}, nil)
		})
		writePqarrow(t, filepath.Join(dir, name), b)
		b.Release()
	}
	chars("chars.parquet", []string{"ab    ", "héé"})
	chars("long.parquet", []string{"ab", "abcd"})
	run(t, c, fmt.Sprintf("COPY vc FROM '%s/chars.parquet' (FORMAT parquet)", dir))
	rows, _ = run(t, c, "SELECT k, v || '|', c || '|', length(c) FROM vc ORDER BY k")
	if got := fmt.Sprint(rows); got != "[[1 ab | x| 1] [2 héé| yz| 2]]" {
		t.Errorf("rows %s", got)
	}
	e = importErr(t, c, fmt.Sprintf("COPY vc FROM '%s/long.parquet' (FORMAT parquet)", dir), errs.StringTooLong)
	if e.Msg != "value too long for type character varying(3)" {
		t.Errorf("message %q", e.Msg)
	}
	if rows, _ := run(t, c, "SELECT count(*) FROM f"); rows[0][0] != "3" {
		t.Errorf("%s rows after failed imports, want 3", rows[0][0])
	}
}

// TestImportParallel imports many CSV files at once, then fails a COPY whose files include
// a corrupt one: nothing of it is committed.
func TestImportParallel(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	e, c := open(t, objstore.NewMem(), mem)
	run(t, c, "CREATE TABLE p (k int, s text) WITH (row_keys = 'k', split_points = '500')")
	dir := t.TempDir()
	for i := range 24 {
		var sb strings.Builder
		sb.WriteString("k,s\n")
		for j := range 50 {
			fmt.Fprintf(&sb, "%d,\"f%d,r%d\"\n", i*50+j, i, j)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("part-%02d.csv", i)), []byte(sb.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, tag := run(t, c, fmt.Sprintf("COPY p FROM '%s/part-*.csv' (FORMAT csv, HEADER)", dir)); tag != "COPY 1200" {
		t.Fatalf("tag %q, want COPY 1200", tag)
	}
	rows, _ := run(t, c, "SELECT count(*), count(DISTINCT k), min(k), max(k), max(s) FROM p")
	if got := fmt.Sprint(rows); got != "[[1200 1200 0 1199 f9,r9]]" {
		t.Errorf("rows %s", got)
	}

	// Parquet files, one of them corrupt.
	pdir := filepath.Join(dir, "pq")
	run(t, c, fmt.Sprintf("COPY p TO '%s' (FORMAT parquet)", pdir))
	for i := range 6 {
		run(t, c, fmt.Sprintf("COPY (SELECT k + %d AS k, s FROM p) TO '%s/more-%02d.parquet' (FORMAT parquet)", (i+1)*10000, pdir, i))
	}
	if err := os.WriteFile(filepath.Join(pdir, "more-05x.parquet"), []byte("PAR1 this is not parquet PAR1"), 0o644); err != nil {
		t.Fatal(err)
	}
	tbl, err := e.cat.Table(context.Background(), "p")
	if err != nil {
		t.Fatal(err)
	}
	before, err := e.ss.Snapshot(context.Background(), tbl.StateID())
	if err != nil {
		t.Fatal(err)
	}
	ee := importErr(t, c, fmt.Sprintf("COPY p FROM '%s' (FORMAT parquet)", pdir), errs.BadCopyFormat)
	if !strings.Contains(ee.Msg, "more-05x.parquet") {
		t.Errorf("message %q does not name the corrupt file", ee.Msg)
	}
	after, err := e.ss.Snapshot(context.Background(), tbl.StateID())
	if err != nil {
		t.Fatal(err)
	}
	if after.TxnNumber() != before.TxnNumber() {
		t.Errorf("transaction %d after the failed COPY, want %d", after.TxnNumber(), before.TxnNumber())
	}
	if rows, _ := run(t, c, "SELECT count(*) FROM p"); rows[0][0] != "1200" {
		t.Errorf("%s rows after the failed COPY, want 1200", rows[0][0])
	}
	// Without the corrupt file, it loads.
	if err := os.Remove(filepath.Join(pdir, "more-05x.parquet")); err != nil {
		t.Fatal(err)
	}
	if _, tag := run(t, c, fmt.Sprintf("COPY p FROM '%s/more-*' (FORMAT parquet)", pdir)); tag != "COPY 7200" {
		t.Errorf("tag %q, want COPY 7200", tag)
	}
}

// TestImportErrors checks the errors of COPY FROM a file: missing, relative, no match, a
// bad row in the second file (its line and file in the context), and a read-only
// transaction.
func TestImportErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	_, c := open(t, objstore.NewMem(), mem)
	run(t, c, "CREATE TABLE t (k int, s text) WITH (row_keys = 'k')")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.txt"), []byte("1\tone\n2\ttwo\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "b.txt"), []byte("3\tthree\n4\tfour\nfive\tfive\n"), 0o644)
	e := importErr(t, c, fmt.Sprintf("COPY t FROM '%s/nope.txt'", dir), errs.UndefinedFile)
	if want := fmt.Sprintf(`could not open file "%s/nope.txt" for reading: No such file or directory`, dir); e.Msg != want {
		t.Errorf("message %q, want %q", e.Msg, want)
	}
	importErr(t, c, fmt.Sprintf("COPY t FROM '%s/*.csv'", dir), errs.UndefinedFile)
	importErr(t, c, "COPY t FROM 'a.txt'", errs.InvalidName)
	e = importErr(t, c, fmt.Sprintf("COPY t FROM '%s/*.txt'", dir), errs.InvalidText)
	if want := fmt.Sprintf("COPY t, line 3, column k: \"five\"\nfile \"%s/b.txt\"", dir); e.Where != want {
		t.Errorf("context %q, want %q", e.Where, want)
	}
	if rows, _ := run(t, c, "SELECT count(*) FROM t"); rows[0][0] != "0" {
		t.Errorf("%s rows after the failed COPY", rows[0][0])
	}
	run(t, c, "BEGIN READ ONLY")
	importErr(t, c, fmt.Sprintf("COPY t FROM '%s/a.txt'", dir), errs.ReadOnlyTransaction)
	run(t, c, "ROLLBACK")
	if _, tag := run(t, c, fmt.Sprintf("COPY t FROM '%s/a.txt'", dir)); tag != "COPY 2" {
		t.Errorf("tag %q", tag)
	}
	os.WriteFile(filepath.Join(dir, "empty.csv"), nil, 0o644)
	if _, tag := run(t, c, fmt.Sprintf("COPY t FROM '%s/empty.csv' CSV", dir)); tag != "COPY 0" {
		t.Errorf("tag %q", tag)
	}
}

// TestImportS3 exports to and imports from s3:// locations on gofakes3 and versitygw.
func TestImportS3(t *testing.T) {
	for _, srv := range []struct {
		name  string
		start func(testing.TB) string
	}{{"gofakes3", s3test.FakeS3}, {"versitygw", s3test.VersityGW}} {
		t.Run(srv.name, func(t *testing.T) {
			endpoint := srv.start(t)
			bucket := s3test.NewBucket(t, endpoint)
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			e, c := openWith(t, Options{Store: objstore.NewMem(), Alloc: mem,
				External: func(ctx context.Context, b string) (objstore.Store, error) {
					return objstore.NewS3(ctx, objstore.S3Options{Bucket: b, Endpoint: endpoint, PathStyle: true,
						Region: s3test.Region, Credentials: s3test.Credentials(), PartSize: 5 << 20})
				}})
			defer e.Close()
			run(t, c, "CREATE TABLE m (k int, v text) WITH (row_keys = 'k', split_points = '100,200')")
			run(t, c, "INSERT INTO m SELECT g, 'v' || g FROM generate_series(1, 300) AS g")
			if _, tag := run(t, c, fmt.Sprintf("COPY m TO 's3://%s/exp/m' (FORMAT parquet)", bucket)); tag != "COPY 300" {
				t.Errorf("tag %q", tag)
			}
			keys := s3test.Keys(t, endpoint, bucket, "exp/m/")
			if len(keys) != 3 || !slices.IsSorted(keys) || !strings.HasSuffix(keys[0], ".parquet") {
				t.Errorf("keys %v, want one Parquet file per leaf", keys)
			}
			run(t, c, "CREATE TABLE m2 (k int, v text) WITH (row_keys = 'k')")
			if _, tag := run(t, c, fmt.Sprintf("COPY m2 FROM 's3://%s/exp/m/*.parquet' (FORMAT parquet)", bucket)); tag != "COPY 300" {
				t.Errorf("tag %q", tag)
			}
			sameRows(t, c, "SELECT * FROM m ORDER BY k", "SELECT * FROM m2 ORDER BY k")

			// A query to one object, in CSV, read back from the object and its "directory".
			if _, tag := run(t, c, fmt.Sprintf("COPY (SELECT k, v FROM m WHERE k > 250) TO 's3://%s/q/out.csv' (FORMAT csv, HEADER)", bucket)); tag != "COPY 50" {
				t.Errorf("tag %q", tag)
			}
			run(t, c, "CREATE TABLE q (k int, v text) WITH (row_keys = 'k')")
			if _, tag := run(t, c, fmt.Sprintf("COPY q FROM 's3://%s/q/out.csv' (FORMAT csv, HEADER)", bucket)); tag != "COPY 50" {
				t.Errorf("tag %q", tag)
			}
			if _, tag := run(t, c, fmt.Sprintf("COPY q FROM 's3://%s/q' (FORMAT csv, HEADER)", bucket)); tag != "COPY 50" {
				t.Errorf("tag %q", tag)
			}
			sameRows(t, c, "SELECT k, v FROM m WHERE k > 250 UNION ALL SELECT k, v FROM m WHERE k > 250 ORDER BY k", "SELECT * FROM q ORDER BY k")
			importErr(t, c, fmt.Sprintf("COPY q FROM 's3://%s/nothing/*.csv' (FORMAT csv)", bucket), errs.UndefinedFile)

			// A query that fails midway leaves no object.
			importErr(t, c, fmt.Sprintf("COPY (SELECT 1 / (k - 150) FROM m) TO 's3://%s/bad.csv'", bucket), errs.DivisionByZero)
			if keys := s3test.Keys(t, endpoint, bucket, "bad"); len(keys) != 0 {
				t.Errorf("keys %v after a failed COPY", keys)
			}
			// An object larger than a part goes up in parts, and reads back in chunks.
			big := "SELECT g AS k, repeat('x', 60) || g AS v FROM generate_series(1, 120000) AS g"
			if _, tag := run(t, c, fmt.Sprintf("COPY (%s) TO 's3://%s/big/data.txt'", big, bucket)); tag != "COPY 120000" {
				t.Errorf("tag %q", tag)
			}
			run(t, c, "CREATE TABLE big (k int, v text) WITH (row_keys = 'k')")
			if _, tag := run(t, c, fmt.Sprintf("COPY big FROM 's3://%s/big/'", bucket)); tag != "COPY 120000" {
				t.Errorf("tag %q", tag)
			}
			sameRows(t, c, "SELECT count(*), sum(k), max(v), min(length(v)) FROM big", "SELECT count(*), sum(k), max(v), min(length(v)) FROM ("+big+") AS b")
		})
	}
}

// TestImportFirstErrorStopsReaders checks that the first failing file cancels the files
// being read and that no file starts after it.
func TestImportFirstErrorStopsReaders(t *testing.T) {
	e := &Engine{opts: Options{Parallelism: 4}}
	files := make([]importFile, 50)
	var started atomic.Int32
	boom := errors.New("boom")
	read := func(ctx context.Context, f importFile, emit func(arrow.RecordBatch) error) error {
		if started.Add(1) == 3 {
			return boom
		}
		<-ctx.Done()
		return context.Cause(ctx)
	}
	if err := e.importInto(context.Background(), nil, files, read); !errors.Is(err, boom) {
		t.Errorf("error %v, want boom", err)
	}
	if n := started.Load(); n > 4 {
		t.Errorf("%d files started, want at most 4 (the readers at once)", n)
	}
}

// failingReads is a store whose reads fail.
type failingReads struct{ objstore.Store }

func (failingReads) ReadAt(context.Context, string, []byte, int64) error {
	return errors.New("connection reset")
}

// TestImportReadFails checks a file that cannot be read fails with 58030, not as a bad file.
func TestImportReadFails(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	bucket := objstore.NewMem()
	e, c := openWith(t, Options{Store: objstore.NewMem(), Alloc: mem,
		External: func(context.Context, string) (objstore.Store, error) { return failingReads{bucket}, nil }})
	defer e.Close()
	run(t, c, "CREATE TABLE t (k int, v text) WITH (row_keys = 'k')")
	run(t, c, "INSERT INTO t VALUES (1, 'a')")
	dir := t.TempDir()
	run(t, c, fmt.Sprintf("COPY (SELECT * FROM t) TO '%s/t.parquet' (FORMAT parquet)", dir))
	data, err := os.ReadFile(filepath.Join(dir, "t.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := bucket.Put(ctx, "t.parquet", bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if err := bucket.Put(ctx, "t.csv", strings.NewReader("2,b\n")); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"COPY t FROM 's3://b/t.parquet' (FORMAT parquet)", "COPY t FROM 's3://b/t.csv' CSV"} {
		e := importErr(t, c, q, errs.IOError)
		if !strings.Contains(e.Msg, "s3://b/t.") || !strings.Contains(e.Msg, "connection reset") {
			t.Errorf("%s: %q", q, e.Msg)
		}
	}
}
