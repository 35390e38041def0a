package sql

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/types"
)

// parquetNestedType maps a struct column of a Parquet file to a record of the SQL types of
// its fields (every field nullable, as a record's are), and a map column to a map of the SQL
// types of its keys and values (shown as jsonb). Fields may be arrays and records (and
// records arrays' elements, read_parquet.go); maps in structs, and maps of structs or lists,
// have no SQL type here.
func parquetNestedType(t arrow.DataType) (arrow.DataType, bool) {
	switch t := t.(type) {
	case *arrow.StructType:
		if t.NumFields() == 0 {
			return nil, false
		}
		fields := make([]arrow.Field, t.NumFields())
		for i, f := range t.Fields() {
			if f.Type.ID() == arrow.MAP {
				return nil, false
			}
			ft, ok := parquetSQLType(f.Type)
			if !ok {
				return nil, false
			}
			fields[i] = arrow.Field{Name: f.Name, Type: ft, Nullable: true}
		}
		return arrow.StructOf(fields...), true
	case *arrow.MapType:
		kt, ok := parquetSQLType(t.KeyType())
		if !ok || types.IsNested(kt) || types.IsArray(kt) || types.IsVarNumeric(kt) {
			return nil, false
		}
		it, ok := parquetSQLType(t.ItemType())
		if !ok || types.IsNested(it) || types.IsArray(it) || types.IsVarNumeric(it) {
			return nil, false
		}
		return arrow.MapOf(kt, it), true
	}
	return nil, false
}
