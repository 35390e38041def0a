package parquet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pq "github.com/parquet-go/parquet-go"
)

// TestReadDirect reads random spans of every column of files of each codec, with small
// pages (several per batch) and large ones (several batches per page), through the page
// index and without one, both directly (direct.go) and through parquet-go's pages, and
// checks that the two give equal batches and that the flat columns of the supported types
// (and only they) were read directly. TestReadSpans checks the values themselves.
func TestReadDirect(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	const rows = 7000
	rng := rand.New(rand.NewPCG(5, 6))
	all := make([]int, len(testSchema.Fields()))
	for i := range all {
		all[i] = i
	}
	for _, codec := range []string{Zstd, Snappy, None} {
		for _, pageBytes := range []int{300, 64 << 10} {
			data, _ := writeFile(t, mem, testSchema, Properties{Compression: codec, RowGroupRows: 3000, PageBytes: pageBytes}, rows, 333, 1000, 77)
			for _, withIndex := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/pages of %d bytes/page index=%v", codec, pageBytes, withIndex), func(t *testing.T) {
					var opts []OpenOption
					if withIndex {
						opts = append(opts, WithPageIndex())
					}
					f, err := Open(bytes.NewReader(data), int64(len(data)), opts...)
					if err != nil {
						t.Fatal(err)
					}
					for round := range 20 {
						var spans []Span
						for g, rg := range f.RowGroups() {
							if round > 0 && rng.IntN(3) == 0 {
								continue
							}
							lo, hi := int64(0), rg.Rows
							if round > 0 {
								lo = rng.Int64N(rg.Rows + 1)
								hi = lo + rng.Int64N(rg.Rows-lo+1)
							}
							spans = append(spans, Span{Group: g, Lo: lo, Hi: hi})
						}
						cols := append([]int(nil), all...)
						rng.Shuffle(len(cols), func(i, j int) { cols[i], cols[j] = cols[j], cols[i] })
						batch := 1 + rng.IntN(2500)
						direct, err := f.Read(context.Background(), ReadOptions{Columns: cols, Spans: spans, Alloc: mem, BatchRows: batch})
						if err != nil {
							t.Fatal(err)
						}
						pages, err := f.Read(context.Background(), ReadOptions{Columns: cols, Spans: spans, Alloc: mem, BatchRows: batch, viaPages: true})
						if err != nil {
							t.Fatal(err)
						}
						n := 0
						for {
							a, errA := direct.Next(context.Background())
							b, errB := pages.Next(context.Background())
							if errors.Is(errA, io.EOF) && errors.Is(errB, io.EOF) {
								break
							}
							if errA != nil || errB != nil {
								t.Fatalf("round %d: direct: %v, pages: %v", round, errA, errB)
							}
							for i, c := range cols {
								fld := testSchema.Field(c)
								want := directKind(fld.Type, f.cols[c].kind)
								if got := direct.chunks[i].direct != nil; got != want {
									t.Fatalf("column %s read directly: %v, want %v", fld.Name, got, want)
								}
								if !array.Equal(a.Column(i), b.Column(i)) {
									t.Fatalf("round %d, column %s, rows from %d: direct %v, pages %v", round, fld.Name, n, a.Column(i), b.Column(i))
								}
							}
							n += int(a.NumRows())
							a.Release()
							b.Release()
						}
						direct.Close()
						pages.Close()
					}
				})
			}
		}
	}
}

// TestReadDirectFallsBack reads files the direct path does not take (dictionary pages,
// arrow-go's V1 pages) and checks that no chunk was read directly and the values are right.
func TestReadDirectFallsBack(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	const rows = 4000
	for name, data := range spanFiles(t, mem, rows) {
		if name != "sleeperd dictionary=true" && name != "arrow-go page index=false" && name != "arrow-go page index=true" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			f, err := Open(bytes.NewReader(data), int64(len(data)), WithPageIndex())
			if err != nil {
				t.Fatal(err)
			}
			r, err := f.Read(context.Background(), ReadOptions{Alloc: mem, BatchRows: 700})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			seen := 0
			for {
				b, err := r.Next(context.Background())
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				for i := range r.chunks {
					if r.chunks[i].direct != nil {
						t.Fatalf("column %s read directly", b.Schema().Field(i).Name)
					}
				}
				for i, fld := range b.Schema().Fields() {
					for j := range int(b.NumRows()) {
						if got, want := goValue(b.Column(i), j), testValue(fld.Name, seen+j); !equalValues(got, want) {
							t.Fatalf("row %d column %s: %v, want %v", seen+j, fld.Name, got, want)
						}
					}
				}
				seen += int(b.NumRows())
				b.Release()
			}
			if seen != rows {
				t.Fatalf("%d rows, want %d", seen, rows)
			}
		})
	}
}

