package flightsql

import (
	"context"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql/schema_ref"
	pb "github.com/apache/arrow-go/v18/arrow/flight/gen/flight"

	"github.com/sleeperd/sleeperd/types"
)

// sqlType is one SQL type as GetXdbcTypeInfo describes it.
type sqlType struct {
	name    string         // PostgreSQL name
	arrow   arrow.DataType // the engine's Arrow type
	xdbc    pb.XdbcDataType
	sql     pb.XdbcDataType // sql_data_type: DATETIME for dates and timestamps
	subcode int32           // datetime_subcode, or 0
	size    int32           // column_size: digits, characters or bytes; 0 for none
	quote   bool            // literals are written '...'
	params  []string        // create_params
	radix   int32           // num_prec_radix, or 0
	exact   bool            // fixed_prec_scale
}

// sqlTypes are the SQL types of the engine, in the order GetXdbcTypeInfo lists them.
var sqlTypes = []sqlType{
	{name: "boolean", arrow: types.Bool, xdbc: pb.XdbcDataType_XDBC_BIT, size: 1},
	{name: "smallint", arrow: types.Int16, xdbc: pb.XdbcDataType_XDBC_SMALLINT, size: 5, radix: 10, exact: true},
	{name: "integer", arrow: types.Int32, xdbc: pb.XdbcDataType_XDBC_INTEGER, size: 10, radix: 10, exact: true},
	{name: "bigint", arrow: types.Int64, xdbc: pb.XdbcDataType_XDBC_BIGINT, size: 19, radix: 10, exact: true},
	{name: "real", arrow: types.Float32, xdbc: pb.XdbcDataType_XDBC_REAL, size: 24, radix: 2},
	{name: "double precision", arrow: types.Float64, xdbc: pb.XdbcDataType_XDBC_DOUBLE, size: 53, radix: 2},
	{name: "numeric", arrow: types.DefaultNumeric, xdbc: pb.XdbcDataType_XDBC_NUMERIC, size: 38, params: []string{"precision", "scale"}, radix: 10, exact: true},
	{name: "text", arrow: types.Text, xdbc: pb.XdbcDataType_XDBC_VARCHAR, size: 1 << 30, quote: true},
	{name: "bytea", arrow: types.Bytea, xdbc: pb.XdbcDataType_XDBC_VARBINARY, size: 1 << 30, quote: true},
	{name: "date", arrow: types.Date, xdbc: pb.XdbcDataType_XDBC_DATE, sql: pb.XdbcDataType_XDBC_DATETIME, subcode: 1, size: 10, quote: true},
	{name: "timestamp", arrow: types.Timestamp, xdbc: pb.XdbcDataType_XDBC_TIMESTAMP, sql: pb.XdbcDataType_XDBC_DATETIME, subcode: 3, size: 26, quote: true},
	{name: "timestamptz", arrow: types.TimestampTZ, xdbc: pb.XdbcDataType_XDBC_TIMESTAMP, sql: pb.XdbcDataType_XDBC_DATETIME, subcode: 3, size: 32, quote: true},
	{name: "time", arrow: types.TimeType, xdbc: pb.XdbcDataType_XDBC_TIME, sql: pb.XdbcDataType_XDBC_DATETIME, subcode: 2, size: 15, quote: true},
}

