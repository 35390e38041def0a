package slt

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"

	"github.com/sleeperd/sleeperd/catalog"
)

// psqlSetup creates the same objects in PostgreSQL and in sleeperd.
var psqlSetup = []string{
	"CREATE TABLE t (id bigint PRIMARY KEY, name text, v double precision)",
	"CREATE TABLE orders (region text NOT NULL, day date NOT NULL, qty integer, price numeric(10,2), note character varying(20), PRIMARY KEY (region, day))",
	"CREATE VIEW vv AS SELECT id FROM t",
}

// psqlMetaSetup creates more objects for TestPsqlMetaCommands only: a table without a
// primary key (keyed by a hidden row id in sleeperd) and a created index.
var psqlMetaSetup = []string{
	"CREATE TABLE nopk (a integer, b text)",
	"CREATE INDEX orders_qty ON orders (qty)",
	// Rows, so that the tables' sizes are not 0 (see \dt+).
	"INSERT INTO t VALUES (1, 'one', 1.5), (2, 'two', 2.5)",
	"INSERT INTO orders VALUES ('eu', '2024-01-01', 3, 9.99, 'first')",
}

// psqlACLRoles are the roles psqlACLSetup grants to. Roles belong to PostgreSQL's whole
// server, so the test drops them (with their grants) before it creates them and when it ends.
var psqlACLRoles = []string{"dp_reader", "dp_writer"}

// psqlACLSetup grants and revokes table privileges for \dp, in both servers: t is granted
// to one role, orders to PUBLIC and (partly revoked) to another, nopk's only grant is
// revoked again (its ACL is then the owner's alone, no longer NULL), vv is never named (NULL).
// PUBLIC is granted first: sleeperd lists a table's grantees after the owner with PUBLIC
// first and the roles by name, PostgreSQL in the order they were first granted.
var psqlACLSetup = []string{
	"CREATE ROLE dp_reader",
	"CREATE ROLE dp_writer",
	"GRANT SELECT ON t TO dp_reader",
	"GRANT SELECT ON orders TO PUBLIC",
	"GRANT SELECT, INSERT, UPDATE, TRUNCATE ON orders TO dp_writer",
	"REVOKE UPDATE ON orders FROM dp_writer",
	"GRANT ALL ON nopk TO dp_writer",
	"REVOKE ALL ON nopk FROM dp_writer",
}

// psqlCommands are the meta-commands whose output must be PostgreSQL's line for line. The
// Owner columns differ only by the role's name: PostgreSQL's test role is postgres,
// sleeperd's one role is sleeperd (the same width), so PostgreSQL's output is compared with
// postgres read as sleeperd.
var psqlCommands = []string{`\dt`, `\dv`, `\di`, `\dn`, `\d`, `\du`, `\df`, `\dT`, `\d t`, `\d orders`, `\d vv`, `\di orders_pkey`, `\dt o*`,
	`\d nopk`, `\d+ t`, `\d+ orders`, `\d+ nopk`, `\d+ orders_pkey`, `\d orders_qty`, `\d+ orders_qty`,
	`\df strpos`, `\df row_number`, `\df count`, `\df array_length`, `\df generate_subscripts`, `\df pg_get_serial_sequence`,
	`\df nosuch*`, `\df public.*`, `\df+ strpos`, `\df+ count`, `\dv+`, `\df pg_size_pretty`}

