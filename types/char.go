package types

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// Char is the type of PostgreSQL's character varying(n) (varchar) and character(n) (bpchar,
// Fixed) values: an Arrow string type, so that string kernels and builders handle its values
// as text, which carries the declared length in characters (-1 for none). Values of
// character(n) are stored padded with spaces to n characters.
//
// arrow.TypeEqual sees it as equal to arrow.BinaryTypes.String: arrays of either type fit a
// schema field of the other.
type Char struct {
	arrow.StringType
	length int32
	fixed  bool
}

// MaxCharLength is PostgreSQL's largest length of character varying(n) and character(n).
const MaxCharLength = 10485760

// Varchar returns the type character varying(n); n < 0 means no length limit.
func Varchar(n int32) *Char { return &Char{length: max(n, -1)} }

// Bpchar returns the type character(n); n < 0 means no length (bpchar).
func Bpchar(n int32) *Char { return &Char{length: max(n, -1), fixed: true} }

// Length is the declared maximum length in characters, or -1.
func (t *Char) Length() int32 { return t.length }

// Fixed reports whether t is character(n) rather than character varying(n).
func (t *Char) Fixed() bool { return t.fixed }

// Name is varchar or bpchar.
func (t *Char) Name() string {
	if t.fixed {
		return "bpchar"
	}
	return "varchar"
}

// String is the PostgreSQL name of the type, such as character varying(10).
func (t *Char) String() string {
	name := "character varying"
	if t.fixed {
		name = "character"
		if t.length < 0 {
			return "bpchar"
		}
	}
	if t.length < 0 {
		return name
	}
	return fmt.Sprintf("%s(%d)", name, t.length)
}

// format is the text Format writes: varchar, varchar(n), bpchar or bpchar(n).
func (t *Char) format() string {
	if t.length < 0 {
		return t.Name()
	}
	return fmt.Sprintf("%s(%d)", t.Name(), t.length)
}

// IsVarchar reports whether t is character varying, with or without a length.
func IsVarchar(t arrow.DataType) bool { c, ok := t.(*Char); return ok && !c.Fixed() }

// IsBpchar reports whether t is character(n) or bpchar.
func IsBpchar(t arrow.DataType) bool { c, ok := t.(*Char); return ok && c.Fixed() }

// CharLength is the declared length of a character varying or character type: n of
// varchar(n), -1 without one; ok is false for other types.
func CharLength(t arrow.DataType) (n int32, ok bool) {
	if c, is := t.(*Char); is {
		return c.Length(), true
	}
	return 0, false
}

// Storage is the Arrow type values of SQL type t are stored and read as: t without its SQL
// length (character types are strings), within arrays too.
func Storage(t arrow.DataType) arrow.DataType {
	switch x := t.(type) {
	case *Char, *JSON:
		return arrow.BinaryTypes.String
	case *UUID:
		return arrow.BinaryTypes.Binary
	case *Time, *TimeTZ, *Reg:
		return arrow.PrimitiveTypes.Int64
	case *arrow.ListType:
		if e := Storage(x.Elem()); e != x.Elem() {
			if _, isStruct := e.(*arrow.StructType); isStruct {
				ef := x.ElemField()
				return arrow.ListOfField(arrow.Field{Name: ef.Name, Type: e, Nullable: ef.Nullable, Metadata: ef.Metadata})
			}
			return arrow.ListOf(e)
		}
	case *arrow.StructType:
		return storageStruct(x)
	case *arrow.MapType:
		return storageMap(x)
	}
	return t
}

// storageMap is the storage of a map type: its keys' and values' storage, a key or value of
// a SQL type its storage does not say (uuid, time, json) keeping that type in its field's
// metadata (SQLMetadata), from which data files give the map's key and value leaves their
// logical types; mt itself when neither needs it.
func storageMap(mt *arrow.MapType) arrow.DataType {
	kf, vf := mt.KeyField(), mt.ItemField()
	ks, vs := Storage(kf.Type), Storage(vf.Type)
	if ks == kf.Type && vs == vf.Type {
		return mt
	}
	field := func(f arrow.Field, s arrow.DataType) arrow.Field {
		if s != f.Type {
			if md, ok := SQLMetadata(f.Type); ok {
				f.Metadata = mergeMetadata(f.Metadata, md)
			}
			f.Type = s
		}
		return f
	}
	out := arrow.MapOfFields(field(kf, ks), field(vf, vs))
	out.KeysSorted = mt.KeysSorted
	return out
}

// storageStruct is the storage of a record type: its fields' storage, each field of a SQL
// type its storage does not say keeping that type in its metadata (SQLMetadata), which Arrow's
// type equality ignores; st itself when no field needs it.
func storageStruct(st *arrow.StructType) arrow.DataType {
	var fields []arrow.Field
	for i, f := range st.Fields() {
		s := Storage(f.Type)
		if s == f.Type {
			continue
		}
		if fields == nil {
			fields = st.Fields()
		}
		fields[i].Type = s
		if md, ok := SQLMetadata(f.Type); ok {
			fields[i].Metadata = mergeMetadata(f.Metadata, md)
		}
	}
	if fields == nil {
		return st
	}
	return arrow.StructOf(fields...)
}

// mergeMetadata is a with the keys of b added (b's values win).
func mergeMetadata(a, b arrow.Metadata) arrow.Metadata {
	if a.Len() == 0 {
		return b
	}
	keys, vals := a.Keys(), a.Values()
	var k2, v2 []string
	for i, k := range keys {
		if b.FindKey(k) < 0 {
			k2, v2 = append(k2, k), append(v2, vals[i])
		}
	}
	return arrow.NewMetadata(append(k2, b.Keys()...), append(v2, b.Values()...))
}

// RecordField is field f of a record type with the SQL type it holds: its own type, or the
// SQL type its metadata names over a storage type (a stored record's field, Storage).
func RecordField(f arrow.Field) arrow.Field {
	if _, ok := SQLMetadata(f.Type); ok {
		return f
	}
	if t, ok := FieldSQLType(f); ok {
		f.Type = t
	}
	return f
}

// FieldSQLType is the SQL type field f's metadata names over its storage type (SQLMetadata's
// names), and whether it names one.
func FieldSQLType(f arrow.Field) (arrow.DataType, bool) {
	name, ok := f.Metadata.GetValue(SQLTypeKey)
	if !ok {
		return nil, false
	}
	mod := int32(-1)
	if m, ok := f.Metadata.GetValue(SQLTypmodKey); ok {
		if v, err := strconv.Atoi(m); err == nil {
			mod = int32(v)
		}
	}
	var t arrow.DataType
	switch name {
	case "varchar", "_varchar":
		t = Varchar(charLen(mod))
	case "bpchar", "_bpchar":
		t = Bpchar(charLen(mod))
	case "uuid", "_uuid":
		t = UUIDType
	case "time", "_time":
		t = TimeOf(mod)
	case "timetz", "_timetz":
		t = TimeTZOf(mod)
	case "json", "jsonb", "_json", "_jsonb":
		t2, err := ByName(strings.TrimPrefix(name, "_"), nil)
		if err != nil {
			return nil, false
		}
		t = t2
	default:
		return nil, false
	}
	if strings.HasPrefix(name, "_") {
		if _, isList := f.Type.(*arrow.ListType); !isList {
			return nil, false
		}
		t = arrow.ListOf(t)
	}
	if !arrow.TypeEqual(Storage(t), f.Type) {
		return nil, false
	}
	return t, true
}

// charLen is n of a character type's modifier n + 4, or -1.
func charLen(mod int32) int32 {
	if mod < 4 {
		return -1
	}
	return mod - 4
}
