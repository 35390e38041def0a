package merge

import (
	"testing"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/internal/take"
)

// TestGather gathers rows of two sliced sources of every kind of type the kernel handles.
func TestGather(t *testing.T) {
	types := []arrow.DataType{
		arrow.FixedWidthTypes.Boolean, arrow.PrimitiveTypes.Int8, arrow.PrimitiveTypes.Int16,
		arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Float64,
		arrow.BinaryTypes.String, arrow.BinaryTypes.Binary, arrow.BinaryTypes.LargeString,
		&arrow.Decimal128Type{Precision: 20, Scale: 2}, &arrow.FixedSizeBinaryType{ByteWidth: 3},
		arrow.ListOf(arrow.PrimitiveTypes.Int32), arrow.Null,
	}
	for _, dt := range types {
		t.Run(dt.String(), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			var srcs []arrow.Array
			for s := range 2 {
				b := array.NewBuilder(mem, dt)
				for i := range 6 {
					v := s*10 + i
					if v%4 == 3 {
						b.AppendNull()
						continue
					}
					switch x := b.(type) {
					case *array.BooleanBuilder:
						x.Append(v%2 == 0)
					case *array.Int8Builder:
						x.Append(int8(v))
					case *array.Int16Builder:
						x.Append(int16(v))
					case *array.Int32Builder:
						x.Append(int32(v))
					case *array.Int64Builder:
						x.Append(int64(v))
					case *array.Float64Builder:
						x.Append(float64(v) / 2)
					case *array.StringBuilder:
						x.Append(string(rune('a' + v)))
					case *array.LargeStringBuilder:
						x.Append(string(rune('a' + v)))
					case *array.BinaryBuilder:
						x.Append([]byte{byte(v), 0})
					case *array.Decimal128Builder:
						x.Append(decimal128.FromI64(int64(-v)))
					case *array.FixedSizeBinaryBuilder:
						x.Append([]byte{byte(v), 1, 2})
					case *array.ListBuilder:
						x.Append(true)
						x.ValueBuilder().(*array.Int32Builder).Append(int32(v))
					case *array.NullBuilder:
						x.AppendNull()
					}
				}
				full := b.NewArray()
				b.Release()
				srcs = append(srcs, array.NewSlice(full, 1, 6)) // offset sources
				full.Release()
			}
			defer func() {
				for _, s := range srcs {
					s.Release()
				}
			}()
			refs := []ref{{1, 4}, {0, 0}, {0, 2}, {1, 2}, {1, 0}, {0, 4}, {0, 2}}
			got, err := gather(mem, dt, srcs, refs)
			if err != nil {
				t.Fatal(err)
			}
			defer got.Release()
			if got.Len() != len(refs) {
				t.Fatalf("%d rows", got.Len())
			}
			for j, r := range refs {
				want := srcs[r.src].ValueStr(int(r.row))
				if g := got.ValueStr(j); g != want || got.IsNull(j) != srcs[r.src].IsNull(int(r.row)) {
					t.Errorf("row %d: got %s, want %s", j, g, want)
				}
			}
		})
	}
}

// TestRefLayout checks that ref and take.Ref have the same layout, which gather relies on
// to pass refs to take.Rows without a copy, and that the shared view reads the same rows.
func TestRefLayout(t *testing.T) {
	if unsafe.Sizeof(ref{}) != unsafe.Sizeof(take.Ref{}) ||
		unsafe.Offsetof(ref{}.src) != unsafe.Offsetof(take.Ref{}.Src) ||
		unsafe.Offsetof(ref{}.row) != unsafe.Offsetof(take.Ref{}.Row) {
		t.Fatalf("ref %d bytes (src at %d, row at %d), take.Ref %d bytes (Src at %d, Row at %d)",
			unsafe.Sizeof(ref{}), unsafe.Offsetof(ref{}.src), unsafe.Offsetof(ref{}.row),
			unsafe.Sizeof(take.Ref{}), unsafe.Offsetof(take.Ref{}.Src), unsafe.Offsetof(take.Ref{}.Row))
	}
	refs := []ref{{3, 7}, {0, 1}, {2, -1}}
	got := takeRefs(refs)
	if len(got) != len(refs) {
		t.Fatalf("%d refs, want %d", len(got), len(refs))
	}
	for i, r := range refs {
		if got[i].Src != r.src || got[i].Row != r.row {
			t.Fatalf("ref %d is %+v, want {%d %d}", i, got[i], r.src, r.row)
		}
	}
	if takeRefs(nil) != nil {
		t.Fatal("no refs should be nil")
	}
}
