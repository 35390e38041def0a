package merge

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// MissingKey is the key of the field metadata that holds the value (in the text form of
// arrow's ValueStr) a column takes in the rows of a data file written before the column was
// added to its table. A column a file lacks reads as that value, or NULL without one.
const MissingKey = "sleeperd.missing"

// FillMissing returns n rows of the value field takes where a data file lacks it.
func FillMissing(mem memory.Allocator, f arrow.Field, n int) (arrow.Array, error) {
	v, ok := f.Metadata.GetValue(MissingKey)
	if !ok {
		return array.MakeArrayOfNull(mem, f.Type, n), nil
	}
	b := array.NewBuilder(mem, f.Type)
	defer b.Release()
	b.Reserve(n)
	for i := 0; i < n; i++ {
		if err := b.AppendValueFromString(v); err != nil {
			return nil, err
		}
	}
	return b.NewArray(), nil
}
