package flightsql

import (
	"reflect"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"

	"github.com/sleeperd/sleeperd/types"
)

// regQuery selects values of regclass, regtype, regproc, regnamespace and regrole;
// regWant is the text PostgreSQL gives them (internal/slt's TestCopyToRegNames checks the
// same values against PostgreSQL through COPY).
const regQuery = `SELECT pg_typeof(1) AS t, pg_typeof(ARRAY['a'::text]) AS ta, 'pg_class'::regclass AS c,
	'"Reg T"'::regclass AS rt, 'character varying'::regtype AS vc, 'pg_catalog'::regnamespace AS ns,
	'now'::regproc AS p, 0::regclass AS z, NULL::regtype AS n, 123456789::regclass AS u`

var regWant = []string{"integer", "text[]", "pg_class", `"Reg T"`, "character varying", "pg_catalog", "now", "-", "NULL", "123456789"}

// TestFlightRegNames reads regclass, regtype... columns with ADBC's Flight SQL driver and
// arrow-go's Flight SQL client: utf8 columns of the objects' names as PostgreSQL writes
// them, whose metadata names the SQL type, in the announced schema and the data alike.
func TestFlightRegNames(t *testing.T) {
	ctx, mem, srv, cl := serveChecked(t)
	execAll(ctx, t, cl, `CREATE TABLE "Reg T" (k bigint NOT NULL) WITH (row_keys = 'k')`)
	sqlTypes := []string{"regtype", "regtype", "regclass", "regclass", "regtype", "regnamespace", "regproc", "regclass", "regtype", "regclass"}
	check := func(name string, got []arrow.RecordBatch) {
		t.Helper()
		defer releaseAll(got)
		for j, f := range got[0].Schema().Fields() {
			if !arrow.TypeEqual(f.Type, arrow.BinaryTypes.String) {
				t.Errorf("%s: column %s is %s, want utf8", name, f.Name, f.Type)
			}
			if st, _ := f.Metadata.GetValue(types.SQLTypeKey); st != sqlTypes[j] {
				t.Errorf("%s: column %s has %s %q, want %q", name, f.Name, types.SQLTypeKey, st, sqlTypes[j])
			}
		}
		if rows := rowsOf(got); len(rows) != 1 || !reflect.DeepEqual(rows[0], regWant) {
			t.Errorf("%s: got %q\nwant %q", name, rows, regWant)
		}
	}
	check("ADBC", adbcFetch(ctx, t, adbcConn(t, srv, mem, nil), regQuery))
	check("Flight SQL client", fetch(ctx, t, cl, mem, regQuery))

	// The schema a client asks for before running the query says the same.
	res, err := cl.GetExecuteSchema(ctx, regQuery)
	if err != nil {
		t.Fatal(err)
	}
	sr, err := flight.DeserializeSchema(res.GetSchema(), mem)
	if err != nil {
		t.Fatal(err)
	}
	if f := sr.Field(0); !arrow.TypeEqual(f.Type, arrow.BinaryTypes.String) {
		t.Errorf("GetExecuteSchema: %s is %s, want utf8", f.Name, f.Type)
	}
}

// TestFlightRegNamesInRecords reads a record with a regtype field: a struct whose field is
// utf8 holding the type's name, its metadata naming regtype.
func TestFlightRegNamesInRecords(t *testing.T) {
	ctx, mem, _, cl := serveChecked(t)
	got := fetch(ctx, t, cl, mem, `SELECT ROW(pg_typeof(1.5), 1) AS r`)
	defer releaseAll(got)
	st, ok := got[0].Schema().Field(0).Type.(*arrow.StructType)
	if !ok {
		t.Fatalf("r: %s, want a struct", got[0].Schema().Field(0).Type)
	}
	if f := st.Field(0); !arrow.TypeEqual(f.Type, arrow.BinaryTypes.String) {
		t.Fatalf("r's field %s: %s, want utf8", f.Name, f.Type)
	}
	if v, _ := st.Field(0).Metadata.GetValue(types.SQLTypeKey); v != "regtype" {
		t.Errorf("r's field metadata %s: %q, want regtype", types.SQLTypeKey, v)
	}
	if v := got[0].Column(0).(*array.Struct).Field(0).(*array.String).Value(0); v != "numeric" {
		t.Errorf("r's regtype field: %q, want numeric", v)
	}
}

// TestFlightRegArrays reads arrays of regclass and regtype: lists of utf8 names, the element
// field's metadata naming the SQL type, as PostgreSQL writes the elements of regclass[].
func TestFlightRegArrays(t *testing.T) {
	ctx, mem, srv, cl := serveChecked(t)
	execAll(ctx, t, cl, `CREATE TABLE "Reg A" (k bigint NOT NULL) WITH (row_keys = 'k')`)
	q := `SELECT ARRAY['pg_class'::regclass, '"Reg A"', NULL] AS c, ARRAY['int4'::regtype, 'text[]'] AS t`
	want := [][]string{{"pg_class", `"Reg A"`, ""}, {"integer", "text[]"}}
	sqlTypes := []string{"regclass", "regtype"}
	check := func(name string, got []arrow.RecordBatch) {
		t.Helper()
		defer releaseAll(got)
		for j, f := range got[0].Schema().Fields() {
			lt, ok := f.Type.(*arrow.ListType)
			if !ok || !arrow.TypeEqual(lt.Elem(), arrow.BinaryTypes.String) {
				t.Fatalf("%s: column %s is %s, want list<utf8>", name, f.Name, f.Type)
			}
			if st, _ := lt.ElemField().Metadata.GetValue(types.SQLTypeKey); st != sqlTypes[j] {
				t.Errorf("%s: column %s's elements have %s %q, want %q", name, f.Name, types.SQLTypeKey, st, sqlTypes[j])
			}
			l := got[0].Column(j).(*array.List)
			vals := l.ListValues().(*array.String)
			var gotVals []string
			for i := 0; i < vals.Len(); i++ {
				gotVals = append(gotVals, vals.Value(i))
			}
			if !reflect.DeepEqual(gotVals, want[j]) {
				t.Errorf("%s: column %s: %q, want %q", name, f.Name, gotVals, want[j])
			}
			if j == 0 && !vals.IsNull(2) {
				t.Errorf("%s: column %s's third element is not NULL", name, f.Name)
			}
		}
	}
	check("ADBC", adbcFetch(ctx, t, adbcConn(t, srv, mem, nil), q))
	check("Flight SQL client", fetch(ctx, t, cl, mem, q))
}
