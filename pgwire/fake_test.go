package pgwire

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/format/pgvalue/pgvaluetest"
)

// fakeDB is an in-test engine. Its connections understand a few statements:
//
//	select types            one row of each supported type, a second row, and a row of NULLs
//	select floats           float8 and float4 values in PostgreSQL's exponent switch ranges
//	select series N         int64 column n = 1..N in batches of 3
//	                        (any statement's Next fails once its context is cancelled)
//	select echo T1 T2 ...   one row echoing $1, $2, ... with types T (int2 int4 int8 float4
//	                        float8 numeric text bytea bool date timestamp timestamptz) unless
//	                        the client declared them
//	select fail             one batch, then a division by zero error
//	select sleep            blocks until cancelled; signals sleeping first
//	select * from missing   an undefined table error at position 15
//	create table t          no rows, tag CREATE TABLE
//	begin, commit, rollback no rows, tag BEGIN, COMMIT or ROLLBACK
//	select panic            panics in Prepare
//	(empty)                 nothing
//
// Anything else is a syntax error.
type fakeDB struct {
	mem      memory.Allocator
	sleeping chan struct{} // receives when select sleep starts, if not nil

	mu     sync.Mutex
	open   int // engine connections not yet closed
	closed chan struct{}
}

func newFakeDB(mem memory.Allocator) *fakeDB {
	return &fakeDB{mem: mem, closed: make(chan struct{}, 1000)}
}

func (db *fakeDB) connect(ctx context.Context, user, database string) (engine.Conn, error) {
	if database == "nodb" {
		return nil, errs.New(errs.InvalidParameter, "database %q does not exist", database)
	}
	db.mu.Lock()
	db.open++
	db.mu.Unlock()
	return &fakeConn{db: db}, nil
}

func (db *fakeDB) openConns() int {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.open
}

type fakeConn struct {
	db     *fakeDB
	closed bool
}

var _ engine.Conn = (*fakeConn)(nil)

func (c *fakeConn) Split(text string) ([]string, error) {
	var out []string
	for _, s := range strings.Split(text, ";") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	if strings.Contains(text, "(((") {
		return nil, &errs.Error{Kind: errs.Syntax, Msg: `syntax error at or near "("`, Position: strings.Index(text, "(((") + 1}
	}
	return out, nil
}

func (c *fakeConn) Close() error {
	if c.closed {
		return fmt.Errorf("closed twice")
	}
	c.closed = true
	c.db.mu.Lock()
	c.db.open--
	c.db.mu.Unlock()
	c.db.closed <- struct{}{}
	return nil
}

var echoTypes = map[string]arrow.DataType{
	"int2":        arrow.PrimitiveTypes.Int16,
	"int4":        arrow.PrimitiveTypes.Int32,
	"int8":        arrow.PrimitiveTypes.Int64,
	"float4":      arrow.PrimitiveTypes.Float32,
	"float8":      arrow.PrimitiveTypes.Float64,
	"numeric":     &arrow.Decimal128Type{Precision: 20, Scale: 3},
	"text":        arrow.BinaryTypes.String,
	"bytea":       arrow.BinaryTypes.Binary,
	"bool":        arrow.FixedWidthTypes.Boolean,
	"date":        arrow.FixedWidthTypes.Date32,
	"timestamp":   &arrow.TimestampType{Unit: arrow.Microsecond},
	"timestamptz": &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"},
}

