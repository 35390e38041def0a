package flightsql

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/errs"
)

// Ingest options (CommandStatementIngest.options) naming the key columns of a table that
// ingest creates, as comma-separated column names; without them the table is keyed by
// insertion order.
const (
	OptionRowKeys    = "sleeperd.row_keys"
	OptionSortKeys   = "sleeperd.sort_keys"
	OptionPrimaryKey = "sleeperd.primary_key"
)

// DoPutCommandStatementIngest appends the uploaded batches to a table, creating or replacing
// it first as the table definition options ask. The batches are streamed into the table as
// they arrive and committed once, at the end of the upload: a failure part way (a bad batch,
// a broken stream) writes none of them. The count returned is the number of rows written.
func (s *sqlServer) DoPutCommandStatementIngest(ctx context.Context, cmd flightsql.StatementIngest, rdr flight.MessageReader) (int64, error) {
	if err := noTxn(cmd.GetTransactionId()); err != nil {
		return 0, err
	}
	if cmd.GetTemporary() {
		return 0, status.Error(codes.Unimplemented, "temporary tables are not supported")
	}
	if c := cmd.GetCatalog(); c != "" && c != s.cfg.Catalog {
		return 0, status.Errorf(codes.NotFound, "catalog %q does not exist", c)
	}
	if sc := cmd.GetSchema(); sc != "" && sc != PublicSchema {
		return 0, status.Errorf(codes.NotFound, "schema %q does not exist", sc)
	}
	name := cmd.GetTable()
	if name == "" {
		return 0, status.Error(codes.InvalidArgument, "ingest needs a table name")
	}
	for k := range cmd.GetOptions() {
		switch k {
		case OptionRowKeys, OptionSortKeys, OptionPrimaryKey:
		default:
			return 0, status.Errorf(codes.InvalidArgument, "unknown ingest option %q", k)
		}
	}
	if err := s.prepareTable(ctx, cmd, rdr.Schema()); err != nil {
		return 0, err
	}
	if err := s.eng.CheckPrivilege(ctx, s.user(ctx), name, engine.PrivInsert); err != nil {
		return 0, toStatus(err)
	}
	tbl, err := s.eng.Catalog().Table(ctx, name)
	if err != nil {
		return 0, toStatus(err)
	}
	colTypes := make(map[string]arrow.DataType, len(tbl.Columns))
	for _, c := range tbl.Columns {
		colTypes[c.Name] = c.SQL()
	}
	convs, convSchema := ingestConverters(colTypes, rdr.Schema())
	appendSchema := rdr.Schema()
	if convSchema != nil {
		appendSchema = convSchema
	}
	app, err := s.eng.OpenAppend(ctx, name, appendSchema)
	if err != nil {
		return 0, toStatus(err)
	}
	defer app.Abort()
	for rdr.Next() {
		b := rdr.RecordBatch()
		if b.NumRows() == 0 {
			continue
		}
		if convs != nil {
			c, err := convertBatch(s.mem, convs, convSchema, b)
			if err != nil {
				return 0, toStatus(err)
			}
			err = app.Append(ctx, c)
			c.Release()
			if err != nil {
				return 0, toStatus(err)
			}
			continue
		}
		if err := app.Append(ctx, b); err != nil {
			return 0, toStatus(err)
		}
	}
	if err := rdr.Err(); err != nil {
		return 0, status.Errorf(codes.InvalidArgument, "reading batches: %v", err)
	}
	n, err := app.Commit(ctx)
	if err != nil {
		return 0, toStatus(err)
	}
	return n, nil
}

// prepareTable makes sure the target table exists as the ingest options ask: unspecified
// options fail when the table does not exist, and when it exists.
func (s *sqlServer) prepareTable(ctx context.Context, cmd flightsql.StatementIngest, schema *arrow.Schema) error {
	name := cmd.GetTable()
	opts := cmd.GetTableDefinitionOptions()
	_, err := s.eng.Catalog().Table(ctx, name)
	exists := err == nil
	if err != nil && !engine.IsNotFound(err) {
		return toStatus(err)
	}
	if exists {
		switch opts.GetIfExists() {
		case flightsql.TableDefinitionOptionsTableExistsOptionAppend:
			return nil
		case flightsql.TableDefinitionOptionsTableExistsOptionReplace:
			if err := s.exec(ctx, "DROP TABLE "+quoteIdent(name)); err != nil {
				return err
			}
		default:
			return status.Errorf(codes.AlreadyExists, "relation %q already exists", name)
		}
	} else if opts.GetIfNotExist() != flightsql.TableDefinitionOptionsTableNotExistOptionCreate {
		return toStatus(errs.New(errs.UndefinedTable, "relation %q does not exist", name))
	}
	ddl, err := createTable(name, schema, cmd.GetOptions())
	if err != nil {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	return s.exec(ctx, ddl)
}

// exec runs one statement without parameters on a new connection.
func (s *sqlServer) exec(ctx context.Context, sql string) error {
	conn, err := s.connect(ctx)
	if err != nil {
		return toStatus(err)
	}
	defer conn.Close()
	st, err := conn.Prepare(ctx, sql, nil)
	if err != nil {
		return toStatus(err)
	}
	defer st.Close()
	_, err = execUpdate(ctx, st, nil)
	return toStatus(err)
}

// createTable is the CREATE TABLE statement of a table with the columns of schema.
func createTable(name string, schema *arrow.Schema, opts map[string]string) (string, error) {
	if schema.NumFields() == 0 {
		return "", errors.New("cannot create a table without columns")
	}
	// The key columns come from the options, else from the Arrow schema's metadata under the
	// same keys, so that a schema can carry its table's roles.
	md := schema.Metadata()
	role := func(key string) string {
		if v := opts[key]; v != "" {
			return v
		}
		v, _ := md.GetValue(key)
		return v
	}
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE %s (", quoteIdent(name))
	for i, f := range schema.Fields() {
		typ, ok := sqlTypeName(f.Type)
		if !ok {
			return "", fmt.Errorf("column %q: type %s has no SQL counterpart", f.Name, f.Type)
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %s", quoteIdent(f.Name), typ)
		if !f.Nullable {
			b.WriteString(" NOT NULL")
		}
	}
	if pk := role(OptionPrimaryKey); pk != "" {
		fmt.Fprintf(&b, ", PRIMARY KEY (%s)", identList(pk))
	}
	b.WriteString(")")
	var with []string
	if rk := role(OptionRowKeys); rk != "" {
		with = append(with, "row_keys = "+quoteLiteral(rk))
	}
	if sk := role(OptionSortKeys); sk != "" {
		with = append(with, "sort_keys = "+quoteLiteral(sk))
	}
	if len(with) > 0 {
		fmt.Fprintf(&b, " WITH (%s)", strings.Join(with, ", "))
	}
	return b.String(), nil
}

func identList(s string) string {
	parts := strings.Split(s, ",")
	for i, p := range parts {
		parts[i] = quoteIdent(strings.TrimSpace(p))
	}
	return strings.Join(parts, ", ")
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func quoteLiteral(s string) string { return `'` + strings.ReplaceAll(s, `'`, `''`) + `'` }
