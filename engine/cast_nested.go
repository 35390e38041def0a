package engine

import (
	"context"
	"math"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/types"
)

// castColumn casts a column of data to a table column's type. Nested types are taken apart
// here, on the calling goroutine: a list (or large or fixed-size list) is cast by its
// elements keeping its validity, a struct field by field (matched by name, else by name in
// another case, else by place), a map by its keys and items, an extension through its
// storage. Casts between flat types (castFlat), after the input has been validated, run
// here too, where a panic is recovered: arrow-go's compute runs every kernel on a goroutine
// of its own, where it could not be. A cast that cannot be made fails with CannotCoerce (42846), a value that does
// not convert with InvalidText (22P02) from text or NumericRange (22003) otherwise.
func castColumn(ctx context.Context, a arrow.Array, to arrow.DataType) (arrow.Array, error) {
	from := a.DataType()
	if arrow.TypeEqual(from, to) {
		a.Retain()
		return a, nil
	}
	if ext, ok := a.(array.ExtensionArray); ok {
		return castColumn(ctx, ext.Storage(), to)
	}
	if types.IsUUID(to) {
		// uuid over its binary storage (an element of uuid[]): text read as uuids, binary
		// values checked to be 16 bytes.
		var (
			s   arrow.Array
			err error
		)
		if isString(from) {
			s, err = uuidsFromText(ctx, a)
		} else {
			s, err = castColumn(ctx, a, types.Storage(to))
		}
		if err != nil {
			return nil, err
		}
		if err := checkStorage(to, s); err != nil {
			s.Release()
			return nil, err
		}
		return s, nil
	}
	if types.IsVarNumeric(to) {
		// Its storage packs each value with its scale: exec's casts make it.
		if nestedType(from) {
			return nil, cannotCast(from, to)
		}
		if err := array.ValidateFull(a); err != nil {
			return nil, errs.Wrap(errs.InvalidParameter, err, "invalid %s data: %v", from, err)
		}
		return castFlat(ctx, a, to)
	}
	if et, ok := to.(arrow.ExtensionType); ok {
		s, err := castColumn(ctx, a, et.StorageType())
		if err != nil {
			return nil, err
		}
		defer s.Release()
		if err := checkStorage(to, s); err != nil {
			return nil, err
		}
		return array.NewExtensionArrayWithStorage(et, s), nil
	}
	if from.ID() == arrow.NULL {
		return array.MakeArrayOfNull(exec.Allocator(ctx), to, a.Len()), nil
	}
	switch tt := to.(type) {
	case *arrow.ListType:
		return castList(ctx, a, tt)
	case *arrow.StructType:
		if _, ok := a.(*array.Struct); ok {
			return castStruct(ctx, a.Data(), tt)
		}
	case *arrow.MapType:
		if _, ok := a.(*array.Map); ok {
			return castMap(ctx, a, tt)
		}
	}
	if nestedType(from) || nestedType(to) {
		return nil, cannotCast(from, to)
	}
	if d, ok := from.(*arrow.DictionaryType); ok && nestedType(d.ValueType) {
		return nil, cannotCast(from, to)
	}
	if err := array.ValidateFull(a); err != nil {
		return nil, errs.Wrap(errs.InvalidParameter, err, "invalid %s data: %v", from, err)
	}
	return castFlat(ctx, a, to)
}

// castToColumn casts a column of data to the type of table column col, checking values
// bound for a column whose SQL type says more than its storage (uuid, time, json and
// jsonb, normalised) and reading text bound for a uuid column as uuids.
func castToColumn(ctx context.Context, a arrow.Array, col *catalog.Column) (arrow.Array, error) {
	sqlType := col.SQLType
	if sqlType == nil {
		sqlType = col.Type
	}
	if types.IsUUID(sqlType) {
		return castColumn(ctx, a, sqlType) // text read as uuids, values checked
	}
	if nestedType(sqlType) && !arrow.TypeEqual(sqlType, col.Type) {
		// Elements whose SQL type says more than their storage (uuid[], time[]): cast to
		// the SQL type first, so that text is read as uuids and values are checked, then
		// to the column's storage.
		s, err := castColumn(ctx, a, sqlType)
		if err != nil {
			return nil, err
		}
		defer s.Release()
		return castColumn(ctx, s, col.Type)
	}
	c, err := castColumn(ctx, a, col.Type)
	if err != nil {
		return nil, err
	}
	if err := checkStorage(sqlType, c); err != nil {
		c.Release()
		return nil, err
	}
	if types.IsJSON(sqlType) {
		defer c.Release()
		return jsonValues(ctx, c, types.IsJSONB(sqlType))
	}
	return c, nil
}

// jsonValues checks that the strings of s read as JSON, as PostgreSQL's json and jsonb
// input functions check them, and returns them (normalised for jsonb).
func jsonValues(ctx context.Context, s arrow.Array, binary bool) (arrow.Array, error) {
	if ext, ok := s.(array.ExtensionArray); ok {
		s = ext.Storage()
	}
	st, ok := s.(*array.String)
	if !ok {
		name := "json"
		if binary {
			name = "jsonb"
		}
		return nil, errs.New(errs.CannotCoerce, "cannot cast type %s to %s", typeName(s.DataType()), name)
	}
	return types.JSONIn(exec.Allocator(ctx), st, binary)
}

