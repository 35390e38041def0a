package slt

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

var rewriteCoverage = flag.Bool("rewrite-coverage", false, "rewrite the function coverage table of docs/sql.md from what TestFunctionCoverage measures")

// coverageTypes are the PostgreSQL types sleeperd has values of, by OID, with the type a
// polymorphic parameter is called with.
var coverageTypes = map[uint32]string{
	16: "boolean", 17: "bytea", 20: "bigint", 21: "smallint", 23: "integer", 25: "text", 700: "real",
	701: "double precision", 1042: "character", 1043: "character varying", 1082: "date",
	1114: "timestamp without time zone", 1184: "timestamp with time zone", 1186: "interval", 1700: "numeric",
	1000: "boolean[]", 1005: "smallint[]", 1007: "integer[]", 1016: "bigint[]", 1009: "text[]", 1021: "real[]",
	1022: "double precision[]", 1231: "numeric[]", 1015: "character varying[]", 1182: "date[]",
	1115: "timestamp without time zone[]", 1185: "timestamp with time zone[]", 1187: "interval[]",
	// Polymorphic and pseudo types, called with a concrete type.
	2276: "text", 2277: "integer[]", 2283: "integer", 5077: "integer", 5078: "integer[]", 2776: "integer",
}

// coverageResults are the result types allowed besides coverageTypes (void: a function
// called for its effect).
var coverageResults = map[uint32]bool{2278: true}

// coverageCategories in the order of the table.
var coverageCategories = []string{"string", "math", "date/time", "regex", "hash", "array", "aggregate", "window", "system information"}

// systemInfoFuncs are PostgreSQL's session, settings and system information functions (its
// manual's sections 9.26 and 9.27.1) over the types sleeperd has.
var systemInfoFuncs = map[string]bool{"current_catalog": true, "current_database": true, "current_query": true,
	"current_role": true, "current_schema": true, "current_schemas": true, "current_user": true, "session_user": true,
	"user": true, "version": true, "pg_backend_pid": true, "pg_typeof": true, "current_setting": true,
	"set_config": true, "pg_postmaster_start_time": true, "pg_conf_load_time": true, "pg_current_xact_id": true,
	"txid_current": true, "pg_trigger_depth": true, "pg_jit_available": true, "inet_client_port": true,
	"inet_server_port": true, "pg_is_in_recovery": true, "pg_sleep": true, "pg_sleep_for": true, "pg_sleep_until": true,
	"pg_size_pretty": true, "pg_cancel_backend": true, "pg_terminate_backend": true, "format_type": true,
	"pg_get_userbyid": true, "pg_column_size": true, "num_nulls": true, "num_nonnulls": true,
	"pg_client_encoding": true, "obj_description": true, "col_description": true, "shobj_description": true,
	"pg_get_viewdef": true, "pg_get_serial_sequence": true, "pg_has_role": true, "has_table_privilege": true,
	"has_schema_privilege": true, "has_database_privilege": true, "has_column_privilege": true,
	"has_function_privilege": true, "has_sequence_privilege": true, "pg_table_is_visible": true,
	"pg_encoding_to_char": true, "to_regclass": true, "to_regtype": true, "row_security_active": true}

var hashFuncs = map[string]bool{"md5": true, "sha224": true, "sha256": true, "sha384": true, "sha512": true}

// coverageDescriptionsExcluded are the pg_description prefixes of functions that are not
// called by name in SQL: operator and cast implementations, support functions, I/O.
var coverageDescriptionsExcluded = []string{"implementation of", "I/O", "less-equal-greater", "hash", "sort support",
	"planner support", "larger of two", "smaller of two", "convert ", "deprecated", "aggregate transition",
	"aggregate final", "aggregate combine", "aggregate serial", "aggregate deserial", "internal",
	"transform a", "btree", "(internal)", "equal image", "in_range support"}

