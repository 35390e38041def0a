package merge

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/parquet"
)

// TestIsolated: a row group is isolated when its leading key values overlap those of no
// other row group of the files, including a neighbour in its own file that shares a key.
func TestIsolated(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	store := objstore.NewMem()
	schema := arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.PrimitiveTypes.Int64}, {Name: "v", Type: arrow.PrimitiveTypes.Int64}}, nil)
	write := func(name string, ks ...int64) {
		kb := array.NewInt64Builder(mem)
		defer kb.Release()
		kb.AppendValues(ks, nil)
		k := kb.NewArray()
		defer k.Release()
		b := newBatch(schema, []arrow.Array{k, k}, int64(len(ks)))
		defer b.Release()
		writeFile(t, store, name, schema, 5, b)
	}
	write("a", 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14) // [0,4] [5,9] [10,14]
	write("b", 20, 21, 22, 23, 24)                               // [20,24]
	write("c", 12, 13)                                           // [12,13]: within a's third
	write("d", 30, 31, 31, 31, 31, 31, 32)                       // [30,31] [31,32]: a key in both
	write("e", -5, -4, -3, -2, -1, 0)                            // [-5,-1] [0,0]: meets a's first
	var files []*parquet.File
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		pf, err := OpenFile(ctx, nil, store, n, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, pf)
	}
	got := Isolated(files, schema.Field(0))
	want := [][]bool{{false, true, false}, {true}, {false}, {false, false}, {true, false}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("isolated %v, want %v", got, want)
	}
	// Alone, every group of a is isolated.
	if got := Isolated(files[:1], schema.Field(0)); !slices.Equal(got[0], []bool{true, true, true}) {
		t.Errorf("a alone: %v", got)
	}
}
