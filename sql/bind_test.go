package sql

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// fakeCatalog holds the tables t and p (k integer, v integer, s text), p with k its primary
// key.
type fakeCatalog struct{}

func (fakeCatalog) Table(_ context.Context, name string) (*catalog.Table, error) {
	if name != "t" && name != "p" {
		return nil, errs.New(errs.UndefinedTable, "relation %q does not exist", name)
	}
	t := &catalog.Table{Name: name, Columns: []catalog.Column{
		{Name: "k", Type: types.Int32}, {Name: "v", Type: types.Int32, Nullable: true}, {Name: "s", Type: types.Text, Nullable: true},
	}, RowKeys: []int{0}}
	if name == "p" {
		t.PrimaryKey = []int{0}
	}
	return t, nil
}

func (fakeCatalog) View(context.Context, string) (*catalog.View, bool, error) { return nil, false, nil }

func bind(t *testing.T, text string) (planner.Statement, error) {
	t.Helper()
	stmts, err := Parse(text)
	if err != nil {
		t.Fatalf("parse %q: %v", text, err)
	}
	return Bind(context.Background(), fakeCatalog{}, stmts[0], nil)
}

func TestBindVariables(t *testing.T) {
	tests := []struct {
		sql  string
		want planner.Statement
	}{
		{"SET TIME ZONE 'Europe/Paris'", &planner.SetVariable{Name: "timezone", Value: "Europe/Paris"}},
		{"SET timezone TO 'UTC'", &planner.SetVariable{Name: "timezone", Value: "UTC"}},
		{"SET search_path = public, 'x y'", &planner.SetVariable{Name: "search_path", Value: "public, x y"}},
		{"SET extra_float_digits = 3", &planner.SetVariable{Name: "extra_float_digits", Value: "3"}},
		{"SET LOCAL statement_timeout TO 1.5", &planner.SetVariable{Name: "statement_timeout", Value: "1.5", Local: true}},
		{"SET DateStyle TO DEFAULT", &planner.SetVariable{Name: "datestyle", Reset: true}},
		{"SET TIME ZONE LOCAL", &planner.SetVariable{Name: "timezone", Reset: true}},
		{"RESET timezone", &planner.SetVariable{Name: "timezone", Reset: true}},
		{"RESET ALL", &planner.SetVariable{Name: "all", Reset: true}},
		{"SET application_name = on", &planner.SetVariable{Name: "application_name", Value: "on"}},
		{"SHOW TimeZone", &planner.ShowVariable{Name: "timezone"}},
		{"SHOW ALL", &planner.ShowVariable{Name: "all"}},
		{"SHOW TABLES", &planner.ShowTables{}},
	}
	for _, tc := range tests {
		got, err := bind(t, tc.sql)
		if err != nil {
			t.Errorf("%s: %v", tc.sql, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %#v, want %#v", tc.sql, got, tc.want)
		}
	}
}

func TestBindParamTypes(t *testing.T) {
	tests := []struct {
		sql  string
		want []arrow.DataType
	}{
		{"SELECT k FROM t WHERE k = ANY($1)", []arrow.DataType{types.ArrayOf(types.Int32)}},
		{"SELECT k FROM t WHERE s <> ALL ($1)", []arrow.DataType{types.ArrayOf(types.Text)}},
		{"SELECT $1 = ANY(ARRAY[1, 2]::bigint[])", []arrow.DataType{types.Int64}},
		{"SELECT $1::int[]", []arrow.DataType{types.ArrayOf(types.Int32)}},
		{"SELECT k FROM t WHERE v IN (SELECT k FROM t WHERE s = $1) OR v = $2", []arrow.DataType{types.Text, types.Int32}},
	}
	for _, tc := range tests {
		st, err := bind(t, tc.sql)
		if err != nil {
			t.Errorf("%s: %v", tc.sql, err)
			continue
		}
		got := st.Params()
		if len(got) != len(tc.want) {
			t.Errorf("%s: %d parameters, want %d", tc.sql, len(got), len(tc.want))
			continue
		}
		for i := range got {
			if !arrow.TypeEqual(got[i], tc.want[i]) {
				t.Errorf("%s: $%d is %s, want %s", tc.sql, i+1, types.Name(got[i]), types.Name(tc.want[i]))
			}
		}
	}
}

func TestBindOutputTypes(t *testing.T) {
	tests := []struct {
		sql  string
		want []string
	}{
		{"SELECT ARRAY[1, 2], ARRAY[1, 2.5], '{a}'::text[], ARRAY[]::int ARRAY", []string{"integer[]", "numeric[]", "text[]", "integer[]"}},
		{"SELECT (ARRAY['a'])[1], ARRAY[1] || 2, 0 || ARRAY[1]::bigint[], ARRAY[1] @> ARRAY[1]", []string{"text", "integer[]", "bigint[]", "boolean"}},
		{"SELECT k IN (SELECT v FROM t), EXISTS (SELECT 1 FROM t t2 WHERE t2.k = t.v) FROM t", []string{"boolean", "boolean"}},
		{"SELECT unnest(ARRAY['x']), k FROM t", []string{"text", "integer"}},
		{"SELECT string_agg(s, ',' ORDER BY k), array_agg(k), count(*) FILTER (WHERE v > 1) FROM t", []string{"text", "integer[]", "bigint"}},
		{"SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v), mode() WITHIN GROUP (ORDER BY s) FROM t", []string{"double precision", "text"}},
		{"SELECT * FROM unnest(ARRAY[1], ARRAY['a']) WITH ORDINALITY", []string{"integer", "text", "bigint"}},
		{"SELECT sum(v) OVER w FROM t WINDOW w AS (PARTITION BY s)", []string{"bigint"}},
		{"SELECT upper(s::varchar(3)), max(s::varchar), min(s::char(2)), lpad(s::varchar, 3) FROM t GROUP BY s", []string{"text", "text", "character(2)", "text"}},
		{"SELECT 'a'::varchar(4) UNION ALL SELECT 'b'::text", []string{"character varying"}},
		{"SELECT 'a'::text UNION ALL SELECT 'b'::varchar(4)", []string{"text"}},
		{"SELECT 'a'::varchar(4) UNION ALL SELECT 'b'::varchar(4)", []string{"character varying(4)"}},
		{"SELECT CASE WHEN true THEN 'a'::text ELSE 'b'::varchar END, coalesce('a'::varchar, 'b'::text)", []string{"character varying", "character varying"}},
		{"SELECT array_cat(ARRAY['a'], NULL), array_append(NULL, 1), array_position(ARRAY[1], 2.5)", []string{"text[]", "integer[]", "integer"}},
		{"SELECT x.n FROM t LEFT JOIN LATERAL (SELECT count(*) AS n FROM t t2 WHERE t2.k = t.k) x ON true", []string{"bigint"}},
		{"SELECT g FROM t, generate_series(1, t.k) AS g", []string{"integer"}},
		{"SELECT 0.25::numeric(4,2) + 100, 0.25::numeric(4,2) * 1000::bigint, 1::smallint - 9.5::numeric(3,1)", []string{"numeric(38,2)", "numeric(38,2)", "numeric(38,1)"}},
		{"SELECT CASE WHEN true THEN 0.25::numeric(4,2) ELSE k END, coalesce(1.5::numeric(2,1), 1::bigint) FROM t", []string{"numeric", "numeric"}},
		{"SELECT round(1.2345, 2), round(1.5), trunc(1234.5, -2), round(v::numeric(10,4), 1) FROM t", []string{"numeric(38,2)", "numeric(38,0)", "numeric(38,0)", "numeric(38,1)"}},
		{"SELECT lag(v, 1, 0.5) OVER (ORDER BY k), lead(v, 1, '7') OVER (ORDER BY k), lag(s, 1) OVER (ORDER BY k) FROM t", []string{"numeric", "integer", "text"}},
		{"SELECT coalesce(NULL, '5', 3), nullif('5', 5), nullif(NULL, 1), nullif(v, 2.5) FROM t", []string{"integer", "integer", "integer", "numeric(38,1)"}},
		{"SELECT -v::float8, -(1::real), concat('a'::char(3), 'b'), 'a'::char(3) LIKE s FROM t", []string{"double precision", "real", "text", "boolean"}},
	}
	for _, tc := range tests {
		st, err := bind(t, tc.sql)
		if err != nil {
			t.Errorf("%s: %v", tc.sql, err)
			continue
		}
		var got []string
		for _, c := range st.(*planner.Query).Root.Columns() {
			got = append(got, types.Name(c.Type))
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: types %v, want %v", tc.sql, got, tc.want)
		}
	}
}

func TestBindErrors(t *testing.T) {
	tests := []struct {
		sql  string
		kind error
		msg  string
	}{
		{"SELECT sum(v) OVER nope FROM t", errs.UndefinedObject, `window "nope" does not exist`},
		{"SELECT sum(v) OVER (w ORDER BY v) FROM t WINDOW w AS (ORDER BY k)", errs.Windowing, "cannot override ORDER BY"},
		{"SELECT 1 IN (SELECT k, v FROM t)", errs.Syntax, "subquery has too many columns"},
		{"SELECT k FROM t WHERE unnest(ARRAY[1]) = 1", errs.NotImplemented, "set-returning functions are not allowed in WHERE"},
		{"SELECT count(*) FILTER (WHERE sum(v) > 1) FROM t", errs.Grouping, "not allowed in FILTER"},
		{"SELECT string_agg(DISTINCT s, ',' ORDER BY k) FROM t", errs.InvalidColumnRef, "must appear in argument list"},
		{"SELECT 1 = ANY (1)", errs.WrongObjectType, "requires array on right side"},
		{"SELECT ARRAY[1] @> 1", errs.UndefinedFunction, "operator does not exist"},
		{"SELECT ARRAY[]", errs.IndeterminateType, "cannot determine type of empty array"},
		{"CREATE TABLE a (x varchar(3)[])", errs.NotImplemented, "arrays of character varying(3)"},
		{"SELECT row_number() FILTER (WHERE v > 1) OVER () FROM t", errs.NotImplemented, "FILTER is not implemented for non-aggregate window functions"},
		{"SELECT k FROM t ORDER BY v FETCH FIRST NULL ROWS WITH TIES", errs.InvalidRowCount, "cannot be null"},
		{"SELECT 1 || 2", errs.UndefinedFunction, "operator does not exist"},
		{"SELECT -NULL", errs.AmbiguousFunction, "not unique"},
		{"SELECT sum(NULL), avg('1')", errs.AmbiguousFunction, "not unique"},
		{"SELECT s LIKE 'a' ESCAPE s FROM t", errs.NotImplemented, "ESCAPE"},
		{"SELECT s LIKE s ESCAPE '#' FROM t", errs.NotImplemented, "ESCAPE"},
		{"SELECT s LIKE 'a' ESCAPE '##' FROM t", errs.InvalidEscape, "escape"},
	}
	for _, tc := range tests {
		_, err := bind(t, tc.sql)
		if err == nil {
			t.Errorf("%s: no error, want %v", tc.sql, tc.kind)
			continue
		}
		if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: error %v (%v), want %v containing %q", tc.sql, err, errs.KindOf(err), tc.kind, tc.msg)
		}
	}
}

