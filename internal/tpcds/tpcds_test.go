package tpcds

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sleeperd/sleeperd/internal/oracle"
	"github.com/sleeperd/sleeperd/internal/slt"
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
	pg := oracle.Postgres(ctx, t, "tpcds_conformance", startTimeout)

	sd := oracle.Sleeperd(ctx, t, "tpcds")
	lctx, lcancel := context.WithTimeout(ctx, loadTimeout)
	for _, side := range []struct {
		name string
		db   slt.DB
	}{{"PostgreSQL", pg}, {"sleeperd", sd}} {
		if err := oracle.Load(lctx, side.db, Schema, tables, insertBatch); err != nil {
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
			want, err := oracle.Run(ctx, pg, q, queryTimeout)
			if err != nil {
				t.Fatalf("PostgreSQL: %v", err)
			}
			if len(want.Rows) == 0 {
				t.Errorf("PostgreSQL returns no rows: the generated data does not exercise the query")
			}
			got, err := oracle.Run(ctx, sd, q, queryTimeout)
			if err != nil {
				t.Fatalf("sleeperd: %v", err)
			}
			if d := oracle.Diff(want, got); d != "" {
				t.Errorf("query %d differs from PostgreSQL: %s\nPostgreSQL:\n%s\nsleeperd:\n%s", n, d, oracle.Format(want), oracle.Format(got))
			} else {
				t.Logf("matches PostgreSQL: %d rows", len(want.Rows))
			}
		})
	}
}
