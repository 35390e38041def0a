package sql

import (
	"context"
	"path/filepath"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// ReadParquetPrefix starts the name of the planner.System node read_parquet('location')
// binds to; the location follows it. The executor reads the files there and casts their
// columns to the node's column types (ParquetColumnType).
const ReadParquetPrefix = "read_parquet:"

// ParquetSchemaFunc returns the Arrow schema of the Parquet files at a location (a path, a
// directory, a glob or an s3:// location): that of the first file.
type ParquetSchemaFunc func(ctx context.Context, location string) (*arrow.Schema, error)

// readParquet binds read_parquet('location') in FROM: the rows of the Parquet files there,
// with columns of the SQL types ParquetColumnType maps their Arrow types to.
func (b *binder) readParquet(rf *pg_query.RangeFunction, fc *pg_query.FuncCall) (planner.Node, *scope, error) {
	if len(fc.Args) != 1 || fc.Args[0].GetAConst() == nil || fc.Args[0].GetAConst().GetSval() == nil {
		return nil, nil, errs.New(errs.UndefinedFunction, "read_parquet takes one string constant: the location of the files")
	}
	loc := fc.Args[0].GetAConst().GetSval().Sval
	switch {
	case strings.HasPrefix(loc, "s3://"):
	case strings.Contains(loc, "://"):
		return nil, nil, errs.New(errs.NotImplemented, "read_parquet(%q) is not supported: only a local path on the server or an s3:// location", loc)
	case !filepath.IsAbs(loc):
		return nil, nil, errs.New(errs.InvalidName, "relative path not allowed for read_parquet")
	}
	if b.opts.ParquetSchema == nil {
		return nil, nil, errs.New(errs.NotImplemented, "read_parquet is not available here")
	}
	schema, err := b.opts.ParquetSchema(b.ctx, loc)
	if err != nil {
		return nil, nil, err
	}
	n := &planner.System{Name: ReadParquetPrefix + loc}
	for _, f := range schema.Fields() {
		t, err := ParquetColumnType(f)
		if err != nil {
			return nil, nil, err
		}
		n.Cols = append(n.Cols, b.newColumn(f.Name, t))
	}
	sc, err := relationScope(aliasName(rf.Alias, "read_parquet"), n.Cols, rf.Alias)
	return n, sc, err
}

// ParquetColumnType is the SQL type read_parquet gives a column of a Parquet file: the
// nearest SQL type that holds every value of its Arrow type (unsigned and 8-bit integers
// widen, timestamps become microseconds, lists arrays of their element's type).
func ParquetColumnType(f arrow.Field) (arrow.DataType, error) {
	if name, ok := f.Metadata.GetValue(types.SQLTypeKey); ok {
		// time, uuid and json leaves name their SQL type (Parquet's logical types).
		if t, err := types.ByName(name, nil); err == nil && arrow.TypeEqual(types.Storage(t), f.Type) {
			return t, nil
		}
	}
	t, ok := parquetSQLType(f.Type)
	if !ok {
		return nil, errs.New(errs.NotImplemented, "column %q of the Parquet file is of type %s, which has no SQL type here", f.Name, f.Type)
	}
	return t, nil
}

func parquetSQLType(t arrow.DataType) (arrow.DataType, bool) {
	if types.IsVarNumeric(t) {
		return t, true
	}
	switch t := t.(type) {
	case *arrow.BooleanType:
		return types.Bool, true
	case *arrow.Int8Type, *arrow.Uint8Type, *arrow.Int16Type:
		return types.Int16, true
	case *arrow.Uint16Type, *arrow.Int32Type:
		return types.Int32, true
	case *arrow.Uint32Type, *arrow.Int64Type:
		return types.Int64, true
	case *arrow.Float16Type, *arrow.Float32Type:
		return types.Float32, true
	case *arrow.Float64Type:
		return types.Float64, true
	case *arrow.Decimal128Type:
		return t, t.Precision <= 38
	case *arrow.StringType, *arrow.LargeStringType:
		return types.Text, true
	case *arrow.BinaryType, *arrow.LargeBinaryType:
		return types.Bytea, true
	case *arrow.Date32Type:
		return types.Date, true
	case *arrow.MonthDayNanoIntervalType:
		return types.Interval, true
	case *arrow.TimestampType:
		if t.TimeZone != "" {
			return types.TimestampTZ, true
		}
		return types.Timestamp, true
	case *arrow.StructType:
		rt, ok := parquetNestedType(t)
		if !ok {
			return nil, false
		}
		return fieldSQLTypes(rt.(*arrow.StructType), t), true
	case *arrow.MapType:
		return parquetNestedType(t)
	case *arrow.ListType:
		if types.IsArray(t.Elem()) {
			return nil, false
		}
		if e, err := ParquetColumnType(t.ElemField()); err == nil && !types.IsVarNumeric(e) {
			return types.ArrayOf(e), true
		}
	}
	return nil, false
}

// fieldSQLTypes is record type rt, mapped from struct t, with the fields of t whose
// metadata names their SQL type (time, uuid and json leaves of other writers' structs) of
// that type.
func fieldSQLTypes(rt, t *arrow.StructType) *arrow.StructType {
	var fields []arrow.Field
	for i, f := range t.Fields() {
		if _, ok := f.Metadata.GetValue(types.SQLTypeKey); !ok {
			continue
		}
		ft, err := ParquetColumnType(f)
		if err != nil {
			continue
		}
		if fields == nil {
			fields = rt.Fields()
		}
		fields[i].Type = ft
	}
	if fields == nil {
		return rt
	}
	return arrow.StructOf(fields...)
}
