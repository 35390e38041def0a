package slt

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestParse(t *testing.T) {
	text := "# comment\n" +
		"statement ok\nCREATE TABLE t (a int)\n\n" +
		"statement count 2\nINSERT INTO t\nVALUES (1), (2)\n\n" +
		"statement error\nSELECT nope\n\n" +
		"statement error SQLSTATE 42P01 relation \"x\" does not exist\nSELECT * FROM x\n\n" +
		"skipif postgres\nonlyif sleeperd\nquery IT rowsort\nSELECT a, 'x' FROM t\n----\n1\tx\n2 x\n\n" +
		"query error division by zero\nSELECT 1/0\n\n" +
		"query I\nSELECT a FROM t WHERE false\n----\n\n" +
		"halt\n\n" +
		"statement ok\nSELECT 1\n"
	s, err := Parse("f.slt", text)
	if err != nil {
		t.Fatal(err)
	}
	type rec struct {
		kind  Kind
		line  int
		sql   string
		code  string
		pat   string
		count int64
		types string
		sort  Sort
		rows  []string
		conds []Condition
	}
	want := []rec{
		{kind: Statement, line: 2, sql: "CREATE TABLE t (a int)", count: -1},
		{kind: Statement, line: 5, sql: "INSERT INTO t\nVALUES (1), (2)", count: 2},
		{kind: Statement, line: 9, sql: "SELECT nope", count: -1, code: "", pat: ""},
		{kind: Statement, line: 12, sql: "SELECT * FROM x", count: -1, code: "42P01", pat: `relation "x" does not exist`},
		{kind: Query, line: 15, sql: "SELECT a, 'x' FROM t", count: -1, types: "IT", sort: RowSort,
			rows: []string{"1\tx", "2 x"}, conds: []Condition{{false, "postgres"}, {true, "sleeperd"}}},
		{kind: Query, line: 23, sql: "SELECT 1/0", count: -1, pat: "division by zero"},
		{kind: Query, line: 26, sql: "SELECT a FROM t WHERE false", count: -1, types: "I"},
		{kind: Halt, line: 30, count: -1},
		{kind: Statement, line: 32, sql: "SELECT 1", count: -1},
	}
	if len(s.Records) != len(want) {
		t.Fatalf("got %d records, want %d", len(s.Records), len(want))
	}
	for i, w := range want {
		r := s.Records[i]
		got := rec{kind: r.Kind, line: r.Line, sql: r.SQL, count: r.Count, types: r.Types, sort: r.Sort, rows: r.Rows, conds: r.Conditions}
		if r.Error != nil {
			got.code = r.Error.Code
			if r.Error.Pattern != nil {
				got.pat = r.Error.Pattern.String()
			}
		}
		if i == 2 && r.Error == nil {
			t.Errorf("record %d: want an error expectation", i)
		}
		if !equalRec(got.rows, w.rows) || got.kind != w.kind || got.line != w.line || got.sql != w.sql ||
			got.code != w.code || got.pat != w.pat || got.count != w.count || got.types != w.types ||
			got.sort != w.sort || len(got.conds) != len(w.conds) {
			t.Errorf("record %d:\n got %+v\nwant %+v", i, got, w)
		}
		for j := range w.conds {
			if j < len(got.conds) && got.conds[j] != w.conds[j] {
				t.Errorf("record %d condition %d: got %+v, want %+v", i, j, got.conds[j], w.conds[j])
			}
		}
	}
}

