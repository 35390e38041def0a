package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sleeperd/sleeperd/internal/s3test"
	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

// crashS3Kills is the number of times TestCrashS3 kills sleeperd.
const crashS3Kills = 8

// s3Store opens the store sleeperd serves as s3://bucket/prefix on the server at endpoint,
// for the tests to inspect.
func s3Store(ctx context.Context, t *testing.T, endpoint, bucket, prefix string) objstore.Store {
	t.Helper()
	store, err := objstore.NewS3(ctx, objstore.S3Options{Bucket: bucket, Prefix: prefix, Endpoint: endpoint,
		PathStyle: true, Region: s3test.Region, Credentials: s3test.Credentials()})
	if err != nil {
		t.Fatal(err)
	}
	return store
}

// copyBatch loads b into table with COPY FROM STDIN (pgx's CopyFrom, binary format), the
// same rows insertSQL would insert.
func copyBatch(ctx context.Context, conn *pgx.Conn, table string, b *batch) (int64, error) {
	return conn.CopyFrom(ctx, pgx.Identifier{table}, []string{"id", "b", "v"},
		pgx.CopyFromSlice(len(b.ids), func(i int) ([]any, error) {
			return []any{b.ids[i], b.no, fmt.Sprintf("row %d of batch %d", b.ids[i], b.no)}, nil
		}))
}

// importer loads batches of minRows to maxRows rows into table with COPY FROM STDIN over
// conn until stop is closed, ctx is done or the connection fails, recording each outcome in
// m as writer does; ctx bounds the COPYs themselves. It returns the number of COPYs
// acknowledged.
func importer(ctx context.Context, stop <-chan struct{}, conn *pgx.Conn, m *model, table string, minRows, maxRows int, rng *rand.Rand) int {
	n := 0
	for ctx.Err() == nil && !stopped(stop) {
		b := m.newBatch(minRows + rng.IntN(maxRows-minRows+1))
		got, err := copyBatch(ctx, conn, table, b)
		switch {
		case err == nil && got == int64(len(b.ids)):
			m.settle(b, acked, nil)
			n++
		case err == nil:
			m.settle(b, acked, fmt.Errorf("COPY of %d rows reported %d", len(b.ids), got))
		case isServerError(err):
			m.settle(b, rejected, err)
		default:
			m.settle(b, unknown, err)
			return n
		}
	}
	return n
}

// orphanObjects returns the objects under the data file prefix of the only table in store
// that table's state, as sleeper.files shows it, does not reference.
func orphanObjects(ctx context.Context, conn *pgx.Conn, store objstore.Store, table string) (orphans []string, unreferenced int, err error) {
	id, err := onlyTable(ctx, store)
	if err != nil {
		return nil, 0, err
	}
	files, err := readFiles(ctx, conn, table)
	if err != nil {
		return nil, 0, err
	}
	referenced := make(map[string]bool)
	for _, f := range files {
		if f.partition != "" {
			referenced[f.name] = true
		} else {
			unreferenced++
		}
	}
	names, err := store.List(ctx, statestore.TablePrefix(id)+"files/")
	if err != nil {
		return nil, 0, err
	}
	if len(names) == 0 {
		return nil, 0, fmt.Errorf("no object under %sfiles/: the data files are elsewhere", statestore.TablePrefix(id))
	}
	for _, n := range names {
		if !referenced[n] {
			orphans = append(orphans, n)
		}
	}
	return orphans, unreferenced, nil
}

