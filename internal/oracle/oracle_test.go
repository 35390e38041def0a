package oracle

import (
	"database/sql"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/sleeperd/sleeperd/internal/slt"
)

func TestNormalise(t *testing.T) {
	for _, c := range []struct {
		v       sql.NullString
		numeric bool
		want    string
	}{
		{sql.NullString{}, true, "NULL"},
		{sql.NullString{String: "1.005", Valid: true}, true, "1.01"},
		{sql.NullString{String: "-1.005", Valid: true}, true, "-1.01"},
		{sql.NullString{String: "2.0000000000000000", Valid: true}, true, "2.00"},
		{sql.NullString{String: "7", Valid: true}, true, "7.00"},
		{sql.NullString{String: "1.005", Valid: true}, false, "1.005"},
		{sql.NullString{String: "NaN", Valid: true}, true, "NaN"},
	} {
		if got := Normalise(c.v, c.numeric); got != c.want {
			t.Errorf("Normalise(%v, %v) = %q, want %q", c.v, c.numeric, got, c.want)
		}
	}
}

func TestDiff(t *testing.T) {
	val := func(s string) sql.NullString { return sql.NullString{String: s, Valid: true} }
	res := func(name string, typ byte, oid uint32, rows ...string) *slt.Result {
		r := &slt.Result{Columns: []slt.Column{{Name: name, Type: typ, OID: oid}}}
		for _, v := range rows {
			r.Rows = append(r.Rows, []sql.NullString{val(v)})
		}
		return r
	}
	want := res("a", 'R', pgtype.NumericOID, "1.0049999", "2")
	for _, c := range []struct {
		got  *slt.Result
		diff string // part of the expected difference, "" for a match
	}{
		{res("a", 'R', pgtype.NumericOID, "1.00", "2.00"), ""},
		{res("b", 'R', pgtype.NumericOID, "1.00", "2.00"), "columns [b]"},
		{res("a", 'I', pgtype.NumericOID, "1.00", "2.00"), "column types"},
		{res("a", 'R', pgtype.NumericOID, "1.00"), "1 rows, PostgreSQL 2"},
		{res("a", 'R', pgtype.NumericOID, "1.00", "2.01"), "row 2 column a: 2.01, PostgreSQL 2.00"},
	} {
		d := Diff(want, c.got)
		if c.diff == "" && d != "" || c.diff != "" && !strings.Contains(d, c.diff) {
			t.Errorf("Diff: got %q, want %q", d, c.diff)
		}
	}
}
