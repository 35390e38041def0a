package flightsql

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/extensions"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/types"
)

// SQL types held in plain storage inside the engine (types.Time as int64, types.UUID as
// binary, types.JSON as string), which result fields name in their metadata, are sent to
// Flight SQL clients as the Arrow types that say what they are:
//
//	time         time64[us]
//	uuid         arrow.uuid, Arrow's canonical extension type (storage fixed_size_binary(16))
//	json, jsonb  arrow.json, Arrow's canonical extension type (storage utf8)
//	timetz       struct<time: time64[us], offset: int32>, the time of day and the zone's
//	             offset in seconds east of UTC (+02 is 7200); Arrow has no type of its own
//
// A client that does not know an extension type sees its storage type.

var (
	wireTime = arrow.FixedWidthTypes.Time64us
	wireUUID = extensions.NewUUIDType()
	wireJSON = func() arrow.DataType {
		t, err := extensions.NewJSONType(arrow.BinaryTypes.String)
		if err != nil {
			panic(err)
		}
		return t
	}()
)

// wireType is the type a result field f is sent as, if its metadata names one of these SQL
// types; ok is false otherwise.
func wireType(f arrow.Field) (arrow.DataType, bool) {
	if st, isStruct := f.Type.(*arrow.StructType); isStruct {
		return wireStruct(st)
	}
	if lt, isList := f.Type.(*arrow.ListType); isList {
		if st, isStruct := lt.Elem().(*arrow.StructType); isStruct {
			// An array of records: a list of its record type's wire type.
			wt, ok := wireStruct(st)
			if !ok {
				return nil, false
			}
			ef := lt.ElemField()
			ef.Type = wt
			return arrow.ListOfField(ef), true
		}
	}
	if md, ok := types.SQLMetadata(f.Type); ok {
		// A record's field of such a SQL type (types.RecordField).
		f = arrow.Field{Type: types.Storage(f.Type), Metadata: md}
	}
	if r := types.FieldReg(f); r != nil && f.Type.ID() == arrow.INT64 {
		return arrow.BinaryTypes.String, true
	}
	if r := types.FieldRegArray(f); r != nil {
		// An array of regclass...: a list of utf8 names whose element field's metadata
		// names the SQL type, from which wireList knows which names to give its values.
		if lt := f.Type.(*arrow.ListType); lt.Elem().ID() == arrow.INT64 {
			md, _ := types.SQLMetadata(r)
			return arrow.ListOfField(arrow.Field{Name: lt.ElemField().Name, Type: arrow.BinaryTypes.String, Nullable: true, Metadata: md}), true
		}
	}
	name, ok := f.Metadata.GetValue(types.SQLTypeKey)
	if !ok {
		return nil, false
	}
	switch {
	case name == "time" && f.Type.ID() == arrow.INT64:
		return wireTime, true
	case name == "timetz" && f.Type.ID() == arrow.INT64:
		return wireTimeTZ, true
	case name == "uuid" && f.Type.ID() == arrow.BINARY:
		return wireUUID, true
	case (name == "json" || name == "jsonb") && f.Type.ID() == arrow.STRING:
		return wireJSON, true
	case name == "_time" || name == "_uuid" || name == "_timetz":
		// Arrays of time and uuid: lists of the element's wire type.
		lt, ok := f.Type.(*arrow.ListType)
		if !ok {
			return nil, false
		}
		et, ok := wireType(arrow.Field{Type: lt.Elem(), Metadata: arrow.NewMetadata([]string{types.SQLTypeKey}, []string{name[1:]})})
		if !ok {
			return nil, false
		}
		return arrow.ListOf(et), true
	}
	return nil, false
}

// wireStruct is the wire type of a record type whose fields (or their fields, or the fields
// of records in arrays among them) are of the SQL types wireType sends as other Arrow types:
// the struct of its fields' wire types; ok is false when no field needs one.
func wireStruct(st *arrow.StructType) (arrow.DataType, bool) {
	var fields []arrow.Field
	for k, f := range st.Fields() {
		wt, ok := wireType(types.RecordField(f))
		if !ok {
			continue
		}
		if fields == nil {
			fields = st.Fields()
		}
		fields[k].Type = wt
		if r := types.FieldReg(f); r != nil {
			// The SQL type of a regclass... field, sent as utf8, is in its metadata, from
			// which wireRecord knows which names to give its values.
			fields[k].Metadata, _ = types.SQLMetadata(r)
		}
	}
	if fields == nil {
		return nil, false
	}
	return arrow.StructOf(fields...), true
}