// psqlNormalised are meta-commands whose output differs from PostgreSQL's in known ways,
// each with the function that takes the difference out of both outputs before they are
// compared line by line, and why.
var psqlNormalised = map[string]struct {
	norm func(out, db, user string) string
	why  string
}{
	// The View definition: lines differ. PostgreSQL prints a view's query as it deparses
	// its stored parse tree (columns qualified, one clause per line); sleeperd keeps and
	// prints the query's text as it was written. The rest (columns, storage) is compared.
	`\d+ vv`: {norm: dropViewDefinition, why: "view definition text"},
	// Only the current database is listed (PostgreSQL's server has its template databases
	// and other tests' databases; sleeperd has one database). The databases' names differ,
	// and with them the columns' widths, so cells are compared, not the padding.
	`\l :DBNAME`: {norm: func(out, db, user string) string {
		lines := strings.Split(cells(out), "\n")
		for i, l := range lines {
			if strings.HasPrefix(l, db+"|") {
				lines[i] = "DB" + strings.TrimPrefix(l, db)
			}
		}
		return strings.Join(lines, "\n")
	}, why: "database name"},
	// The Size column: a table's size is the bytes of its Parquet files in sleeperd and of
	// its heap pages (with TOAST, free space and visibility maps) in PostgreSQL, so the sizes
	// differ, and with them the column's width; the cells are compared with Size's taken
	// out. Views have size 0 in both, so \dv+ is compared as it is (psqlCommands).
	`\dt+`: {norm: dropSizes, why: "relation sizes"},
	`\di+`: {norm: dropSizes, why: "relation sizes"},
	`\d+`:  {norm: dropSizes, why: "relation sizes"},
	// The access privileges: sleeperd has no REFERENCES (x) or TRIGGER (t) privilege, so
	// its owner's aclitem is arwdD where PostgreSQL's is arwdDxt, and the column is
	// narrower; the cells are compared with PostgreSQL's x and t taken out.
	`\dp`: {norm: dropRefTrigger, why: "no REFERENCES or TRIGGER privilege"},
	`\z`:  {norm: dropRefTrigger, why: "no REFERENCES or TRIGGER privilege"},
	// The database, the user and the port differ; the sentence around them is compared.
	`\conninfo`: {norm: func(out, db, user string) string {
		out = strings.Replace(out, `database "`+db+`"`, `database "DB"`, 1)
		out = strings.Replace(out, `user "`+user+`"`, `user "USER"`, 1)
		// PostgreSQL's test server is reached through its Unix socket.
		out = regexp.MustCompile(`(on host|via socket in) "[^"]*"`).ReplaceAllString(out, `on HOST`)
		return regexp.MustCompile(`port "[0-9]+"`).ReplaceAllString(out, `port "PORT"`)
	}, why: "connection parameters"},
}