func (c *fakeConn) Prepare(ctx context.Context, sql string, paramTypes []arrow.DataType) (engine.Statement, error) {
	words := strings.Fields(strings.ToLower(sql))
	st := &fakeStmt{db: c.db}
	switch {
	case len(words) == 2 && words[0] == "select" && words[1] == "types":
		st.schema, st.rows = typesFixture()
	case len(words) == 2 && words[0] == "select" && words[1] == "floats":
		st.schema, st.rows = floatsFixture()
	case len(words) == 3 && words[0] == "select" && words[1] == "series":
		var n int
		if _, err := fmt.Sscan(words[2], &n); err != nil {
			return nil, errs.New(errs.InvalidText, "bad series length %q", words[2])
		}
		st.schema = arrow.NewSchema([]arrow.Field{{Name: "n", Type: arrow.PrimitiveTypes.Int64}}, nil)
		for i := 1; i <= n; i++ {
			st.rows = append(st.rows, []any{int64(i)})
		}
		st.batch = 3
	case len(words) >= 2 && words[0] == "select" && words[1] == "echo":
		var fields []arrow.Field
		for i, w := range words[2:] {
			dt, ok := echoTypes[w]
			if !ok {
				return nil, errs.New(errs.UndefinedFunction, "type %q does not exist", w)
			}
			if i < len(paramTypes) && paramTypes[i] != nil {
				dt = paramTypes[i]
			}
			st.params = append(st.params, dt)
			fields = append(fields, arrow.Field{Name: fmt.Sprintf("p%d", i+1), Type: dt, Nullable: true})
		}
		st.schema = arrow.NewSchema(fields, nil)
		st.echo = true
	case len(words) == 2 && words[0] == "select" && words[1] == "fail":
		st.schema = arrow.NewSchema([]arrow.Field{{Name: "n", Type: arrow.PrimitiveTypes.Int64}}, nil)
		st.rows = [][]any{{int64(1)}}
		st.fail = errs.New(errs.DivisionByZero, "division by zero")
	case len(words) == 2 && words[0] == "select" && words[1] == "sleep":
		st.schema = arrow.NewSchema([]arrow.Field{{Name: "n", Type: arrow.PrimitiveTypes.Int64}}, nil)
		st.sleep = true
	case strings.Join(words, " ") == "select * from missing":
		return nil, &errs.Error{Kind: errs.UndefinedTable, Msg: `relation "missing" does not exist`, Position: 15}
	case len(words) == 3 && words[0] == "create" && words[1] == "table":
		st.tag = "CREATE TABLE"
	case len(words) == 1 && (words[0] == "begin" || words[0] == "commit" || words[0] == "rollback"):
		st.tag = strings.ToUpper(words[0])
	case len(words) == 2 && words[0] == "select" && words[1] == "panic":
		panic("engine bug")
	case len(words) == 0:
	default:
		return nil, &errs.Error{Kind: errs.Syntax, Msg: fmt.Sprintf("syntax error at or near %q", strings.Fields(sql)[0]), Position: 1}
	}
	if st.tag == "" {
		st.tag = fmt.Sprintf("SELECT %d", len(st.rows))
	}
	return st, nil
}

type fakeStmt struct {
	db     *fakeDB
	schema *arrow.Schema
	params []arrow.DataType
	rows   [][]any
	batch  int // rows per batch; all in one when 0
	echo   bool
	fail   error
	sleep  bool
	tag    string
}

func (s *fakeStmt) ParamTypes() []arrow.DataType { return s.params }
func (s *fakeStmt) Schema() *arrow.Schema        { return s.schema }
func (s *fakeStmt) Close() error                 { return nil }

func (s *fakeStmt) Execute(ctx context.Context, params []any) (engine.Result, error) {
	if len(params) != len(s.params) {
		return nil, errs.New(errs.Internal, "got %d params, want %d", len(params), len(s.params))
	}
	r := &fakeResult{stmt: s, rows: s.rows, tag: s.tag}
	if s.echo {
		r.rows = [][]any{params}
		r.tag = "SELECT 1"
	}
	return r, nil
}

type fakeResult struct {
	stmt *fakeStmt
	rows [][]any
	tag  string
	sent bool
}

func (r *fakeResult) Tag() string  { return r.tag }
func (r *fakeResult) Close() error { return nil }