// coverageNamesExcluded are name prefixes of functions for features sleeperd does not have
// (large objects, XML, text search, privileges on object kinds it lacks, transaction ids),
// of support functions, and of the old aliases of operators (dlog10 for log, like for ~~).
// The large-object functions are named exactly (loread, lowrite), lest a prefix "lo" leave
// out lower, log and log10.
var coverageNamesExcluded = []string{"pg_", "lo_", "loread", "lowrite", "gin_", "xml", "txid_", "has_", "in_range", "numeric_",
	"int4inc", "int8inc", "int8dec", "dlog1", "dexp", "dround", "dtrunc", "dpow", "dsqrt", "dcbrt", "textlen", "like", "notlike",
	"ilike", "notilike", "to_ascii", "bit_count", "get_bit", "set_bit", "get_byte", "set_byte"}

type coverageProc struct {
	oid        uint32
	name       string
	kind       string
	retset     bool
	args       []uint32
	result     uint32
	aggKind    string
	directArgs int
	category   string
	// immutable: the value is compared as well as the type (a stable or volatile
	// function's, such as now(), differs between servers).
	immutable bool
}

func (p coverageProc) signature(typeNames map[uint32]string) string {
	names := make([]string, len(p.args))
	for i, a := range p.args {
		names[i] = typeNames[a]
	}
	return p.name + "(" + strings.Join(names, ", ") + ")"
}

// call is the query that calls p with typed NULLs from a one-row VALUES.
func (p coverageProc) call() string {
	vals := make([]string, len(p.args))
	cols := make([]string, len(p.args))
	for i, a := range p.args {
		vals[i] = "NULL::" + coverageTypes[a]
		cols[i] = fmt.Sprintf("a%d", i+1)
	}
	fn := fmt.Sprintf("pg_catalog.%q", p.name)
	var expr string
	switch {
	case p.kind == "a" && len(p.args) == 0:
		expr = fn + "(*)"
	case p.kind == "a" && (p.aggKind == "o" || p.aggKind == "h"):
		// Direct arguments are constants, the same in every row of a group.
		direct, ordered := vals[:p.directArgs], cols[p.directArgs:]
		if p.aggKind == "h" {
			// A hypothetical-set aggregate takes as many ordering as direct arguments.
			direct, ordered = vals, cols
		}
		expr = fmt.Sprintf("%s(%s) WITHIN GROUP (ORDER BY %s)", fn, strings.Join(direct, ", "), strings.Join(ordered, ", "))
	case p.kind == "w":
		expr = fmt.Sprintf("%s(%s) OVER ()", fn, strings.Join(cols, ", "))
	default:
		expr = fmt.Sprintf("%s(%s)", fn, strings.Join(cols, ", "))
	}
	if len(p.args) == 0 {
		if p.kind == "w" || p.kind == "a" {
			return "SELECT " + expr + " FROM (VALUES (1)) AS v(a)"
		}
		return "SELECT " + expr
	}
	return fmt.Sprintf("SELECT %s FROM (VALUES (%s)) AS v(%s)", expr, strings.Join(vals, ", "), strings.Join(cols, ", "))
}

// categorise returns p's category, "" for functions outside the measured ones.
func categorise(p coverageProc, desc string) string {
	switch {
	case p.kind == "a":
		return "aggregate"
	case p.kind == "w":
		return "window"
	case p.kind != "f":
		return ""
	case systemInfoFuncs[p.name]:
		return "system information"
	case hashFuncs[p.name]:
		return "hash"
	case strings.HasPrefix(p.name, "regexp_") || p.name == "similar_to_escape" || p.name == "substring" && len(p.args) >= 2 && p.args[1] == 25:
		return "regex"
	}
	for _, pre := range coverageDescriptionsExcluded {
		if strings.HasPrefix(desc, pre) {
			return ""
		}
	}
	if desc == "" || strings.HasPrefix(p.name, "_") {
		return ""
	}
	for _, pre := range coverageNamesExcluded {
		if strings.HasPrefix(p.name, pre) || strings.HasSuffix(p.name, "_subdiff") {
			return ""
		}
	}
	all := append([]uint32{p.result}, p.args...)
	has := func(oids ...uint32) bool {
		for _, a := range all {
			for _, o := range oids {
				if a == o {
					return true
				}
			}
		}
		return false
	}
	switch {
	case has(2277, 5078, 1000, 1005, 1007, 1016, 1009, 1021, 1022, 1231, 1015, 1182, 1115, 1185, 1187) || strings.HasPrefix(p.name, "array_"):
		return "array"
	case has(1082, 1114, 1184, 1186):
		return "date/time"
	case has(25, 1042, 1043, 17):
		return "string"
	case has(20, 21, 23, 700, 701, 1700):
		return "math"
	}
	return ""
}

