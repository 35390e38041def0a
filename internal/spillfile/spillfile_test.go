package spillfile

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

var testSchema = arrow.NewSchema([]arrow.Field{
	{Name: "i", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Int32), Nullable: true},
}, nil)

// testBatch returns a batch of n rows starting at row from, with NULLs in every column.
func testBatch(mem memory.Allocator, from, n int) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, testSchema)
	defer b.Release()
	ib := b.Field(0).(*array.Int64Builder)
	sb := b.Field(1).(*array.StringBuilder)
	lb := b.Field(2).(*array.ListBuilder)
	vb := lb.ValueBuilder().(*array.Int32Builder)
	for r := from; r < from+n; r++ {
		if r%5 == 0 {
			ib.AppendNull()
		} else {
			ib.Append(int64(r))
		}
		switch r % 7 {
		case 0:
			sb.AppendNull()
		case 1:
			sb.Append("")
		default:
			sb.Append(strings.Repeat("x", r%13) + "é")
		}
		if r%4 == 0 {
			lb.AppendNull()
		} else {
			lb.Append(true)
			for k := range r % 3 {
				if k == 1 {
					vb.AppendNull()
				} else {
					vb.Append(int32(r + k))
				}
			}
		}
	}
	return b.NewRecordBatch()
}

func checkedAlloc(t *testing.T) *memory.CheckedAllocator {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

// create creates a spill file of schema in dir, its name beginning with prefix.
func create(t *testing.T, dir, prefix string, schema *arrow.Schema, mem memory.Allocator) *File {
	t.Helper()
	f, err := Create(dir, prefix, schema, mem, 4<<10)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestRoundTrip(t *testing.T) {
	mem := checkedAlloc(t)
	dir := t.TempDir()
	f := create(t, dir, "test-run-", testSchema, mem)
	defer f.Remove()
	if name := filepath.Base(f.Path()); !strings.HasPrefix(name, "test-run-") || !strings.HasSuffix(name, Ext) || filepath.Dir(f.Path()) != dir {
		t.Fatalf("path %s", f.Path())
	}
	var want []arrow.RecordBatch
	defer func() {
		for _, b := range want {
			b.Release()
		}
	}()
	rows := 0
	for i, n := range []int{100, 0, 1, 2000, 37} {
		b := testBatch(mem, rows, n)
		rows += n
		if i == 3 {
			// A slice of a larger batch is written as its own rows.
			s := b.NewSlice(10, 1500)
			b.Release()
			b = s
		}
		if err := f.Write(b); err != nil {
			t.Fatal(err)
		}
		want = append(want, b)
	}
	if err := f.Finish(); err != nil {
		t.Fatal(err)
	}
	if err := f.Finish(); err != nil {
		t.Fatalf("second finish: %v", err)
	}
	wantRows := int64(100 + 1 + 1490 + 37)
	if f.Rows() != wantRows {
		t.Errorf("rows %d, want %d", f.Rows(), wantRows)
	}
	fi, err := os.Stat(f.Path())
	if err != nil {
		t.Fatal(err)
	}
	if f.Bytes() != fi.Size() || f.Bytes() == 0 {
		t.Errorf("bytes %d, file size %d", f.Bytes(), fi.Size())
	}
	if err := f.Write(want[0]); err == nil {
		t.Error("write after finish succeeded")
	}

	r, err := f.Open(mem, 4<<10)
	if err != nil {
		t.Fatal(err)
	}
	var got []arrow.RecordBatch
	for {
		b, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, b)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("next after the end: %v", err)
	}
	var nonEmpty []arrow.RecordBatch
	for _, b := range want {
		if b.NumRows() > 0 {
			nonEmpty = append(nonEmpty, b)
		}
	}
	if len(got) != len(nonEmpty) {
		t.Fatalf("%d batches read, want %d", len(got), len(nonEmpty))
	}
	for i := range got {
		if !array.RecordEqual(got[i], nonEmpty[i]) {
			t.Errorf("batch %d:\n got %v\nwant %v", i, got[i], nonEmpty[i])
		}
		got[i].Release()
	}
	r.Close()
	r.Close()
	if _, err := os.Stat(f.Path()); !os.IsNotExist(err) {
		t.Errorf("file still there after the reader closed: %v", err)
	}
	if _, err := f.Open(mem, 4<<10); err == nil {
		t.Error("open of a removed file succeeded")
	}
}

func TestRemove(t *testing.T) {
	mem := checkedAlloc(t)
	dir := t.TempDir()
	for _, finish := range []bool{false, true} {
		f := create(t, dir, "test-", testSchema, mem)
		b := testBatch(mem, 0, 50)
		err := f.Write(b)
		b.Release()
		if err != nil {
			t.Fatal(err)
		}
		if finish {
			if err := f.Finish(); err != nil {
				t.Fatal(err)
			}
		}
		f.Remove()
		f.Remove()
		if err := f.Finish(); err != nil {
			t.Errorf("finish after remove: %v", err)
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Errorf("finish=%v: %d files left", finish, len(ents))
		}
	}
	var f *File
	f.Remove() // a nil File
}

func TestEmpty(t *testing.T) {
	mem := checkedAlloc(t)
	f := create(t, t.TempDir(), "test-", testSchema, mem)
	r, err := f.Open(mem, 4<<10)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if b, err := r.Next(); err != io.EOF {
		t.Fatalf("next: %v, %v; want io.EOF", b, err)
	}
	if f.Rows() != 0 || f.Bytes() == 0 {
		t.Errorf("rows %d, bytes %d", f.Rows(), f.Bytes())
	}
}

func TestTruncated(t *testing.T) {
	mem := checkedAlloc(t)
	f := create(t, t.TempDir(), "test-", testSchema, mem)
	defer f.Remove()
	for i := range 4 {
		b := testBatch(mem, i*500, 500)
		err := f.Write(b)
		b.Release()
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Finish(); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(f.Path(), f.Bytes()*2/3); err != nil {
		t.Fatal(err)
	}
	r, err := f.Open(mem, 4<<10)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n := 0
	for {
		b, err := r.Next()
		if err == io.EOF {
			t.Fatalf("a truncated file read to its end after %d batches", n)
		}
		if err != nil {
			if !strings.Contains(err.Error(), "read spill file") {
				t.Errorf("error %q", err)
			}
			break
		}
		b.Release()
		n++
	}
	if n == 0 || n >= 4 {
		t.Errorf("%d whole batches read before the truncation, want 1 to 3", n)
	}
}

func TestBufferBytes(t *testing.T) {
	mem := checkedAlloc(t)
	b := testBatch(mem, 0, 100)
	defer b.Release()
	var want int64
	for _, c := range b.Columns() {
		want += BufferBytes(c.Data())
	}
	if got := BatchBufferBytes(b); got != want || got == 0 {
		t.Errorf("batch %d, columns %d", got, want)
	}
	// A slice references all of its parent's buffers.
	s := b.NewSlice(10, 20)
	defer s.Release()
	if got := BatchBufferBytes(s); got != want {
		t.Errorf("slice %d, want %d", got, want)
	}
	// The dictionary of a dictionary array counts.
	db := array.NewDictionaryBuilder(mem, &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.BinaryTypes.String}).(*array.BinaryDictionaryBuilder)
	defer db.Release()
	for _, v := range []string{"a", "bb", "a", "ccc"} {
		if err := db.AppendString(v); err != nil {
			t.Fatal(err)
		}
	}
	d := db.NewArray().(*array.Dictionary)
	defer d.Release()
	idx := d.Data().Buffers()[1].Len() + d.Data().Buffers()[0].Len()
	if got, dict := BufferBytes(d.Data()), BufferBytes(d.Dictionary().Data()); got != int64(idx)+dict || dict == 0 {
		t.Errorf("dictionary array %d, indexes %d + dictionary %d", got, idx, dict)
	}
}

// Readers opened by OpenShared read the whole file each, at once, and leave it in place
// when closed; Remove deletes it afterwards.
func TestOpenShared(t *testing.T) {
	mem := checkedAlloc(t)
	dir := t.TempDir()
	f := create(t, dir, "test-", testSchema, mem)
	want := testBatch(mem, 0, 300)
	defer want.Release()
	for lo := int64(0); lo < 300; lo += 100 {
		s := want.NewSlice(lo, lo+100)
		err := f.Write(s)
		s.Release()
		if err != nil {
			t.Fatal(err)
		}
	}
	var rs []*Reader
	for range 2 {
		r, err := f.OpenShared(mem, 4<<10)
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	// Interleave the two readers: each sees every batch in order.
	for i := range 3 {
		for _, r := range rs {
			b, err := r.Next()
			if err != nil {
				t.Fatalf("batch %d: %v", i, err)
			}
			exp := want.NewSlice(int64(i*100), int64(i*100+100))
			if !array.RecordEqual(b, exp) {
				t.Errorf("batch %d differs", i)
			}
			exp.Release()
			b.Release()
		}
	}
	for _, r := range rs {
		if _, err := r.Next(); err != io.EOF {
			t.Errorf("after the last batch: %v, want EOF", err)
		}
		r.Close()
		if _, err := os.Stat(f.Path()); err != nil {
			t.Errorf("closing a shared reader: %v", err)
		}
	}
	f.Remove()
	if _, err := os.Stat(f.Path()); !os.IsNotExist(err) {
		t.Errorf("after Remove: %v", err)
	}
}

// OpenSharedAt starts at the batch asked for: each reader reads the batches from it on.
func TestOpenSharedAt(t *testing.T) {
	mem := checkedAlloc(t)
	dir := t.TempDir()
	f := create(t, dir, "test-", testSchema, mem)
	defer f.Remove()
	want := testBatch(mem, 0, 500)
	defer want.Release()
	sizes := []int64{100, 7, 0, 193, 200} // the empty batch is not written
	var starts []int64
	lo := int64(0)
	for _, n := range sizes {
		s := want.NewSlice(lo, lo+n)
		err := f.Write(s)
		s.Release()
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			starts = append(starts, lo)
		}
		lo += n
	}
	if f.Batches() != len(starts) {
		t.Fatalf("%d batches, want %d", f.Batches(), len(starts))
	}
	starts = append(starts, lo)
	for i := range f.Batches() {
		r, err := f.OpenSharedAt(mem, 4<<10, i)
		if err != nil {
			t.Fatal(err)
		}
		for j := i; j < f.Batches(); j++ {
			b, err := r.Next()
			if err != nil {
				t.Fatalf("from batch %d, batch %d: %v", i, j, err)
			}
			exp := want.NewSlice(starts[j], starts[j+1])
			if !array.RecordEqual(b, exp) {
				t.Errorf("from batch %d, batch %d differs", i, j)
			}
			exp.Release()
			b.Release()
		}
		if _, err := r.Next(); err != io.EOF {
			t.Errorf("from batch %d: after the last batch: %v, want EOF", i, err)
		}
		r.Close()
	}
	if _, err := os.Stat(f.Path()); err != nil {
		t.Errorf("shared readers closed: %v", err)
	}
}

// A file with dictionaries is read from its first batch, whatever batch is asked for.
func TestOpenSharedAtDictionary(t *testing.T) {
	mem := checkedAlloc(t)
	dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	schema := arrow.NewSchema([]arrow.Field{{Name: "d", Type: dt}}, nil)
	f := create(t, t.TempDir(), "test-", schema, mem)
	defer f.Remove()
	for _, vals := range [][]string{{"a", "b"}, {"c"}} {
		bld := array.NewDictionaryBuilder(mem, dt).(*array.BinaryDictionaryBuilder)
		for _, v := range vals {
			bld.AppendString(v)
		}
		a := bld.NewArray()
		bld.Release()
		b := array.NewRecordBatch(schema, []arrow.Array{a}, int64(a.Len()))
		a.Release()
		err := f.Write(b)
		b.Release()
		if err != nil {
			t.Fatal(err)
		}
	}
	r, err := f.OpenSharedAt(mem, 4<<10, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var rows []int64
	for {
		b, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, b.NumRows())
		b.Release()
	}
	if len(rows) != 2 || rows[0] != 2 || rows[1] != 1 {
		t.Errorf("batches of %v rows, want [2 1]", rows)
	}
}
