package exec

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

var recType = arrow.StructOf(
	arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	arrow.Field{Name: "b", Type: arrow.BinaryTypes.String, Nullable: true},
)

// buildRecords makes a struct array of recType from rows of [a, b] (nil fields are NULL, a
// nil row is a NULL record).
func buildRecords(mem memory.Allocator, rows [][]any) *array.Struct {
	b := array.NewStructBuilder(mem, recType)
	defer b.Release()
	for _, r := range rows {
		if r == nil {
			b.AppendNull()
			continue
		}
		appendStruct(b, r)
	}
	return b.NewArray().(*array.Struct)
}

// TestStructKernels: take, scatter, the record order (NULL fields above values) and the
// grouping encoding (NULL fields equal) of struct arrays, and take and encoding of maps.
func TestStructKernels(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rows := [][]any{{int64(1), "x"}, nil, {int64(1), nil}, {nil, "y"}, {int64(0), "z"}, {int64(1), nil}}
	s := buildRecords(mem, rows)
	defer s.Release()

	tk := take(mem, s, []int32{4, 1, 2, 0})
	defer tk.Release()
	if got := tk.String(); got != `{[0 (null) 1 1] ["z" (null) (null) "x"]}` {
		t.Errorf("take: %s", got)
	}
	if tk.IsValid(1) || !tk.IsValid(2) {
		t.Errorf("take validity: %v %v", tk.IsValid(1), tk.IsValid(2))
	}

	c := comparer(s, s)
	for _, tc := range []struct {
		i, j, want int
	}{
		{0, 2, -1}, // (1,x) < (1,NULL)
		{2, 5, 0},  // (1,NULL) = (1,NULL)
		{3, 0, 1},  // (NULL,y) > (1,x)
		{4, 0, -1}, // (0,z) < (1,x)
	} {
		if got := c(tc.i, tc.j); got != tc.want {
			t.Errorf("compare rows %d, %d: %d, want %d", tc.i, tc.j, got, tc.want)
		}
	}

	enc := encoder(s)
	key := func(i int) string { return string(enc(nil, i)) }
	if key(2) != key(5) || key(0) == key(2) || key(1) == key(2) || key(3) == key(0) {
		t.Errorf("encodings: %q %q %q %q %q", key(0), key(1), key(2), key(3), key(5))
	}

	a := buildRecords(mem, rows[:2])
	defer a.Release()
	b := buildRecords(mem, rows[2:4])
	defer b.Release()
	sc := scatter(mem, recType, 5, []part{{rows: []int32{4, 0}, arr: a}, {rows: []int32{1, 3}, arr: b}})
	defer sc.Release()
	if got := sc.String(); got != `{[(null) 1 (null) (null) 1] [(null) (null) (null) "y" "x"]}` {
		t.Errorf("scatter: %s", got)
	}
	if sc.IsValid(0) || !sc.IsValid(1) || sc.IsValid(2) {
		t.Errorf("scatter validity")
	}

	mb := array.NewMapBuilder(mem, arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64, false)
	defer mb.Release()
	mb.Append(true)
	mb.KeyBuilder().(*array.StringBuilder).Append("k")
	mb.ItemBuilder().(*array.Int64Builder).Append(7)
	mb.AppendNull()
	mb.Append(true)
	mb.Append(true)
	mb.KeyBuilder().(*array.StringBuilder).Append("k")
	mb.ItemBuilder().(*array.Int64Builder).AppendNull()
	m := mb.NewArray()
	defer m.Release()
	mt := take(mem, m, []int32{3, 0, 1, 2})
	defer mt.Release()
	if got := mt.String(); got != `[{["k"] [(null)]} {["k"] [7]} (null) {[] []}]` {
		t.Errorf("take map: %s", got)
	}
	me := encoder(m)
	if string(me(nil, 0)) == string(me(nil, 3)) || string(me(nil, 1)) == string(me(nil, 2)) {
		t.Errorf("map encodings collide")
	}
}
