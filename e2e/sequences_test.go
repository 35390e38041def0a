package e2e

import (
	"context"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestSequencesTwoProcesses runs two sleeperd processes on one data directory: nextval and
// a serial column, called through both at once, never hand out a value twice, and a
// process started after both stopped (SIGKILL for one) goes on after every value handed
// out.
func TestSequencesTwoProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two servers")
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	data := t.TempDir()
	servers := []*server{start(ctx, t, data), start(ctx, t, data)}
	setup := servers[0].connect(ctx, t, pgx.QueryExecModeSimpleProtocol)
	for _, q := range []string{"CREATE SEQUENCE s CACHE 5", "CREATE TABLE ev (id bigserial, who int)"} {
		if _, err := setup.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	const rounds = 30
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	for p, s := range servers {
		c := s.connect(ctx, t, pgx.QueryExecModeCacheStatement)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				rows, err := c.Query(ctx, "SELECT nextval('s') FROM generate_series(1, 3)")
				if err != nil {
					t.Errorf("process %d: %v", p, err)
					return
				}
				vals, err := pgx.CollectRows(rows, pgx.RowTo[int64])
				if err != nil {
					t.Errorf("process %d: %v", p, err)
					return
				}
				mu.Lock()
				for _, v := range vals {
					seen[v]++
				}
				mu.Unlock()
				if _, err := c.Exec(ctx, "INSERT INTO ev (who) VALUES ($1), ($1)", p); err != nil {
					t.Errorf("process %d: %v", p, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	var max int64
	for v, n := range seen {
		if n > 1 {
			t.Errorf("nextval handed out %d %d times", v, n)
		}
		max = maxInt(max, v)
	}
	if len(seen) != 2*rounds*3 {
		t.Errorf("%d distinct values, want %d", len(seen), 2*rounds*3)
	}
	var ids, distinct int64
	if err := setup.QueryRow(ctx, "SELECT count(id), count(DISTINCT id) FROM ev").Scan(&ids, &distinct); err != nil {
		t.Fatal(err)
	}
	if ids != 2*rounds*2 || distinct != ids {
		t.Errorf("serial ids: %d, %d distinct, want %d distinct", ids, distinct, 2*rounds*2)
	}
	// One process is killed, the other stops; a new one goes on after every value.
	servers[0].cmd.Process.Kill()
	servers[1].stop(ctx, t)
	s3 := start(ctx, t, data)
	c := s3.connect(ctx, t, pgx.QueryExecModeSimpleProtocol)
	var next int64
	if err := c.QueryRow(ctx, "SELECT nextval('s')").Scan(&next); err != nil {
		t.Fatal(err)
	}
	if next <= max {
		t.Errorf("nextval after restart: %d, not above %d", next, max)
	}
}

func maxInt(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}
