package flightsql

import (
	"context"
	"regexp"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql/schema_ref"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/types"
)

// Schemas and table types the metadata calls report.
const (
	// PublicSchema holds the user tables.
	PublicSchema = "public"
	// TableType is the type of user tables; SystemTableType that of catalog.SystemSchema's.
	TableType       = "TABLE"
	SystemTableType = "SYSTEM TABLE"
)

// ServerName and ServerVersion are reported by GetSqlInfo.
const (
	ServerName    = "sleeperd"
	ServerVersion = "0.1.0"
)

func registerSQLInfo(b *flightsql.BaseServer) error {
	infos := []struct {
		id flightsql.SqlInfo
		v  any
	}{
		{flightsql.SqlInfoFlightSqlServerName, ServerName},
		{flightsql.SqlInfoFlightSqlServerVersion, ServerVersion},
		{flightsql.SqlInfoFlightSqlServerArrowVersion, "18"},
		{flightsql.SqlInfoFlightSqlServerReadOnly, false},
		{flightsql.SqlInfoFlightSqlServerSql, true},
		{flightsql.SqlInfoFlightSqlServerSubstrait, false},
		{flightsql.SqlInfoFlightSqlServerTransaction, int32(flightsql.SqlTransactionTransaction)},
		{flightsql.SqlInfoFlightSqlServerCancel, true},
		{flightsql.SqlInfoFlightSqlServerBulkIngestion, true},
		{flightsql.SqlInfoFlightSqlServerIngestTransactionsSupported, false},
		{flightsql.SqlInfoFlightSqlServerStatementTimeout, int32(0)},
		{flightsql.SqlInfoFlightSqlServerTransactionTimeout, int32(0)},
		{flightsql.SqlInfoDDLCatalog, false},
		{flightsql.SqlInfoDDLSchema, false},
		{flightsql.SqlInfoDDLTable, true},
		{flightsql.SqlInfoIdentifierCase, int32(flightsql.SqlCaseSensitivityLowerCase)},
		{flightsql.SqlInfoIdentifierQuoteChar, `"`},
		{flightsql.SqlInfoAllTablesAreASelectable, true},
		{flightsql.SqlInfoNullOrdering, int32(flightsql.SqlNullOrderingSortHigh)},
		{flightsql.SqlInfoTransactionsSupported, true},
	}
	for _, i := range infos {
		if err := b.RegisterSqlInfo(i.id, i.v); err != nil {
			return err
		}
	}
	return nil
}

// one streams a single batch, which it owns.
func one(b arrow.RecordBatch) <-chan flight.StreamChunk {
	ch := make(chan flight.StreamChunk, 1)
	ch <- flight.StreamChunk{Data: b}
	close(ch)
	return ch
}

func (s *sqlServer) metaInfo(desc *flight.FlightDescriptor, schema *arrow.Schema) *flight.FlightInfo {
	return s.info(desc, schema, desc.Cmd)
}

func (s *sqlServer) GetFlightInfoCatalogs(_ context.Context, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return s.metaInfo(desc, schema_ref.Catalogs), nil
}

func (s *sqlServer) DoGetCatalogs(context.Context) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	bld := array.NewRecordBuilder(s.mem, schema_ref.Catalogs)
	defer bld.Release()
	bld.Field(0).(*array.StringBuilder).Append(s.cfg.Catalog)
	return schema_ref.Catalogs, one(bld.NewRecordBatch()), nil
}

// schemas lists the database schemas: public, and the system schema.
var schemas = []string{PublicSchema, catalog.SystemSchema}

// catalogMatches reports whether a catalog filter admits the server's catalog: no filter, or
// its name.
func (s *sqlServer) catalogMatches(c *string) bool { return c == nil || *c == s.cfg.Catalog }

func (s *sqlServer) GetFlightInfoSchemas(_ context.Context, _ flightsql.GetDBSchemas, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return s.metaInfo(desc, schema_ref.DBSchemas), nil
}

