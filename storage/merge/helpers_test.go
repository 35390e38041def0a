package merge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/parquet"
)

// Stream layout of the tests: row key k, sort key s, value columns a, b, ts, then the hidden
// version and deleted columns.
const (
	colK = iota
	colS
	colA
	colB
	colTS
	colVer
	colDel
)

var tsType = &arrow.TimestampType{Unit: arrow.Microsecond}

var streamSchema = arrow.NewSchema([]arrow.Field{
	{Name: "k", Type: arrow.PrimitiveTypes.Int64},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "a", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "b", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "ts", Type: tsType, Nullable: true},
	{Name: VersionColumn, Type: arrow.PrimitiveTypes.Int64},
	{Name: DeletedColumn, Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
}, nil)

// row is one row of streamSchema; nil pointers are NULLs.
type row struct {
	k   int64
	s   *string
	a   *int64
	b   *string
	ts  *int64
	ver int64
	del bool
}

func (r row) String() string {
	f := func(p any) string {
		switch v := p.(type) {
		case *string:
			if v == nil {
				return "NULL"
			}
			return *v
		case *int64:
			if v == nil {
				return "NULL"
			}
			return fmt.Sprint(*v)
		}
		return "?"
	}
	return fmt.Sprintf("{k=%d s=%s a=%s b=%s ts=%s v=%d del=%v}", r.k, f(r.s), f(r.a), f(r.b), f(r.ts), r.ver, r.del)
}

func str(s string) *string { return &s }
func i64(v int64) *int64   { return &v }

// makeBatch builds a batch of streamSchema from rows.
func makeBatch(mem memory.Allocator, rows []row) arrow.RecordBatch {
	bld := array.NewRecordBuilder(mem, streamSchema)
	defer bld.Release()
	for _, r := range rows {
		bld.Field(colK).(*array.Int64Builder).Append(r.k)
		appendStr(bld.Field(colS).(*array.StringBuilder), r.s)
		appendInt(bld.Field(colA).(*array.Int64Builder), r.a)
		appendStr(bld.Field(colB).(*array.StringBuilder), r.b)
		tb := bld.Field(colTS).(*array.TimestampBuilder)
		if r.ts == nil {
			tb.AppendNull()
		} else {
			tb.Append(arrow.Timestamp(*r.ts))
		}
		bld.Field(colVer).(*array.Int64Builder).Append(r.ver)
		bld.Field(colDel).(*array.BooleanBuilder).Append(r.del)
	}
	return bld.NewRecordBatch()
}

func appendStr(b *array.StringBuilder, s *string) {
	if s == nil {
		b.AppendNull()
		return
	}
	b.Append(*s)
}

func appendInt(b *array.Int64Builder, v *int64) {
	if v == nil {
		b.AppendNull()
		return
	}
	b.Append(*v)
}

// rowsOf returns the rows of a batch of streamSchema.
func rowsOf(b arrow.RecordBatch) []row {
	out := make([]row, b.NumRows())
	k := b.Column(colK).(*array.Int64)
	s := b.Column(colS).(*array.String)
	a := b.Column(colA).(*array.Int64)
	bb := b.Column(colB).(*array.String)
	ts := b.Column(colTS).(*array.Timestamp)
	v := b.Column(colVer).(*array.Int64)
	d := b.Column(colDel).(*array.Boolean)
	for i := range out {
		r := row{k: k.Value(i), ver: v.Value(i), del: d.IsValid(i) && d.Value(i)}
		if s.IsValid(i) {
			r.s = str(s.Value(i))
		}
		if a.IsValid(i) {
			r.a = i64(a.Value(i))
		}
		if bb.IsValid(i) {
			r.b = str(bb.Value(i))
		}
		if ts.IsValid(i) {
			r.ts = i64(int64(ts.Value(i)))
		}
		out[i] = r
	}
	return out
}

// sliceStream streams batches it owns; Close releases those not returned.
type sliceStream struct {
	batches []arrow.RecordBatch
	err     error // returned after the batches, instead of io.EOF
	closed  *int  // counts Close calls, if set
}

func (s *sliceStream) Next(context.Context) (arrow.RecordBatch, error) {
	if len(s.batches) == 0 {
		if s.err != nil {
			return nil, s.err
		}
		return nil, io.EOF
	}
	b := s.batches[0]
	s.batches = s.batches[1:]
	return b, nil
}

func (s *sliceStream) Close() error {
	for _, b := range s.batches {
		b.Release()
	}
	s.batches = nil
	if s.closed != nil {
		*s.closed++
	}
	return nil
}

