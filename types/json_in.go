package types

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// JSONIn checks that the strings of st read as JSON, as PostgreSQL's json and jsonb input
// functions check them, and returns them as a new array (normalised for jsonb).
func JSONIn(mem memory.Allocator, st *array.String, binary bool) (arrow.Array, error) {
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.Reserve(st.Len())
	for i := 0; i < st.Len(); i++ {
		if st.IsNull(i) {
			b.AppendNull()
			continue
		}
		v := st.Value(i)
		if binary {
			n, err := JSONBNormalize(v)
			if err != nil {
				return nil, err
			}
			b.Append(n)
			continue
		}
		if _, err := ParseJSON(v, "json"); err != nil {
			return nil, err
		}
		b.Append(v)
	}
	return b.NewArray(), nil
}
