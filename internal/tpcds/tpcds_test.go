package tpcds

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/internal/slt"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// scale is the scale factor of the conformance test: 20,000 store sales.
const scale = 0.01

// Time bounds of the conformance test.
const (
	startTimeout = 2 * time.Minute  // creating and starting the throwaway PostgreSQL server
	loadTimeout  = 2 * time.Minute  // creating and loading the tables on both sides
	queryTimeout = 60 * time.Second // one query on one side
)

// insertBatch is the number of rows per INSERT statement when loading.
const insertBatch = 5000

// decimals is the number of fraction digits numeric values are rounded to, half away from
// zero, on both sides before comparing: a PostgreSQL numeric carries its own display scale
// (avg prints 16 or more fraction digits) while a sleeperd numeric column has one fixed
// scale. Integer, text and date columns are compared exactly.
const decimals = 2

var requirePostgres = os.Getenv("SLT_REQUIRE_POSTGRES") == "1"

func TestGenerateDeterministic(t *testing.T) {
	a, err := Generate(0.001)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Generate(0.001)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != len(Schema) || len(a) != len(b) {
		t.Fatalf("got %d and %d tables, want %d", len(a), len(b), len(Schema))
	}
	for i := range a {
		if a[i].Name != b[i].Name || !slices.EqualFunc(a[i].Rows, b[i].Rows, slices.Equal) {
			t.Errorf("table %s differs between two runs", a[i].Name)
		}
		if !strings.Contains(Schema[i], "CREATE TABLE "+a[i].Name+" ") {
			t.Errorf("table %d is %s, Schema creates %.40s", i, a[i].Name, Schema[i])
		}
	}
	for _, sf := range []float64{0, -1, 1.5} {
		if _, err := Generate(sf); !errors.Is(err, ErrScale) {
			t.Errorf("Generate(%v): got %v, want ErrScale", sf, err)
		}
	}
}

// TestConformance loads the generated tables into PostgreSQL and sleeperd and checks that
// each query gives PostgreSQL's rows, in order.
func TestConformance(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout+loadTimeout+2*time.Duration(len(Numbers))*queryTimeout)
	defer cancel()
	tables, err := Generate(scale)
	if err != nil {
		t.Fatal(err)
	}
	pg := postgres(ctx, t)

	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	eng, err := engine.Open(ctx, engine.Options{Store: objstore.NewMem(), Alloc: mem})
	if err != nil {
		t.Fatalf("opening engine: %v", err)
	}
	defer func() {
		if err := eng.Close(); err != nil {
			t.Errorf("closing engine: %v", err)
		}
	}()
	ec, err := eng.Connect(ctx, "tpcds", "tpcds")
	if err != nil {
		t.Fatal(err)
	}
	defer ec.Close()
	sd, err := slt.NewConn(ec)
	if err != nil {
		t.Fatal(err)
	}
	lctx, lcancel := context.WithTimeout(ctx, loadTimeout)
	for _, side := range []struct {
		name string
		db   slt.DB
	}{{"PostgreSQL", pg}, {"sleeperd", sd}} {
		if err := load(lctx, side.db, tables); err != nil {
			lcancel()
			t.Fatalf("loading %s: %v", side.name, err)
		}
	}
	lcancel()

	for _, n := range Numbers {
		t.Run(fmt.Sprintf("q%02d", n), func(t *testing.T) {
			q, err := Query(n)
			if err != nil {
				t.Fatal(err)
			}
			want, err := run(ctx, pg, q)
			if err != nil {
				t.Fatalf("PostgreSQL: %v", err)
			}
			if len(want.Rows) == 0 {
				t.Errorf("PostgreSQL returns no rows: the generated data does not exercise the query")
			}
			got, err := run(ctx, sd, q)
			if err != nil {
				t.Fatalf("sleeperd: %v", err)
			}
			if d := diff(want, got); d != "" {
				t.Errorf("query %d differs from PostgreSQL: %s\nPostgreSQL:\n%s\nsleeperd:\n%s", n, d, format(want), format(got))
			} else {
				t.Logf("matches PostgreSQL: %d rows", len(want.Rows))
			}
		})
	}
}

func run(ctx context.Context, db slt.DB, q string) (*slt.Result, error) {
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	res, err := db.Exec(ctx, q)
	if err != nil && ctx.Err() != nil {
		return nil, fmt.Errorf("no result within %v: %w", queryTimeout, err)
	}
	return res, err
}

// load creates the tables on db and inserts the rows.
func load(ctx context.Context, db slt.DB, tables []*Table) error {
	for _, ddl := range Schema {
		if _, err := db.Exec(ctx, ddl); err != nil {
			return err
		}
	}
	for _, tb := range tables {
		stmts, err := tb.Inserts(insertBatch)
		if err != nil {
			return err
		}
		for _, s := range stmts {
			if _, err := db.Exec(ctx, s); err != nil {
				return fmt.Errorf("table %s: %w", tb.Name, err)
			}
		}
	}
	return nil
}

