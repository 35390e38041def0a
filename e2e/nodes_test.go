package e2e

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

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

// view is what a query may see of a model: the batches acknowledged when it began must be
// there whole, and any other batch whole or not at all (it was in flight, or began later).
type view struct {
	m      *model
	before []bool // before[i]: batch i was acknowledged when the query began
}

// begin records which batches of m are acknowledged now, before a query is sent.
func (m *model) begin() view {
	m.mu.Lock()
	defer m.mu.Unlock()
	v := view{m: m, before: make([]bool, len(m.batches))}
	for i, b := range m.batches {
		v.before[i] = b.out == acked || b.out == present
	}
	return v
}

// batchSums is one row of a query grouped by batch: how many rows of the batch it counted,
// and the sum of their ids.
type batchSums struct{ n, ids int64 }

// check compares the rows per batch a query read, restricted to the ids in selects, with
// the view, and returns every difference.
func (v view) check(got map[int64]batchSums, selects func(id int64) bool) []string {
	v.m.mu.Lock()
	defer v.m.mu.Unlock()
	var problems []string
	add := func(format string, args ...any) {
		if len(problems) < 10 {
			problems = append(problems, fmt.Sprintf(format, args...))
		}
	}
	got = maps.Clone(got)
	for _, b := range v.m.batches {
		var want batchSums
		for _, id := range b.ids {
			if selects(id) {
				want.n++
				want.ids += id
			}
		}
		g, ok := got[b.no]
		delete(got, b.no)
		before := b.no < int64(len(v.before)) && v.before[b.no]
		switch {
		case !ok && want.n > 0 && before:
			add("batch %d (acknowledged before the query) is missing its %d rows", b.no, want.n)
		case !ok:
		case g != want:
			add("batch %d (%s, acknowledged before the query: %v) shows %d rows with ids summing to %d, want %d and %d (whole or nothing)",
				b.no, b.out, before, g.n, g.ids, want.n, want.ids)
		case b.out == rejected:
			add("batch %d was rejected (%v) but its rows are visible", b.no, b.err)
		}
	}
	for no, g := range got {
		add("%d rows of batch %d, which no statement wrote", g.n, no)
	}
	return problems
}

// bounds returns the least and most rows, and sums of ids, a query may count under v.
func (v view) bounds() (lo, hi, loIDs, hiIDs int64) {
	v.m.mu.Lock()
	defer v.m.mu.Unlock()
	for _, b := range v.m.batches {
		var ids int64
		for _, id := range b.ids {
			ids += id
		}
		if b.no < int64(len(v.before)) && v.before[b.no] {
			lo += int64(len(b.ids))
			loIDs += ids
		}
		if b.out != rejected {
			hi += int64(len(b.ids))
			hiIDs += ids
		}
	}
	return lo, hi, loIDs, hiIDs
}

// queryBatches runs sql, which returns (b, count, sum(id)) rows, and collects them.
func queryBatches(ctx context.Context, conn *pgx.Conn, sql string, args ...any) (map[int64]batchSums, error) {
	rows, err := conn.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	got := make(map[int64]batchSums)
	for rows.Next() {
		var b int64
		var s batchSums
		if err := rows.Scan(&b, &s.n, &s.ids); err != nil {
			rows.Close()
			return nil, err
		}
		if _, dup := got[b]; dup {
			rows.Close()
			return nil, fmt.Errorf("batch %d in two groups", b)
		}
		got[b] = s
	}
	rows.Close()
	return got, rows.Err()
}