// wireRecord converts a, a struct column in engine storage, to to, a struct of wire types
// (wireStruct's), converting the fields that need it with wireArray.
func wireRecord(mem memory.Allocator, a arrow.Array, to *arrow.StructType, names types.RegNames) (arrow.Array, bool) {
	d := a.Data()
	if _, ok := a.(*array.Struct); !ok || len(d.Children()) != to.NumFields() {
		return nil, false
	}
	children := make([]arrow.ArrayData, to.NumFields())
	for k, cd := range d.Children() {
		c := array.MakeFromData(cd)
		if arrow.TypeEqual(c.DataType(), to.Field(k).Type) {
			children[k] = cd
			c.Release()
			continue
		}
		w, ok := wireField(mem, c, to.Field(k), names)
		c.Release()
		if !ok {
			return nil, false
		}
		defer w.Release()
		children[k] = w.Data()
	}
	nd := array.NewData(to, d.Len(), d.Buffers(), children, d.NullN(), d.Offset())
	defer nd.Release()
	return array.MakeFromData(nd), true
}

// wireList converts a, a list column in engine storage, to to, a list of a wire type
// (wireType's), converting its elements with wireArray; ok is false otherwise.
func wireList(mem memory.Allocator, a arrow.Array, to arrow.DataType, names types.RegNames) (arrow.Array, bool) {
	lt, ok := to.(*arrow.ListType)
	l, isList := a.(*array.List)
	if !ok || !isList {
		return nil, false
	}
	vals, ok := wireField(mem, l.ListValues(), lt.ElemField(), names)
	if !ok {
		return nil, false
	}
	defer vals.Release()
	d := a.Data()
	nd := array.NewData(to, d.Len(), d.Buffers(), []arrow.ArrayData{vals.Data()}, d.NullN(), d.Offset())
	defer nd.Release()
	return array.MakeFromData(nd), true
}

// wireField converts a, a column in engine storage, to the wire type of field f
// (wireArray), a regclass... column to utf8 of the names names gives its OIDs.
func wireField(mem memory.Allocator, a arrow.Array, f arrow.Field, names types.RegNames) (arrow.Array, bool) {
	if r := types.FieldReg(f); r != nil && f.Type.ID() == arrow.STRING {
		return wireRegArray(mem, a, r, names)
	}
	return wireArray(mem, a, f.Type, names)
}

// wireArray converts a, a column in engine storage, to wire type to (wireType's); ok is
// false if to is not one of them. names names the OIDs of regclass... values in records.
// The result is a new reference.
func wireArray(mem memory.Allocator, a arrow.Array, to arrow.DataType, names types.RegNames) (arrow.Array, bool) {
	switch {
	case to.ID() == arrow.LIST:
		return wireList(mem, a, to, names)
	case to == wireTimeTZ:
		return wireTimeTZArray(mem, a)
	case to.ID() == arrow.STRUCT:
		return wireRecord(mem, a, to.(*arrow.StructType), names)
	case to == wireTime && a.DataType().ID() == arrow.INT64:
		d := a.Data()
		nd := array.NewData(wireTime, d.Len(), d.Buffers(), nil, d.NullN(), d.Offset())
		defer nd.Release()
		return array.MakeFromData(nd), true
	case to == wireJSON && a.DataType().ID() == arrow.STRING:
		return array.NewExtensionArrayWithStorage(wireJSON.(arrow.ExtensionType), a), true
	case to == wireUUID:
		bin, ok := a.(*array.Binary)
		if !ok {
			return nil, false
		}
		b := array.NewFixedSizeBinaryBuilder(mem, &arrow.FixedSizeBinaryType{ByteWidth: 16})
		defer b.Release()
		b.Reserve(bin.Len())
		for i := 0; i < bin.Len(); i++ {
			if bin.IsNull(i) || len(bin.Value(i)) != 16 {
				b.AppendNull()
				continue
			}
			b.Append(bin.Value(i))
		}
		st := b.NewArray()
		defer st.Release()
		return array.NewExtensionArrayWithStorage(wireUUID, st), true
	}
	return nil, false
}

// ingestConv converts one column of uploaded batches into the storage of its table column.
type ingestConv func(mem memory.Allocator, a arrow.Array) (arrow.Array, error)

// ingestConverters are the conversions uploaded columns of schema need before they are
// appended to table, by column (nil: none), and the schema of the converted batches, or nil
// when no column needs one (ingestConversion).
func ingestConverters(table map[string]arrow.DataType, schema *arrow.Schema) ([]ingestConv, *arrow.Schema) {
	convs := make([]ingestConv, schema.NumFields())
	fields := schema.Fields()
	any := false
	for i, f := range fields {
		target := table[f.Name]
		if target == nil {
			for name, t := range table {
				if strings.EqualFold(name, f.Name) {
					target = t
				}
			}
		}
		if target == nil {
			continue
		}
		convs[i], fields[i].Type = ingestConversion(target, f.Type)
		any = any || convs[i] != nil
	}
	if !any {
		return nil, nil
	}
	md := schema.Metadata()
	return convs, arrow.NewSchema(fields, &md)
}

