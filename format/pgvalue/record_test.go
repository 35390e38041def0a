package pgvalue

import (
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestMapJSONText: a map's jsonb text, keys in jsonb's order (shorter first), the last of
// duplicate keys kept, numbers and booleans as JSON's, NaN and infinities and other values
// as strings, NULL values null, a NULL map not written and an empty one {}.
func TestMapJSONText(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	for _, c := range []struct {
		item arrow.DataType
		fill func(b array.Builder)
		want string
		dups string
	}{
		{arrow.PrimitiveTypes.Float64, func(b array.Builder) {
			b.(*array.Float64Builder).AppendValues([]float64{1.5, math.NaN(), math.Inf(-1), 0}, []bool{true, true, true, false})
		}, `{"b": 1.5, "aa": "NaN", "a\"q": "-Infinity", "ccc": null}`, `{"k": "NaN", "k2": null}`},
		{arrow.FixedWidthTypes.Boolean, func(b array.Builder) {
			b.(*array.BooleanBuilder).AppendValues([]bool{true, false, true, true}, nil)
		}, `{"b": true, "aa": false, "a\"q": true, "ccc": true}`, `{"k": false, "k2": true}`},
		{arrow.BinaryTypes.String, func(b array.Builder) {
			b.(*array.StringBuilder).AppendValues([]string{"x", "line\nbreak", `"`, "1"}, nil)
		}, `{"b": "x", "aa": "line\nbreak", "a\"q": "\"", "ccc": "1"}`, `{"k": "line\nbreak", "k2": "1"}`},
	} {
		mb := array.NewMapBuilder(mem, arrow.BinaryTypes.String, c.item, false)
		mb.Append(true)
		mb.KeyBuilder().(*array.StringBuilder).AppendValues([]string{"b", "aa", `a"q`, "ccc"}, nil)
		c.fill(mb.ItemBuilder())
		mb.Append(true)
		mb.AppendNull()
		mb.Append(true)
		mb.KeyBuilder().(*array.StringBuilder).AppendValues([]string{"k", "k", "k2", "k2"}, nil)
		c.fill(mb.ItemBuilder())
		m := mb.NewArray().(*array.Map)
		mb.Release()
		w := textWriter(m, nil)
		if got := string(w(nil, 0)); got != c.want {
			t.Errorf("%s: %s, want %s", c.item, got, c.want)
		}
		if got := string(w(nil, 1)); got != "{}" {
			t.Errorf("%s: empty map %s", c.item, got)
		}
		if got := string(w(nil, 3)); got != c.dups {
			t.Errorf("%s: duplicate keys %s, want %s", c.item, got, c.dups)
		}
		if got := string(binaryWriter(m)(nil, 1)); got != "{}" {
			t.Errorf("%s: empty map in binary %q", c.item, got)
		}
		m.Release()
	}
}