// streamOf returns a stream of rows cut into batches of the given sizes, cycled; the last
// size repeats. Zero sizes make empty batches.
func streamOf(mem memory.Allocator, rows []row, sizes ...int) *sliceStream {
	if len(sizes) == 0 {
		sizes = []int{len(rows) + 1}
	}
	s := &sliceStream{}
	for i, at := 0, 0; at < len(rows); i++ {
		n := sizes[min(i, len(sizes)-1)]
		end := min(at+n, len(rows))
		s.batches = append(s.batches, makeBatch(mem, rows[at:end]))
		at = end
	}
	return s
}

// drain reads every batch of s, closes it and returns the rows and the batch sizes.
func drain(t *testing.T, s exec.Stream) ([]row, []int, error) {
	t.Helper()
	defer s.Close()
	var out []row
	var sizes []int
	for {
		b, err := s.Next(context.Background())
		if errors.Is(err, io.EOF) {
			return out, sizes, nil
		}
		if err != nil {
			return out, sizes, err
		}
		if !b.Schema().Equal(streamSchema) {
			b.Release()
			t.Fatalf("batch schema %s", b.Schema())
		}
		out = append(out, rowsOf(b)...)
		sizes = append(sizes, int(b.NumRows()))
		b.Release()
	}
}

// mergeApply merges streams by spec, applies opts and drains the result: its rows, the
// applied stream (for its counters) and the error of the drain.
func mergeApply(t *testing.T, streams []exec.Stream, spec Spec, opts Options) ([]row, exec.Stream, error) {
	t.Helper()
	m, err := Merge(streams, spec)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Apply(m, streamSchema, opts)
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := drain(t, s)
	return got, s, err
}

func mergeSpec(mem memory.Allocator) Spec {
	return Spec{Schema: streamSchema, RowKeys: []int{colK}, SortKeys: []int{colS}, VersionCol: colVer, Alloc: mem}
}

func baseOptions(mem memory.Allocator) Options {
	return Options{RowKeys: []int{colK}, SortKeys: []int{colS}, VersionCol: colVer, DeletedCol: colDel, Alloc: mem}
}

func equalRows(a, b []row) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].String() != b[i].String() {
			return false
		}
	}
	return true
}

func diffRows(t *testing.T, got, want []row) {
	t.Helper()
	if equalRows(got, want) {
		return
	}
	var b bytes.Buffer
	for i := range max(len(got), len(want)) {
		g, w := "-", "-"
		if i < len(got) {
			g = got[i].String()
		}
		if i < len(want) {
			w = want[i].String()
		}
		mark := " "
		if g != w {
			mark = "!"
		}
		fmt.Fprintf(&b, "%s %3d got %-60s want %s\n", mark, i, g, w)
	}
	t.Fatalf("rows differ:\n%s", b.String())
}

// predFunc is a test delete predicate computed by a Go function over the rows of a batch;
// a nil result is NULL.
type predFunc struct {
	name string
	f    func(row) *bool
}

func (p predFunc) DataType() arrow.DataType { return arrow.FixedWidthTypes.Boolean }
func (p predFunc) String() string           { return p.name }
func (p predFunc) Eval(ctx context.Context, b arrow.RecordBatch) (arrow.Array, error) {
	bld := array.NewBooleanBuilder(exec.Allocator(ctx))
	defer bld.Release()
	for _, r := range rowsOf(b) {
		if v := p.f(r); v == nil {
			bld.AppendNull()
		} else {
			bld.Append(*v)
		}
	}
	return bld.NewArray(), nil
}

func boolp(v bool) *bool { return &v }

// writeFile writes batches as a Parquet file named name into store, with row groups of
// rgRows rows.
func writeFile(t testing.TB, store objstore.Store, name string, schema *arrow.Schema, rgRows int, batches ...arrow.RecordBatch) {
	t.Helper()
	var buf bytes.Buffer
	// PLAIN and uncompressed, so that the bytes a read takes are mostly its pages' (delta
	// encoding shrinks the tests' sequential columns to less than the footer).
	w, err := parquet.NewWriter(&buf, schema, parquet.Properties{RowGroupRows: rgRows, Compression: parquet.None, Encoding: parquet.EncodingPlain})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range batches {
		if err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := store.Put(context.Background(), name, &buf); err != nil {
		t.Fatal(err)
	}
}

func newBatch(schema *arrow.Schema, cols []arrow.Array, n int64) arrow.RecordBatch {
	return array.NewRecordBatch(schema, cols, n)
}