func equalRec(a, b []string) bool {
	return strings.Join(a, "|") == strings.Join(b, "|") && len(a) == len(b)
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"unknown record", "select 1\n", `unknown record "select"`},
		{"statement without kind", "statement\nSELECT 1\n", "needs ok, count or error"},
		{"statement bad kind", "statement fine\nSELECT 1\n", "needs ok, count or error"},
		{"statement ok args", "statement ok now\nSELECT 1\n", "takes no arguments"},
		{"bad count", "statement count x\nSELECT 1\n", "bad count"},
		{"no sql", "statement ok\n\n", "without SQL"},
		{"query without dashes", "query I\nSELECT 1\n", "query without ----"},
		{"dashes in statement", "statement ok\nSELECT 1\n----\n1\n", "---- in a record"},
		{"dashes in query error", "query error\nSELECT 1\n----\n1\n", "---- in a record"},
		{"bad type letter", "query X\nSELECT 1\n----\n1\n", "unknown type letter"},
		{"bad row pattern", "query I match\nSELECT 1\n----\n(\n", "bad row pattern"},
		{"bad sort", "query I sideways\nSELECT 1\n----\n1\n", "unknown sort mode"},
		{"too many query args", "query I rowsort extra\nSELECT 1\n----\n1\n", "optional sort mode"},
		{"bad sqlstate", "statement error SQLSTATE 123 oops\nSELECT 1\n", "five upper-case"},
		{"bad regexp", "statement error (\nSELECT 1\n", "bad error pattern"},
		{"dangling condition", "skipif postgres\n\nstatement ok\nSELECT 1\n", "condition without a record"},
		{"condition without name", "skipif\nstatement ok\nSELECT 1\n", "one harness name"},
		{"halt args", "halt now\n", "no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("f.slt", tt.text)
			if !errors.Is(err, ErrParse) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want a parse error containing %q", err, tt.want)
			}
		})
	}
}

// fake is a DB with canned answers by SQL text.
type fake map[string]any // *Result or error

func (f fake) Exec(ctx context.Context, sql string) (*Result, error) {
	switch v := f[sql].(type) {
	case *Result:
		return v, nil
	case error:
		return nil, v
	}
	return nil, &Error{Code: "42601", Message: "unknown statement " + sql}
}

// rows builds a Result with columns of the given type letters; "NULL" cells are null.
func rows(types string, cells ...[]string) *Result {
	r := &Result{Tag: "SELECT"}
	for i := range types {
		r.Columns = append(r.Columns, Column{Name: "c", Type: types[i]})
	}
	for _, c := range cells {
		row := make([]sql.NullString, len(c))
		for i, v := range c {
			if v != "NULL" {
				row[i] = sql.NullString{String: v, Valid: true}
			}
		}
		r.Rows = append(r.Rows, row)
	}
	return r
}

var db = fake{
	"CREATE TABLE t (a int)": &Result{Tag: "CREATE TABLE"},
	"INSERT 2":               &Result{Tag: "INSERT 0 2"},
	"SELECT 1/0":             &Error{Code: "22012", Message: "division by zero"},
	"SELECT plain":           errors.New("plain failure"),
	"SELECT ab":              rows("IT", []string{"2", "b"}, []string{"1", "a b"}),
	"SELECT odd":             rows("TBR", []string{"", "t", "1.5"}, []string{"NULL", "f", "NaN"}, []string{"x\ty\nz", "t", "0"}),
	"SELECT D":               rows("D", []string{"2024-01-02"}),
}