func (s *sqlServer) DoGetDBSchemas(_ context.Context, cmd flightsql.GetDBSchemas) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	match, err := likePattern(cmd.GetDBSchemaFilterPattern())
	if err != nil {
		return nil, nil, err
	}
	bld := array.NewRecordBuilder(s.mem, schema_ref.DBSchemas)
	defer bld.Release()
	if s.catalogMatches(cmd.GetCatalog()) {
		for _, sc := range schemas {
			if match(sc) {
				bld.Field(0).(*array.StringBuilder).Append(s.cfg.Catalog)
				bld.Field(1).(*array.StringBuilder).Append(sc)
			}
		}
	}
	return schema_ref.DBSchemas, one(bld.NewRecordBatch()), nil
}

func (s *sqlServer) GetFlightInfoTables(_ context.Context, cmd flightsql.GetTables, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	if cmd.GetIncludeSchema() {
		return s.metaInfo(desc, schema_ref.TablesWithIncludedSchema), nil
	}
	return s.metaInfo(desc, schema_ref.Tables), nil
}

// tableEntry is a table as GetTables lists it.
type tableEntry struct {
	schema, name, typ string
	cols              *arrow.Schema // visible columns
}

// tables lists every table: user tables in public, then the system tables.
func (s *sqlServer) tables(ctx context.Context) ([]tableEntry, error) {
	ts, err := s.eng.Catalog().Tables(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	var out []tableEntry
	for _, t := range ts {
		var fields []arrow.Field
		for _, i := range t.Visible() {
			c := t.Columns[i]
			md := columnMetadata(s.cfg.Catalog, PublicSchema, t.Name, c.SQL())
			if sm, ok := types.SQLMetadata(c.SQL()); ok {
				// The SQL type a result column of the type names (json, jsonb, uuid,
				// time, timetz, character types, and arrays of them: "_json", "_timetz",
				// ...), from which wireSchema gives the column the Arrow type a query's
				// result has.
				md = arrow.NewMetadata(append(md.Keys(), sm.Keys()...), append(md.Values(), sm.Values()...))
			}
			fields = append(fields, arrow.Field{Name: c.Name, Type: c.Type, Nullable: c.Nullable, Metadata: md})
		}
		out = append(out, tableEntry{PublicSchema, t.Name, TableType, arrow.NewSchema(fields, nil)})
	}
	for _, name := range catalog.SystemTableNames() {
		sc := catalog.SystemTables[name]
		fields := make([]arrow.Field, sc.NumFields())
		for i, f := range sc.Fields() {
			f.Metadata = columnMetadata(s.cfg.Catalog, catalog.SystemSchema, name, f.Type)
			fields[i] = f
		}
		out = append(out, tableEntry{catalog.SystemSchema, name, SystemTableType, arrow.NewSchema(fields, nil)})
	}
	return out, nil
}

// columnMetadata is the Flight SQL column metadata of a table column.
func columnMetadata(cat, schema, table string, t arrow.DataType) arrow.Metadata {
	b := flightsql.NewColumnMetadataBuilder().CatalogName(cat).SchemaName(schema).TableName(table).
		TypeName(types.Name(t)).IsAutoIncrement(false).IsCaseSensitive(false).IsReadOnly(false).IsSearchable(true)
	if d, ok := t.(*arrow.Decimal128Type); ok {
		b.Precision(d.Precision).Scale(d.Scale)
	}
	return b.Metadata()
}

func (s *sqlServer) DoGetTables(ctx context.Context, cmd flightsql.GetTables) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	schemaMatch, err := likePattern(cmd.GetDBSchemaFilterPattern())
	if err != nil {
		return nil, nil, err
	}
	nameMatch, err := likePattern(cmd.GetTableNameFilterPattern())
	if err != nil {
		return nil, nil, err
	}
	types := map[string]bool{}
	for _, t := range cmd.GetTableTypes() {
		types[t] = true
	}
	out := schema_ref.Tables
	if cmd.GetIncludeSchema() {
		out = schema_ref.TablesWithIncludedSchema
	}
	var entries []tableEntry
	if s.catalogMatches(cmd.GetCatalog()) {
		if entries, err = s.tables(ctx); err != nil {
			return nil, nil, err
		}
	}
	bld := array.NewRecordBuilder(s.mem, out)
	defer bld.Release()
	for _, e := range entries {
		if !schemaMatch(e.schema) || !nameMatch(e.name) || (len(types) > 0 && !types[e.typ]) {
			continue
		}
		bld.Field(0).(*array.StringBuilder).Append(s.cfg.Catalog)
		bld.Field(1).(*array.StringBuilder).Append(e.schema)
		bld.Field(2).(*array.StringBuilder).Append(e.name)
		bld.Field(3).(*array.StringBuilder).Append(e.typ)
		if cmd.GetIncludeSchema() {
			bld.Field(4).(*array.BinaryBuilder).Append(flight.SerializeSchema(wireSchema(e.cols), s.mem))
		}
	}
	return out, one(bld.NewRecordBatch()), nil
}

