package merge

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/storage/keys"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// tableSchema is the stored schema of the test table: streamSchema without hidden columns.
var tableSchema = arrow.NewSchema(streamSchema.Fields()[:colVer], nil)

// tableBatch returns rows as a batch of tableSchema, or of streamSchema with hidden columns.
func tableBatch(mem memory.Allocator, rows []row, hidden bool) arrow.RecordBatch {
	b := makeBatch(mem, rows)
	if hidden {
		return b
	}
	defer b.Release()
	return array.NewRecordBatch(tableSchema, b.Columns()[:colVer], b.NumRows())
}

// countingStore counts the bytes read from a store.
type countingStore struct {
	objstore.Store
	read atomic.Int64
}

func (c *countingStore) ReadAt(ctx context.Context, name string, p []byte, off int64) error {
	c.read.Add(int64(len(p)))
	return c.Store.ReadAt(ctx, name, p, off)
}

func enc(k int64) []byte {
	b, err := keys.AppendGo(nil, arrow.PrimitiveTypes.Int64, k)
	if err != nil {
		panic(err)
	}
	return b
}

func TestReadFile(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	store := &countingStore{Store: objstore.NewMem()}
	var plain, hidden []row
	for k := range int64(100) {
		plain = append(plain, row{k: k, s: str("s"), a: i64(k * 10), b: str("b"), ts: i64(k)})
		hidden = append(hidden, row{k: k, s: str("s"), a: i64(k), ver: 1000 + k, del: k%3 == 0})
	}
	bp, bh := tableBatch(mem, plain, false), tableBatch(mem, hidden, true)
	writeFile(t, store, "plain.parquet", tableSchema, 10, bp)
	writeFile(t, store, "hidden.parquet", streamSchema, 10, bh)
	bp.Release()
	bh.Release()
	all := []int{colK, colS, colA, colB, colTS}

	tests := []struct {
		name   string
		file   string
		rng    keys.Range
		cols   []int
		lo, hi int64 // keys expected, [lo, hi)
	}{
		{"full", "plain.parquet", keys.Full, all, 0, 100},
		{"clipped", "plain.parquet", keys.Range{Min: enc(25), Max: enc(47)}, all, 25, 47},
		{"clipped at row group bounds", "plain.parquet", keys.Range{Min: enc(20), Max: enc(30)}, all, 20, 30},
		{"min only", "plain.parquet", keys.Range{Min: enc(95)}, all, 95, 100},
		{"max only", "plain.parquet", keys.Range{Max: enc(3)}, all, 0, 3},
		{"above the file", "plain.parquet", keys.Range{Min: enc(500)}, all, 0, 0},
		{"empty range", "plain.parquet", keys.Range{Min: enc(5), Max: enc(5)}, all, 0, 0},
		{"hidden columns", "hidden.parquet", keys.Range{Min: enc(10), Max: enc(12)}, all, 10, 12},
		{"hidden columns, full", "hidden.parquet", keys.Full, all, 0, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := ReadSpec{Schema: tableSchema, Columns: tt.cols, RowKeys: []int{colK}, Range: tt.rng, Alloc: mem}
			s, err := ReadFile(context.Background(), FileSource{Store: store, Name: tt.file, AddedTxn: 7}, spec)
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := drain(t, s)
			if err != nil {
				t.Fatal(err)
			}
			var want []row
			for k := tt.lo; k < tt.hi; k++ {
				if tt.file == "plain.parquet" {
					w := plain[k]
					w.ver = 7
					want = append(want, w)
				} else {
					want = append(want, hidden[k])
				}
			}
			diffRows(t, got, want)
		})
	}
}

func TestReadFileColumnsAndSkipping(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	store := &countingStore{Store: objstore.NewMem()}
	var rows []row
	for k := range int64(20000) {
		rows = append(rows, row{k: k, s: str("s"), a: i64(k), b: str("bbbbbbbbbbbbbbbbbbbb"), ts: i64(k)})
	}
	b := tableBatch(mem, rows, false)
	writeFile(t, store, "f", tableSchema, 1000, b)
	b.Release()
	read := func(rng keys.Range, cols []int) (int64, []arrow.RecordBatch) {
		store.read.Store(0)
		s, err := ReadFile(context.Background(), FileSource{Store: store, Name: "f", AddedTxn: 3},
			ReadSpec{Schema: tableSchema, Columns: cols, RowKeys: []int{colK}, Range: rng, Alloc: mem})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		var out []arrow.RecordBatch
		for {
			b, err := s.Next(context.Background())
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, b)
		}
		return store.read.Load(), out
	}
	full, bs := read(keys.Full, []int{colA})
	for _, b := range bs {
		b.Release()
	}
	narrow, bs := read(keys.Range{Min: enc(5100), Max: enc(5200)}, []int{colA, colK})
	defer func() {
		for _, b := range bs {
			b.Release()
		}
	}()
	if narrow*5 > full {
		t.Errorf("a range within one row group read %d bytes, the whole file %d", narrow, full)
	}
	var n int64
	for _, b := range bs {
		if got := b.Schema().Field(0).Name + "," + b.Schema().Field(1).Name + "," + b.Schema().Field(2).Name + "," + b.Schema().Field(3).Name; got != "a,k,_version,_deleted" {
			t.Fatalf("columns %s", got)
		}
		a := b.Column(0).(*array.Int64)
		k := b.Column(1).(*array.Int64)
		v := b.Column(2).(*array.Int64)
		d := b.Column(3).(*array.Boolean)
		for i := range int(b.NumRows()) {
			if a.Value(i) != 5100+n || k.Value(i) != 5100+n || v.Value(i) != 3 || d.Value(i) {
				t.Fatalf("row %d: a=%d k=%d v=%d d=%v", n, a.Value(i), k.Value(i), v.Value(i), d.Value(i))
			}
			n++
		}
	}
	if n != 100 {
		t.Fatalf("read %d rows, want 100", n)
	}
}

func TestReadFileErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	store := objstore.NewMem()
	rows := []row{{k: 1, s: str("x"), ver: 1}, {k: 2, s: str("x"), ver: 1}}
	b := tableBatch(mem, rows, false)
	writeFile(t, store, "f", tableSchema, 1, b)
	b.Release()
	badVer := arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.PrimitiveTypes.Int64},
		{Name: VersionColumn, Type: arrow.BinaryTypes.String},
	}, nil)
	kb := array.NewInt64Builder(mem)
	kb.AppendValues([]int64{1}, nil)
	kcol := kb.NewArray()
	kb.Release()
	sb := array.NewStringBuilder(mem)
	sb.Append("x")
	scol := sb.NewArray()
	sb.Release()
	bad := array.NewRecordBatch(badVer, []arrow.Array{kcol, scol}, 1)
	kcol.Release()
	scol.Release()
	writeFile(t, store, "badver", badVer, 10, bad)
	bad.Release()
	otherTable := arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.PrimitiveTypes.Int64},
		{Name: "zz", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	tests := []struct {
		name string
		src  FileSource
		spec ReadSpec
		want error
	}{
		{"missing object", FileSource{Store: store, Name: "nope"}, ReadSpec{Schema: tableSchema, RowKeys: []int{0}}, objstore.ErrNotExist},
		{"missing row key column", FileSource{Store: store, Name: "f"}, ReadSpec{Schema: otherTable, Columns: []int{1}, RowKeys: []int{1}}, ErrFileMismatch},
		{"version of another type", FileSource{Store: store, Name: "badver"}, ReadSpec{Schema: tableSchema, Columns: []int{0}, RowKeys: []int{0}}, ErrFileMismatch},
		{"no row keys", FileSource{Store: store, Name: "f"}, ReadSpec{Schema: tableSchema}, ErrInvalidSpec},
		{"column out of range", FileSource{Store: store, Name: "f"}, ReadSpec{Schema: tableSchema, Columns: []int{9}, RowKeys: []int{0}}, ErrInvalidSpec},
		{"no store", FileSource{Name: "f"}, ReadSpec{Schema: tableSchema, RowKeys: []int{0}}, ErrInvalidSpec},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.spec.Alloc = mem
			s, err := ReadFile(context.Background(), tt.src, tt.spec)
			if err == nil {
				s.Close()
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("closed early", func(t *testing.T) {
		s, err := ReadFile(context.Background(), FileSource{Store: store, Name: "f", AddedTxn: 1},
			ReadSpec{Schema: tableSchema, Columns: []int{0, 1}, RowKeys: []int{0}, Alloc: mem})
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		b.Release()
		s.Close()
		s.Close()
		if _, err := s.Next(context.Background()); !errors.Is(err, ErrClosed) {
			t.Fatalf("Next after Close: %v", err)
		}
	})
}

// TestReadMergeApply reads two overlapping ingest files and a compacted file with hidden
// columns, merges them and applies last-write-wins.
func TestReadMergeApply(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	store := objstore.NewMem()
	var f1, f2, f3 []row
	for k := range int64(30) {
		f1 = append(f1, row{k: k, s: str("s"), a: i64(1)})
		if k%2 == 0 {
			f2 = append(f2, row{k: k, s: str("s"), a: i64(2)})
		}
		if k%3 == 0 {
			f3 = append(f3, row{k: k, s: str("s"), a: i64(3), ver: 5, del: k%6 == 0})
		}
	}
	for _, f := range []struct {
		name   string
		rows   []row
		hidden bool
	}{{"f1", f1, false}, {"f2", f2, false}, {"f3", f3, true}} {
		b := tableBatch(mem, f.rows, f.hidden)
		schema := tableSchema
		if f.hidden {
			schema = streamSchema
		}
		writeFile(t, store, f.name, schema, 4, b)
		b.Release()
	}
	spec := ReadSpec{Schema: tableSchema, Columns: []int{colK, colS, colA, colB, colTS}, RowKeys: []int{colK},
		Range: keys.Range{Min: enc(5), Max: enc(25)}, Alloc: mem}
	var ins []exec.Stream
	for i, name := range []string{"f1", "f2", "f3"} {
		// f3 holds versions 5 although added later: its rows keep their versions
		s, err := ReadFile(context.Background(), FileSource{Store: store, Name: name, AddedTxn: uint64(i*3 + 1)}, spec)
		if err != nil {
			t.Fatal(err)
		}
		ins = append(ins, s)
	}
	opts := baseOptions(mem)
	opts.LastWriteWins = true
	opts.DropTombstones = true
	got, _, err := mergeApply(t, ins, mergeSpec(mem), opts)
	if err != nil {
		t.Fatal(err)
	}
	var want []row
	for k := int64(5); k < 25; k++ {
		switch {
		case k%6 == 0:
		case k%3 == 0:
			want = append(want, row{k: k, s: str("s"), a: i64(3), ver: 5})
		case k%2 == 0:
			want = append(want, row{k: k, s: str("s"), a: i64(2), ver: 4})
		default:
			want = append(want, row{k: k, s: str("s"), a: i64(1), ver: 1})
		}
	}
	diffRows(t, got, want)
}