func TestRun(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		names []string
		fails []string // substrings of the failure messages, in order
	}{
		{"statement ok", "statement ok\nCREATE TABLE t (a int)\n", nil, nil},
		{"statement ok fails", "statement ok\nSELECT 1/0\n", nil, []string{"failed: 22012: division by zero"}},
		{"count", "statement count 2\nINSERT 2\n", nil, nil},
		{"count differs", "statement count 3\nINSERT 2\n", nil, []string{`affected 2 rows (tag "INSERT 0 2"), want 3`}},
		{"count without number", "statement count 0\nCREATE TABLE t (a int)\n", nil, []string{"has no row count"}},
		{"error any", "statement error\nSELECT 1/0\n", nil, nil},
		{"error code and pattern", "statement error SQLSTATE 22012 ^division by\nSELECT 1/0\n", nil, nil},
		{"error wrong code", "statement error SQLSTATE 22003\nSELECT 1/0\n", nil, []string{"SQLSTATE 22012, want 22003"}},
		{"error wrong pattern", "query error overflow\nSELECT 1/0\n", nil, []string{`"division by zero" does not match "overflow"`}},
		{"error without code", "statement error SQLSTATE 22012 plain\nSELECT plain\n", nil, nil},
		{"error expected", "statement error\nCREATE TABLE t (a int)\n", nil, []string{"succeeded, want error"}},
		{"query nosort", "query IT\nSELECT ab\n----\n2\tb\n1\ta b\n", nil, nil},
		{"query nosort order", "query IT\nSELECT ab\n----\n1\ta b\n2\tb\n", nil, []string{"rows differ"}},
		{"query rowsort", "query IT rowsort\nSELECT ab\n----\n1\ta b\n2\tb\n", nil, nil},
		{"query spaces", "query IT rowsort\nSELECT ab\n----\n1 a  b\n2   b\n", nil, nil},
		{"query valuesort", "query IT valuesort\nSELECT ab\n----\n1\n2\na b\nb\n", nil, nil},
		{"query special values", "query TBR\nSELECT odd\n----\n(empty)\tt\t1.5\nNULL\tf\tNaN\nx\\ty\\nz\tt\t0\n", nil, nil},
		{"query wrong value", "query TBR\nSELECT odd\n----\nNULL\tt\t1.5\nNULL\tf\tNaN\nx\\ty\\nz\tt\t0\n", nil, []string{"rows differ"}},
		{"query missing row", "query IT\nSELECT ab\n----\n2\tb\n", nil, []string{"rows differ"}},
		{"match", "query IT match\nSELECT ab\n----\n^1\ta\n b$\n", nil, nil},
		{"match fails", "query IT match\nSELECT ab\n----\n^1\ta\n^3\n", nil, []string{`no row matches "^3"`}},
		{"query types", "query II\nSELECT ab\n----\n2\tb\n1\ta b\n", nil, []string{"column types IT, want II"}},
		{"query fails", "query I\nSELECT 1/0\n----\n1\n", nil, []string{"failed: 22012"}},
		{"several", "statement ok\nSELECT 1/0\n\nquery D\nSELECT D\n----\n2024-01-02\n\nstatement error\nINSERT 2\n", nil,
			[]string{"failed", "succeeded"}},
		{"skipif", "skipif postgres\nstatement ok\nSELECT 1/0\n", []string{"postgres"}, nil},
		{"skipif other", "skipif postgres\nstatement ok\nSELECT 1/0\n", []string{"sleeperd"}, []string{"failed"}},
		{"onlyif", "onlyif postgres\nstatement ok\nSELECT 1/0\n", []string{"sleeperd", "inprocess"}, nil},
		{"onlyif match", "onlyif inprocess\nstatement ok\nSELECT 1/0\n", []string{"sleeperd", "inprocess"}, []string{"failed"}},
		{"halt", "statement ok\nCREATE TABLE t (a int)\n\nhalt\n\nstatement ok\nSELECT 1/0\n", nil, nil},
		{"skipped halt", "skipif x\nhalt\n\nstatement ok\nSELECT 1/0\n", []string{"x"}, []string{"failed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("f.slt", tt.text)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			fails, out, err := Run(ctx, db, s, Options{Names: tt.names})
			if err != nil || out != nil {
				t.Fatalf("Run: %v, %q", err, out)
			}
			if len(fails) != len(tt.fails) {
				t.Fatalf("got failures %v, want %d", fails, len(tt.fails))
			}
			for i, f := range fails {
				if !strings.Contains(f.Msg, tt.fails[i]) {
					t.Errorf("failure %d is %q, want it to contain %q", i, f.Msg, tt.fails[i])
				}
				if f.File != "f.slt" || f.Line < 1 {
					t.Errorf("failure %d has position %s:%d", i, f.File, f.Line)
				}
			}
		})
	}
}

