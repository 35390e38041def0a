package parquet

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/parquet-go/parquet-go/encoding/delta"
	"github.com/parquet-go/parquet-go/format"
)

// TestEncodeDeltaByteArray checks the DELTA_BYTE_ARRAY encoder against parquet-go's: the
// same bytes for sorted, unsorted, empty, repeated and long values, pages of one value and
// of none, and that the result decodes back to the values.
func TestEncodeDeltaByteArray(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var sorted []string
	for range 2000 {
		sorted = append(sorted, fmt.Sprintf("%012x", r.Uint64()>>r.IntN(40)))
	}
	slices.Sort(sorted)
	random := []string{"", "", "a", "ab", "abcdefghijklmnopqrstuvwxyz", "abcdefghijklmnopqrstuvwxy!", "abcdefgh", "abcdefgh", "abcdefghi", "b", ""}
	for range 500 {
		random = append(random, fmt.Sprintf("value-%d-%x", r.IntN(1000), r.Uint64()>>uint(r.IntN(48))))
	}
	for name, vals := range map[string][]string{"sorted": sorted, "random": random, "one": {"x"}, "none": nil} {
		data := []byte{}
		offs := []uint32{}
		if len(vals) > 0 {
			offs = append(offs, 0)
		}
		for _, v := range vals {
			data = append(data, v...)
			offs = append(offs, uint32(len(data)))
		}
		got := encodeDeltaByteArray([]byte("prefix"), data, offs)
		if !bytes.HasPrefix(got, []byte("prefix")) {
			t.Fatalf("%s: dst's bytes not kept", name)
		}
		got = got[len("prefix"):]
		want, err := (&delta.ByteArrayEncoding{}).EncodeByteArray(nil, data, offs)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%s: %d bytes differ from parquet-go's %d", name, len(got), len(want))
		}
		strs, o, err := decodeByteArrays(nil, nil, got, format.DeltaByteArray, len(vals))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for i, v := range vals {
			if s := string(strs[o[i]:o[i+1]]); s != v {
				t.Fatalf("%s: value %d is %q, want %q", name, i, s, v)
			}
		}
	}
}

// scribbler is an allocator that overwrites each buffer as it is freed, so that a writer
// still reading a released batch's bytes reads garbage: a buffer that begins with a key of
// next (its bytes up to the first zero) gets that key's successor written over it, which
// shares a longer prefix with the next value written than the freed value did; any other
// buffer is filled with 0xaa.
type scribbler struct {
	memory.Allocator
	mu   *sync.Mutex
	next map[string]string
}

func (s scribbler) Free(b []byte) {
	s.mu.Lock()
	n, ok := "", false
	if i := bytes.IndexByte(b, 0); i > 0 {
		n, ok = s.next[string(b[:i])]
	}
	s.mu.Unlock()
	if ok {
		copy(b, n)
	} else {
		for i := range b {
			b[i] = 0xaa
		}
	}
	s.Allocator.Free(b)
}