// ingestConversion is the conversion an uploaded column of Arrow type src needs to be stored
// as SQL type target, and the type of the converted column; conv is nil (and out src) when
// it needs none. time64[us] becomes time (checked to lie within a day), the arrow.uuid
// extension and fixed_size_binary(16) uuid, the arrow.json extension its text,
// fixed_size_binary bytea; values bound
// for json and jsonb are checked as PostgreSQL's input functions check them (and jsonb
// normalised), values for time to lie within a day. The same holds within lists bound for
// arrays and structs bound for records (their fields matched by name, else by position),
// at any depth.
func ingestConversion(target, src arrow.DataType) (conv ingestConv, out arrow.DataType) {
	base := src
	if e, ok := src.(arrow.ExtensionType); ok && (e.ExtensionName() == wireUUID.ExtensionName() || e.ExtensionName() == "arrow.json") {
		base = e.StorageType()
	}
	switch {
	case types.IsTime(target) && (base.ID() == arrow.TIME64 && base.(*arrow.Time64Type).Unit == arrow.Microsecond || base.ID() == arrow.INT64):
		return ingestTime, arrow.PrimitiveTypes.Int64
	case types.IsTimeTZ(target) && arrow.TypeEqual(base, wireTimeTZ):
		return ingestTimeTZ, arrow.PrimitiveTypes.Int64
	case types.IsUUID(target) && (base.ID() == arrow.FIXED_SIZE_BINARY || base.ID() == arrow.BINARY):
		return ingestUUID, arrow.BinaryTypes.Binary
	case types.IsJSON(target) && base.ID() == arrow.STRING:
		return ingestJSON(types.IsJSONB(target)), arrow.BinaryTypes.String
	case target.ID() == arrow.BINARY && base.ID() == arrow.FIXED_SIZE_BINARY:
		// bytea: arrow-go's cast of fixed_size_binary to binary fails inside structs.
		return ingestBytea, arrow.BinaryTypes.Binary
	}
	switch tt := target.(type) {
	case *arrow.ListType:
		sl, ok := src.(*arrow.ListType)
		if !ok {
			return nil, src
		}
		elem, et := ingestConversion(tt.Elem(), sl.Elem())
		if elem == nil {
			return nil, src
		}
		ef := sl.ElemField()
		ef.Type = et
		lt := arrow.ListOfField(ef)
		return ingestList(elem, lt), lt
	case *arrow.StructType:
		ss, ok := src.(*arrow.StructType)
		if !ok {
			return nil, src
		}
		convs := make([]ingestConv, ss.NumFields())
		fields := ss.Fields()
		any := false
		for k, f := range fields {
			tf, ok := recordFieldFor(tt, ss, k)
			if !ok {
				continue
			}
			convs[k], fields[k].Type = ingestConversion(types.RecordField(tf).Type, f.Type)
			any = any || convs[k] != nil
		}
		if !any {
			return nil, src
		}
		st := arrow.StructOf(fields...)
		return ingestRecord(convs, st), st
	}
	return nil, src
}

// recordFieldFor is the field of record type target that field k of the uploaded struct src
// is bound for: the one of its name, else of its name in another case, else the one in its
// place when both have as many fields.
func recordFieldFor(target, src *arrow.StructType, k int) (arrow.Field, bool) {
	name := src.Field(k).Name
	if f, ok := target.FieldByName(name); ok {
		return f, true
	}
	for _, f := range target.Fields() {
		if strings.EqualFold(f.Name, name) {
			return f, true
		}
	}
	if target.NumFields() == src.NumFields() {
		return target.Field(k), true
	}
	return arrow.Field{}, false
}

// ingestList converts a list column with elem, its elements' conversion, to type to.
func ingestList(elem ingestConv, to *arrow.ListType) ingestConv {
	return func(mem memory.Allocator, a arrow.Array) (arrow.Array, error) {
		l, ok := a.(*array.List)
		if !ok {
			return nil, errs.New(errs.DatatypeMismatch, "column of type %s is not a list", a.DataType())
		}
		vals := l.ListValues()
		cv, err := elem(mem, vals)
		if err != nil {
			return nil, err
		}
		defer cv.Release()
		d := a.Data()
		nd := array.NewData(to, d.Len(), d.Buffers(), []arrow.ArrayData{cv.Data()}, d.NullN(), d.Offset())
		defer nd.Release()
		return array.MakeFromData(nd), nil
	}
}

