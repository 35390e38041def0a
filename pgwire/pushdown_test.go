package pgwire

import (
	"bytes"
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/storage/compaction"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// racingPushDown is an object store on which another process commits every push down of
// file references first: before the engine's own log entry pushing references down goes in,
// the very same entry is written under its number, as a process that planned the same push
// down and won the race would write it.
type racingPushDown struct {
	objstore.Store
	raced atomic.Int64
	off   atomic.Bool
}

func (s *racingPushDown) PutIfAbsent(ctx context.Context, name string, data []byte) error {
	if !s.off.Load() && bytes.Contains(data, []byte(`"SPLIT_FILE_REFERENCES"`)) {
		if err := s.Store.PutIfAbsent(ctx, name, data); err != nil {
			return err
		}
		s.raced.Add(1)
	}
	return s.Store.PutIfAbsent(ctx, name, data)
}

// When other processes keep invalidating the plan of compaction's push down of file
// references until its attempts run out (one attempt here, lost to one race), VACUUM fails with a serialization failure (40001)
// that the client may retry, not an internal error; once the races stop the retry succeeds.
func TestPushDownExhaustedIs40001(t *testing.T) {
	ctx := testContext(t)
	t.Cleanup(compaction.SetPushDownAttempts(1)) // after the engine closes
	store := &racingPushDown{Store: objstore.NewMem()}
	addr := serveEngine(t, engine.Options{Store: store})
	c, err := pgx.Connect(ctx, "postgres://alice@"+addr+"/db?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	for _, q := range []string{
		"CREATE TABLE s (k bigint, v text) WITH (row_keys = 'k', split_threshold = 100, gc_delay = '0s')",
		"INSERT INTO s SELECT g, 'v' || g FROM generate_series(1, 1000) AS g",
	} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	_, err = c.Exec(ctx, "VACUUM s")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "40001" {
		t.Fatalf("VACUUM while every push down loses: %v, want SQLSTATE 40001", err)
	}
	if n := store.raced.Load(); n != 1 {
		t.Fatalf("%d push downs raced, want 1", n)
	}
	// The connection goes on serving, and the retry goes through once the races stop.
	store.off.Store(true)
	if _, err := c.Exec(ctx, "VACUUM s"); err != nil {
		t.Fatalf("VACUUM retried: %v", err)
	}
	var n int64
	if err := c.QueryRow(ctx, "SELECT count(*) FROM s").Scan(&n); err != nil || n != 1000 {
		t.Fatalf("count %d, %v", n, err)
	}
}
