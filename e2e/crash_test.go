package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/sleeperd/sleeperd/storage/objstore"
)

// crashKills is the number of times TestCrash kills sleeperd.
const crashKills = 25

// crashTable is the table TestCrash writes: four initial partitions, a split threshold low
// enough that leaves split many times, compaction of every three files, garbage collected
// files deleted at once, and the claims of jobs killed with their server released after a
// second, so that kills land in every kind of commit.
var crashTable = createSQL("c", "split_points = '2500000,5000000,7500000', split_threshold = '1500', "+
	"compaction_files = '3', compaction_ratio = '2', gc_delay = '0s', compaction_job_timeout = '1s'")

// TestCrash kills sleeperd with SIGKILL at random moments while writers insert and
// background maintenance and VACUUM compact, split and collect garbage, restarts it on the
// same directory, and checks after every restart that no acknowledged row is lost or
// duplicated, that an INSERT cut off by the kill is all there or all gone, that no other row
// appears, and that every file the state references is in the directory.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts sleeperd many times")
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	data := t.TempDir()
	store, err := objstore.NewLocal(data)
	if err != nil {
		t.Fatal(err)
	}
	m := &model{}
	args := []string{"--maintenance-interval", "100ms"}

	s := start(ctx, t, data, args...)
	func() {
		conn, err := dial(ctx, s.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer closeConn(conn)
		if _, err := conn.Exec(ctx, crashTable); err != nil {
			t.Fatalf("%s: %v", crashTable, err)
		}
	}()

	var vacuums int
	for kill := 1; kill <= crashKills; kill++ {
		// Write, compact and vacuum, and kill the server in the middle of it.
		loadCtx, stopLoad := context.WithCancel(ctx)
		var wg sync.WaitGroup
		var mu sync.Mutex
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
				if w < 2 {
					writer(loadCtx, conn, m, "c", 40, wrng)
					return
				}
				n, failed := vacuumer(loadCtx, conn, "c", 3, 20*time.Millisecond, wrng)
				mu.Lock()
				vacuums += n
				mu.Unlock()
				for _, err := range failed {
					t.Errorf("kill %d: %v", kill, err)
				}
			}()
		}
		delay := 20*time.Millisecond + time.Duration(rng.Int64N(int64(400*time.Millisecond)))
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			t.Fatalf("kill %d: %v", kill, ctx.Err())
		}
		s.exitedEarly(t)
		s.kill(ctx, t)
		stopLoad()
		wg.Wait()

		// Restart on the same directory and check the table against the model.
		s = start(ctx, t, data, args...)
		if !crashCheck(ctx, t, s, store, m, fmt.Sprintf("after kill %d", kill), false) {
			t.Fatalf("after kill %d (%v into the load): the checks failed", kill, delay)
		}
	}
	c := m.count()
	t.Logf("%d kills; INSERTs: %d acknowledged, %d cut off and found committed, %d cut off and found absent, %d rejected; %d VACUUMs",
		crashKills, c[acked], c[present], c[absent], c[rejected], vacuums)
	for _, b := range m.batches {
		if b.out == rejected {
			t.Errorf("INSERT of batch %d failed on a live server: %v", b.no, b.err)
		}
	}
	if c[acked] == 0 {
		t.Fatal("no INSERT was acknowledged: the test exercised nothing")
	}

	// VACUUM FULL folds everything left, the files claimed by jobs killed with their server
	// included. The server is restarted without background work, so that nothing runs
	// besides the VACUUM, and with a job timeout of zero every claim has expired.
	s.stop(ctx, t)
	s = start(ctx, t, data, "--maintenance-interval", "0")
	conn, err := dial(ctx, s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer closeConn(conn)
	for _, sql := range []string{"ALTER TABLE c SET (compaction_job_timeout = '0s')", "VACUUM FULL c"} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	crashCheck(ctx, t, s, store, m, "after the final VACUUM FULL", true)
	s.stop(ctx, t)
}

// crashCheck checks the table c of the server s after a restart against m, resolving the
// outcome of INSERTs cut off by the kill, and checks the files, references and log of the
// table in store. When full is set (after VACUUM FULL on a server without background work) it
// also checks that every leaf holds at most one file and no reference is left assigned to a
// job. It reports whether every check passed; when names the moment in messages.
func crashCheck(ctx context.Context, t *testing.T, s *server, store objstore.Store, m *model, when string, full bool) (ok bool) {
	t.Helper()
	ok = true
	fail := func(format string, args ...any) {
		t.Helper()
		ok = false
		t.Errorf(format, args...)
	}
	conn, err := dial(ctx, s.addr)
	if err != nil {
		t.Fatalf("%s: connecting: %v", when, err)
	}
	defer closeConn(conn)
	// Files first: a missing file also fails the SELECT, less precisely.
	missing, err := checkFilesIn(ctx, conn, store, "c")
	if err != nil {
		t.Fatalf("%s: %v", when, err)
	}
	for _, p := range missing {
		fail("%s: %s", when, p)
	}
	got, err := readRows(ctx, conn, "c")
	if err != nil {
		t.Fatalf("%s: SELECT id, b FROM c: %v", when, err)
	}
	for _, p := range checkRows(m, got, true) {
		fail("%s: %s", when, p)
	}
	var n int64
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM c").Scan(&n); err != nil {
		t.Fatalf("%s: SELECT count(*) FROM c: %v", when, err)
	}
	if want := wantRows(m); n != int64(want) {
		fail("%s: SELECT count(*) FROM c = %d, want %d", when, n, want)
	}
	// Partitions are read after files: a partition only ever gains children, so every
	// partition a file names is there and ancestry is as it was when files were read.
	files, err := readFiles(ctx, conn, "c")
	if err != nil {
		t.Fatalf("%s: reading sleeper.files: %v", when, err)
	}
	parts, err := readPartitions(ctx, conn, "c")
	if err != nil {
		t.Fatalf("%s: reading sleeper.partitions: %v", when, err)
	}
	for _, p := range checkReferences(files, parts, full) {
		fail("%s: %s", when, p)
	}
	h, problems, err := checkLogIn(ctx, store)
	if err != nil {
		t.Fatalf("%s: reading the table's log: %v", when, err)
	}
	for _, p := range problems {
		fail("%s: %s", when, p)
	}
	if full {
		t.Logf("log entries %d to %d: %d jobs claimed files, %d committed, %d released (killed or failed)",
			h.first, h.last, h.claimed, len(h.committed), h.released)
	}
	return ok
}
