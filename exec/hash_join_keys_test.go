package exec

import (
	"fmt"
	"io"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// TestHashJoinRightKeyFromLeft joins on a key column of each integer-like type where the
// output's right key column comes from the left batch: a batch of more than BatchRows rows
// each matching one right row (slices at offsets 0 and BatchRows), a batch with unmatched
// keys, NULL keys and a key matching two right rows (gathered), and unmatched right rows;
// inner, left, right and full joins against the nested-loop join over the same inputs. The
// inner join's right key column is asserted to share the left batch's buffer; the checked
// allocator finds no leak.
func TestHashJoinRightKeyFromLeft(t *testing.T) {
	for _, typ := range []arrow.DataType{tI16, tI32, tI64, tDate, tTS} {
		t.Run(typ.String(), func(t *testing.T) {
			ctx, mem := checkedCtx(t)
			cell := func(v int) any {
				switch typ.ID() {
				case arrow.INT16:
					return int16(v)
				case arrow.INT32:
					return int32(v)
				case arrow.DATE32:
					return arrow.Date32(v)
				case arrow.TIMESTAMP:
					return arrow.Timestamp(v)
				}
				return int64(v)
			}
			ls, rs := schemaOf(typ, tI64), schemaOf(tStr, typ)
			var fk, mixed [][]any
			for i := range BatchRows + 800 {
				fk = append(fk, []any{cell(i % 50), int64(i)})
			}
			for i := range 300 {
				var k any = cell(i % 60)
				if i%37 == 0 {
					k = nil
				}
				mixed = append(mixed, []any{k, int64(i)})
			}
			fkBatch := mkBatch(t, mem, ls, fk...)
			l := mkValues(t, ls, fkBatch, mkBatch(t, mem, ls, mixed...))
			var dim [][]any
			for k := range 50 {
				dim = append(dim, []any{fmt.Sprintf("d%d", k), cell(k)})
			}
			dim = append(dim, []any{"d55", cell(55)}, []any{"d55b", cell(55)}, []any{"d70", cell(70)}, []any{"dnull", nil})
			r := mkValues(t, rs, mkBatch(t, mem, rs, dim...))
			eq := mustBinary(t, Eq, mustCol(t, 0, typ), mustCol(t, 3, typ))
			for _, kind := range []JoinKind{Inner, Left, Right, Full} {
				hj, err := NewHashJoin(kind, l, r, []Expr{mustCol(t, 0, typ)}, []Expr{mustCol(t, 1, typ)}, nil)
				if err != nil {
					t.Fatal(err)
				}
				nl, err := NewNestedLoopJoin(kind, l, r, eq)
				if err != nil {
					t.Fatal(err)
				}
				got, want := collectText(t, ctx, hj), collectText(t, ctx, nl)
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Fatalf("%s: %d rows, want %d", kind, len(got), len(want))
				}
				if kind != Inner {
					continue
				}
				st, err := hj.Execute(ctx)
				if err != nil {
					t.Fatal(err)
				}
				shared := 0
				for {
					b, err := st.Next(ctx)
					if err == io.EOF {
						break
					}
					if err != nil {
						t.Fatal(err)
					}
					if b.Column(3).Data().Buffers()[1] == fkBatch.Column(0).Data().Buffers()[1] {
						shared++
					}
					b.Release()
				}
				st.Close()
				if shared != 2 {
					t.Errorf("%d output batches share the left key column, want 2", shared)
				}
			}
		})
	}
}
