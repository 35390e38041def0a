package engine

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
)

// castColumn casts a column of data to a table column's type. A list is cast by its
// elements, keeping its offsets and validity (arrow-go's list cast leaks its scratch
// buffers); anything else goes through compute.CastArray.
func castColumn(ctx context.Context, a arrow.Array, to arrow.DataType) (arrow.Array, error) {
	l, ok := a.(*array.List)
	lt, ok2 := to.(*arrow.ListType)
	if !ok || !ok2 {
		return compute.CastArray(ctx, a, compute.SafeCastOptions(to))
	}
	vals := l.ListValues()
	var cv arrow.Array
	if arrow.TypeEqual(vals.DataType(), lt.Elem()) {
		vals.Retain()
		cv = vals
	} else {
		var err error
		if cv, err = castColumn(ctx, vals, lt.Elem()); err != nil {
			return nil, err
		}
	}
	defer cv.Release()
	d := l.Data()
	data := array.NewData(to, d.Len(), d.Buffers()[:2], []arrow.ArrayData{cv.Data()}, d.NullN(), d.Offset())
	defer data.Release()
	return array.MakeFromData(data), nil
}
