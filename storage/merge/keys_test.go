package merge

import (
	"bytes"
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/storage/keys"
)

// TestKeyBufEncode checks that keyBuf holds each row's keys.AppendRow encoding (with the
// sort keys' after it): a single bigint row key (written by a loop of its own), over a
// slice of a batch, a text key, and a bigint key with a sort key, reusing one buffer.
func TestKeyBufEncode(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ib := array.NewInt64Builder(mem)
	ib.AppendValues([]int64{math.MinInt64, -1, 0, 1, 7, 7, math.MaxInt64, 1 << 40}, nil)
	ints := ib.NewArray()
	ib.Release()
	defer ints.Release()
	sb := array.NewStringBuilder(mem)
	sb.AppendValues([]string{"", "a", "a\x00b", "b", "ba", "z", "zz", "\xff"}, nil)
	strs := sb.NewArray()
	sb.Release()
	defer strs.Release()
	schema := arrow.NewSchema([]arrow.Field{{Name: "i", Type: ints.DataType()}, {Name: "s", Type: strs.DataType()}}, nil)
	b := array.NewRecordBatch(schema, []arrow.Array{ints, strs}, int64(ints.Len()))
	defer b.Release()
	sl := b.NewSlice(3, 7)
	defer sl.Release()
	var k keyBuf
	for _, c := range []struct {
		name     string
		b        arrow.RecordBatch
		row, srt []int
	}{
		{"bigint", b, []int{0}, nil},
		{"bigint slice", sl, []int{0}, nil},
		{"text", b, []int{1}, nil},
		{"bigint and sort key", b, []int{0}, []int{1}},
		{"bigint again", sl, []int{0}, nil},
	} {
		k.encode(c.b, c.row, c.srt)
		for i := range int(c.b.NumRows()) {
			var cols []arrow.Array
			for _, j := range c.row {
				cols = append(cols, c.b.Column(j))
			}
			want := keys.AppendRow(nil, cols, i)
			for _, j := range c.srt {
				want = keys.AppendSortValue(want, c.b.Column(j), i)
			}
			if got := k.key(i); !bytes.Equal(got, want) {
				t.Fatalf("%s: row %d: key %x, want %x", c.name, i, got, want)
			}
		}
		if len(k.off) != int(c.b.NumRows())+1 {
			t.Fatalf("%s: %d offsets for %d rows", c.name, len(k.off), c.b.NumRows())
		}
		k.reset()
	}
}
