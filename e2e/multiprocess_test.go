package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// sharedTable is the table TestTwoProcesses writes through two servers at once.
var sharedTable = createSQL("m", "split_points = '2500000,5000000,7500000', split_threshold = '2000', "+
	"compaction_files = '3', compaction_ratio = '2', gc_delay = '0s'")

const (
	sharedInserts = 80 // INSERTs each writer sends
	sharedVacuums = 30 // VACUUMs each server runs at least
)

// jobRow is one row of sleeper.compaction_jobs.
type jobRow struct {
	id, partition, status, err string
	inputRows, outputRows      int64
}

func readJobs(ctx context.Context, conn *pgx.Conn, table string) ([]jobRow, error) {
	rows, err := conn.Query(ctx, "SELECT job_id, partition_id, status, coalesce(error, ''), input_rows, output_rows FROM sleeper.compaction_jobs WHERE table_name = $1", table)
	if err != nil {
		return nil, err
	}
	var out []jobRow
	for rows.Next() {
		var j jobRow
		if err := rows.Scan(&j.id, &j.partition, &j.status, &j.err, &j.inputRows, &j.outputRows); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, j)
	}
	rows.Close()
	return out, rows.Err()
}

// outputJob matches the name of a compaction output file and captures the job ID.
var outputJob = regexp.MustCompile(`/c-([0-9a-zA-Z]+)(?:-full)?\.parquet$`)