// coverageRow is one category's line of the table.
type coverageRow struct {
	category         string
	supported, total int
	missing          []string
}

// TestFunctionCoverage reads PostgreSQL's built-in functions over the types sleeperd has
// from the test PostgreSQL's pg_proc, calls each overload with typed NULLs on PostgreSQL
// and on sleeperd, and counts an overload supported when sleeperd answers with PostgreSQL's
// result type and value (or fails with its SQLSTATE). The figures per category must equal
// the table in docs/sql.md; -rewrite-coverage rewrites it.
func TestFunctionCoverage(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rows := func() []coverageRow {
		pg := freshDatabase(ctx, t, t.Name())
		sd := dial(ctx, t, fmt.Sprintf("postgres://slt@%s/slt?sslmode=disable", serve(ctx, t, openEngine(ctx, t, mem))))
		procs, typeNames := coverageProcs(ctx, t, pg)
		byCat := map[string]*coverageRow{}
		for _, c := range coverageCategories {
			byCat[c] = &coverageRow{category: c}
		}
		for _, p := range procs {
			r := byCat[p.category]
			r.total++
			q := p.call()
			want, wantErr := runCoverage(ctx, pg, q)
			got, gotErr := runCoverage(ctx, sd, q)
			if !p.immutable {
				got, want = typesOnly(got), typesOnly(want)
			}
			if (wantErr == "" && gotErr == "" && got == want) || (wantErr != "" && gotErr == wantErr) {
				r.supported++
			} else {
				r.missing = append(r.missing, p.signature(typeNames))
				if testing.Verbose() {
					t.Logf("%s: %s %s / PostgreSQL %s %s", q, got, gotErr, want, wantErr)
				}
			}
		}
		out := make([]coverageRow, 0, len(byCat))
		for _, c := range coverageCategories {
			out = append(out, *byCat[c])
		}
		return out
	}()
	table := coverageTable(rows)
	const path = "../../docs/sql.md"
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- function coverage: begin (TestFunctionCoverage) -->\n", "<!-- function coverage: end -->\n"
	i, j := bytes.Index(doc, []byte(begin)), bytes.Index(doc, []byte(end))
	if i < 0 || j < i {
		t.Fatalf("docs/sql.md has no function coverage markers %q ... %q", begin, end)
	}
	current := string(doc[i+len(begin) : j])
	if current == table {
		return
	}
	if *rewriteCoverage || os.Getenv("SLEEPERD_REWRITE_COVERAGE") == "1" {
		out := append(append(append([]byte{}, doc[:i+len(begin)]...), table...), doc[j:]...)
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("docs/sql.md's function coverage differs from what was measured (go test ./internal/slt -run TestFunctionCoverage -rewrite-coverage rewrites it):\n%s", table)
}

// coverageProcs reads the measured functions from PostgreSQL's catalog.
func coverageProcs(ctx context.Context, t *testing.T, pg *pgx.Conn) ([]coverageProc, map[uint32]string) {
	t.Helper()
	rows, err := pg.Query(ctx, `SELECT p.oid, p.proname, p.prokind, p.proretset, p.proargtypes::oid[], p.prorettype,
		coalesce(a.aggkind, ''), coalesce(a.aggnumdirectargs, 0), coalesce(d.description, ''), p.provolatile = 'i',
		EXISTS (SELECT FROM pg_type t WHERE t.typname = p.proname)
		FROM pg_proc p LEFT JOIN pg_description d ON d.objoid = p.oid AND d.classoid = 'pg_proc'::regclass
		LEFT JOIN pg_aggregate a ON a.aggfnoid = p.oid
		WHERE p.pronamespace = 'pg_catalog'::regnamespace ORDER BY p.proname, p.oid`)
	if err != nil {
		t.Fatal(err)
	}
	var procs []coverageProc
	for rows.Next() {
		var p coverageProc
		var desc string
		var direct int16
		var typeName bool
		if err := rows.Scan(&p.oid, &p.name, &p.kind, &p.retset, &p.args, &p.result, &p.aggKind, &direct, &desc, &p.immutable, &typeName); err != nil {
			t.Fatal(err)
		}
		if typeName {
			continue // a length coercion (varchar(v, n, explicit)) or a cast
		}
		p.directArgs = int(direct)
		if _, ok := coverageTypes[p.result]; !ok && !coverageResults[p.result] {
			continue
		}
		ok := true
		for _, a := range p.args {
			if _, known := coverageTypes[a]; !known {
				ok = false
			}
		}
		if !ok {
			continue
		}
		if p.category = categorise(p, desc); p.category != "" {
			procs = append(procs, p)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	typeNames := map[uint32]string{}
	trows, err := pg.Query(ctx, `SELECT oid, format_type(oid, NULL) FROM pg_type`)
	if err != nil {
		t.Fatal(err)
	}
	for trows.Next() {
		var oid uint32
		var name string
		if err := trows.Scan(&oid, &name); err != nil {
			t.Fatal(err)
		}
		typeNames[oid] = name
	}
	if err := trows.Err(); err != nil {
		t.Fatal(err)
	}
	return procs, typeNames
}

// runCoverage runs q and returns its result's type OIDs and values as text, or the
// error's SQLSTATE.
func runCoverage(ctx context.Context, c *pgx.Conn, q string) (string, string) {
	qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	rows, err := c.Query(qctx, q, pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		return "", sqlstate(err)
	}
	defer rows.Close()
	var sb strings.Builder
	for _, f := range rows.FieldDescriptions() {
		fmt.Fprintf(&sb, "%d:", f.DataTypeOID)
	}
	for rows.Next() {
		for _, v := range rows.RawValues() {
			if v == nil {
				sb.WriteString("|NULL")
			} else {
				sb.WriteString("|" + string(v))
			}
		}
	}
	if err := rows.Err(); err != nil {
		return "", sqlstate(err)
	}
	return sb.String(), ""
}

// typesOnly is the part of runCoverage's result that names the types.
func typesOnly(s string) string {
	t, _, _ := strings.Cut(s, "|")
	return t
}

func sqlstate(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return "error: " + err.Error()
}

// coverageTable is the markdown table of the figures with the missing overloads.
func coverageTable(rows []coverageRow) string {
	var sb strings.Builder
	sb.WriteString("| category | supported | PostgreSQL 15 built-ins | coverage |\n|---|---:|---:|---:|\n")
	var sup, tot int
	for _, r := range rows {
		fmt.Fprintf(&sb, "| %s | %d | %d | %s |\n", r.category, r.supported, r.total, percent(r.supported, r.total))
		sup += r.supported
		tot += r.total
	}
	fmt.Fprintf(&sb, "| all | %d | %d | %s |\n\n", sup, tot, percent(sup, tot))
	sb.WriteString("Overloads not supported yet:\n\n")
	for _, r := range rows {
		if len(r.missing) == 0 {
			continue
		}
		names := map[string]bool{}
		for _, m := range r.missing {
			names[m] = true
		}
		list := make([]string, 0, len(names))
		for n := range names {
			list = append(list, "`"+n+"`")
		}
		sort.Strings(list)
		fmt.Fprintf(&sb, "- %s: %s\n", r.category, strings.Join(list, ", "))
	}
	return sb.String()
}

func percent(a, b int) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%d%%", a*100/b)
}