func (r *fakeResult) Next(ctx context.Context) (arrow.RecordBatch, error) {
	s := r.stmt
	if s.sleep {
		if s.db.sleeping != nil {
			s.db.sleeping <- struct{}{}
		}
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if err := ctx.Err(); err != nil {
		return nil, err // as the engine's operators do
	}
	if len(r.rows) == 0 {
		if s.fail != nil && r.sent {
			return nil, s.fail
		}
		return nil, io.EOF
	}
	n := len(r.rows)
	if s.batch > 0 && s.batch < n {
		n = s.batch
	}
	b, err := buildBatch(s.db.mem, s.schema, r.rows[:n])
	if err != nil {
		return nil, err
	}
	r.rows, r.sent = r.rows[n:], true
	return b, nil
}

// buildBatch makes a batch of rows of Go values: nil, bool, int64 (any integer column),
// float64 (any float column), string (text, or decimal notation for decimals), []byte and
// time.Time.
func buildBatch(mem memory.Allocator, schema *arrow.Schema, rows [][]any) (arrow.RecordBatch, error) {
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for _, row := range rows {
		for j, v := range row {
			if err := appendValue(b.Field(j), v); err != nil {
				return nil, fmt.Errorf("column %d: %w", j, err)
			}
		}
	}
	return b.NewRecordBatch(), nil
}

func appendValue(b array.Builder, v any) error {
	if v == nil {
		b.AppendNull()
		return nil
	}
	switch b := b.(type) {
	case *array.BooleanBuilder:
		b.Append(v.(bool))
	case *array.Int16Builder:
		b.Append(int16(v.(int64)))
	case *array.Int32Builder:
		b.Append(int32(v.(int64)))
	case *array.Int64Builder:
		b.Append(v.(int64))
	case *array.Float32Builder:
		b.Append(float32(v.(float64)))
	case *array.Float64Builder:
		b.Append(v.(float64))
	case *array.Decimal128Builder:
		dt := b.Type().(*arrow.Decimal128Type)
		n, err := decimal128.FromString(v.(string), dt.Precision, dt.Scale)
		if err != nil {
			return err
		}
		b.Append(n)
	case *array.StringBuilder:
		b.Append(v.(string))
	case *array.BinaryBuilder:
		b.Append(v.([]byte))
	case *array.Date32Builder:
		b.Append(arrow.Date32FromTime(v.(time.Time)))
	case *array.TimestampBuilder:
		b.Append(arrow.Timestamp(v.(time.Time).UnixMicro()))
	default:
		return fmt.Errorf("unsupported builder %T", b)
	}
	return nil
}

func date(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }

// typesFixture has a row per case below, and a row of NULLs. Every text form was checked
// against PostgreSQL 15 (see typesText).
func typesFixture() (*arrow.Schema, [][]any) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "i2", Type: arrow.PrimitiveTypes.Int16, Nullable: true},
		{Name: "i4", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "i8", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "f4", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
		{Name: "f8", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "n", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "by", Type: arrow.BinaryTypes.Binary, Nullable: true},
		{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true},
		{Name: "tstz", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
	}, nil)
	rows := [][]any{
		{true, int64(-32768), int64(2147483647), int64(-9223372036854775808), 123456.0, 1e15, "1.50", "hello",
			[]byte{0, 0xff, 0x10}, date(2024, 1, 2), time.Date(2024, 1, 2, 3, 4, 5, 120000000, time.UTC),
			time.Date(2024, 1, 2, 3, 4, 5, 1000, time.UTC)},
		{false, int64(0), int64(-1), int64(42), 1e6, 1e-5, "-0.05", "a'b é",
			[]byte{}, date(-43, 3, 15), time.Date(-43, 3, 15, 12, 0, 0, 500000000, time.UTC),
			time.Date(-43, 3, 15, 12, 0, 0, 0, time.UTC)},
		{nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil},
	}
	return schema, rows
}

// typesText is typesFixture's rows as PostgreSQL 15 prints them (checked with psql against a
// PostgreSQL 15.x server: select true, -32768::int2, ..., '2024-01-02 03:04:05.000001+00'::timestamptz).
var typesText = [][]string{
	{"t", "-32768", "2147483647", "-9223372036854775808", "123456", "1e+15", "1.50", "hello", `\x00ff10`,
		"2024-01-02", "2024-01-02 03:04:05.12", "2024-01-02 03:04:05.000001+00"},
	{"f", "0", "-1", "42", "1e+06", "1e-05", "-0.05", "a'b é", `\x`,
		"0044-03-15 BC", "0044-03-15 12:00:00.5 BC", "0044-03-15 12:00:00+00 BC"},
}

// floatsFixture pairs float8 and float4 values with PostgreSQL 15's text for them (checked
// with select x::float8, y::float4 against PostgreSQL 15).
func floatsFixture() (*arrow.Schema, [][]any) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "f8", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "f4", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
	}, nil)
	var rows [][]any
	for _, c := range floatCases {
		rows = append(rows, []any{c.F8, c.F4})
	}
	return schema, rows
}

var floatCases = pgvaluetest.FloatCases
