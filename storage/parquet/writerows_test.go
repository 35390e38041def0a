package parquet

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/internal/take"
)

// TestWriteRowsSameFile checks that WriteRows writes the file Write of the gathered batch
// writes, byte for byte, on the flat path and on parquet-go's (a list column), from sources
// with a column more than the writer's schema and unreferenced (nil) sources, across row
// groups and pages.
func TestWriteRowsSameFile(t *testing.T) {
	fields := []arrow.Field{
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "i", Type: arrow.PrimitiveTypes.Int64},
		{Name: "i32", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "ok", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	}
	list := arrow.Field{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true}
	extra := arrow.Field{Name: "extra", Type: arrow.PrimitiveTypes.Int64}
	for _, nested := range []bool{false, true} {
		t.Run(fmt.Sprint("nested=", nested), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			fs := fields
			if nested {
				fs = append(fs[:len(fs):len(fs)], list)
			}
			schema := arrow.NewSchema(fs, nil)
			srcSchema := arrow.NewSchema(append(fs[:len(fs):len(fs)], extra), nil)
			r := rand.New(rand.NewPCG(3, 4))
			srcs := make([]arrow.RecordBatch, 5)
			for i := range srcs {
				if i == 2 {
					continue // not referenced
				}
				srcs[i] = randomSource(mem, srcSchema, r, 300+r.IntN(300))
			}
			defer func() {
				for _, b := range srcs {
					if b != nil {
						b.Release()
					}
				}
			}()
			var parts [][]take.Ref
			for range 6 {
				refs := make([]take.Ref, r.IntN(700))
				for j := range refs {
					s := r.IntN(len(srcs))
					for srcs[s] == nil {
						s = r.IntN(len(srcs))
					}
					refs[j] = take.Ref{Src: int32(s), Row: int32(r.IntN(int(srcs[s].NumRows())))}
				}
				parts = append(parts, refs)
			}
			props := Properties{RowGroupRows: 500, PageBytes: 256, ValuePageBytes: 1024}
			write := func(gathered bool) []byte {
				var buf bytes.Buffer
				w, err := NewWriter(&buf, schema, props, KeyColumns(0))
				if err != nil {
					t.Fatal(err)
				}
				for _, refs := range parts {
					if gathered {
						err = w.WriteRows(srcs, refs)
					} else {
						cols := make([]arrow.Array, len(fs))
						for c := range fs {
							arrs := make([]arrow.Array, len(srcs))
							for k, b := range srcs {
								if b != nil {
									arrs[k] = b.Column(c)
								}
							}
							if cols[c], err = take.Rows(mem, fs[c].Type, arrs, refs); err != nil {
								t.Fatal(err)
							}
						}
						b := array.NewRecordBatch(schema, cols, int64(len(refs)))
						for _, c := range cols {
							c.Release()
						}
						err = w.Write(b)
						b.Release()
					}
					if err != nil {
						t.Fatal(err)
					}
				}
				if _, err := w.Close(); err != nil {
					t.Fatal(err)
				}
				return buf.Bytes()
			}
			want := write(false)
			if got := write(true); !bytes.Equal(got, want) {
				t.Fatalf("WriteRows wrote %d bytes, different from Write's %d", len(got), len(want))
			}
		})
	}
}

// randomSource returns n random rows of schema, a sixth of the nullable ones NULL.
func randomSource(mem memory.Allocator, schema *arrow.Schema, r *rand.Rand, n int) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for range n {
		for i, f := range schema.Fields() {
			if f.Nullable && r.IntN(6) == 0 {
				b.Field(i).AppendNull()
				continue
			}
			switch fb := b.Field(i).(type) {
			case *array.StringBuilder:
				fb.Append(fmt.Sprint("abcdef"[:r.IntN(6)], r.IntN(100)))
			case *array.Int64Builder:
				fb.Append(r.Int64N(1000))
			case *array.Int32Builder:
				fb.Append(r.Int32())
			case *array.Float64Builder:
				fb.Append(r.NormFloat64())
			case *array.BooleanBuilder:
				fb.Append(r.IntN(2) == 0)
			case *array.ListBuilder:
				fb.Append(true)
				for range r.IntN(3) {
					fb.ValueBuilder().(*array.Int64Builder).Append(r.Int64())
				}
			}
		}
	}
	return b.NewRecordBatch()
}