// TestTwoProcesses runs two sleeperd processes on one data directory, both with background
// maintenance, writes through both while both run VACUUM over and over, and checks that no
// compaction job ran twice: job IDs finished by one process are distinct from those of the
// other, every compaction output the state references is from a job one of them finished,
// every finished job wrote as many rows as it read (the table neither aggregates nor
// deletes), the rows equal the model through both servers, and no file is referenced by a
// partition and one of its ancestors.
func TestTwoProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two servers under load")
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0x2b0c))
	data := t.TempDir()
	args := []string{"--maintenance-interval", "50ms"}
	servers := []*server{start(ctx, t, data, args...), start(ctx, t, data, args...)}
	conns := make([]*pgx.Conn, len(servers))
	for i, s := range servers {
		c, err := dial(ctx, s.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer closeConn(c)
		conns[i] = c
	}
	if _, err := conns[0].Exec(ctx, sharedTable); err != nil {
		t.Fatalf("%s: %v", sharedTable, err)
	}

	// Each server gets a writer of sharedInserts INSERTs and a vacuumer that runs until its
	// writer is done and it has run sharedVacuums VACUUMs.
	m := &model{}
	var wg sync.WaitGroup
	errc := make(chan error, 1000)
	report := func(err error) {
		select {
		case errc <- err:
		default:
		}
	}
	for i, s := range servers {
		wconn, err := dial(ctx, s.addr)
		if err != nil {
			t.Fatal(err)
		}
		vconn, err := dial(ctx, s.addr)
		if err != nil {
			t.Fatal(err)
		}
		wrng := rand.New(rand.NewPCG(rng.Uint64(), 1))
		vrng := rand.New(rand.NewPCG(rng.Uint64(), 2))
		writerDone := make(chan struct{})
		wg.Add(2)
		go func() {
			defer wg.Done()
			defer close(writerDone)
			defer closeConn(wconn)
			// Both servers are up throughout: every INSERT must be acknowledged.
			for n := 0; n < sharedInserts && ctx.Err() == nil; n++ {
				b := m.newBatch(1 + wrng.IntN(50))
				tag, err := wconn.Exec(ctx, insertSQL("m", b))
				if err != nil {
					out := unknown
					if isServerError(err) {
						out = rejected
					}
					m.settle(b, out, err)
					report(fmt.Errorf("server %d: INSERT of batch %d: %w", i, b.no, err))
					if out == unknown {
						return
					}
					continue
				}
				m.settle(b, acked, nil)
				if want := fmt.Sprintf("INSERT 0 %d", len(b.ids)); tag.String() != want {
					report(fmt.Errorf("server %d: INSERT of batch %d returned %q, want %q", i, b.no, tag, want))
				}
			}
		}()
		go func() {
			defer wg.Done()
			defer closeConn(vconn)
			done := 0
			for {
				select {
				case <-writerDone:
					if done >= sharedVacuums {
						return
					}
				default:
				}
				sql := "VACUUM m"
				if vrng.IntN(4) == 0 {
					sql = "VACUUM FULL m"
				}
				if _, err := vconn.Exec(ctx, sql); err != nil {
					report(fmt.Errorf("server %d: %s: %w", i, sql, err))
					if !isServerError(err) {
						return
					}
				}
				done++
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	for _, s := range servers {
		s.exitedEarly(t)
	}

	// Pause background work on both, then let both race for the last full compaction.
	if _, err := conns[0].Exec(ctx, "ALTER TABLE m SET (online = false)"); err != nil {
		t.Fatalf("ALTER TABLE m SET (online = false): %v", err)
	}
	var fwg sync.WaitGroup
	ferr := make([]error, len(conns))
	for i, c := range conns {
		fwg.Add(1)
		go func() {
			defer fwg.Done()
			_, ferr[i] = c.Exec(ctx, "VACUUM FULL m")
		}()
	}
	fwg.Wait()
	for i, err := range ferr {
		if err != nil {
			t.Errorf("server %d: VACUUM FULL m: %v", i, err)
		}
	}

	// No job ran twice. A background pass begun before the ALTER may still be running:
	// read the reports once neither server runs a job.
	finishedBy := make(map[string]int)
	status := make(map[string]string)
	counts := make([]map[string]int, len(conns))
	for i, c := range conns {
		jobs, err := settledJobs(ctx, c, "m")
		if err != nil {
			t.Fatalf("server %d: reading sleeper.compaction_jobs: %v", i, err)
		}
		counts[i] = make(map[string]int)
		seen := make(map[string]bool)
		for _, j := range jobs {
			counts[i][j.status]++
			if seen[j.id] {
				t.Errorf("server %d: job %s appears twice in sleeper.compaction_jobs", i, j.id)
			}
			seen[j.id] = true
			switch j.status {
			case "finished":
				if other, ok := finishedBy[j.id]; ok {
					t.Errorf("job %s finished on server %d and on server %d", j.id, other, i)
				}
				finishedBy[j.id] = i
				if j.inputRows != j.outputRows {
					t.Errorf("server %d: job %s of partition %s read %d rows and wrote %d", i, j.id, j.partition, j.inputRows, j.outputRows)
				}
			case "taken":
			default:
				t.Errorf("server %d: job %s of partition %s has status %s %s", i, j.id, j.partition, j.status, j.err)
			}
			if prev, ok := status[j.id]; ok && prev != j.status {
				t.Errorf("job %s is %s on one server and %s on the other", j.id, prev, j.status)
			}
			status[j.id] = j.status
		}
	}
	t.Logf("compaction jobs by status: server 0 %v, server 1 %v", counts[0], counts[1])
	if len(finishedBy) == 0 {
		t.Fatal("no compaction job finished: the test exercised nothing")
	}

	// The rows equal the model through both servers, and no file is read twice.
	if c := m.count(); c[acked] == 0 || c[acked] != len(m.batches) {
		t.Fatalf("INSERT outcomes %v: every INSERT should be acknowledged", c)
	}
	for i, c := range conns {
		checkShared(ctx, t, c, m, fmt.Sprintf("server %d", i))
	}
	for i, c := range conns {
		files, err := readFiles(ctx, c, "m")
		if err != nil {
			t.Fatalf("server %d: reading sleeper.files: %v", i, err)
		}
		parts, err := readPartitions(ctx, c, "m")
		if err != nil {
			t.Fatalf("server %d: reading sleeper.partitions: %v", i, err)
		}
		for _, p := range checkReferences(files, parts, false) {
			t.Errorf("server %d: %s", i, p)
		}
	}
	for _, c := range conns {
		closeConn(c)
	}
	for _, s := range servers {
		s.stop(ctx, t)
	}

	// One server alone, without background work, folds what is left; then the state is
	// checked at rest.
	s := start(ctx, t, data, "--maintenance-interval", "0")
	conn, err := dial(ctx, s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer closeConn(conn)
	if _, err := conn.Exec(ctx, "VACUUM FULL m"); err != nil {
		t.Fatalf("VACUUM FULL m alone: %v", err)
	}
	jobs, err := readJobs(ctx, conn, "m")
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs {
		if j.status == "finished" {
			finishedBy[j.id] = len(servers)
		}
	}
	checkShared(ctx, t, conn, m, "alone")
	files, err := readFiles(ctx, conn, "m")
	if err != nil {
		t.Fatal(err)
	}
	parts, err := readPartitions(ctx, conn, "m")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range checkReferences(files, parts, true) {
		t.Errorf("alone, after VACUUM FULL: %s", p)
	}
	outputs := 0
	for _, f := range files {
		if mm := outputJob.FindStringSubmatch(f.name); mm != nil && f.partition != "" {
			outputs++
			if _, ok := finishedBy[mm[1]]; !ok {
				t.Errorf("file %s of partition %s is the output of job %s, which no server finished (status %q)", f.name, f.partition, mm[1], status[mm[1]])
			}
		}
	}
	if outputs == 0 {
		t.Errorf("no referenced file is a compaction output after VACUUM FULL: files %v", files)
	}
	missing, err := checkFilesPresent(ctx, conn, data, "m")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range missing {
		t.Error(p)
	}
	// The log agrees: finished jobs committed once, taken ones never.
	h, problems, err := checkLog(ctx, data)
	if err != nil {
		t.Fatalf("reading the table's log: %v", err)
	}
	for _, p := range problems {
		t.Error(p)
	}
	for id, st := range status {
		switch {
		case st == "taken" && h.committed[id]:
			t.Errorf("job %s is reported taken, but its ReplaceFileReferences is in the log", id)
		case st == "finished" && !h.committed[id] && h.first == 1:
			t.Errorf("job %s is reported finished, but the log has no ReplaceFileReferences of it", id)
		}
	}
	t.Logf("log entries %d to %d: %d jobs claimed files, %d committed, %d released", h.first, h.last, h.claimed, len(h.committed), h.released)
	s.stop(ctx, t)
}

// settledJobs reads the compaction reports of table once no job is running, polling for
// up to 30 seconds.
func settledJobs(ctx context.Context, conn *pgx.Conn, table string) ([]jobRow, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		jobs, err := readJobs(ctx, conn, table)
		if err != nil {
			return nil, err
		}
		running := 0
		for _, j := range jobs {
			if j.status == "running" {
				running++
			}
		}
		if running == 0 {
			return jobs, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%d jobs still running: %w", running, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// checkShared checks the rows of m read through conn against the model.
func checkShared(ctx context.Context, t *testing.T, conn *pgx.Conn, m *model, who string) {
	t.Helper()
	got, err := readRowsRetry(ctx, t, conn, "m")
	if err != nil {
		t.Fatalf("%s: SELECT id, b FROM m: %v", who, err)
	}
	for _, p := range checkRows(m, got, false) {
		t.Errorf("%s: %s", who, p)
	}
	if want := wantRows(m); len(got) != want {
		t.Errorf("%s: %d rows, want %d", who, len(got), want)
	}
}

// readRowsRetry reads the rows of table, trying again up to twice on an error: a query on
// one server may lose a file to garbage collection by the other, which does not know of the
// query (gc_delay is what guards such readers).
func readRowsRetry(ctx context.Context, t *testing.T, conn *pgx.Conn, table string) ([]row, error) {
	var err error
	for try := 0; try < 3; try++ {
		var got []row
		if got, err = readRows(ctx, conn, table); err == nil {
			return got, nil
		}
		t.Logf("SELECT from %s: %v (trying again)", table, err)
	}
	return nil, err
}