// diff describes how got differs from want, or is empty when they match: the same column
// names and type letters, the same number of rows, and the same values in the same order,
// numeric columns compared after rounding.
func diff(want, got *slt.Result) string {
	var wn, gn []string
	var wt, gt []byte
	for _, c := range want.Columns {
		wn, wt = append(wn, c.Name), append(wt, c.Type)
	}
	for _, c := range got.Columns {
		gn, gt = append(gn, c.Name), append(gt, c.Type)
	}
	if !slices.Equal(wn, gn) {
		return fmt.Sprintf("columns %v, PostgreSQL's %v", gn, wn)
	}
	if !slices.Equal(wt, gt) {
		return fmt.Sprintf("column types %q, PostgreSQL's %q", gt, wt)
	}
	if len(got.Rows) != len(want.Rows) {
		return fmt.Sprintf("%d rows, PostgreSQL %d", len(got.Rows), len(want.Rows))
	}
	for i := range want.Rows {
		for j := range want.Rows[i] {
			numeric := want.Columns[j].OID == pgtype.NumericOID
			w, g := normalise(want.Rows[i][j], numeric), normalise(got.Rows[i][j], numeric)
			if w != g {
				return fmt.Sprintf("row %d column %s: %s, PostgreSQL %s", i+1, wn[j], g, w)
			}
		}
	}
	return ""
}

// normalise is v as compared: NULL; in a numeric column, the number rounded to decimals
// fraction digits, half away from zero; otherwise v itself.
func normalise(v sql.NullString, numeric bool) string {
	if !v.Valid {
		return "NULL"
	}
	if !numeric {
		return v.String
	}
	r, ok := new(big.Rat).SetString(v.String)
	if !ok {
		return v.String
	}
	// Rat.FloatString rounds half away from zero.
	return r.FloatString(decimals)
}

// format renders a result for the log.
func format(r *slt.Result) string {
	var b strings.Builder
	for _, c := range r.Columns {
		b.WriteString(c.Name + "\t")
	}
	b.WriteByte('\n')
	for _, row := range r.Rows {
		for _, v := range row {
			if v.Valid {
				b.WriteString(v.String + "\t")
			} else {
				b.WriteString("NULL\t")
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// postgres returns a DB over a fresh database on the PostgreSQL server to compare with:
// SLT_POSTGRES's server if set, else a throwaway one started for the test and stopped when
// it ends. Without PostgreSQL it skips the test, or fails it when SLT_REQUIRE_POSTGRES=1.
func postgres(ctx context.Context, t *testing.T) slt.DB {
	t.Helper()
	dsn := os.Getenv("SLT_POSTGRES")
	if dsn == "" {
		bin, err := slt.FindPostgres()
		if err != nil {
			if requirePostgres || !errors.Is(err, slt.ErrNoPostgres) {
				t.Fatalf("no PostgreSQL server: %v", err)
			}
			t.Skipf("skipping: %v (install Debian's postgresql package, or set SLT_POSTGRES; "+
				"SLT_REQUIRE_POSTGRES=1 makes this a failure)", err)
		}
		sctx, cancel := context.WithTimeout(ctx, startTimeout)
		defer cancel()
		srv, err := slt.StartPostgres(sctx, bin)
		if err != nil {
			t.Fatalf("starting PostgreSQL: %v", err)
		}
		t.Cleanup(func() {
			if err := srv.Stop(); err != nil {
				t.Errorf("stopping PostgreSQL: %v", err)
			}
		})
		dsn = srv.DSN("")
	}
	admin := connect(ctx, t, dsn)
	const db = "tpcds_conformance"
	for _, s := range []string{"DROP DATABASE IF EXISTS " + db,
		"CREATE DATABASE " + db + " TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C.UTF-8'"} {
		if err := admin.Exec(ctx, s).Close(); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := admin.Exec(cctx, "DROP DATABASE IF EXISTS "+db+" WITH (FORCE)").Close(); err != nil {
			t.Errorf("dropping database %s: %v", db, err)
		}
	})
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Database = db
	conn, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	if err := conn.Exec(ctx, "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, MDY'; SET extra_float_digits = 1").Close(); err != nil {
		t.Fatal(err)
	}
	pg, err := slt.NewPG(conn, slt.Simple)
	if err != nil {
		t.Fatal(err)
	}
	return pg
}

// connect opens a connection to dsn, closed when the test ends.
func connect(ctx context.Context, t *testing.T, dsn string) *pgconn.PgConn {
	t.Helper()
	conn, err := pgconn.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connecting to PostgreSQL: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}
