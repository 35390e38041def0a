package sql

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/types"
)

// parquetNestedType maps a struct column of a Parquet file to a record of the SQL types of
// its fields (every field nullable, as a record's are), and a map column to a map of the SQL
// types of its keys and values (shown as jsonb). Structs and maps of lists, lists of structs
// and maps of structs have no SQL type here.
func parquetNestedType(t arrow.DataType) (arrow.DataType, bool) {
	switch t := t.(type) {
	case *arrow.StructType:
		if t.NumFields() == 0 {
			return nil, false
		}
		fields := make([]arrow.Field, t.NumFields())
		for i, f := range t.Fields() {
			if types.IsArray(f.Type) || f.Type.ID() == arrow.MAP {
				return nil, false
			}
			ft, ok := parquetSQLType(f.Type)
			if !ok || types.IsVarNumeric(ft) {
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
