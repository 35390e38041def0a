package pgvalue

import (
	"encoding/binary"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sleeperd/sleeperd/types"
)

// recordTextWriter formats a struct as PostgreSQL's record_out does: "(1,"a b",)", a NULL
// field as nothing, and a field quoted when it is empty or holds a quote, a backslash, a
// parenthesis, a comma or white space, with quotes and backslashes doubled inside. Each
// field is shown as its SQL type (types.RecordField: character(n) padded, uuid and time as
// their text; regclass, regtype... by the names names gives, or as numbers when nil), from
// a's type or, when given, st, the record type of the result.
func recordTextWriter(a *array.Struct, st *arrow.StructType, loc *time.Location, names types.RegNames) Writer {
	fields := make([]arrow.Array, a.NumField())
	ws := make([]Writer, a.NumField())
	for k := range ws {
		fields[k] = a.Field(k)
		ws[k] = NewWriterNames(recordField(a, st, k), fields[k], formatText, loc, names)
	}
	var buf []byte
	return func(dst []byte, i int) []byte {
		dst = append(dst, '(')
		for k, f := range fields {
			if k > 0 {
				dst = append(dst, ',')
			}
			if f.IsNull(i) {
				continue
			}
			buf = ws[k](buf[:0], i)
			dst = appendRecordField(dst, buf)
		}
		return append(dst, ')')
	}
}

// recordField is field k of the record a, of type st when st fits a's type (else a's own),
// with the SQL type it holds (types.RecordField).
func recordField(a *array.Struct, st *arrow.StructType, k int) arrow.Field {
	t := a.DataType().(*arrow.StructType)
	if st != nil && st.NumFields() == t.NumFields() && arrow.TypeEqual(st.Field(k).Type, t.Field(k).Type) {
		if f := types.RecordField(st.Field(k)); f.Type != st.Field(k).Type || f.Metadata.Len() > 0 {
			return f
		}
	}
	return types.RecordField(t.Field(k))
}

// appendRecordField appends one field of a record's text form, quoted when it needs to be.
func appendRecordField(dst, v []byte) []byte {
	quote := len(v) == 0
	for _, c := range v {
		switch c {
		case '"', '\\', '(', ')', ',', ' ', '\t', '\n', '\r', '\v', '\f':
			quote = true
		}
	}
	if !quote {
		return append(dst, v...)
	}
	dst = append(dst, '"')
	for _, c := range v {
		if c == '"' || c == '\\' {
			dst = append(dst, c)
		}
		dst = append(dst, c)
	}
	return append(dst, '"')
}

// recordBinaryWriter encodes a struct in record_send's format: the number of fields, then
// per field its type OID, its length (-1 for NULL) and its binary form; fields as
// recordTextWriter types them.
func recordBinaryWriter(a *array.Struct, st *arrow.StructType) Writer {
	fields := make([]arrow.Array, a.NumField())
	ws := make([]Writer, a.NumField())
	oids := make([]uint32, a.NumField())
	for k := range ws {
		fields[k] = a.Field(k)
		f := recordField(a, st, k)
		ws[k] = NewWriter(f, fields[k], formatBinary, nil)
		oids[k] = types.FieldPGType(sqlField(f)).OID
	}
	return func(dst []byte, i int) []byte {
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(fields)))
		for k, f := range fields {
			dst = binary.BigEndian.AppendUint32(dst, oids[k])
			if f.IsNull(i) {
				dst = binary.BigEndian.AppendUint32(dst, 0xFFFFFFFF)
				continue
			}
			at := len(dst)
			dst = binary.BigEndian.AppendUint32(dst, 0)
			dst = ws[k](dst, i)
			binary.BigEndian.PutUint32(dst[at:], uint32(len(dst)-at-4))
		}
		return dst
	}
}

// sqlField is f with the metadata naming its SQL type when its type is one that storage does
// not say (types.SQLMetadata), so that writers chosen by the field see it.
func sqlField(f arrow.Field) arrow.Field {
	if md, ok := types.SQLMetadata(f.Type); ok {
		f.Metadata = md
	}
	return f
}

// mapJSONWriter formats a map as the jsonb object to_jsonb would make of it: keys as their
// text, values as jsonValueWriter writes them; keys in jsonb's order, the last of duplicate
// keys kept.
func mapJSONWriter(a *array.Map, loc *time.Location) Writer {
	obj := mapObjectWriter(a, loc)
	var raw []byte
	return func(dst []byte, i int) []byte {
		raw = obj(raw[:0], i)
		if n, err := types.JSONBNormalize(string(raw)); err == nil {
			return append(dst, n...)
		}
		return append(dst, raw...)
	}
}

// MapJSON appends the jsonb text of the map a's value i, as a map is shown.
func MapJSON(dst []byte, a *array.Map, i int, loc *time.Location) []byte {
	return mapJSONWriter(a, loc)(dst, i)
}

