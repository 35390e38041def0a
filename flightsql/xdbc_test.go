package flightsql

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
)

// TestXdbcTypeInfoCoversColumnTypes checks that GetXdbcTypeInfo lists, under the name GetTables
// gives it (ARROW:FLIGHT:SQL:TYPE_NAME, without its modifiers), every type a table column can
// have, arrays included, and that the data_type filter finds each type under its code.
func TestXdbcTypeInfoCoversColumnTypes(t *testing.T) {
	ctx, mem, _, cl := serveChecked(t)
	base := []string{"boolean", "smallint", "integer", "bigint", "real", "double precision",
		"numeric", "numeric(10,2)", "text", "varchar", "varchar(5)", "char(3)", "bytea", "date",
		"timestamp", "timestamptz", "time", "time(3)", "timetz", "timetz(2)", "interval",
		"uuid", "json", "jsonb", "bpchar", "name", `"char"`, "timestamp(3)", "timestamptz(3)"}
	var cols []string
	for i, b := range base {
		cols = append(cols, "c"+strconv.Itoa(i)+" "+b)
		if b != "varchar(5)" && b != "char(3)" { // no arrays of character types with a length
			cols = append(cols, "a"+strconv.Itoa(i)+" "+b+"[]")
		}
	}
	sql := "CREATE TABLE alltypes (id bigint NOT NULL, " + strings.Join(cols, ", ") + ") WITH (row_keys = 'id')"
	if _, err := cl.ExecuteUpdate(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}

	sc := tableSchema(ctx, t, cl, mem, "alltypes")

	info, err := cl.GetXdbcTypeInfo(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	bs, err := readInfo(ctx, cl, mem, info)
	if err != nil {
		t.Fatal(err)
	}
	rows := rowsOf(bs)
	releaseAll(bs)
	codes := map[string]string{} // type_name -> data_type
	for _, r := range rows {
		if _, dup := codes[r[0]]; dup {
			t.Errorf("GetXdbcTypeInfo lists %q twice", r[0])
		}
		codes[r[0]] = r[1]
	}
	// data_type, sql_data_type and datetime_subcode of the types XDBC has no plain code for.
	byName := map[string][]string{}
	for _, r := range rows {
		byName[r[0]] = []string{r[1], r[15], r[16]}
	}
	for name, want := range map[string][]string{
		"uuid":                     {"-2", "-2", "NULL"},
		"jsonb":                    {"12", "12", "NULL"},
		"interval":                 {"10", "10", "NULL"},
		"time with time zone":      {"92", "9", "4"},
		"timestamp with time zone": {"93", "9", "5"},
		"integer[]":                {"0", "0", "NULL"},
	} {
		if got := byName[name]; strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: data_type, sql_data_type, datetime_subcode %v, want %v", name, got, want)
		}
	}

	mods := regexp.MustCompile(`\(\d+(,\d+)?\)`)
	for _, f := range sc.Fields() {
		md := flightsql.ColumnMetadata{Data: &f.Metadata}
		tn, ok := md.TypeName()
		if !ok {
			t.Errorf("column %s has no type name", f.Name)
			continue
		}
		name := mods.ReplaceAllString(tn, "")
		code, ok := codes[name]
		if !ok {
			t.Errorf("column %s: GetXdbcTypeInfo does not list its type %q (%s)", f.Name, name, tn)
			continue
		}
		// The data_type filter finds it under its code.
		n, err := strconv.Atoi(code)
		if err != nil {
			t.Fatalf("data_type %q of %q", code, name)
		}
		dt := int32(n)
		info, err := cl.GetXdbcTypeInfo(ctx, &dt)
		if err != nil {
			t.Fatal(err)
		}
		bs, err := readInfo(ctx, cl, mem, info)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, r := range rowsOf(bs) {
			if r[1] != code {
				t.Errorf("data_type %d gives %v", dt, r)
			}
			found = found || r[0] == name
		}
		releaseAll(bs)
		if !found {
			t.Errorf("data_type %d does not give %q", dt, name)
		}
	}
}
