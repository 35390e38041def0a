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
	name    string // the name GetTables gives a column of the type, without its modifiers
	xdbc    pb.XdbcDataType
	sql     pb.XdbcDataType // sql_data_type: DATETIME for dates and times, or xdbc
	subcode int32           // datetime_subcode, or 0 for none
	size    int32           // column_size: digits, characters or bytes; 0 for none
	quote   bool            // literals are written '...'
	params  []string        // create_params
	radix   int32           // num_prec_radix, or 0
	exact   bool            // fixed_prec_scale
	caseSen bool            // case_sensitive: the character types
}

// scalarTypes are the SQL types a table column can have other than arrays, named as
// types.Name names them (and GetTables with them) without modifiers: numeric(10,2) is
// numeric, time(3) without time zone is time without time zone. XDBC has no code for some
// of them; those take the code of their Arrow storage: uuid is BINARY (fixed_size_binary(16)),
// json and jsonb VARCHAR (utf8). interval is INTERVAL with no datetime_subcode, as
// PostgreSQL's interval (months, days and microseconds) is none of the XDBC interval kinds.
var scalarTypes = []sqlType{
	{name: "boolean", xdbc: pb.XdbcDataType_XDBC_BIT, size: 1},
	{name: "smallint", xdbc: pb.XdbcDataType_XDBC_SMALLINT, size: 5, radix: 10, exact: true},
	{name: "integer", xdbc: pb.XdbcDataType_XDBC_INTEGER, size: 10, radix: 10, exact: true},
	{name: "bigint", xdbc: pb.XdbcDataType_XDBC_BIGINT, size: 19, radix: 10, exact: true},
	{name: "real", xdbc: pb.XdbcDataType_XDBC_REAL, size: 24, radix: 2},
	{name: "double precision", xdbc: pb.XdbcDataType_XDBC_DOUBLE, size: 53, radix: 2},
	{name: "numeric", xdbc: pb.XdbcDataType_XDBC_NUMERIC, size: 38, params: []string{"precision", "scale"}, radix: 10, exact: true},
	{name: "text", xdbc: pb.XdbcDataType_XDBC_VARCHAR, size: 1 << 30, quote: true, caseSen: true},
	{name: "character varying", xdbc: pb.XdbcDataType_XDBC_VARCHAR, size: 10485760, quote: true, params: []string{"length"}, caseSen: true},
	{name: "character", xdbc: pb.XdbcDataType_XDBC_CHAR, size: 10485760, quote: true, params: []string{"length"}, caseSen: true},
	{name: "bpchar", xdbc: pb.XdbcDataType_XDBC_CHAR, size: 1 << 30, quote: true, caseSen: true}, // character without a length
	{name: "json", xdbc: pb.XdbcDataType_XDBC_VARCHAR, size: 1 << 30, quote: true},
	{name: "jsonb", xdbc: pb.XdbcDataType_XDBC_VARCHAR, size: 1 << 30, quote: true},
	{name: "bytea", xdbc: pb.XdbcDataType_XDBC_VARBINARY, size: 1 << 30, quote: true},
	{name: "uuid", xdbc: pb.XdbcDataType_XDBC_BINARY, size: 16, quote: true},
	{name: "date", xdbc: pb.XdbcDataType_XDBC_DATE, sql: pb.XdbcDataType_XDBC_DATETIME, subcode: int32(pb.XdbcDatetimeSubcode_XDBC_SUBCODE_DATE), size: 10, quote: true},
	{name: "timestamp without time zone", xdbc: pb.XdbcDataType_XDBC_TIMESTAMP, sql: pb.XdbcDataType_XDBC_DATETIME, subcode: int32(pb.XdbcDatetimeSubcode_XDBC_SUBCODE_TIMESTAMP), size: 26, quote: true},
	{name: "timestamp with time zone", xdbc: pb.XdbcDataType_XDBC_TIMESTAMP, sql: pb.XdbcDataType_XDBC_DATETIME, subcode: int32(pb.XdbcDatetimeSubcode_XDBC_SUBCODE_TIMESTAMP_WITH_TIMEZONE), size: 32, quote: true},
	{name: "time without time zone", xdbc: pb.XdbcDataType_XDBC_TIME, sql: pb.XdbcDataType_XDBC_DATETIME, subcode: int32(pb.XdbcDatetimeSubcode_XDBC_SUBCODE_TIME), size: 15, quote: true, params: []string{"precision"}},
	{name: "time with time zone", xdbc: pb.XdbcDataType_XDBC_TIME, sql: pb.XdbcDataType_XDBC_DATETIME, subcode: int32(pb.XdbcDatetimeSubcode_XDBC_SUBCODE_TIME_WITH_TIMEZONE), size: 21, quote: true, params: []string{"precision"}},
	{name: "interval", xdbc: pb.XdbcDataType_XDBC_INTERVAL, sql: pb.XdbcDataType_XDBC_INTERVAL, size: 49, quote: true},
}

// sqlTypes are the SQL types GetXdbcTypeInfo lists: the scalar types and the one-dimensional
// arrays of them (T[]; character(n) has none, bpchar has), ordered by data_type, then name. XDBC has no
// code for arrays (and their Arrow storage, list, none either): arrays have data_type and
// sql_data_type XDBC_UNKNOWN_TYPE (0), which the data_type filter selects them by.
var sqlTypes = func() []sqlType {
	ts := append([]sqlType(nil), scalarTypes...)
	for _, t := range scalarTypes {
		if t.name != "character" {
			ts = append(ts, sqlType{name: t.name + "[]", xdbc: pb.XdbcDataType_XDBC_UNKNOWN_TYPE, quote: true})
		}
	}
	sort.SliceStable(ts, func(i, j int) bool {
		if ts[i].xdbc != ts[j].xdbc {
			return ts[i].xdbc < ts[j].xdbc
		}
		return ts[i].name < ts[j].name
	})
	return ts
}()

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
	for _, t := range sqlTypes {
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
		boolean(7, t.caseSen)
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
		numericScale := t.xdbc == pb.XdbcDataType_XDBC_NUMERIC
		i32(13, 0, numericScale)
		i32(14, 38, numericScale)
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