// TestDeltaPagesAcrossBatches writes DELTA_BYTE_ARRAY columns in batches of 1 to 9 rows
// (mostly 1)
// with small pages, so that the value a page's next prefix is taken from is often in a batch
// already released (and overwritten by its allocator) and pages are cut inside batches:
// sorted keys with long shared prefixes, a nullable column of random values with empty
// ones, and a column of one repeated value. arrow-go's reader and this package's read every
// value back.
func TestDeltaPagesAcrossBatches(t *testing.T) {
	checked := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer checked.AssertSize(t, 0)
	mem := scribbler{Allocator: checked, mu: new(sync.Mutex), next: map[string]string{}}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "key", Type: arrow.BinaryTypes.String},
		{Name: "v", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "same", Type: arrow.BinaryTypes.Binary},
	}, nil)
	r := rand.New(rand.NewPCG(7, 8))
	const rows = 3000
	keys := make([]string, rows)
	for i := range keys {
		keys[i] = fmt.Sprintf("shared-prefix-of-every-key/%06x/%x", i*5+r.IntN(5), r.Uint64()>>r.IntN(60))
		if i > 0 {
			mem.next[keys[i-1]] = keys[i]
		}
	}
	vals := make([]*string, rows)
	for i := range vals {
		switch r.IntN(6) {
		case 0:
		case 1:
			vals[i] = new(string)
		default:
			s := fmt.Sprintf("value-%d-%x", r.IntN(50), r.Uint64()>>r.IntN(64))
			vals[i] = &s
		}
	}
	var buf bytes.Buffer
	w, err := NewWriter(&buf, schema, Properties{RowGroupRows: 1100, PageBytes: 300})
	if err != nil {
		t.Fatal(err)
	}
	for start := 0; start < rows; {
		n := 1 // a batch of one row: its key buffer begins with the key
		if r.IntN(3) == 0 {
			n = min(2+r.IntN(8), rows-start)
		}
		b := array.NewRecordBuilder(mem, schema)
		for i := start; i < start+n; i++ {
			b.Field(0).(*array.StringBuilder).Append(keys[i])
			if vals[i] == nil {
				b.Field(1).AppendNull()
			} else {
				b.Field(1).(*array.StringBuilder).Append(*vals[i])
			}
			b.Field(2).(*array.BinaryBuilder).Append([]byte("the same value in every row"))
		}
		batch := b.NewRecordBatch()
		b.Release()
		if err := w.Write(batch); err != nil {
			t.Fatal(err)
		}
		batch.Release()
		start += n
	}
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	check := func(who string, cols []arrow.Array) {
		t.Helper()
		for i := range rows {
			if got := cols[0].(*array.String).Value(i); got != keys[i] {
				t.Fatalf("%s: key %d is %q, want %q", who, i, got, keys[i])
			}
			v := cols[1].(*array.String)
			switch {
			case vals[i] == nil && !v.IsNull(i):
				t.Fatalf("%s: v %d is %q, want NULL", who, i, v.Value(i))
			case vals[i] != nil && (v.IsNull(i) || v.Value(i) != *vals[i]):
				t.Fatalf("%s: v %d is %q (null %v), want %q", who, i, v.Value(i), v.IsNull(i), *vals[i])
			}
			if got := string(cols[2].(*array.Binary).Value(i)); got != "the same value in every row" {
				t.Fatalf("%s: same %d is %q", who, i, got)
			}
		}
	}

	tbl := readByArrowGo(t, buf.Bytes(), 256)
	defer tbl.Release()
	var cols []arrow.Array
	for i := range schema.NumFields() {
		c, err := array.Concatenate(tbl.Column(i).Data().Chunks(), checked)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Release()
		cols = append(cols, c)
	}
	check("arrow-go", cols)

	rd := openRead(t, buf.Bytes(), ReadOptions{Alloc: checked})
	defer rd.Close()
	var bs []arrow.RecordBatch
	for {
		b, err := rd.Next(context.Background())
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		bs = append(bs, b)
	}
	cols = cols[:0]
	for i := range schema.NumFields() {
		parts := make([]arrow.Array, len(bs))
		for j, b := range bs {
			parts[j] = b.Column(i)
		}
		c, err := array.Concatenate(parts, checked)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Release()
		cols = append(cols, c)
	}
	for _, b := range bs {
		b.Release()
	}
	check("parquet.Reader", cols)
}

// TestDeltaPageValuesFromManyBuffers adds values that are slices of several buffers in
// random turns (before and after each other in memory, overlapping, empty, nil), keeping the
// last value at random points and overwriting a buffer's bytes after a keep, and checks
// each page against parquet-go's encoding of the same values: a page that took the previous
// value from the wrong memory, or kept a stale one, differs.
func TestDeltaPageValuesFromManyBuffers(t *testing.T) {
	for seed := range uint64(8) {
		r := rand.New(rand.NewPCG(seed, 11))
		bufs := make([][]byte, 4)
		for i := range bufs {
			bufs[i] = make([]byte, 64+r.IntN(64))
			for k := range bufs[i] {
				bufs[i][k] = "aab"[r.IntN(3)]
			}
		}
		var d deltaPage
		for page := range 20 {
			var data []byte
			offs := []uint32{0}
			for range r.IntN(200) {
				var v []byte
				switch b := bufs[r.IntN(len(bufs))]; r.IntN(10) {
				case 0:
					v = nil
				case 1:
					at := r.IntN(len(b) + 1)
					v = b[at:at]
				default:
					lo := r.IntN(len(b))
					v = b[lo : lo+r.IntN(min(len(b)-lo, 12)+1)]
				}
				d.add(v)
				data = append(data, v...)
				offs = append(offs, uint32(len(data)))
				if r.IntN(8) == 0 {
					// The caller's memory is released and reused after a keep.
					d.keep()
					b := bufs[r.IntN(len(bufs))]
					for k := range b {
						b[k] = "aab"[r.IntN(3)]
					}
				}
			}
			if len(offs) == 1 {
				offs = offs[:0]
			}
			got := d.appendTo(nil)
			want, err := (&delta.ByteArrayEncoding{}).EncodeByteArray(nil, data, offs)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("seed %d page %d: %d bytes differ from parquet-go's %d", seed, page, len(got), len(want))
			}
			d.reset()
		}
	}
}
