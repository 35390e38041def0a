package sql

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/types"
)

// parquetNestedType maps a struct column of a Parquet file to a record of the SQL types of
// its fields (every field nullable, as a record's are), and a map column to a map of the SQL
// types of its keys and values (shown as jsonb), uuid, time and json keys and values among
// them. Fields may be arrays, records and maps
// (and records and maps arrays' elements, read_parquet.go); a map's values may be arrays,
// records and maps, its keys only flat values.
func parquetNestedType(t arrow.DataType) (arrow.DataType, bool) {
	switch t := t.(type) {
	case *arrow.StructType:
		if t.NumFields() == 0 {
			return nil, false
		}
		fields := make([]arrow.Field, t.NumFields())
		for i, f := range t.Fields() {
			ft, ok := parquetSQLType(f.Type)
			if !ok {
				return nil, false
			}
			fields[i] = arrow.Field{Name: f.Name, Type: ft, Nullable: true}
		}
		return arrow.StructOf(fields...), true
	case *arrow.MapType:
		// Keys and values whose fields name their SQL type (uuid, time, json: Parquet's
		// logical types of the key and value leaves) are of that type, as flat columns are.
		kt, err := ParquetColumnType(t.KeyField())
		if err != nil || types.IsNested(kt) || types.IsArray(kt) || types.IsVarNumeric(kt) {
			return nil, false
		}
		it, err := ParquetColumnType(t.ItemField())
		if err != nil || types.IsVarNumeric(it) {
			return nil, false
		}
		return arrow.MapOf(kt, it), true
	}
	return nil, false
}