// querier runs random queries on conn until quit is closed: the rows per batch of the whole
// table and of a key range, the count and sum of the table, and lookups of acknowledged
// keys; each result must agree with the model as it was when the query began. A query that
// fails must fail for a connection lost after quit. It returns the number of queries run and
// what they got wrong.
func querier(ctx context.Context, quit <-chan struct{}, conn *pgx.Conn, m *model, table string, rng *rand.Rand) (n int, problems []string) {
	fail := func(format string, args ...any) {
		if len(problems) < 20 {
			problems = append(problems, fmt.Sprintf(format, args...))
		}
	}
	for ctx.Err() == nil && !stopped(quit) {
		v := m.begin()
		var err error
		switch q := rng.IntN(4); q {
		case 0:
			var got map[int64]batchSums
			got, err = queryBatches(ctx, conn, "SELECT b, count(*), sum(id) FROM "+table+" GROUP BY b")
			if err == nil {
				for _, p := range v.check(got, func(int64) bool { return true }) {
					fail("whole table: %s", p)
				}
			}
		case 1:
			lo := rng.Int64N(idSpace)
			hi := lo + rng.Int64N(idSpace/5)
			var got map[int64]batchSums
			got, err = queryBatches(ctx, conn, "SELECT b, count(*), sum(id) FROM "+table+" WHERE id >= $1 AND id < $2 GROUP BY b", lo, hi)
			if err == nil {
				for _, p := range v.check(got, func(id int64) bool { return id >= lo && id < hi }) {
					fail("ids in [%d, %d): %s", lo, hi, p)
				}
			}
		case 2:
			var cnt, ids int64
			err = conn.QueryRow(ctx, "SELECT count(*), coalesce(sum(id), 0) FROM "+table).Scan(&cnt, &ids)
			if lo, hi, loIDs, hiIDs := v.bounds(); err == nil && (cnt < lo || cnt > hi || ids < loIDs || ids > hiIDs) {
				fail("count(*) %d and sum(id) %d, want counts in [%d, %d] and sums in [%d, %d]", cnt, ids, lo, hi, loIDs, hiIDs)
			}
		default:
			var b *batch
			m.mu.Lock()
			for range 10 {
				if len(v.before) == 0 {
					break
				}
				if i := rng.IntN(len(v.before)); v.before[i] {
					b = m.batches[i]
					break
				}
			}
			m.mu.Unlock()
			if b == nil {
				continue
			}
			id := b.ids[rng.IntN(len(b.ids))]
			var got map[int64]batchSums
			got, err = queryBatches(ctx, conn, "SELECT b, count(*), sum(id) FROM "+table+" WHERE id = $1 GROUP BY b", id)
			if want := (batchSums{1, id}); err == nil && (len(got) != 1 || got[b.no] != want) {
				fail("id %d of batch %d (acknowledged before the query): got %v", id, b.no, got)
			}
		}
		if err != nil {
			if !stopped(quit) || isServerError(err) {
				fail("query: %v", err)
			}
			return n, problems
		}
		n++
		select {
		case <-quit:
		case <-time.After(time.Duration(rng.Int64N(int64(50 * time.Millisecond)))):
		}
	}
	return n, problems
}

// psqlCopier loads batches of 500 to 2000 rows into table with psql's \copy of a CSV file
// through s, pausing up to pause between them, until stop is closed or ctx is done,
// recording each outcome in m. It returns the number of \copy commands acknowledged.
func psqlCopier(ctx context.Context, stop <-chan struct{}, s *server, dir string, m *model, table string, pause time.Duration, rng *rand.Rand) int {
	n := 0
	for ctx.Err() == nil && !stopped(stop) {
		b := m.newBatch(500 + rng.IntN(1501))
		var sb strings.Builder
		for _, id := range b.ids {
			fmt.Fprintf(&sb, "%d,%d,row %d of batch %d\n", id, b.no, id, b.no)
		}
		file := filepath.Join(dir, fmt.Sprintf("batch%d.csv", b.no))
		if err := os.WriteFile(file, []byte(sb.String()), 0o644); err != nil {
			m.settle(b, rejected, err)
			return n
		}
		out, err := s.psqlErr(ctx, `\copy `+table+` (id, b, v) FROM '`+file+`' CSV`)
		os.Remove(file)
		switch want := fmt.Sprintf("COPY %d", len(b.ids)); {
		case err == nil && strings.TrimSpace(out) == want:
			m.settle(b, acked, nil)
			n++
		case err == nil:
			m.settle(b, acked, fmt.Errorf("\\copy of %d rows printed %q", len(b.ids), out))
		case strings.Contains(out, "ERROR:"):
			m.settle(b, rejected, fmt.Errorf("\\copy: %v: %s", err, out))
		default: // the connection was lost
			m.settle(b, unknown, fmt.Errorf("\\copy: %v: %s", err, out))
		}
		select {
		case <-stop:
		case <-time.After(time.Duration(rng.Int64N(int64(pause)))):
		}
	}
	return n
}

