package pgwire

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sleeperd/sleeperd/engine"
)

// COPY FROM STDIN hands the engine its batches as they are decoded and commits them once: a
// large pgx CopyFrom through an engine with a small import memory reads back as sent, in one
// transaction; a bad row near the end of a large COPY, in binary or text, or a CopyFail after
// many rows, commits nothing, and the error names the line.
func TestCopyFromStreams(t *testing.T) {
	// Longer than testTimeout: the copies are large, and slow under the race detector.
	ctx, cancel := context.WithTimeout(context.Background(), 4*testTimeout)
	defer cancel()
	addr := serveEngine(t, engine.Options{ImportMemory: 1 << 20, SpillDir: t.TempDir()})
	c, err := pgx.Connect(ctx, "postgres://alice@"+addr+"/db?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE TABLE big (k bigint PRIMARY KEY, v integer, s text)"); err != nil {
		t.Fatal(err)
	}
	txns := func() int {
		t.Helper()
		var n int
		if err := c.QueryRow(ctx, "SELECT count(*) FROM sleeper.transactions WHERE table_name = 'big'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	type sums struct{ count, k, v, nulls int64 }
	read := func() sums {
		t.Helper()
		var s sums
		if err := c.QueryRow(ctx, "SELECT count(*), coalesce(sum(k), 0), coalesce(sum(v), 0), count(*) - count(s) FROM big").Scan(&s.count, &s.k, &s.v, &s.nulls); err != nil {
			t.Fatal(err)
		}
		return s
	}
	const n = 150_000 // three of the decoder's batches
	row := func(i int) []any {
		var s any = fmt.Sprintf("row %d", i)
		if i%10 == 0 {
			s = nil
		}
		return []any{int64(i), int32(i % 1000), s}
	}
	base := txns()
	got, err := c.CopyFrom(ctx, pgx.Identifier{"big"}, []string{"k", "v", "s"}, pgx.CopyFromSlice(n, func(i int) ([]any, error) { return row(i), nil }))
	if err != nil || got != n {
		t.Fatalf("CopyFrom: %d, %v", got, err)
	}
	var want sums
	for i := 0; i < n; i++ {
		want.count++
		want.k += int64(i)
		want.v += int64(i % 1000)
		if i%10 == 0 {
			want.nulls++
		}
	}
	if s := read(); s != want {
		t.Errorf("read back %+v, want %+v", s, want)
	}
	var s string
	if err := c.QueryRow(ctx, "SELECT s FROM big WHERE k = 123457").Scan(&s); err != nil || s != "row 123457" {
		t.Errorf("row 123457: %q, %v", s, err)
	}
	if d := txns() - base; d != 1 {
		t.Errorf("CopyFrom committed %d transactions, want 1", d)
	}
	base = txns()

	// Binary: a NULL key on tuple n-10, after several batches went to the engine.
	bad := pgx.CopyFromSlice(n, func(i int) ([]any, error) {
		r := row(i)
		r[0] = int64(n + i)
		if i == n-11 {
			r[0] = nil
		}
		return r, nil
	})
	_, err = c.CopyFrom(ctx, pgx.Identifier{"big"}, []string{"k", "v", "s"}, bad)
	if pe := (*pgconn.PgError)(nil); !errors.As(err, &pe) || pe.Code != "23502" || pe.Where != fmt.Sprintf("COPY big, line %d", n-10) {
		t.Errorf("CopyFrom with a NULL key near the end: %v (%+v)", err, pe)
	}

	// Text: a bad integer on line n-5.
	var data strings.Builder
	for i := 0; i < n; i++ {
		if i == n-6 {
			fmt.Fprintf(&data, "%d\toops\tx\n", n+i)
			continue
		}
		fmt.Fprintf(&data, "%d\t%d\tx\n", n+i, i%1000)
	}
	_, err = c.PgConn().CopyFrom(ctx, strings.NewReader(data.String()), "COPY big FROM STDIN")
	if pe := (*pgconn.PgError)(nil); !errors.As(err, &pe) || pe.Code != "22P02" ||
		pe.Where != fmt.Sprintf(`COPY big, line %d, column v: "oops"`, n-5) {
		t.Errorf("text COPY with a bad integer near the end: %v (%+v)", err, pe)
	}

	// CopyFail from the client after most of the rows.
	failing := pgx.CopyFromSlice(n, func(i int) ([]any, error) {
		if i == n-1 {
			return nil, errors.New("client gives up")
		}
		r := row(i)
		r[0] = int64(n + i)
		return r, nil
	})
	if _, err := c.CopyFrom(ctx, pgx.Identifier{"big"}, []string{"k", "v", "s"}, failing); err == nil {
		t.Error("CopyFrom whose source fails succeeded")
	}

	if s := read(); s != want {
		t.Errorf("after the failed copies: %+v, want %+v", s, want)
	}
	if d := txns() - base; d != 0 {
		t.Errorf("failed copies committed %d transactions", d)
	}
}
