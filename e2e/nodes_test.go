package e2e

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/sleeperd/sleeperd/internal/s3test"
)

// TestThreeNodesS3 runs three sleeperd processes on one versitygw bucket: a row acknowledged
// by one node is read by the next statement on another, a table created on one is used on
// the others, VACUUM runs on all three, and no compaction job finishes on two nodes.
func TestThreeNodesS3(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three servers on versitygw")
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	endpoint := s3test.VersityGW(t)
	bucket := s3test.NewBucket(t, endpoint)
	s3test.SetEnv(t)
	data := "s3://" + bucket + "/db"
	args := []string{"--s3-endpoint", endpoint, "--s3-path-style", "--maintenance-interval", "200ms"}
	conns := make([]*pgx.Conn, 3)
	addrs := make([]string, 3)
	for i := range conns {
		s := start(ctx, t, data, args...)
		addrs[i] = s.addr
		defer s.stop(ctx, t)
		c, err := dial(ctx, s.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer closeConn(c)
		conns[i] = c
	}
	if _, err := conns[0].Exec(ctx, "CREATE TABLE n (k bigint PRIMARY KEY, v bigint) WITH (split_points = '50', compaction_files = '3', compaction_ratio = '2', gc_delay = '0s')"); err != nil {
		t.Fatal(err)
	}
	sum := int64(0)
	const rounds = 60
	for i := 0; i < rounds; i++ {
		w, r := conns[i%3], conns[(i+1)%3]
		if _, err := w.Exec(ctx, "INSERT INTO n VALUES ($1, $2)", int64(i), int64(i*7)); err != nil {
			t.Fatalf("round %d: INSERT on node %d: %v", i, i%3, err)
		}
		sum += int64(i * 7)
		var cnt, s int64
		if err := r.QueryRow(ctx, "SELECT count(*), coalesce(sum(v), 0) FROM n").Scan(&cnt, &s); err != nil {
			t.Fatalf("round %d: SELECT on node %d: %v", i, (i+1)%3, err)
		}
		if cnt != int64(i+1) || s != sum {
			t.Fatalf("round %d: node %d reads count %d sum %d after node %d acknowledged, want %d and %d", i, (i+1)%3, cnt, s, i%3, i+1, sum)
		}
		if i%10 == 9 {
			if _, err := conns[(i+2)%3].Exec(ctx, "VACUUM n"); err != nil {
				t.Fatalf("round %d: VACUUM on node %d: %v", i, (i+2)%3, err)
			}
		}
	}
	// Concurrently, each node inserts its own keys and the next node reads each one right
	// after its acknowledgement.
	const each = 20
	var wg sync.WaitGroup
	errc := make(chan error, 3)
	for i := range conns {
		w, err := dial(ctx, addrs[i])
		if err != nil {
			t.Fatal(err)
		}
		r, err := dial(ctx, addrs[(i+1)%3])
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer closeConn(w)
			defer closeConn(r)
			for j := 0; j < each; j++ {
				k := int64(1000 + i*100 + j)
				if _, err := w.Exec(ctx, "INSERT INTO n VALUES ($1, $2)", k, k); err != nil {
					errc <- fmt.Errorf("INSERT %d on node %d: %w", k, i, err)
					return
				}
				var v int64
				if err := r.QueryRow(ctx, "SELECT v FROM n WHERE k = $1", k).Scan(&v); err != nil || v != k {
					errc <- fmt.Errorf("key %d acknowledged by node %d: node %d reads %d, %v", k, i, (i+1)%3, v, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	wantRows, wantK, wantV := int64(rounds), int64(rounds*(rounds-1)/2), sum
	for i := 0; i < 3; i++ {
		for j := 0; j < each; j++ {
			k := int64(1000 + i*100 + j)
			wantRows++
			wantK += k
			wantV += k
		}
	}

	// Catalog coherence: a table and a view created on node 1 are used on node 2, dropped on
	// node 0 and gone on node 1.
	for _, q := range []string{"CREATE TABLE c (k int PRIMARY KEY)", "CREATE VIEW cv AS SELECT k * 2 AS d FROM c"} {
		if _, err := conns[1].Exec(ctx, q); err != nil {
			t.Fatalf("%s on node 1: %v", q, err)
		}
	}
	if _, err := conns[2].Exec(ctx, "INSERT INTO c VALUES (21)"); err != nil {
		t.Fatalf("INSERT into c on node 2: %v", err)
	}
	var d int
	if err := conns[0].QueryRow(ctx, "SELECT d FROM cv").Scan(&d); err != nil || d != 42 {
		t.Fatalf("view cv on node 0: %d, %v", d, err)
	}
	if _, err := conns[0].Exec(ctx, "DROP VIEW cv"); err != nil {
		t.Fatal(err)
	}
	if _, err := conns[0].Exec(ctx, "DROP TABLE c"); err != nil {
		t.Fatal(err)
	}
	if _, err := conns[1].Exec(ctx, "SELECT * FROM c"); err == nil {
		t.Error("table c dropped on node 0 is still readable on node 1")
	}
	// No job finished on two nodes.
	finishedBy := map[string]int{}
	for i, c := range conns {
		jobs, err := settledJobs(ctx, c, "n")
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range jobs {
			if j.status != "finished" {
				continue
			}
			if o, ok := finishedBy[j.id]; ok {
				t.Errorf("job %s finished on node %d and node %d", j.id, o, i)
			}
			finishedBy[j.id] = i
		}
	}
	per := make([]int, len(conns))
	for _, i := range finishedBy {
		per[i]++
	}
	t.Logf("compaction jobs finished per node: %v", per)
	if len(finishedBy) == 0 {
		t.Error("no compaction job finished: the test exercised nothing")
	}
	// Every node reads every row, as the model has it, after the compactions.
	for i, c := range conns {
		var cnt, s, ks int64
		if err := c.QueryRow(ctx, "SELECT count(*), sum(v), sum(k) FROM n").Scan(&cnt, &s, &ks); err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
		if cnt != wantRows || s != wantV || ks != wantK {
			t.Errorf("node %d: count %d sum(v) %d sum(k) %d, want %d %d %d", i, cnt, s, ks, wantRows, wantV, wantK)
		}
	}
}