// ingestRecord converts a struct column with convs, its fields' conversions (nil: none), to
// type to.
func ingestRecord(convs []ingestConv, to *arrow.StructType) ingestConv {
	return func(mem memory.Allocator, a arrow.Array) (arrow.Array, error) {
		d := a.Data()
		if _, ok := a.(*array.Struct); !ok || len(d.Children()) != len(convs) {
			return nil, errs.New(errs.DatatypeMismatch, "column of type %s is not a struct of %d fields", a.DataType(), len(convs))
		}
		children := make([]arrow.ArrayData, len(convs))
		for k, cd := range d.Children() {
			if convs[k] == nil {
				children[k] = cd
				continue
			}
			// Children hold the struct's whole length; its offset applies to them.
			c := array.MakeFromData(cd)
			w, err := convs[k](mem, c)
			c.Release()
			if err != nil {
				return nil, err
			}
			defer w.Release()
			children[k] = w.Data()
		}
		nd := array.NewData(to, d.Len(), d.Buffers(), children, d.NullN(), d.Offset())
		defer nd.Release()
		return array.MakeFromData(nd), nil
	}
}

// storageOf is a's storage: its extension's storage array, else a.
func storageOf(a arrow.Array) arrow.Array {
	if e, ok := a.(array.ExtensionArray); ok {
		return e.Storage()
	}
	return a
}

func ingestTime(_ memory.Allocator, a arrow.Array) (arrow.Array, error) {
	d := a.Data()
	var vals []int64
	if buf := d.Buffers()[1]; buf != nil && d.Len() > 0 {
		vals = arrow.Int64Traits.CastFromBytes(buf.Bytes())[d.Offset() : d.Offset()+d.Len()]
	}
	for i, v := range vals {
		if (v < 0 || v > types.MicrosPerDay) && a.IsValid(i) {
			return nil, errs.New(errs.DatetimeOverflow, "time out of range: %d microseconds", v)
		}
	}
	nd := array.NewData(arrow.PrimitiveTypes.Int64, d.Len(), d.Buffers(), nil, d.NullN(), d.Offset())
	defer nd.Release()
	return array.MakeFromData(nd), nil
}

func ingestUUID(mem memory.Allocator, a arrow.Array) (arrow.Array, error) {
	st := storageOf(a)
	b := array.NewBinaryBuilder(mem, arrow.BinaryTypes.Binary)
	defer b.Release()
	b.Reserve(st.Len())
	for i := 0; i < st.Len(); i++ {
		if st.IsNull(i) {
			b.AppendNull()
			continue
		}
		var v []byte
		switch x := st.(type) {
		case *array.FixedSizeBinary:
			v = x.Value(i)
		case *array.Binary:
			v = x.Value(i)
		}
		if len(v) != 16 {
			return nil, errs.New(errs.InvalidText, "invalid uuid: %d bytes", len(v))
		}
		b.Append(v)
	}
	return b.NewArray(), nil
}

// ingestBytea converts a fixed_size_binary column (or an extension over one) to binary.
func ingestBytea(mem memory.Allocator, a arrow.Array) (arrow.Array, error) {
	st, ok := storageOf(a).(*array.FixedSizeBinary)
	if !ok {
		return nil, errs.New(errs.DatatypeMismatch, "column of type %s is not fixed_size_binary", a.DataType())
	}
	b := array.NewBinaryBuilder(mem, arrow.BinaryTypes.Binary)
	defer b.Release()
	b.Reserve(st.Len())
	for i := 0; i < st.Len(); i++ {
		if st.IsNull(i) {
			b.AppendNull()
			continue
		}
		b.Append(st.Value(i))
	}
	return b.NewArray(), nil
}

func ingestJSON(binary bool) ingestConv {
	return func(mem memory.Allocator, a arrow.Array) (arrow.Array, error) {
		return types.JSONIn(mem, storageOf(a).(*array.String), binary)
	}
}

// convertBatch applies convs to b, giving a batch of schema; b stays the caller's.
func convertBatch(mem memory.Allocator, convs []ingestConv, schema *arrow.Schema, b arrow.RecordBatch) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, b.NumCols())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i, c := range b.Columns() {
		if convs[i] == nil {
			c.Retain()
			cols[i] = c
			continue
		}
		out, err := convs[i](mem, c)
		if err != nil {
			return nil, err
		}
		cols[i] = out
	}
	return array.NewRecordBatch(schema, cols, b.NumRows()), nil
}