// dropViewDefinition removes the lines of the View definition: footer of \d+ of a view.
func dropViewDefinition(out, _, _ string) string {
	var keep []string
	skipping := false
	for _, l := range strings.Split(out, "\n") {
		switch {
		case l == "View definition:":
			skipping = true
			keep = append(keep, l)
			continue
		case skipping && (l == "" || !strings.HasPrefix(l, " ")):
			skipping = false
		}
		if !skipping {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// dropRefTrigger rewrites psql's aligned table output as its cells (see cells) with the
// REFERENCES and TRIGGER privileges (x, t) taken out of each aclitem, and the padding
// before a multi-line cell's + (which follows the column's width) dropped.
func dropRefTrigger(out, _, _ string) string {
	out = aclPrivileges.ReplaceAllStringFunc(cells(out), func(item string) string {
		return strings.NewReplacer("x", "", "t", "").Replace(item)
	})
	return regexp.MustCompile(`(?m) +\+(\||$)`).ReplaceAllString(out, "+$1")
}

// aclPrivileges are the privilege letters of an aclitem: after = and before /.
var aclPrivileges = regexp.MustCompile(`=[arwdDxt]+/`)

// sizeCell is a size as pg_size_pretty writes it.
var sizeCell = regexp.MustCompile(`^-?[0-9]+ (bytes|kB|MB|GB|TB|PB)$`)

// dropSizes rewrites psql's aligned table output as its cells (see cells) with each cell of
// the Size column that holds a size (sizeCell) replaced by SIZE.
func dropSizes(out, _, _ string) string {
	lines := strings.Split(cells(out), "\n")
	col, width := -1, 0
	for i, l := range lines {
		parts := strings.Split(l, "|")
		if col < 0 {
			for j, p := range parts {
				if p == "Size" {
					col, width = j, len(parts)
				}
			}
			continue
		}
		if len(parts) == width && sizeCell.MatchString(parts[col]) {
			parts[col] = "SIZE"
			lines[i] = strings.Join(parts, "|")
		}
	}
	return strings.Join(lines, "\n")
}

// cells rewrites psql's aligned table output as its cells: each line's cells trimmed and
// joined by |, border lines as -, the title trimmed.
func cells(out string) string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if strings.Trim(l, "-+") == "" && l != "" {
			lines = append(lines, "-")
			continue
		}
		parts := strings.Split(l, "|")
		for i, p := range parts {
			parts[i] = strings.TrimSpace(p)
		}
		lines = append(lines, strings.Join(parts, "|"))
	}
	return strings.Join(lines, "\n")
}

// TestPsqlMetaCommands runs the real psql's meta-commands against PostgreSQL and sleeperd
// over the same tables and compares their output line by line.
func TestPsqlMetaCommands(t *testing.T) {
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("no psql")
	}
	postgresDSN(t)
	ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
	defer cancel()
	pgConn := freshDatabase(ctx, t, "psql_meta")
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	addr := serve(ctx, t, openEngine(ctx, t, mem))
	sdConn := dial(ctx, t, fmt.Sprintf("postgres://slt@%s/slt?sslmode=disable", addr))
	dropRoles := func() {
		for _, r := range psqlACLRoles {
			for _, q := range []string{"DROP OWNED BY " + r, "DROP ROLE " + r} {
				if _, err := pgConn.Exec(context.Background(), q); err != nil {
					t.Logf("%s: %v", q, err)
				}
			}
		}
	}
	for _, r := range psqlACLRoles {
		// Left by an earlier run that did not end (its database is gone, and its grants).
		if _, err := pgConn.Exec(ctx, "DROP ROLE IF EXISTS "+r); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(dropRoles)
	for _, q := range append(append(append([]string{}, psqlSetup...), psqlMetaSetup...), psqlACLSetup...) {
		for _, c := range []*pgx.Conn{pgConn, sdConn} {
			if _, err := c.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
	run := func(cfg *pgx.ConnConfig, cmd string) (string, error) {
		c := exec.CommandContext(ctx, psql, "-X", "-h", cfg.Host, "-p", fmt.Sprint(cfg.Port), "-U", cfg.User, "-d", cfg.Database, "-c", cmd)
		c.Env = append(c.Environ(), "PGSSLMODE=disable", "PGTZ=UTC", "LC_ALL=C")
		out, err := c.CombinedOutput()
		return string(out), err
	}
	cmds := append([]string{}, psqlCommands...)
	for cmd := range psqlNormalised {
		cmds = append(cmds, cmd)
	}
	for _, cmd := range cmds {
		t.Run(cmd, func(t *testing.T) {
			pgCfg, sdCfg := pgConn.Config(), sdConn.Config().Copy()
			// psql connects to sleeperd's one database by its name, as \l lists it.
			sdCfg.Database = catalog.DatabaseName
			want, err := run(pgCfg, cmd)
			if err != nil {
				t.Fatalf("postgres: %v\n%s", err, want)
			}
			got, err := run(sdCfg, cmd)
			if err != nil {
				t.Fatalf("sleeperd: %v\n%s", err, got)
			}
			if n, ok := psqlNormalised[cmd]; ok {
				want = n.norm(want, pgCfg.Database, pgCfg.User)
				// sleeperd has one database, whatever the connection names.
				got = n.norm(got, catalog.DatabaseName, sdCfg.User)
			}
			want = strings.ReplaceAll(want, "postgres", "sleeperd")
			wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
			for i := 0; i < len(wl) || i < len(gl); i++ {
				var w, g string
				if i < len(wl) {
					w = wl[i]
				}
				if i < len(gl) {
					g = gl[i]
				}
				if w != g {
					t.Errorf("line %d:\npostgres: %q\nsleeperd: %q", i+1, w, g)
				}
			}
			if t.Failed() {
				t.Logf("postgres:\n%s\nsleeperd:\n%s", want, got)
			}
		})
	}
}

// TestInformationSchema compares information_schema queries over the same tables in
// PostgreSQL and sleeperd row by row.
func TestInformationSchema(t *testing.T) {
	postgresDSN(t)
	ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
	defer cancel()
	pgConn := freshDatabase(ctx, t, "info_schema")
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	addr := serve(ctx, t, openEngine(ctx, t, mem))
	sdConn := dial(ctx, t, fmt.Sprintf("postgres://slt@%s/slt?sslmode=disable", addr))
	for _, q := range psqlSetup {
		for _, c := range []*pgx.Conn{pgConn, sdConn} {
			if _, err := c.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
	queries := []string{
		"SELECT table_schema, table_name, table_type, is_insertable_into FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
		"SELECT table_name, column_name, ordinal_position, is_nullable, data_type, character_maximum_length, numeric_precision, numeric_precision_radix, numeric_scale, datetime_precision, udt_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name IN ('t', 'orders', 'vv') ORDER BY table_name, ordinal_position",
		"SELECT constraint_name, table_name, constraint_type FROM information_schema.table_constraints WHERE table_schema = 'public' AND constraint_type = 'PRIMARY KEY' ORDER BY table_name",
		"SELECT constraint_name, table_name, column_name, ordinal_position FROM information_schema.key_column_usage WHERE table_schema = 'public' ORDER BY table_name, ordinal_position",
		"SELECT schema_name FROM information_schema.schemata WHERE schema_name IN ('public', 'pg_catalog', 'information_schema') ORDER BY 1",
		"SELECT table_name FROM information_schema.views WHERE table_schema = 'public'",
		"SELECT c.relname, a.attname, a.attnum, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 ORDER BY 1, 3",
		"SELECT 'orders'::regclass = (SELECT oid FROM pg_class WHERE relname = 'orders'), pg_catalog.pg_get_indexdef('orders_pkey'::regclass)",
		"SELECT i.indisprimary, i.indisunique, c2.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_class c2 ON c2.oid = i.indexrelid WHERE c.relname = 't'",
		"SELECT typname, typlen FROM pg_type WHERE oid IN (20, 23, 25, 1043, 1700, 1082) ORDER BY oid",
		"SELECT c.oid::regclass::text, a.attnum, a.atttypid::regtype::text, c.relnamespace::regnamespace::text, c.relkind FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND a.attnum > 0 ORDER BY 1, 2",
		"SELECT 'pg_class'::regclass::oid, 'pg_catalog.pg_type'::regclass::oid, 'pg_namespace'::regclass::oid",
		"SELECT (information_schema._pg_expandarray(i.indkey)).x, (information_schema._pg_expandarray(i.indkey)).n FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid WHERE c.relname = 'orders' AND i.indisprimary",
		"SELECT r.col, r.pos FROM (SELECT a.attname AS col, (information_schema._pg_expandarray(i.indkey)).n AS pos, information_schema._pg_expandarray(i.indkey) AS keys, a.attnum FROM pg_class ct JOIN pg_attribute a ON ct.oid = a.attrelid JOIN pg_index i ON a.attrelid = i.indrelid WHERE ct.relname = 'orders' AND i.indisprimary) r WHERE r.attnum = (r.keys).x ORDER BY r.pos",
		"SELECT c.relname, pg_catalog.pg_get_indexdef(c.oid, 1, false), pg_catalog.pg_get_indexdef(c.oid, 2, false), pg_catalog.pg_get_indexdef(c.oid, 0, true) FROM pg_class c WHERE c.relname = 'orders_pkey'",
		"SELECT 5 & 3, 5 | 3, 5 # 3, 1 << 4, 256 >> 2",
		"SELECT current_user = session_user, current_schema(), version() LIKE 'PostgreSQL 15.%', pg_backend_pid() > 0, quote_ident('Foo'), quote_ident('select'), quote_ident('a_1')",
	}
	read := func(c *pgx.Conn, q string) ([]string, error) {
		rows, err := c.Query(ctx, q, pgx.QueryExecModeSimpleProtocol)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			vals := rows.RawValues()
			cells := make([]string, len(vals))
			for i, v := range vals {
				if v == nil {
					cells[i] = "NULL"
				} else {
					cells[i] = string(v)
				}
			}
			out = append(out, strings.Join(cells, "|"))
		}
		return out, rows.Err()
	}
	for _, q := range queries {
		want, err := read(pgConn, q)
		if err != nil {
			t.Fatalf("postgres: %s: %v", q, err)
		}
		got, err := read(sdConn, q)
		if err != nil {
			t.Errorf("sleeperd: %s: %v", q, err)
			continue
		}
		if strings.Join(want, "\n") != strings.Join(got, "\n") {
			t.Errorf("%s\npostgres:\n%s\nsleeperd:\n%s", q, strings.Join(want, "\n"), strings.Join(got, "\n"))
		}
	}
}