// TestThreeNodesConcurrentS3 runs three sleeperd processes on one versitygw bucket, each with
// background maintenance and a 1 MiB import memory, and at once: bulk imports with COPY FROM
// STDIN on two nodes and psql's \copy on the third, server-side COPY FROM CSV and Parquet
// files staged in the bucket on every node (each spilling runs to the node's spill directory),
// single-row and multi-row INSERTs, VACUUM on every node, and queries on every node; a third
// of the way in, one node is killed with SIGKILL and started again, leaving its claims to
// expire, its cut-off statements unknown and its spill directory to be swept. Every query (the
// rows of each batch in the table or a key range, count and sum, key lookups) must see every
// statement acknowledged before it began, and any other only whole. At the end every node
// reads exactly the acknowledged rows (and each cut-off statement whole or not at all), no
// compaction job finished on two nodes, spill files were seen on every node and each node's
// spill directory holds its live process's alone, with no run left (none after a clean stop),
// the table's log in the bucket shows no job committing twice, after its claim was released,
// or consuming a file another consumed, every file the state references is in the bucket, and
// garbage collection leaves no object the state does not reference.
func TestThreeNodesConcurrentS3(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three servers under load on versitygw")
	}
	needPsql(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	began := time.Now()
	at := func() time.Duration { return time.Since(began).Round(100 * time.Millisecond) }
	rng := rand.New(rand.NewPCG(seed, 0x3e0d))
	endpoint := s3test.VersityGW(t)
	bucket := s3test.NewBucket(t, endpoint)
	s3test.SetEnv(t)
	data := "s3://" + bucket + "/db"
	store := s3Store(ctx, t, endpoint, bucket, "db")
	// Server-side COPYs read files staged beside the data, in the same bucket.
	staging := s3Store(ctx, t, endpoint, bucket, "staging")
	location := "s3://" + bucket + "/staging"
	args := []string{"--s3-endpoint", endpoint, "--s3-path-style", "--maintenance-interval", "100ms"}
	// Every node holds at most 1 MiB of a write's rows and spills the rest to a spill
	// directory of its own (kept across the victim's restart).
	spill := make([]string, 3)
	nodeArgs := func(i int) []string {
		return append(slices.Clone(args), "--import-memory", spillMemory, "--spill-dir", spill[i])
	}
	servers := make([]*server, 3)
	for i := range servers {
		spill[i] = t.TempDir()
		servers[i] = start(ctx, t, data, nodeArgs(i)...)
	}
	watcher := watchSpill(spill...)
	defer watcher.finish()
	admin, err := dial(ctx, servers[0].addr)
	if err != nil {
		t.Fatal(err)
	}
	defer closeConn(admin)
	// A gc_delay of a few seconds covers the queries of other nodes on files compacted away;
	// the claims of a killed node expire after a few seconds.
	create := createSQL("n", "split_points = '2500000,5000000,7500000', split_threshold = '20000', "+
		"compaction_files = '3', compaction_ratio = '2', gc_delay = '5s', compaction_job_timeout = '5s'")
	if _, err := admin.Exec(ctx, create); err != nil {
		t.Fatalf("%s: %v", create, err)
	}

	const load = 12 * time.Second
	m := &model{}
	loadCtx, stopLoad := context.WithTimeout(ctx, load)
	defer stopLoad()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var problems []string
	counts := map[string]int{}
	report := func(what string, n int, errs ...string) {
		mu.Lock()
		defer mu.Unlock()
		counts[what] += n
		problems = append(problems, errs...)
	}
	dir := t.TempDir()
	// work starts node i's workers on s: they send statements until quit is closed; an
	// error of a node killed meanwhile leaves its statement's outcome unknown.
	work := func(i int, s *server, quit <-chan struct{}) {
		conns := make([]*pgx.Conn, 5)
		for j := range conns {
			c, err := dial(ctx, s.addr)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { closeConn(c) })
			conns[j] = c
		}
		ins := s.connect(ctx, t, pgx.QueryExecModeCacheStatement)
		go1 := func(f func(r *rand.Rand)) {
			r := rand.New(rand.NewPCG(rng.Uint64(), uint64(i)))
			wg.Add(1)
			go func() {
				defer wg.Done()
				f(r)
			}()
		}
		// Bulk loads: COPY FROM STDIN of thousands of rows on nodes 0 and 1, \copy on node 2.
		go1(func(r *rand.Rand) {
			if i < 2 {
				report("COPY FROM STDIN", importer(ctx, quit, conns[0], m, "n", 2000, 6000, r))
				return
			}
			report("psql \\copy", psqlCopier(ctx, quit, s, dir, m, "n", 500*time.Millisecond, r))
		})
		// Server-side COPY FROM files staged in the bucket, of 8,000 to 20,000 rows: each
		// spills runs and merges them.
		go1(func(r *rand.Rand) {
			report("COPY FROM s3://", s3Importer(ctx, quit, conns[4], m, "n", staging, location, fmt.Sprintf("node%d", i), 8000, 20_000, r))
		})
		// Multi-row INSERTs, and single-row INSERTs with parameters.
		go1(func(r *rand.Rand) { writeUntil(ctx, quit, conns[1], m, "n", 50, r) })
		go1(func(r *rand.Rand) {
			n := 0
			for !stopped(quit) {
				b := m.newBatch(1)
				_, err := ins.Exec(ctx, "INSERT INTO n VALUES ($1, $2, $3)", b.ids[0], b.no, fmt.Sprintf("row %d of batch %d", b.ids[0], b.no))
				if err != nil {
					out := unknown
					if isServerError(err) {
						out = rejected
					}
					m.settle(b, out, err)
					break
				}
				m.settle(b, acked, nil)
				n++
			}
			report("single-row INSERT", n)
		})
		go1(func(r *rand.Rand) {
			n, failed := vacuumUntil(ctx, quit, conns[2], "n", 4, 500*time.Millisecond, r)
			var errs []string
			for _, err := range failed {
				errs = append(errs, fmt.Sprintf("node %d: %v", i, err))
			}
			report("VACUUM", n, errs...)
		})
		go1(func(r *rand.Rand) {
			n, failed := querier(ctx, quit, conns[3], m, "n", r)
			for j := range failed {
				failed[j] = fmt.Sprintf("node %d: %s", i, failed[j])
			}
			report("query", n, failed...)
		})
	}
	// A third of the way in, node 2 is killed with SIGKILL, its claims left to expire, and
	// started again on the bucket.
	const victim = 2
	dying := make(chan struct{})
	for i, s := range servers {
		if i == victim {
			work(i, s, dying)
		} else {
			work(i, s, loadCtx.Done())
		}
	}
	select {
	case <-time.After(load / 3):
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	}
	// The kill lands while a write on the victim spills (if one does within a few seconds).
	waitSpilled(ctx, spill[victim], 3*time.Second)
	servers[victim].exitedEarly(t)
	close(dying)
	servers[victim].kill(ctx, t)
	// The killed node's spill directory, maybe with the runs of a cut-off write, is left to
	// the next process on the node to sweep.
	dead, err := spillDirs(spill[victim])
	if err != nil {
		t.Fatal(err)
	}
	deadDirs := map[string]bool{}
	deadFiles := 0
	for d, files := range dead {
		deadDirs[d] = true
		deadFiles += len(files)
	}
	servers[victim] = start(ctx, t, data, nodeArgs(victim)...)
	work(victim, servers[victim], loadCtx.Done())
	wg.Wait()
	for _, p := range problems {
		t.Error(p)
	}
	for _, s := range servers {
		s.exitedEarly(t)
	}
	c := m.count()
	t.Logf("%v in: over %v: %v; batches by outcome %v", at(), load, counts, c)
	for _, b := range m.batches {
		if b.out == rejected || (b.out == acked && b.err != nil) {
			t.Errorf("batch %d (%d rows) on live servers: %s: %v", b.no, len(b.ids), b.out, b.err)
		}
	}
	for _, what := range []string{"COPY FROM STDIN", "psql \\copy", "COPY FROM s3://", "single-row INSERT", "VACUUM", "query"} {
		if counts[what] == 0 {
			t.Errorf("no %s completed: the test exercised less than it claims", what)
		}
	}
	// A server-side COPY cancelled by its client while it spills removes its runs (its
	// rows are committed whole or not at all).
	func() {
		c, err := dial(ctx, servers[0].addr)
		if err != nil {
			t.Fatal(err)
		}
		defer closeConn(c)
		b := m.newBatch(60_000)
		sql, err := stageBatch(ctx, staging, location, fmt.Sprintf("cancel/b%d", b.no), "n", b, rng)
		if err != nil {
			t.Fatal(err)
		}
		cctx, cancelCopy := context.WithCancel(ctx)
		defer cancelCopy()
		done := make(chan error, 1)
		go func() {
			_, err := c.Exec(cctx, sql)
			done <- err
		}()
		spilled := waitSpilled(ctx, spill[0], 10*time.Second)
		cancelCopy()
		if err := <-done; err != nil {
			m.settle(b, unknown, err)
		} else {
			m.settle(b, acked, nil)
		}
		deadline := time.Now().Add(10 * time.Second)
		for len(checkOneSpillDir(spill[0], nil)) > 0 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		t.Logf("%v in: a COPY of %d rows cancelled while it spilled: %v", at(), len(b.ids), m.batches[b.no].err)
		if !spilled {
			t.Errorf("a COPY of %d rows did not spill in 10 seconds", len(b.ids))
		}
	}()
	// Writes spilled on every node; with every statement answered, each node's spill
	// directory holds its live process's directory alone, with no run left in it: the
	// killed node's directory is swept.
	seen, err := watcher.finish()
	if err != nil {
		t.Fatalf("watching the spill directories: %v", err)
	}
	logged := make([]int, len(servers))
	for i, s := range servers {
		logged[i] = spilledLogLines(s.logs.String())
		if seen[i] == 0 {
			t.Errorf("node %d: no spill file seen in its spill directory: with --import-memory %s its writes did not spill", i, spillMemory)
		}
		for _, p := range checkOneSpillDir(spill[i], deadDirs) {
			t.Errorf("node %d: %s", i, p)
		}
	}
	t.Logf("spill files seen per node %v, writes logged as spilled per node (live processes) %v; the killed node left %d spill directories holding %d files",
		seen, logged, len(deadDirs), deadFiles)
	if len(deadDirs) != 1 {
		t.Errorf("the killed node left %d spill directories, want its own", len(deadDirs))
	}
	conns := make([]*pgx.Conn, len(servers))
	for i, s := range servers {
		if conns[i], err = dial(ctx, s.addr); err != nil {
			t.Fatal(err)
		}
		defer closeConn(conns[i])
	}

	// No job finished on two nodes, and every finished job wrote the rows it read.
	finishedBy := map[string]int{}
	per := make([]int, len(conns))
	var failed, failedIDs, failedErrs []string
	for i, c := range conns {
		jobs, err := settledJobs(ctx, c, "n")
		if err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
		for _, j := range jobs {
			switch j.status {
			case "finished":
				if o, ok := finishedBy[j.id]; ok {
					t.Errorf("job %s finished on node %d and node %d", j.id, o, i)
				}
				finishedBy[j.id] = i
				per[i]++
				if j.inputRows != j.outputRows {
					t.Errorf("node %d: job %s of partition %s read %d rows and wrote %d", i, j.id, j.partition, j.inputRows, j.outputRows)
				}
			case "taken":
			default:
				failed = append(failed, fmt.Sprintf("node %d: job %s of partition %s: %s %s", i, j.id, j.partition, j.status, j.err))
				failedIDs = append(failedIDs, j.id)
				failedErrs = append(failedErrs, j.err)
			}
		}
	}
	t.Logf("%v in: compaction jobs finished per node: %v", at(), per)
	if len(finishedBy) == 0 {
		t.Error("no compaction job finished: the test exercised nothing")
	}
	h, logProblems, err := checkLogIn(ctx, store)
	if err != nil {
		t.Fatalf("reading the table's log: %v", err)
	}
	// A job may fail only by outliving its claim: another node released the claim once it
	// was older than compaction_job_timeout (a loaded machine makes a job that slow), and
	// the commit was then refused, as it must be: its inputs are no longer assigned to it,
	// or another job has since compacted them away.
	for k, msg := range failed {
		refused := strings.Contains(failedErrs[k], "not assigned to the job") || strings.Contains(failedErrs[k], "file reference not found")
		if h.releasedIDs[failedIDs[k]] && refused {
			t.Logf("%s (its claim was released in the log)", msg)
			continue
		}
		t.Error(msg)
	}
	for _, p := range logProblems {
		t.Error(p)
	}
	for id := range finishedBy {
		if !h.committed[id] && h.first == 1 {
			t.Errorf("job %s is reported finished, but the log has no ReplaceFileReferences of it", id)
		}
	}
	t.Logf("log entries %d to %d: %d jobs claimed files, %d committed, %d released", h.first, h.last, h.claimed, len(h.committed), h.released)
	// Every node reads the same history in sleeper.transactions, with no gap (entries older
	// than a snapshot may have been trimmed, and a later reader may see newer entries), and
	// no finished job's commit appears in it twice.
	hist := make([][]txnRow, len(conns))
	first := map[int64]txnRow{}
	for i, c := range conns {
		if hist[i], err = readTransactions(ctx, c, "n"); err != nil {
			t.Fatalf("node %d: reading sleeper.transactions: %v", i, err)
		}
		for j, x := range hist[i] {
			if x.n != hist[i][0].n+int64(j) {
				t.Errorf("node %d: sleeper.transactions jumps from transaction %d to %d", i, hist[i][j-1].n, x.n)
				break
			}
			if i == 0 {
				first[x.n] = x
			} else if y, ok := first[x.n]; ok && x != y {
				t.Errorf("transaction %d: node 0 reads %v, node %d reads %v", x.n, y, i, x)
				break
			}
		}
	}
	commits := map[string]int{}
	for _, x := range slices.MaxFunc(hist, func(a, b []txnRow) int { return len(a) - len(b) }) {
		if x.kind != "REPLACE_FILE_REFERENCES" {
			continue
		}
		for id := range finishedBy {
			if strings.Contains(x.summary, id+" in ") {
				if commits[id]++; commits[id] == 2 {
					t.Errorf("job %s committed twice in sleeper.transactions", id)
				}
			}
		}
	}
	t.Logf("sleeper.transactions: %v entries per node; %d of the %d finished jobs named in a commit",
		[]int{len(hist[0]), len(hist[1]), len(hist[2])}, len(commits), len(finishedBy))
	if len(commits) == 0 {
		t.Error("sleeper.transactions names no finished job in a commit")
	}

	// Every node reads exactly the acknowledged rows (and whole cut-off ones, the same on
	// every node), and every file the state references is in the bucket.
	for i, c := range conns {
		got, err := readRows(ctx, c, "n")
		if err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
		for _, p := range checkRows(m, got, true) {
			t.Errorf("node %d: %s", i, p)
		}
		if want := wantRows(m); len(got) != want {
			t.Errorf("node %d: %d rows, want %d", i, len(got), want)
		}
		missing, err := checkFilesIn(ctx, c, store, "n")
		if err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
		for _, p := range missing {
			t.Errorf("node %d: %s", i, p)
		}
	}
	c = m.count()
	t.Logf("%v in: statements cut off by the kill: %d found committed, %d found absent", at(), c[present], c[absent])
	// No file is referenced by a partition and one of its ancestors (its rows would be read
	// twice). Partitions are read after files: a partition only ever gains children.
	files, err := readFiles(ctx, conns[1], "n")
	if err != nil {
		t.Fatal(err)
	}
	parts, err := readPartitions(ctx, conns[1], "n")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range checkReferences(files, parts, false) {
		t.Error(p)
	}
	leaves := 0
	for _, p := range parts {
		if p.leaf {
			leaves++
		}
	}
	t.Logf("%d partitions, %d leaves, %d file references", len(parts), leaves, len(files))

	// With background work paused on every node, the claims of the killed node expired and
	// orphans older than a second collectable, one VACUUM FULL leaves nothing under the data
	// prefix that the state does not reference: not the files of the killed node's cut-off
	// writes and compactions, nor the inputs of any node's compactions.
	if _, err := conns[0].Exec(ctx, "ALTER TABLE n SET (online = false, gc_delay = '0s', orphan_age = '1s', compaction_job_timeout = '0s')"); err != nil {
		t.Fatal(err)
	}
	// A background pass begun before the ALTER goes on with the table as it read it: wait
	// until no node has run a job for a second.
	if err := quiesce(ctx, conns, "n", time.Second); err != nil {
		t.Fatal(err)
	}
	before, _, err := orphanObjects(ctx, conns[2], store, "n")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conns[1].Exec(ctx, "VACUUM FULL n"); err != nil {
		t.Fatalf("VACUUM FULL n: %v", err)
	}
	orphans, unreferenced, err := orphanObjects(ctx, conns[2], store, "n")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%v in: objects under the data prefix not referenced: %d before the final VACUUM FULL, %d after", at(), len(before), len(orphans))
	if len(orphans) != 0 || unreferenced != 0 {
		t.Errorf("after VACUUM FULL with gc_delay 0s and orphan_age 1s: %d files the state keeps unreferenced, %d objects not referenced: %s",
			unreferenced, len(orphans), strings.Join(orphans[:min(len(orphans), 10)], ", "))
	}
	got, err := readRows(ctx, conns[2], "n")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range checkRows(m, got, false) {
		t.Errorf("after VACUUM FULL: %s", p)
	}
	if want := wantRows(m); len(got) != want {
		t.Errorf("after VACUUM FULL: %d rows, want %d", len(got), want)
	}
	for _, c := range conns {
		closeConn(c)
	}
	for i, s := range servers {
		s.stop(ctx, t)
		if dirs, err := spillDirs(spill[i]); err != nil || len(dirs) != 0 {
			t.Errorf("node %d stopped: spill directories %v left, %v", i, dirs, err)
		}
	}
}