// checkedColumn reports whether values bound for col are checked even when their type is
// its storage type (see checkStorage, jsonValues).
func checkedColumn(col *catalog.Column) bool {
	t := col.SQLType
	if t == nil {
		t = col.Type
	}
	if nestedType(t) && !arrow.TypeEqual(t, col.Type) {
		return true // elements checked as their SQL type (uuid[], time[])
	}
	return types.IsUUID(t) || types.IsTime(t) || types.IsJSON(t)
}

// nestedType reports whether values of t hold other values.
func nestedType(t arrow.DataType) bool {
	_, ok := t.(arrow.NestedType)
	return ok
}

func cannotCast(from, to arrow.DataType) error {
	return errs.New(errs.CannotCoerce, "cannot cast type %s to %s", typeName(from), typeName(to))
}

// typeName is the SQL name of an Arrow type where it has one, else its Arrow name.
func typeName(t arrow.DataType) string { return types.Name(t) }

// isString reports whether values of t are strings (or a dictionary of them).
func isString(t arrow.DataType) bool {
	if d, ok := t.(*arrow.DictionaryType); ok {
		t = d.ValueType
	}
	switch t.ID() {
	case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW:
		return true
	}
	return false
}

// uuidsFromText reads text as uuids, into their storage (16 bytes each).
func uuidsFromText(ctx context.Context, a arrow.Array) (arrow.Array, error) {
	s, err := castColumn(ctx, a, arrow.BinaryTypes.String)
	if err != nil {
		return nil, err
	}
	defer s.Release()
	strs := s.(*array.String)
	b := array.NewBinaryBuilder(exec.Allocator(ctx), arrow.BinaryTypes.Binary)
	defer b.Release()
	b.Reserve(strs.Len())
	for i := 0; i < strs.Len(); i++ {
		if strs.IsNull(i) {
			b.AppendNull()
			continue
		}
		u, err := types.ParseUUID(strs.Value(i))
		if err != nil {
			return nil, errs.New(errs.InvalidText, "invalid input syntax for type uuid: %q", strs.Value(i))
		}
		b.Append(u)
	}
	return b.NewArray(), nil
}

// checkStorage checks that s holds values of SQL type t: a uuid of 16 bytes, a time within
// a day.
func checkStorage(t arrow.DataType, s arrow.Array) error {
	if ext, ok := s.(array.ExtensionArray); ok {
		s = ext.Storage()
	}
	switch {
	case types.IsUUID(t):
		bs, ok := s.(*array.Binary)
		if !ok {
			return nil
		}
		for i := 0; i < bs.Len(); i++ {
			if bs.IsValid(i) && len(bs.Value(i)) != 16 {
				return errs.New(errs.InvalidText, "invalid input syntax for type uuid: a value of %d bytes", len(bs.Value(i)))
			}
		}
	case types.IsTime(t):
		vs, ok := s.(*array.Int64)
		if !ok {
			return nil
		}
		for i := 0; i < vs.Len(); i++ {
			if v := vs.Value(i); vs.IsValid(i) && (v < 0 || v > 86_400_000_000) {
				return errs.New(errs.DatetimeOverflow, "time out of range: %d microseconds", v)
			}
		}
	}
	return nil
}

// castList casts a list, large list or fixed-size list to a list of another element type.
// The result keeps a's offset and validity; its offsets start where a's do.
func castList(ctx context.Context, a arrow.Array, to *arrow.ListType) (arrow.Array, error) {
	d := a.Data()
	n := d.Offset() + d.Len()
	var (
		offsets *memory.Buffer
		values  arrow.ArrayData
	)
	switch l := a.(type) {
	case *array.List:
		offsets = d.Buffers()[1]
		offsets.Retain()
		values = d.Children()[0]
	case *array.LargeList:
		src := arrow.Int64Traits.CastFromBytes(d.Buffers()[1].Bytes())
		if n > 0 && src[n] > math.MaxInt32 {
			return nil, errs.New(errs.NotImplemented, "a list column of %d elements is too large", src[n])
		}
		offsets = memory.NewResizableBuffer(exec.Allocator(ctx))
		offsets.Resize(arrow.Int32Traits.BytesRequired(n + 1))
		dst := arrow.Int32Traits.CastFromBytes(offsets.Bytes())
		for i := 0; i <= n && i < len(src); i++ {
			dst[i] = int32(src[i])
		}
		values = d.Children()[0]
	case *array.FixedSizeList:
		size := int64(l.DataType().(*arrow.FixedSizeListType).Len())
		if int64(n)*size > math.MaxInt32 {
			return nil, errs.New(errs.NotImplemented, "a list column of %d elements is too large", int64(n)*size)
		}
		offsets = memory.NewResizableBuffer(exec.Allocator(ctx))
		offsets.Resize(arrow.Int32Traits.BytesRequired(n + 1))
		dst := arrow.Int32Traits.CastFromBytes(offsets.Bytes())
		for i := range dst {
			dst[i] = int32(int64(i) * size)
		}
		values = d.Children()[0]
	default:
		return nil, cannotCast(a.DataType(), to)
	}
	defer offsets.Release()
	vals := array.MakeFromData(values)
	defer vals.Release()
	cv, err := castColumn(ctx, vals, to.Elem())
	if err != nil {
		return nil, err
	}
	defer cv.Release()
	out := to
	if !arrow.TypeEqual(cv.DataType(), to.Elem()) {
		ef := to.ElemField()
		ef.Type = cv.DataType()
		out = arrow.ListOfField(ef)
	}
	data := array.NewData(out, d.Len(), []*memory.Buffer{d.Buffers()[0], offsets}, []arrow.ArrayData{cv.Data()}, d.NullN(), d.Offset())
	defer data.Release()
	return array.MakeFromData(data), nil
}