func TestRewrite(t *testing.T) {
	const before = "# A comment that stays.\n" +
		"statement ok\nCREATE TABLE t (a int)\n\n" +
		"statement count 5\nINSERT 2\n\n" +
		"# Wrong rows and types.\n" +
		"query II rowsort\nSELECT ab\n----\n3 c\n\n" +
		"query error SQLSTATE 22003 overflow\nSELECT 1/0\n\n" +
		"statement error oops\nSELECT plain\n\n" +
		"statement error SQLSTATE 22003 oops\nSELECT plain\n\n" +
		"skipif postgres\nquery TBR\nSELECT odd\n----\n\n\n" +
		"# Failures of another kind are kept as written.\n" +
		"query I\nSELECT 1/0\n----\n7\n\n" +
		"statement ok\nSELECT 1/0\n\n" +
		"onlyif postgres\nquery I\nSELECT skipped\n----\n9\n\n" +
		"query D\nSELECT D\n----\n2024-01-02\n\n" +
		"query II match\nSELECT ab\n----\n^2\n\n" +
		"halt\n\n" +
		"query I\nSELECT after halt\n----\n1\n"
	const after = "# A comment that stays.\n" +
		"statement ok\nCREATE TABLE t (a int)\n\n" +
		"statement count 2\nINSERT 2\n\n" +
		"# Wrong rows and types.\n" +
		"query IT rowsort\nSELECT ab\n----\n1\ta b\n2\tb\n\n" +
		"query error SQLSTATE 22012 division by zero\nSELECT 1/0\n\n" +
		"statement error plain failure\nSELECT plain\n\n" +
		"statement error SQLSTATE 22003 plain failure\nSELECT plain\n\n" +
		"skipif postgres\nquery TBR\nSELECT odd\n----\n(empty)\tt\t1.5\nNULL\tf\tNaN\nx\\ty\\nz\tt\t0\n\n\n" +
		"# Failures of another kind are kept as written.\n" +
		"query I\nSELECT 1/0\n----\n7\n\n" +
		"statement ok\nSELECT 1/0\n\n" +
		"onlyif postgres\nquery I\nSELECT skipped\n----\n9\n\n" +
		"query D\nSELECT D\n----\n2024-01-02\n\n" +
		"query IT match\nSELECT ab\n----\n^2\n\n" +
		"halt\n\n" +
		"query I\nSELECT after halt\n----\n1\n"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	run := func(text string) ([]Failure, string) {
		t.Helper()
		s, err := Parse("f.slt", text)
		if err != nil {
			t.Fatal(err)
		}
		fails, out, err := Run(ctx, db, s, Options{Names: []string{"sleeperd"}, Rewrite: true})
		if err != nil {
			t.Fatal(err)
		}
		return fails, string(out)
	}
	fails, out := run(before)
	if out != after {
		t.Fatalf("rewritten:\n%s\nwant:\n%s", out, after)
	}
	if len(fails) != 9 {
		t.Errorf("got %d failures, want 9: %v", len(fails), fails)
	}
	// The rewritten file passes except for the two records kept as written, and rewriting
	// it again changes nothing.
	fails, again := run(after)
	if again != after {
		t.Errorf("second rewrite changed the file:\n%s", again)
	}
	if len(fails) != 2 || fails[0].Line != 34 || fails[1].Line != 39 {
		t.Errorf("after rewrite got failures %v, want lines 34 and 39", fails)
	}
}

func TestRewriteCanonical(t *testing.T) {
	// Passing queries are rewritten with tabs and sorted rows; everything else, including a
	// skipped query with odd spacing and the missing final newline, is kept.
	text := "statement ok\nCREATE TABLE t (a int)\n\n\n#  trailing\n\nquery IT  rowsort\nSELECT ab\n----\n2 b\n1  a b\n\n" +
		"skipif me\nquery IT  rowsort\nSELECT ab\n----\n2 b\n1  a b\n\n" +
		"statement error ^div\nSELECT 1/0"
	want := "statement ok\nCREATE TABLE t (a int)\n\n\n#  trailing\n\nquery IT rowsort\nSELECT ab\n----\n1\ta b\n2\tb\n\n" +
		"skipif me\nquery IT  rowsort\nSELECT ab\n----\n2 b\n1  a b\n\n" +
		"statement error ^div\nSELECT 1/0\n"
	s, err := Parse("f.slt", text)
	if err != nil {
		t.Fatal(err)
	}
	fails, out, err := Run(context.Background(), db, s, Options{Names: []string{"me"}, Rewrite: true})
	if err != nil || len(fails) != 0 {
		t.Fatal(err, fails)
	}
	if string(out) != want {
		t.Fatalf("got:\n%q\nwant:\n%q", out, want)
	}
}

