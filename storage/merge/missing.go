package merge

import (
	"context"
	"encoding/json"

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

// FormerKey is the key of the field metadata that holds, as a JSON array of strings, the
// names a column was stored under before changes of its type that changed its stored values,
// newest first. A data file that lacks the column's name but has one of these holds the
// column's values of that time, which ReadSpec.Convert converts.
const FormerKey = "sleeperd.former"

// Converter converts the values a data file holds under the former name k (FormerNames(f)[k])
// of field f to f's type. It does not release a.
type Converter func(ctx context.Context, f arrow.Field, k int, a arrow.Array) (arrow.Array, error)

// FormerNames returns the former stored names of f (FormerKey), newest first.
func FormerNames(f arrow.Field) []string {
	v, ok := f.Metadata.GetValue(FormerKey)
	if !ok {
		return nil
	}
	var names []string
	if json.Unmarshal([]byte(v), &names) != nil {
		return nil
	}
	return names
}

// FormerColumn returns the index in fs of the column that holds f under a former name, and
// which former name it is; fc is -1 when fs has none.
func FormerColumn(fs *arrow.Schema, f arrow.Field) (fc, k int) {
	for k, name := range FormerNames(f) {
		if idx := fs.FieldIndices(name); len(idx) == 1 {
			return idx[0], k
		}
	}
	return -1, -1
}