func (s *sqlServer) GetFlightInfoTableTypes(_ context.Context, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return s.metaInfo(desc, schema_ref.TableTypes), nil
}

func (s *sqlServer) DoGetTableTypes(context.Context) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	bld := array.NewRecordBuilder(s.mem, schema_ref.TableTypes)
	defer bld.Release()
	bld.Field(0).(*array.StringBuilder).AppendValues([]string{SystemTableType, TableType}, nil)
	return schema_ref.TableTypes, one(bld.NewRecordBatch()), nil
}

func (s *sqlServer) GetFlightInfoPrimaryKeys(_ context.Context, _ flightsql.TableRef, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return s.metaInfo(desc, schema_ref.PrimaryKeys), nil
}

// DoGetPrimaryKeys lists the PRIMARY KEY columns of a user table; tables without one (and
// system tables) have none. An unknown table is NotFound.
func (s *sqlServer) DoGetPrimaryKeys(ctx context.Context, ref flightsql.TableRef) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	if !s.catalogMatches(ref.Catalog) {
		return nil, nil, status.Errorf(codes.NotFound, "catalog %q does not exist", *ref.Catalog)
	}
	bld := array.NewRecordBuilder(s.mem, schema_ref.PrimaryKeys)
	defer bld.Release()
	sc := PublicSchema
	if ref.DBSchema != nil && *ref.DBSchema != "" {
		sc = *ref.DBSchema
	}
	switch sc {
	case PublicSchema:
		t, err := s.eng.Catalog().Table(ctx, ref.Table)
		if err != nil {
			return nil, nil, toStatus(err)
		}
		for i, c := range t.PrimaryKey {
			bld.Field(0).(*array.StringBuilder).Append(s.cfg.Catalog)
			bld.Field(1).(*array.StringBuilder).Append(PublicSchema)
			bld.Field(2).(*array.StringBuilder).Append(t.Name)
			bld.Field(3).(*array.StringBuilder).Append(t.Columns[c].Name)
			bld.Field(4).(*array.Int32Builder).Append(int32(i + 1))
			bld.Field(5).(*array.StringBuilder).Append(t.Name + "_pkey")
		}
	case catalog.SystemSchema:
		if _, ok := catalog.SystemTables[ref.Table]; !ok {
			return nil, nil, status.Errorf(codes.NotFound, "relation \"%s.%s\" does not exist", sc, ref.Table)
		}
	default:
		return nil, nil, status.Errorf(codes.NotFound, "schema %q does not exist", sc)
	}
	return schema_ref.PrimaryKeys, one(bld.NewRecordBatch()), nil
}

// likePattern compiles a SQL LIKE pattern (% any run, _ any character, \ escapes) into a
// matcher; nil matches everything.
func likePattern(p *string) (func(string) bool, error) {
	if p == nil {
		return func(string) bool { return true }, nil
	}
	var b strings.Builder
	b.WriteString("^(?s:")
	esc := false
	for _, r := range *p {
		switch {
		case esc:
			b.WriteString(regexp.QuoteMeta(string(r)))
			esc = false
		case r == '\\':
			esc = true
		case r == '%':
			b.WriteString(".*")
		case r == '_':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString(")$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "invalid pattern %q: %v", *p, err)
	}
	return re.MatchString, nil
}