// TestReadDirectCorrupt checks that a page whose values are cut short fails the read with
// ErrCorrupt instead of reading past the page.
func TestReadDirectCorrupt(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{{Name: "s", Type: arrow.BinaryTypes.String}}, nil)
	b := array.NewStringBuilder(mem)
	for i := range 100 {
		b.Append(fmt.Sprintf("value %03d", i))
	}
	col := b.NewArray()
	b.Release()
	batch := array.NewRecordBatch(schema, []arrow.Array{col}, 100)
	col.Release()
	// Make the length of the 51st value (uncompressed: "value 050" at a known place) run
	// past its page.
	data := corruptLength(t, schema, batch, "value 050")
	f, err := Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if f.cols[0].kind != pq.ByteArray {
		t.Fatalf("column stored as %s", f.cols[0].kind)
	}
	r, err := f.Read(context.Background(), ReadOptions{Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Next(context.Background()); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("read: %v, want ErrCorrupt", err)
	}
	if len(r.chunks) != 1 || r.chunks[0].direct == nil {
		t.Fatal("the column was not read directly")
	}
}

// TestReadDeltaInPlace reads files of delta-encoded strings and binaries, with NULLs, in
// batches that take whole pages (whose values are decoded straight into the batch's data)
// and in batches of random sizes, and checks them against reads through parquet-go's pages.
func TestReadDeltaInPlace(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	const rows = 7000
	rng := rand.New(rand.NewPCG(8, 9))
	// Columns the flat writer takes (no d38), which delta-encodes byte arrays.
	schema := arrow.NewSchema([]arrow.Field{testSchema.Field(0), testSchema.Field(12), testSchema.Field(13), testSchema.Field(1), testSchema.Field(6)}, nil)
	cols := []int{0, 1, 2, 3}
	for _, codec := range []string{Zstd, None} {
		data, _ := writeFile(t, mem, schema, Properties{Compression: codec, RowGroupRows: 3000, PageBytes: 300, Encoding: EncodingDelta}, rows, 333, 1000, 77)
		f, err := Open(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		for round := range 12 {
			batch := 3000
			if round > 0 {
				batch = 1 + rng.IntN(3000)
			}
			direct, err := f.Read(context.Background(), ReadOptions{Columns: cols, Alloc: mem, BatchRows: batch})
			if err != nil {
				t.Fatal(err)
			}
			pages, err := f.Read(context.Background(), ReadOptions{Columns: cols, Alloc: mem, BatchRows: batch, viaPages: true})
			if err != nil {
				t.Fatal(err)
			}
			inPlace := make([]int, len(cols))
			for {
				a, errA := direct.Next(context.Background())
				b, errB := pages.Next(context.Background())
				if errors.Is(errA, io.EOF) && errors.Is(errB, io.EOF) {
					break
				}
				if errA != nil || errB != nil {
					t.Fatalf("%s round %d: direct: %v, pages: %v", codec, round, errA, errB)
				}
				for i := range cols {
					if direct.chunks[i].direct == nil {
						t.Fatalf("column %s not read directly", a.Schema().Field(i).Name)
					}
					inPlace[i] += direct.chunks[i].dr.inPlace // a new chunk each batch of round 0
					if !array.Equal(a.Column(i), b.Column(i)) {
						t.Fatalf("%s round %d column %s: direct %v, pages %v", codec, round, a.Schema().Field(i).Name, a.Column(i), b.Column(i))
					}
				}
				a.Release()
				b.Release()
			}
			direct.Close()
			pages.Close()
			if round == 0 {
				for i, c := range cols[:3] {
					if inPlace[i] == 0 {
						t.Errorf("%s: no page of column %s decoded into its batch", codec, schema.Field(c).Name)
					}
				}
			}
		}
	}
}

// reallocCounter counts the reallocations (buffer growths) of its allocator.
type reallocCounter struct {
	memory.Allocator
	n int
}

func (c *reallocCounter) Reallocate(size int, b []byte) []byte {
	c.n++
	return c.Allocator.Reallocate(size, b)
}

// TestReadBytesNoGrowth reads delta-encoded strings that share long prefixes (so the
// chunk's metadata counts far fewer bytes than they decode to) and checks that no batch's
// data buffer had to grow: its first batch is sized by the first page's decoded bytes.
func TestReadBytesNoGrowth(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.BinaryTypes.String}}, nil)
	b := array.NewStringBuilder(mem)
	for i := range 20000 {
		b.Append(fmt.Sprintf("a long shared prefix of every key %08d", i))
	}
	arr := b.NewArray()
	b.Release()
	batch := array.NewRecordBatch(schema, []arrow.Array{arr}, int64(arr.Len()))
	arr.Release()
	data := writeBatch(t, schema, Properties{RowGroupRows: 10000, Encoding: EncodingDelta}, batch)
	batch.Release()
	f, err := Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	counter := &reallocCounter{Allocator: mem}
	r, err := f.Read(context.Background(), ReadOptions{Alloc: counter, BatchRows: 4096})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n := 0
	for {
		x, err := r.Next(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if r.chunks[0].direct == nil {
			t.Fatal("not read directly")
		}
		col := x.Column(0).(*array.String)
		for i := range col.Len() {
			if got, want := col.Value(i), fmt.Sprintf("a long shared prefix of every key %08d", n+i); got != want {
				t.Fatalf("row %d: %q, want %q", n+i, got, want)
			}
		}
		n += col.Len()
		x.Release()
	}
	if n != 20000 || counter.n != 0 {
		t.Fatalf("%d rows, %d buffers grown", n, counter.n)
	}
}
