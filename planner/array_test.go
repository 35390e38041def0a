package planner

import (
	"reflect"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/types"
)

func TestListValues(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	b := array.NewListBuilder(mem, arrow.PrimitiveTypes.Int32)
	defer b.Release()
	vb := b.ValueBuilder().(*array.Int32Builder)
	b.Append(true)
	vb.AppendValues([]int32{1, 2}, nil)
	vb.AppendNull()
	b.AppendNull()
	b.Append(true)
	arr := b.NewArray()
	defer arr.Release()
	want := []any{[]any{int32(1), int32(2), nil}, nil, []any{}}
	for i, w := range want {
		if got := ValueAt(arr, i); !reflect.DeepEqual(got, w) {
			t.Errorf("ValueAt(%d) = %#v, want %#v", i, got, w)
		}
	}
	// A slice of the array reads its own rows.
	s := array.NewSlice(arr, 2, 3)
	defer s.Release()
	if got := ValueAt(s, 0); !reflect.DeepEqual(got, []any{}) {
		t.Errorf("ValueAt of slice = %#v, want empty", got)
	}
	lit, err := ParamLiteral([]any{"a"}, types.ArrayOf(types.Text))
	if err != nil || !reflect.DeepEqual(lit, &Literal{Value: []any{"a"}, Typ: types.ArrayOf(types.Text)}) {
		t.Errorf("ParamLiteral = %v, %v", lit, err)
	}
	if _, err := ParamLiteral([]any{"a"}, types.Text); err == nil {
		t.Error("ParamLiteral of an array for a text parameter succeeded")
	}
}