// quiesce waits until no job of table has run on any of conns for quiet, for up to 30
// seconds.
func quiesce(ctx context.Context, conns []*pgx.Conn, table string, quiet time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	last, since := -1, time.Now()
	for {
		total, running := 0, 0
		for _, c := range conns {
			jobs, err := readJobs(ctx, c, table)
			if err != nil {
				return err
			}
			total += len(jobs)
			for _, j := range jobs {
				if j.status == "running" {
					running++
				}
			}
		}
		switch {
		case running > 0 || total != last:
			last, since = total, time.Now()
		case time.Since(since) >= quiet:
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("compaction of %s did not stop: %d jobs running: %w", table, running, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// txnRow is one row of sleeper.transactions.
type txnRow struct {
	n             int64
	kind, summary string
}

func readTransactions(ctx context.Context, conn *pgx.Conn, table string) ([]txnRow, error) {
	rows, err := conn.Query(ctx, "SELECT txn, kind, summary FROM sleeper.transactions WHERE table_name = $1 ORDER BY txn", table)
	if err != nil {
		return nil, err
	}
	var out []txnRow
	for rows.Next() {
		var x txnRow
		if err := rows.Scan(&x.n, &x.kind, &x.summary); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, x)
	}
	rows.Close()
	return out, rows.Err()
}

// TestViewChecks shows that the checks of concurrent queries catch what a broken engine
// would show: an acknowledged batch missing, a batch half visible, a rejected batch or rows
// no statement wrote visible, counts out of bounds.
func TestViewChecks(t *testing.T) {
	m := &model{}
	b0, b1, b2 := m.newBatch(3), m.newBatch(2), m.newBatch(2)
	m.settle(b0, acked, nil)
	v := m.begin() // b0 acknowledged; b1 in flight; b2 about to be rejected
	m.settle(b1, acked, nil)
	m.settle(b2, rejected, nil)
	m.newBatch(4) // sent after the query began
	sums := func(b *batch, ids ...int64) batchSums {
		if ids == nil {
			ids = b.ids
		}
		s := batchSums{n: int64(len(ids))}
		for _, id := range ids {
			s.ids += id
		}
		return s
	}
	all := func(int64) bool { return true }
	for _, tc := range []struct {
		name     string
		got      map[int64]batchSums
		selects  func(int64) bool
		problems int
	}{
		{"acknowledged only", map[int64]batchSums{0: sums(b0)}, all, 0},
		{"in flight whole", map[int64]batchSums{0: sums(b0), 1: sums(b1)}, all, 0},
		{"acknowledged missing", map[int64]batchSums{1: sums(b1)}, all, 1},
		{"acknowledged partly", map[int64]batchSums{0: sums(b0, b0.ids[:2]...)}, all, 1},
		{"in flight partly", map[int64]batchSums{0: sums(b0), 1: sums(b1, b1.ids[0])}, all, 1},
		{"rejected visible", map[int64]batchSums{0: sums(b0), 2: sums(b2)}, all, 1},
		{"stray batch", map[int64]batchSums{0: sums(b0), 9: {1, 1}}, all, 1},
		{"range", map[int64]batchSums{0: sums(b0, b0.ids[1])}, func(id int64) bool { return id == b0.ids[1] }, 0},
		{"range misses", map[int64]batchSums{}, func(id int64) bool { return id == b0.ids[1] }, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := v.check(tc.got, tc.selects); len(got) != tc.problems {
				t.Errorf("problems %q, want %d", got, tc.problems)
			}
		})
	}
	lo, hi, loIDs, hiIDs := v.bounds()
	if lo != 3 || hi != 9 || loIDs != sums(b0).ids || hiIDs <= loIDs {
		t.Errorf("bounds: rows [%d, %d], ids [%d, %d]; want rows [3, 9]", lo, hi, loIDs, hiIDs)
	}
}
