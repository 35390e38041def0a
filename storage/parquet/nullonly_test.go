package parquet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestReadNullOnly reads random spans of every column null-only, through the page index and
// without one, and checks each row's NULL-ness against testValue. The columns of a type a
// null-only read supports come back with zero values when required, and from our writer's
// files (V2 pages) also when nullable; the others, and the nullable columns of arrow-go's
// files (V1 pages, whose levels are compressed), come back in full.
func TestReadNullOnly(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	const rows = 8500
	rng := rand.New(rand.NewPCG(3, 4))
	all := make([]int, len(testSchema.Fields()))
	for i := range all {
		all[i] = i
	}
	for name, data := range spanFiles(t, mem, rows) {
		ours := !bytes.Contains([]byte(name), []byte("arrow-go"))
		for _, withIndex := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/open with page index=%v", name, withIndex), func(t *testing.T) {
				var opts []OpenOption
				if withIndex {
					opts = append(opts, WithPageIndex())
				}
				f, err := Open(bytes.NewReader(data), int64(len(data)), opts...)
				if err != nil {
					t.Fatal(err)
				}
				starts := make([]int64, len(f.RowGroups()))
				for g := 1; g < len(starts); g++ {
					starts[g] = starts[g-1] + f.RowGroups()[g-1].Rows
				}
				for round := range 30 {
					spans := []Span{}
					var at []int
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
						for r := lo; r < hi; r++ {
							at = append(at, int(starts[g]+r))
						}
					}
					// Every column null-only, in a shuffled order of output.
					cols := append([]int(nil), all...)
					rng.Shuffle(len(cols), func(i, j int) { cols[i], cols[j] = cols[j], cols[i] })
					r, err := f.Read(context.Background(), ReadOptions{Columns: cols, Spans: spans, Alloc: mem,
						BatchRows: 1 + rng.IntN(3000), NullOnly: all})
					if err != nil {
						t.Fatal(err)
					}
					n := 0
					for {
						b, err := r.Next(context.Background())
						if errors.Is(err, io.EOF) {
							break
						}
						if err != nil {
							t.Fatal(err)
						}
						for i, fld := range b.Schema().Fields() {
							col := b.Column(i)
							if err := array.ValidateFull(col); err != nil {
								t.Fatalf("column %s: %v", fld.Name, err)
							}
							zero := nullOnlyType(fld.Type) && (ours || !fld.Nullable)
							for j := 0; j < int(b.NumRows()); j++ {
								row := at[n+j]
								got, want := goValue(col, j), testValue(fld.Name, row)
								if (got == nil) != (want == nil) {
									t.Fatalf("column %s row %d: got %v, want %v", fld.Name, row, got, want)
								}
								if got == nil {
									continue
								}
								if zero {
									if got != "" && got != int64(0) && got != float64(0) && !bytes.Equal(asBytes(got), nil) {
										t.Fatalf("column %s row %d read null-only: got %v, want a zero value", fld.Name, row, got)
									}
								} else if !equalValues(got, want) {
									t.Fatalf("column %s row %d: got %v, want %v", fld.Name, row, got, want)
								}
							}
						}
						n += int(b.NumRows())
						b.Release()
					}
					r.Close()
					if n != len(at) {
						t.Fatalf("read %d rows, want %d", n, len(at))
					}
				}
			})
		}
	}
}

func asBytes(v any) []byte {
	b, _ := v.([]byte)
	if b == nil {
		return []byte{1}
	}
	return b
}

// TestReadNullOnlyInvalid checks that a null-only column out of range is refused.
func TestReadNullOnlyInvalid(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	data, _ := writeFile(t, mem, testSchema, Properties{RowGroupRows: 100}, 200, 50)
	f, err := Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Read(context.Background(), ReadOptions{NullOnly: []int{len(testSchema.Fields())}}); !errors.Is(err, ErrInvalidProperties) {
		t.Fatalf("got %v, want ErrInvalidProperties", err)
	}
}
