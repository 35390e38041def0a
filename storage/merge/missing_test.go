package merge

import (
	"context"
	"io"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/storage/objstore"
)

// A column a file lacks (added to the table after the file was written) reads as its
// MissingKey value, or NULL without one.
func TestReadFileFillsMissingColumns(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	store := objstore.NewMem()
	str := func(s string) *string { return &s }
	b := tableBatch(mem, []row{{k: 1, s: str("x"), ver: 1}, {k: 2, s: str("y"), ver: 1}}, false)
	writeFile(t, store, "f", tableSchema, 1, b)
	b.Release()
	fields := append(tableSchema.Fields(),
		arrow.Field{Name: "added_null", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		arrow.Field{Name: "added_7", Type: arrow.PrimitiveTypes.Int32, Nullable: true, Metadata: arrow.NewMetadata([]string{MissingKey}, []string{"7"})})
	schema := arrow.NewSchema(fields, nil)
	n := len(fields)
	s, err := ReadFile(context.Background(), FileSource{Store: store, Name: "f"}, ReadSpec{Schema: schema, Columns: []int{n - 2, n - 1}, RowKeys: []int{0}, Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var got []string
	for {
		rb, err := s.Next(context.Background())
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < int(rb.NumRows()); i++ {
			got = append(got, rb.Column(0).ValueStr(i)+" "+rb.Column(1).ValueStr(i))
		}
		rb.Release()
	}
	if len(got) != 2 || got[0] != "(null) 7" || got[1] != "(null) 7" {
		t.Fatalf("got %q", got)
	}
}