// mapObjectWriter writes a map's value as a JSON object, not yet normalised.
func mapObjectWriter(a *array.Map, loc *time.Location) Writer {
	keys := a.Keys()
	mt := a.DataType().(*arrow.MapType)
	kw, iw := sqlTextWriter(mt.KeyField(), keys, loc), sqlJSONValueWriter(mt.ItemField(), a.Items(), loc)
	var buf []byte
	return func(dst []byte, i int) []byte {
		s, e := a.ValueOffsets(i)
		dst = append(dst, '{')
		for k := int(s); k < int(e); k++ {
			if k > int(s) {
				dst = append(dst, ", "...)
			}
			buf = kw(buf[:0], k)
			dst = types.AppendJSONString(dst, string(buf))
			dst = append(dst, ": "...)
			dst = iw(dst, k)
		}
		return append(dst, '}')
	}
}

// sqlTextWriter writes the text of a map's keys, of the SQL type their field names (uuid,
// time, json in its metadata, as a table's storage and data files name them: uuid and time
// text, not bytea and bigint), else of their Arrow type.
func sqlTextWriter(f arrow.Field, arr arrow.Array, loc *time.Location) Writer {
	if sf := types.RecordField(f); isSQLTyped(sf.Type) {
		return NewWriter(sf, arr, formatText, loc)
	}
	return textWriter(arr, loc)
}

// sqlJSONValueWriter is jsonValueWriter for a map's values, those of a SQL type their field
// names (uuid, time, json) strings of their text, as other values that are not numbers.
func sqlJSONValueWriter(f arrow.Field, arr arrow.Array, loc *time.Location) Writer {
	sf := types.RecordField(f)
	if !isSQLTyped(sf.Type) {
		return jsonValueWriter(arr, loc)
	}
	tw := NewWriter(sf, arr, formatText, loc)
	var buf []byte
	return func(dst []byte, i int) []byte {
		if arr.IsNull(i) {
			return append(dst, "null"...)
		}
		buf = tw(buf[:0], i)
		return types.AppendJSONString(dst, string(buf))
	}
}

// isSQLTyped reports whether t is a flat SQL type its storage does not say (uuid, time,
// timetz, json, jsonb...).
func isSQLTyped(t arrow.DataType) bool {
	if types.IsNested(t) || types.IsArray(t) {
		return false
	}
	_, ok := types.SQLMetadata(t)
	return ok
}

// jsonValueWriter writes a value as JSON, as a map's value is shown: NULL as null, numbers
// (when finite) and booleans as JSON's, arrays as JSON arrays, records as objects of their
// fields (as to_jsonb makes of them), maps as objects, other values as strings of their text.
func jsonValueWriter(arr arrow.Array, loc *time.Location) Writer {
	var w Writer
	switch a := arr.(type) {
	case *array.Boolean:
		w = func(dst []byte, i int) []byte {
			if a.Value(i) {
				return append(dst, "true"...)
			}
			return append(dst, "false"...)
		}
	case *array.List:
		ew := jsonValueWriter(a.ListValues(), loc)
		w = func(dst []byte, i int) []byte {
			s, e := a.ValueOffsets(i)
			dst = append(dst, '[')
			for k := int(s); k < int(e); k++ {
				if k > int(s) {
					dst = append(dst, ", "...)
				}
				dst = ew(dst, k)
			}
			return append(dst, ']')
		}
	case *array.Map:
		w = mapObjectWriter(a, loc)
	case *array.Struct:
		st := a.DataType().(*arrow.StructType)
		fws := make([]Writer, a.NumField())
		for k := range fws {
			fws[k] = jsonValueWriter(a.Field(k), loc)
		}
		w = func(dst []byte, i int) []byte {
			dst = append(dst, '{')
			for k, fw := range fws {
				if k > 0 {
					dst = append(dst, ", "...)
				}
				dst = types.AppendJSONString(dst, st.Field(k).Name)
				dst = append(dst, ": "...)
				dst = fw(dst, i)
			}
			return append(dst, '}')
		}
	default:
		tw, raw := textWriter(arr, loc), jsonRaw(arr.DataType())
		var buf []byte
		w = func(dst []byte, i int) []byte {
			buf = tw(buf[:0], i)
			if raw && isJSONNumber(buf) {
				return append(dst, buf...)
			}
			return types.AppendJSONString(dst, string(buf))
		}
	}
	return func(dst []byte, i int) []byte {
		if arr.IsNull(i) {
			return append(dst, "null"...)
		}
		return w(dst, i)
	}
}

// jsonRaw reports whether values of t are JSON numbers as their text (when finite).
func jsonRaw(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.FLOAT32, arrow.FLOAT64, arrow.DECIMAL128, arrow.DECIMAL256:
		return true
	}
	return types.IsVarNumeric(t)
}

// isJSONNumber reports whether s is a finite number's text (not NaN or Infinity).
func isJSONNumber(s []byte) bool {
	return len(s) > 0 && (s[0] == '-' || s[0] >= '0' && s[0] <= '9') && s[len(s)-1] != 'y'
}
