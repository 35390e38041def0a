// Package oracle checks sleeperd's answers to generated benchmark data against a
// PostgreSQL server's: it starts or connects to the PostgreSQL server, loads generated
// tables into an slt.DB, runs queries within a time bound and compares the results.
package oracle

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
	"github.com/sleeperd/sleeperd/internal/tpc"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// Decimals is the number of fraction digits the values of numeric columns (those
// PostgreSQL describes as numeric) are rounded to, half away from zero, on both sides
// before comparing. This is the only normalisation, and it removes differences of display
// scale alone: a PostgreSQL numeric value carries its own scale (avg of numeric(15,2)
// prints 16 or more fraction digits, extract prints none) while a sleeperd numeric column
// has one fixed scale. Integer, text and date columns are compared exactly.
const Decimals = 2

var requirePostgres = os.Getenv("SLT_REQUIRE_POSTGRES") == "1"

// Run runs q on db within timeout.
func Run(ctx context.Context, db slt.DB, q string, timeout time.Duration) (*slt.Result, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res, err := db.Exec(ctx, q)
	if err != nil && ctx.Err() != nil {
		return nil, fmt.Errorf("no result within %v: %w", timeout, err)
	}
	return res, err
}

// Load creates the tables of schema on db and inserts the rows of tables, batch rows per
// INSERT statement.
func Load(ctx context.Context, db slt.DB, schema []string, tables []*tpc.Table, batch int) error {
	for _, ddl := range schema {
		if _, err := db.Exec(ctx, ddl); err != nil {
			return err
		}
	}
	for _, tb := range tables {
		stmts, err := tb.Inserts(batch)
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

// Diff describes how got differs from want, or is empty when they match: the same column
// names and type letters, the same number of rows, and the same values in the same order,
// numeric columns compared after rounding.
func Diff(want, got *slt.Result) string {
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
			w, g := Normalise(want.Rows[i][j], numeric), Normalise(got.Rows[i][j], numeric)
			if w != g {
				return fmt.Sprintf("row %d column %s: %s, PostgreSQL %s", i+1, wn[j], g, w)
			}
		}
	}
	return ""
}

// Normalise is v as compared: NULL; in a numeric column, the number rounded to Decimals
// fraction digits, half away from zero; otherwise v itself.
func Normalise(v sql.NullString, numeric bool) string {
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
	return r.FloatString(Decimals)
}

// Format renders a result for the log.
func Format(r *slt.Result) string {
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

// Postgres returns a DB over a fresh database named db on the PostgreSQL server to compare
// with: SLT_POSTGRES's server if set, else a throwaway one started for the test (within
// startTimeout) and stopped when it ends. Without PostgreSQL it skips the test, or fails
// it when SLT_REQUIRE_POSTGRES=1.
func Postgres(ctx context.Context, t testing.TB, db string, startTimeout time.Duration) slt.DB {
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
func connect(ctx context.Context, t testing.TB, dsn string) *pgconn.PgConn {
	t.Helper()
	conn, err := pgconn.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connecting to PostgreSQL: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// Sleeperd opens an engine over an in-memory store with a leak-checked allocator and
// returns a connection to it as user and database name; the test's cleanup closes both and
// checks that every Arrow buffer was released.
func Sleeperd(ctx context.Context, t testing.TB, name string) slt.DB {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	eng, err := engine.Open(ctx, engine.Options{Store: objstore.NewMem(), Alloc: mem})
	if err != nil {
		t.Fatalf("opening engine: %v", err)
	}
	t.Cleanup(func() {
		if err := eng.Close(); err != nil {
			t.Errorf("closing engine: %v", err)
		}
		mem.AssertSize(t, 0)
	})
	ec, err := eng.Connect(ctx, name, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ec.Close() })
	sd, err := slt.NewConn(ec)
	if err != nil {
		t.Fatal(err)
	}
	return sd
}