// sqlTypeName is the name CREATE TABLE uses for a column of Arrow type t, and whether the
// engine can store it.
func sqlTypeName(t arrow.DataType) (string, bool) {
	switch t := t.(type) {
	case *arrow.BooleanType:
		return "boolean", true
	case *arrow.Int8Type, *arrow.Int16Type, *arrow.Uint8Type:
		return "smallint", true
	case *arrow.Int32Type, *arrow.Uint16Type:
		return "integer", true
	case *arrow.Int64Type, *arrow.Uint32Type:
		return "bigint", true
	case *arrow.Float16Type, *arrow.Float32Type:
		return "real", true
	case *arrow.Float64Type:
		return "double precision", true
	case *arrow.Decimal128Type:
		return types.Name(t), t.Precision <= 38
	case *arrow.StringType, *arrow.LargeStringType, *arrow.StringViewType:
		return "text", true
	case *arrow.BinaryType, *arrow.LargeBinaryType, *arrow.BinaryViewType, *arrow.FixedSizeBinaryType:
		return "bytea", true
	case *arrow.Date32Type, *arrow.Date64Type:
		return "date", true
	case *arrow.TimestampType:
		if t.TimeZone != "" {
			return "timestamptz", true
		}
		return "timestamp", true
	case *arrow.Time64Type:
		return "time", t.Unit == arrow.Microsecond
	case arrow.ExtensionType:
		switch t.ExtensionName() {
		case wireUUID.ExtensionName():
			return "uuid", true
		case "arrow.json":
			return "json", true
		}
		return "", false
	case *arrow.DictionaryType:
		return sqlTypeName(t.ValueType)
	case *arrow.ListType:
		// An array of a flat type; arrays of arrays have no SQL counterpart here.
		if types.IsArray(t.Elem()) {
			return "", false
		}
		if e, ok := sqlTypeName(t.Elem()); ok {
			return e + "[]", true
		}
	}
	return "", false
}

func (s *sqlServer) GetFlightInfoXdbcTypeInfo(_ context.Context, _ flightsql.GetXdbcTypeInfo, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return s.metaInfo(desc, schema_ref.XdbcTypeInfo), nil
}

func (s *sqlServer) DoGetXdbcTypeInfo(_ context.Context, cmd flightsql.GetXdbcTypeInfo) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	types := append([]sqlType(nil), sqlTypes...)
	sort.SliceStable(types, func(i, j int) bool { return types[i].xdbc < types[j].xdbc })
	bld := array.NewRecordBuilder(s.mem, schema_ref.XdbcTypeInfo)
	defer bld.Release()
	str := func(i int, v string, ok bool) {
		if ok {
			bld.Field(i).(*array.StringBuilder).Append(v)
		} else {
			bld.Field(i).AppendNull()
		}
	}
	i32 := func(i int, v int32, ok bool) {
		if ok {
			bld.Field(i).(*array.Int32Builder).Append(v)
		} else {
			bld.Field(i).AppendNull()
		}
	}
	boolean := func(i int, v bool) { bld.Field(i).(*array.BooleanBuilder).Append(v) }
	for _, t := range types {
		if dt := cmd.GetDataType(); dt != nil && *dt != int32(t.xdbc) {
			continue
		}
		str(0, t.name, true)
		i32(1, int32(t.xdbc), true)
		i32(2, t.size, t.size > 0)
		str(3, "'", t.quote)
		str(4, "'", t.quote)
		if t.params == nil {
			bld.Field(5).AppendNull()
		} else {
			lb := bld.Field(5).(*array.ListBuilder)
			lb.Append(true)
			lb.ValueBuilder().(*array.StringBuilder).AppendValues(t.params, nil)
		}
		i32(6, int32(pb.Nullable_NULLABILITY_NULLABLE), true)
		boolean(7, t.quote && t.name == "text")
		i32(8, int32(pb.Searchable_SEARCHABLE_FULL), true)
		numeric := t.radix == 10 && t.exact
		if numeric || t.radix == 2 {
			boolean(9, false)
		} else {
			bld.Field(9).AppendNull()
		}
		boolean(10, t.exact && t.params == nil)
		boolean(11, false)
		str(12, t.name, true)
		i32(13, 0, t.params != nil)
		i32(14, 38, t.params != nil)
		sqlT := t.sql
		if sqlT == 0 {
			sqlT = t.xdbc
		}
		i32(15, int32(sqlT), true)
		i32(16, t.subcode, t.subcode != 0)
		i32(17, t.radix, t.radix != 0)
		bld.Field(18).AppendNull()
	}
	return schema_ref.XdbcTypeInfo, one(bld.NewRecordBatch()), nil
}