func TestFormatValue(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)

	build := func(dt arrow.DataType, vals ...any) arrow.Array {
		b := array.NewBuilder(mem, dt)
		defer b.Release()
		for _, v := range vals {
			switch b := b.(type) {
			case *array.BooleanBuilder:
				b.Append(v.(bool))
			case *array.Int16Builder:
				b.Append(int16(v.(int)))
			case *array.Int32Builder:
				b.Append(int32(v.(int)))
			case *array.Int64Builder:
				b.Append(int64(v.(int)))
			case *array.Float32Builder:
				b.Append(float32(v.(float64)))
			case *array.Float64Builder:
				b.Append(v.(float64))
			case *array.Decimal128Builder:
				b.Append(decimal128.FromI64(int64(v.(int))))
			case *array.StringBuilder:
				b.Append(v.(string))
			case *array.BinaryBuilder:
				b.Append(v.([]byte))
			case *array.Date32Builder:
				b.Append(arrow.Date32(v.(int)))
			case *array.TimestampBuilder:
				b.Append(arrow.Timestamp(v.(int)))
			}
		}
		return b.NewArray()
	}
	tests := []struct {
		dt   arrow.DataType
		vals []any
		want []string
	}{
		{arrow.FixedWidthTypes.Boolean, []any{true, false}, []string{"t", "f"}},
		{arrow.PrimitiveTypes.Int16, []any{-32768}, []string{"-32768"}},
		{arrow.PrimitiveTypes.Int32, []any{42}, []string{"42"}},
		{arrow.PrimitiveTypes.Int64, []any{-9223372036854775808}, []string{"-9223372036854775808"}},
		// What PostgreSQL 15 prints for these float4 and float8 values.
		{arrow.PrimitiveTypes.Float32, []any{1.5, 100000.0, 1e6, 0.1, 1e-5, 3.4028234663852886e38},
			[]string{"1.5", "100000", "1e+06", "0.1", "1e-05", "3.4028235e+38"}},
		{arrow.PrimitiveTypes.Float64, []any{0.1, 1e14, 1e15, 0.0001, 0.00001, -2.5, 1.0 / 3},
			[]string{"0.1", "100000000000000", "1e+15", "0.0001", "1e-05", "-2.5", "0.3333333333333333"}},
		{&arrow.Decimal128Type{Precision: 10, Scale: 2}, []any{12345, -5, 0}, []string{"123.45", "-0.05", "0.00"}},
		{&arrow.Decimal128Type{Precision: 10, Scale: 0}, []any{7}, []string{"7"}},
		{arrow.BinaryTypes.String, []any{"héllo", ""}, []string{"héllo", ""}},
		{arrow.BinaryTypes.Binary, []any{[]byte{0xde, 0xad, 0x01}, []byte{}}, []string{`\xdead01`, `\x`}},
		{arrow.FixedWidthTypes.Date32, []any{0, 19724, -719528}, []string{"1970-01-01", "2024-01-02", "0001-01-01 BC"}},
		{&arrow.TimestampType{Unit: arrow.Microsecond}, []any{0, 1704164645123456, 1704164645100000},
			[]string{"1970-01-01 00:00:00", "2024-01-02 03:04:05.123456", "2024-01-02 03:04:05.1"}},
		{&arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, []any{0}, []string{"1970-01-01 00:00:00+00"}},
	}
	for _, tt := range tests {
		t.Run(tt.dt.String(), func(t *testing.T) {
			arr := build(tt.dt, tt.vals...)
			defer arr.Release()
			for i, want := range tt.want {
				if got := FormatValue(arr, i); got != want {
					t.Errorf("value %d: got %q, want %q", i, got, want)
				}
			}
		})
	}
}

func TestExpectString(t *testing.T) {
	for _, text := range []string{"error", "error SQLSTATE 42P01", "error SQLSTATE 42P01 relation \"x\"", "error a.*b"} {
		e, err := parseExpect(text)
		if err != nil {
			t.Fatal(err)
		}
		if got := e.String(); got != text {
			t.Errorf("got %q, want %q", got, text)
		}
	}
	if _, err := parseExpect("error SQLSTATE"); err == nil {
		t.Error("want an error for SQLSTATE without a code")
	}
}