// castStruct casts struct data d to struct type to: each field of to takes the field of
// d's type of its name, else of its name in another case, else (when both have as many
// fields) the one in its place; a field d lacks is NULL where to allows it. The result
// keeps d's offset and validity.
func castStruct(ctx context.Context, d arrow.ArrayData, to *arrow.StructType) (arrow.Array, error) {
	from := d.DataType().(*arrow.StructType)
	n := d.Offset() + d.Len()
	children := make([]arrow.ArrayData, to.NumFields())
	defer func() {
		for _, c := range children {
			if c != nil {
				c.Release()
			}
		}
	}()
	fields := to.Fields()
	for i, tf := range fields {
		k := structFieldFor(from, to, i)
		var c arrow.Array
		if k < 0 {
			if !tf.Nullable {
				return nil, errs.New(errs.CannotCoerce, "cannot cast type %s to %s: field %q is missing", typeName(from), typeName(to), tf.Name)
			}
			c = array.MakeArrayOfNull(exec.Allocator(ctx), tf.Type, n)
		} else {
			src := array.MakeFromData(d.Children()[k])
			var err error
			c, err = castColumn(ctx, src, tf.Type)
			src.Release()
			if err != nil {
				return nil, err
			}
		}
		children[i] = c.Data()
		children[i].Retain()
		c.Release()
		fields[i].Type = children[i].DataType()
	}
	data := array.NewData(arrow.StructOf(fields...), d.Len(), d.Buffers()[:1], children, d.NullN(), d.Offset())
	defer data.Release()
	return array.MakeFromData(data), nil
}

// structFieldFor is the index of the field of from that field i of to takes, or -1.
func structFieldFor(from, to *arrow.StructType, i int) int {
	name := to.Field(i).Name
	if ks := from.FieldIndices(name); len(ks) > 0 {
		return ks[0]
	}
	for k, f := range from.Fields() {
		if strings.EqualFold(f.Name, name) {
			return k
		}
	}
	if from.NumFields() == to.NumFields() {
		return i
	}
	return -1
}

// castMap casts a map to a map of other key and item types.
func castMap(ctx context.Context, a arrow.Array, to *arrow.MapType) (arrow.Array, error) {
	d := a.Data()
	entries := d.Children()[0]
	et := to.Elem().(*arrow.StructType)
	if entries.DataType().(*arrow.StructType).NumFields() != 2 {
		return nil, cannotCast(a.DataType(), to)
	}
	ce, err := castStruct(ctx, entries, et)
	if err != nil {
		return nil, err
	}
	defer ce.Release()
	if !arrow.TypeEqual(ce.DataType(), et) {
		return nil, cannotCast(a.DataType(), to)
	}
	data := array.NewData(to, d.Len(), d.Buffers()[:2], []arrow.ArrayData{ce.Data()}, d.NullN(), d.Offset())
	defer data.Release()
	return array.MakeFromData(data), nil
}

// timeMicros is a's times of day in microseconds, a time column's storage, when a holds
// Arrow times (of seconds, milliseconds, microseconds or nanoseconds: nanoseconds round to
// the nearest microsecond, as PostgreSQL's input rounds), else nil.
func timeMicros(mem memory.Allocator, a arrow.Array) arrow.Array {
	var at func(i int) int64
	switch a := a.(type) {
	case *array.Time32:
		m := int64(1_000_000)
		if a.DataType().(*arrow.Time32Type).Unit == arrow.Millisecond {
			m = 1_000
		}
		at = func(i int) int64 { return int64(a.Value(i)) * m }
	case *array.Time64:
		if a.DataType().(*arrow.Time64Type).Unit == arrow.Nanosecond {
			at = func(i int) int64 { return (int64(a.Value(i)) + 500) / 1_000 }
		} else {
			at = func(i int) int64 { return int64(a.Value(i)) }
		}
	default:
		return nil
	}
	b := array.NewInt64Builder(mem)
	defer b.Release()
	b.Reserve(a.Len())
	for i := 0; i < a.Len(); i++ {
		if a.IsNull(i) {
			b.AppendNull()
		} else {
			b.UnsafeAppend(at(i))
		}
	}
	return b.NewArray()
}
