package parquet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestReadParallel reads every column of a file in batches large enough to be decoded in
// parallel (parallel.go), directly and through parquet-go's pages, with the shared decode
// slots free and with all of them taken (the reader then decodes alone), four readers at
// once, and checks each batch against the same read done one column after another and the
// whole read against the values written. Run it with -race.
func TestReadParallel(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	const rows = 20000
	data, _ := writeFile(t, mem, testSchema, Properties{Compression: Zstd, RowGroupRows: 9000, PageBytes: 4 << 10}, rows, 3000, 7000)
	f, err := Open(bytes.NewReader(data), int64(len(data)), WithPageIndex())
	if err != nil {
		t.Fatal(err)
	}
	all := make([]int, len(testSchema.Fields()))
	for i := range all {
		all[i] = i
	}
	for _, viaPages := range []bool{false, true} {
		for _, slotsTaken := range []bool{false, true} {
			t.Run(fmt.Sprintf("pages=%v/slots taken=%v", viaPages, slotsTaken), func(t *testing.T) {
				if slotsTaken {
					for range cap(decodeSlots) {
						decodeSlots <- struct{}{}
					}
					defer func() {
						for range cap(decodeSlots) {
							<-decodeSlots
						}
					}()
				}
				var wg sync.WaitGroup
				errc := make(chan error, 4)
				for w := range 4 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						errc <- compareParallel(f, mem, all, viaPages, uint64(w), rows)
					}()
				}
				wg.Wait()
				close(errc)
				for err := range errc {
					if err != nil {
						t.Fatal(err)
					}
				}
			})
		}
	}
}

// compareParallel reads f's columns cols in parallel and serially, the whole file and then
// random spans with random batch sizes, and returns the first difference found.
func compareParallel(f *File, mem memory.Allocator, cols []int, viaPages bool, seed uint64, rows int) error {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 7))
	for round := range 6 {
		var spans []Span
		batch := parallelRows + rng.IntN(8192)
		if round > 0 {
			for g, rg := range f.RowGroups() {
				lo := rng.Int64N(rg.Rows / 2)
				spans = append(spans, Span{Group: g, Lo: lo, Hi: lo + rng.Int64N(rg.Rows-lo+1)})
			}
		}
		par, err := f.Read(ctx, ReadOptions{Columns: cols, Spans: spans, Alloc: mem, BatchRows: batch, viaPages: viaPages})
		if err != nil {
			return err
		}
		ser, err := f.Read(ctx, ReadOptions{Columns: cols, Spans: spans, Alloc: mem, BatchRows: batch, viaPages: viaPages, serial: true})
		if err != nil {
			par.Close()
			return err
		}
		err = func() error {
			defer par.Close()
			defer ser.Close()
			seen := 0
			for {
				a, errA := par.Next(ctx)
				b, errB := ser.Next(ctx)
				if errors.Is(errA, io.EOF) && errors.Is(errB, io.EOF) {
					break
				}
				if errA != nil || errB != nil {
					if a != nil {
						a.Release()
					}
					if b != nil {
						b.Release()
					}
					return fmt.Errorf("round %d: parallel: %v, serial: %v", round, errA, errB)
				}
				diff := ""
				for i := range cols {
					if !array.Equal(a.Column(i), b.Column(i)) {
						diff = fmt.Sprintf("round %d, column %s, rows from %d: parallel %v, serial %v", round, a.Schema().Field(i).Name, seen, a.Column(i), b.Column(i))
						break
					}
					if round == 0 {
						fld := a.Schema().Field(i)
						for j := range int(a.NumRows()) {
							if got, want := goValue(a.Column(i), j), testValue(fld.Name, seen+j); !equalValues(got, want) {
								diff = fmt.Sprintf("row %d column %s: %v, want %v", seen+j, fld.Name, got, want)
								break
							}
						}
					}
				}
				seen += int(a.NumRows())
				a.Release()
				b.Release()
				if diff != "" {
					return errors.New(diff)
				}
			}
			if round == 0 && seen != rows {
				return fmt.Errorf("%d rows, want %d", seen, rows)
			}
			return nil
		}()
		if err != nil {
			return err
		}
	}
	return nil
}

// TestReadParallelCorrupt checks that a column whose page is corrupt fails a batch decoded
// in parallel with ErrCorrupt naming that column, and that the arrays of the other columns,
// decoded beside it, are released.
func TestReadParallelCorrupt(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	const rows = 5000
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "a", Type: arrow.BinaryTypes.String},
		{Name: "b", Type: arrow.BinaryTypes.String},
		{Name: "c", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	ab, bb, cb := array.NewStringBuilder(mem), array.NewStringBuilder(mem), array.NewInt64Builder(mem)
	for i := range rows {
		ab.Append(fmt.Sprintf("a value %05d", i))
		bb.Append(fmt.Sprintf("b value %05d", i))
		cb.Append(int64(i))
	}
	cols := []arrow.Array{ab.NewArray(), bb.NewArray(), cb.NewArray()}
	ab.Release()
	bb.Release()
	cb.Release()
	batch := array.NewRecordBatch(schema, cols, rows)
	for _, c := range cols {
		c.Release()
	}
	// Make the length of a value of column b run past its page.
	data := corruptLength(t, schema, batch, "b value 00050")
	f, err := Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.Read(context.Background(), ReadOptions{Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	_, err = r.Next(context.Background())
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), `column "b"`) {
		t.Fatalf("read: %v, want ErrCorrupt in column b", err)
	}
	for _, c := range r.chunks {
		if c.direct == nil {
			t.Fatalf("column %s was not read directly", c.col.field.Name)
		}
	}
}