// TestCrashS3 is TestCrash on a versitygw bucket, with bulk imports: sleeperd is killed with
// SIGKILL at random moments while an importer loads tens of thousands of rows per COPY FROM
// STDIN, a writer INSERTs small batches, and background maintenance and VACUUM compact, split
// and collect garbage; it is restarted on the same bucket, and after every restart every
// acknowledged COPY and INSERT is there exactly once, one cut off by the kill is all there or
// all gone, no other row appears, and every file the state references is in the bucket. At
// the end, with the claims of killed jobs expired and a short orphan_age, one VACUUM FULL
// leaves no object under the table's data prefix that the state does not reference.
func TestCrashS3(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts sleeperd on versitygw")
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0xc5a3))
	endpoint := s3test.VersityGW(t)
	bucket := s3test.NewBucket(t, endpoint)
	s3test.SetEnv(t)
	data := "s3://" + bucket + "/db"
	store := s3Store(ctx, t, endpoint, bucket, "db")
	s3args := []string{"--s3-endpoint", endpoint, "--s3-path-style"}
	args := append(slices.Clone(s3args), "--maintenance-interval", "100ms")
	m := &model{}

	s := start(ctx, t, data, args...)
	func() {
		conn, err := dial(ctx, s.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer closeConn(conn)
		// Imports land in every leaf, leaves split, compaction runs every three files, and
		// the claims of jobs killed with their server expire after a second.
		sql := createSQL("c", "split_points = '2500000,5000000,7500000', split_threshold = '30000', "+
			"compaction_files = '3', compaction_ratio = '2', gc_delay = '0s', compaction_job_timeout = '1s'")
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}()

	var mu sync.Mutex
	var copies, vacuums int
	for kill := 1; kill <= crashS3Kills; kill++ {
		loadCtx, stopLoad := context.WithCancel(ctx)
		var wg sync.WaitGroup
		for w := range 3 {
			conn, err := dial(ctx, s.addr)
			if err != nil {
				t.Fatalf("kill %d: connecting: %v\n%s", kill, err, s.logs)
			}
			wrng := rand.New(rand.NewPCG(rng.Uint64(), uint64(w)))
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer closeConn(conn)
				switch w {
				case 0:
					n := importer(loadCtx, loadCtx.Done(), conn, m, "c", 10_000, 25_000, wrng)
					mu.Lock()
					copies += n
					mu.Unlock()
				case 1:
					writer(loadCtx, conn, m, "c", 20, wrng)
				default:
					n, failed := vacuumer(loadCtx, conn, "c", 3, 50*time.Millisecond, wrng)
					mu.Lock()
					vacuums += n
					mu.Unlock()
					for _, err := range failed {
						t.Errorf("kill %d: %v", kill, err)
					}
				}
			}()
		}
		delay := 300*time.Millisecond + time.Duration(rng.Int64N(int64(1700*time.Millisecond)))
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			t.Fatalf("kill %d: %v", kill, ctx.Err())
		}
		s.exitedEarly(t)
		s.kill(ctx, t)
		stopLoad()
		wg.Wait()

		s = start(ctx, t, data, args...)
		if !crashCheck(ctx, t, s, store, m, fmt.Sprintf("after kill %d", kill), false) {
			t.Fatalf("after kill %d (%v into the load): the checks failed", kill, delay)
		}
	}
	c := m.count()
	t.Logf("%d kills; COPYs and INSERTs: %d acknowledged (%d COPYs), %d cut off and found committed, %d cut off and found absent, %d rejected; %d VACUUMs",
		crashS3Kills, c[acked], copies, c[present], c[absent], c[rejected], vacuums)
	for _, b := range m.batches {
		if b.out == rejected {
			t.Errorf("batch %d (%d rows) failed on a live server: %v", b.no, len(b.ids), b.err)
		}
		if b.out == acked && b.err != nil {
			t.Errorf("batch %d: %v", b.no, b.err)
		}
	}
	if copies == 0 {
		t.Fatal("no COPY was acknowledged: the test exercised nothing")
	}
	cutCopies := 0
	for _, b := range m.batches {
		if (b.out == present || b.out == absent) && len(b.ids) >= 10_000 {
			cutCopies++
		}
	}
	t.Logf("COPYs cut off by a kill: %d", cutCopies)
	if cutCopies == 0 {
		t.Error("no kill cut a COPY off: the test exercised no cut-off import")
	}

	// Without background work, with every claim expired and orphans older than a second
	// collectable, VACUUM FULL folds everything left and garbage collection leaves nothing
	// the state does not reference.
	s.stop(ctx, t)
	s = start(ctx, t, data, append(slices.Clone(s3args), "--maintenance-interval", "0")...)
	conn, err := dial(ctx, s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer closeConn(conn)
	if _, err := conn.Exec(ctx, "ALTER TABLE c SET (compaction_job_timeout = '0s', orphan_age = '1s')"); err != nil {
		t.Fatal(err)
	}
	before, _, err := orphanObjects(ctx, conn, store, "c")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond)
	if _, err := conn.Exec(ctx, "VACUUM FULL c"); err != nil {
		t.Fatalf("VACUUM FULL c: %v", err)
	}
	crashCheck(ctx, t, s, store, m, "after the final VACUUM FULL", true)
	if h, _, err := checkLogIn(ctx, store); err != nil {
		t.Fatal(err)
	} else if h.first == 1 && h.claimed == len(h.committed) {
		t.Errorf("every one of the %d compaction jobs committed: no kill landed in a compaction", h.claimed)
	}
	orphans, unreferenced, err := orphanObjects(ctx, conn, store, "c")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("objects under the data prefix not referenced: %d before the final VACUUM FULL, %d after", len(before), len(orphans))
	if len(orphans) != 0 || unreferenced != 0 {
		t.Errorf("after VACUUM FULL with gc_delay 0s and orphan_age 1s: %d files the state keeps unreferenced, %d objects not referenced: %s",
			unreferenced, len(orphans), strings.Join(orphans[:min(len(orphans), 10)], ", "))
	}
	s.stop(ctx, t)
}