// TestBindDMLSubqueries checks that subqueries in DELETE and UPDATE are rejected unless the
// executor reads Rows(), which then holds the table's scan with the subqueries joined in.
func TestLikePattern(t *testing.T) {
	tests := []struct{ pattern, esc, want string }{
		{`a#%b`, "#", `a\%b`},
		{`a##b`, "#", `a\#b`},
		{`a#_%`, "#", `a\_%`},
		{`a\b`, "#", `a\\b`},
		{`a\b%`, "", `a\\b%`},
		{`a#`, "#", `a\`},
		{`a\%`, `\`, `a\%`},
		{`ä!ö!!`, "!", `ä\ö\!`},
	}
	for _, tc := range tests {
		if got := likePattern(tc.pattern, tc.esc); got != tc.want {
			t.Errorf("likePattern(%q, %q) = %q, want %q", tc.pattern, tc.esc, got, tc.want)
		}
	}
}

func TestBindDMLSubqueries(t *testing.T) {
	tests := []struct {
		sql   string
		input bool // Input is set
		kind  error
	}{
		{"DELETE FROM p WHERE k IN (SELECT v FROM t)", true, nil},
		{"DELETE FROM p WHERE EXISTS (SELECT 1 FROM t WHERE t.k = p.k)", true, nil},
		{"DELETE FROM p WHERE k > (SELECT min(k) FROM t)", true, nil},
		{"UPDATE p SET s = (SELECT max(s) FROM t) WHERE k = 3", true, nil},
		{"UPDATE p SET s = (SELECT s FROM t WHERE t.k = p.k)", true, nil},
		{"UPDATE p SET s = 'x' WHERE k = 3", false, nil},
		{"DELETE FROM p WHERE k = 3", false, nil},
		// A table without a PRIMARY KEY too: the engine deletes the rows matched by their values.
		{"DELETE FROM t WHERE k IN (SELECT v FROM t)", true, nil},
	}
	for _, tc := range tests {
		stmts, err := Parse(tc.sql)
		if err != nil {
			t.Fatalf("parse %q: %v", tc.sql, err)
		}
		_, err = Bind(context.Background(), fakeCatalog{}, stmts[0], nil)
		if tc.input && !errors.Is(err, errs.NotImplemented) {
			t.Errorf("%s without DMLInput: got %v, want a feature-not-supported error", tc.sql, err)
		}
		st, err := BindWith(context.Background(), fakeCatalog{}, stmts[0], nil, Options{DMLInput: true})
		if tc.kind != nil {
			if !errors.Is(err, tc.kind) {
				t.Errorf("%s: got %v, want %v", tc.sql, err, tc.kind)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.sql, err)
			continue
		}
		var scan *planner.Scan
		var input, rows planner.Node
		switch s := st.(type) {
		case *planner.Delete:
			scan, input, rows = s.Scan, s.Input, s.Rows()
		case *planner.Update:
			scan, input, rows = s.Scan, s.Input, s.Rows()
		}
		if (input != nil) != tc.input {
			t.Errorf("%s: Input set %v, want %v", tc.sql, input != nil, tc.input)
			continue
		}
		// Rows has the scan's columns first, with their IDs.
		cols := rows.Columns()
		for i, c := range scan.Columns() {
			if i >= len(cols) || cols[i].ID != c.ID {
				t.Errorf("%s: column %d of Rows is not the scan's %s", tc.sql, i, c.Name)
			}
		}
	}
}
