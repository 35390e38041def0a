package e2e

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

// This file holds what the table lifecycle tests share: a model of the rows written, the
// workload goroutines that write rows and run VACUUM, and the checks of a table's rows and
// files against the model and the data directory.

// idSpace is the number of distinct row ids: ids are a bijection of a write sequence number
// onto [0, idSpace), so consecutive rows land in partitions all over the key range.
const idSpace = 10_000_000

// idOf returns the row id of the seq-th row written. 7919 is prime and does not divide
// idSpace, so idOf is injective on [0, idSpace).
func idOf(seq int64) int64 { return seq * 7919 % idSpace }

// outcome is what a client knows of an INSERT.
type outcome int

const (
	pending  outcome = iota // not answered yet
	acked                   // CommandComplete: committed
	rejected                // an error from a live server: not committed
	unknown                 // the connection died: committed or not, atomically
	present                 // an unknown outcome found committed after a restart
	absent                  // an unknown outcome found not committed after a restart
)

func (o outcome) String() string {
	return [...]string{"pending", "acked", "rejected", "unknown", "present", "absent"}[o]
}

// batch is the rows of one INSERT: ids[i] has the value batch number no.
type batch struct {
	no  int64
	ids []int64
	out outcome
	err error
}

// model is every INSERT sent to a table and what became of it.
type model struct {
	mu      sync.Mutex
	next    int64 // next write sequence number
	batches []*batch
}

// newBatch allocates a batch of n new rows.
func (m *model) newBatch(n int) *batch {
	m.mu.Lock()
	defer m.mu.Unlock()
	b := &batch{no: int64(len(m.batches))}
	for range n {
		b.ids = append(b.ids, idOf(m.next))
		m.next++
	}
	m.batches = append(m.batches, b)
	return b
}

func (m *model) settle(b *batch, out outcome, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b.out, b.err = out, err
}

// count returns how many batches have each outcome.
func (m *model) count() map[outcome]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := make(map[outcome]int)
	for _, b := range m.batches {
		c[b.out]++
	}
	return c
}

// insertSQL is the INSERT of b into table.
func insertSQL(table string, b *batch) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "INSERT INTO %s VALUES ", table)
	for i, id := range b.ids {
		if i > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, "(%d, %d, 'row %d of batch %d')", id, b.no, id, b.no)
	}
	return sb.String()
}

// createSQL creates table with the columns the workload writes: id (the row key), b (the
// batch number) and v (a payload).
func createSQL(table, props string) string {
	return fmt.Sprintf("CREATE TABLE %s (id bigint, b bigint, v text) WITH (row_keys = 'id', %s)", table, props)
}

// dial connects to addr with the simple protocol. The caller closes the connection.
func dial(ctx context.Context, addr string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(fmt.Sprintf("postgres://e2e@%s/e2e?sslmode=disable&connect_timeout=10", addr))
	if err != nil {
		return nil, err
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	return pgx.ConnectConfig(ctx, cfg)
}

// closeConn closes c without waiting long for a server that may be gone.
func closeConn(c *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c.Close(ctx)
}

// isServerError reports whether err is an error the server sent: the statement failed and
// the connection still works.
func isServerError(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe)
}

// writer inserts batches of 1 to maxRows rows into table over conn until ctx is done or the
// connection fails. Each batch's outcome goes into m: acked on CommandComplete, rejected on
// an error the server sent, unknown when the connection failed (the writer then returns).
func writer(ctx context.Context, conn *pgx.Conn, m *model, table string, maxRows int, rng *rand.Rand) {
	writeUntil(ctx, ctx.Done(), conn, m, table, maxRows, rng)
}

// stopped reports whether stop is closed.
func stopped(stop <-chan struct{}) bool {
	select {
	case <-stop:
		return true
	default:
		return false
	}
}

// writeUntil is writer sending no new INSERT once stop is closed: ctx bounds the INSERTs
// themselves.
func writeUntil(ctx context.Context, stop <-chan struct{}, conn *pgx.Conn, m *model, table string, maxRows int, rng *rand.Rand) {
	for ctx.Err() == nil && !stopped(stop) {
		b := m.newBatch(1 + rng.IntN(maxRows))
		tag, err := conn.Exec(ctx, insertSQL(table, b))
		switch {
		case err == nil && tag.String() == fmt.Sprintf("INSERT 0 %d", len(b.ids)):
			m.settle(b, acked, nil)
		case err == nil:
			// Acknowledged with a wrong count: the rows are committed, the tag is a bug.
			m.settle(b, acked, fmt.Errorf("INSERT of %d rows returned %q", len(b.ids), tag))
		case isServerError(err):
			m.settle(b, rejected, err)
		default:
			m.settle(b, unknown, err)
			return
		}
	}
}

// vacuumer runs VACUUM table, and VACUUM FULL table one time in fullEvery, over conn until
// ctx is done or the connection fails, pausing up to pause between statements. It returns
// the number of statements completed and the errors the server sent.
func vacuumer(ctx context.Context, conn *pgx.Conn, table string, fullEvery int, pause time.Duration, rng *rand.Rand) (n int, failed []error) {
	return vacuumUntil(ctx, ctx.Done(), conn, table, fullEvery, pause, rng)
}

// vacuumUntil is vacuumer starting no new VACUUM once stop is closed: ctx bounds the
// VACUUMs themselves.
func vacuumUntil(ctx context.Context, stop <-chan struct{}, conn *pgx.Conn, table string, fullEvery int, pause time.Duration, rng *rand.Rand) (n int, failed []error) {
	for ctx.Err() == nil && !stopped(stop) {
		sql := "VACUUM " + table
		if rng.IntN(fullEvery) == 0 {
			sql = "VACUUM FULL " + table
		}
		_, err := conn.Exec(ctx, sql)
		switch {
		case err == nil:
			n++
		case isServerError(err):
			failed = append(failed, fmt.Errorf("%s: %w", sql, err))
		default:
			return n, failed
		}
		if pause > 0 {
			select {
			case <-ctx.Done():
			case <-stop:
			case <-time.After(time.Duration(rng.Int64N(int64(pause)))):
			}
		}
	}
	return n, failed
}

// row is one row of the workload's table as read back.
type row struct{ id, b int64 }

// readRows reads every (id, b) of table.
func readRows(ctx context.Context, conn *pgx.Conn, table string) ([]row, error) {
	rows, err := conn.Query(ctx, "SELECT id, b FROM "+table)
	if err != nil {
		return nil, err
	}
	var out []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.b); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, r)
	}
	rows.Close()
	return out, rows.Err()
}

// checkRows compares the rows of a table with m and returns every difference: a row of an
// acknowledged (or earlier found present) INSERT missing or duplicated, a row of a rejected
// (or earlier found absent) INSERT present, an INSERT of unknown outcome partly present, a
// row no INSERT wrote, a row with another batch's value. Unknown outcomes are resolved to
// present or absent when resolve is set, so later checks hold them to it.
func checkRows(m *model, got []row, resolve bool) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	type seen struct {
		n int
		b int64
	}
	byID := make(map[int64]*seen, len(got))
	for _, r := range got {
		s := byID[r.id]
		if s == nil {
			s = &seen{b: r.b}
			byID[r.id] = s
		}
		s.n++
	}
	var problems []string
	add := func(format string, args ...any) {
		if len(problems) < 20 {
			problems = append(problems, fmt.Sprintf(format, args...))
		}
	}
	for _, b := range m.batches {
		found := 0
		for _, id := range b.ids {
			s := byID[id]
			if s == nil {
				continue
			}
			found++
			if s.n > 1 {
				add("id %d of batch %d (%s) is present %d times", id, b.no, b.out, s.n)
			}
			if s.b != b.no {
				add("id %d has b = %d, want %d", id, s.b, b.no)
			}
			delete(byID, id)
		}
		switch b.out {
		case acked, present:
			if found != len(b.ids) {
				add("batch %d (%s, %d rows) has %d rows present, want all", b.no, b.out, len(b.ids), found)
			}
		case rejected, absent:
			if found != 0 {
				add("batch %d (%s: %v) has %d of %d rows present, want none", b.no, b.out, b.err, found, len(b.ids))
			}
		case unknown, pending:
			switch {
			case found == 0:
				if resolve {
					b.out = absent
				}
			case found == len(b.ids):
				if resolve {
					b.out = present
				}
			default:
				add("batch %d (%s: %v) has %d of %d rows present: not atomic", b.no, b.out, b.err, found, len(b.ids))
			}
		}
	}
	var stray []int64
	for id := range byID {
		stray = append(stray, id)
	}
	if len(stray) > 0 {
		sort.Slice(stray, func(i, j int) bool { return stray[i] < stray[j] })
		add("%d rows no INSERT wrote, ids %v", len(stray), stray[:min(len(stray), 10)])
	}
	return problems
}

// wantRows returns how many rows the table holds by the model, counting an unknown outcome
// as unresolved (-1 when any is).
func wantRows(m *model) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, b := range m.batches {
		switch b.out {
		case acked, present:
			n += len(b.ids)
		case unknown, pending:
			return -1
		}
	}
	return n
}

// fileRef is one row of sleeper.files.
type fileRef struct {
	name, partition, job string
	rows, fileRows       int64
	bytes                int64
}

// readFiles reads the rows of sleeper.files of table; partition is "" for a file with no
// reference.
func readFiles(ctx context.Context, conn *pgx.Conn, table string) ([]fileRef, error) {
	rows, err := conn.Query(ctx, "SELECT file_name, coalesce(partition_id, ''), coalesce(job_id, ''), row_count, file_rows, bytes FROM sleeper.files WHERE table_name = $1", table)
	if err != nil {
		return nil, err
	}
	var out []fileRef
	for rows.Next() {
		var f fileRef
		if err := rows.Scan(&f.name, &f.partition, &f.job, &f.rows, &f.fileRows, &f.bytes); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, f)
	}
	rows.Close()
	return out, rows.Err()
}

// partition is one row of sleeper.partitions.
type partition struct {
	id, parent string
	leaf       bool
}

func readPartitions(ctx context.Context, conn *pgx.Conn, table string) (map[string]partition, error) {
	rows, err := conn.Query(ctx, "SELECT partition_id, coalesce(parent_id, ''), leaf FROM sleeper.partitions WHERE table_name = $1", table)
	if err != nil {
		return nil, err
	}
	out := make(map[string]partition)
	for rows.Next() {
		var p partition
		if err := rows.Scan(&p.id, &p.parent, &p.leaf); err != nil {
			rows.Close()
			return nil, err
		}
		out[p.id] = p
	}
	rows.Close()
	return out, rows.Err()
}

// checkFilesPresent checks that every file table's state references is an object of its
// size in dataDir; see checkFilesIn.
func checkFilesPresent(ctx context.Context, conn *pgx.Conn, dataDir, table string) ([]string, error) {
	store, err := objstore.NewLocal(dataDir)
	if err != nil {
		return nil, err
	}
	return checkFilesIn(ctx, conn, store, table)
}

// checkFilesIn checks that every file table's state references is an object of its size in
// store. Files are read from sleeper.files, sized, and the missing ones are looked up again:
// a file that was referenced, then missing, and is still referenced after was referenced all
// along (a file with no reference never gets one again), while one that lost its references
// in between may have been garbage collected meanwhile.
func checkFilesIn(ctx context.Context, conn *pgx.Conn, store objstore.Store, table string) ([]string, error) {
	before, err := readFiles(ctx, conn, table)
	if err != nil {
		return nil, fmt.Errorf("reading sleeper.files: %w", err)
	}
	missing := make(map[string]string)
	for _, f := range before {
		if f.partition == "" {
			continue
		}
		if _, done := missing[f.name]; done {
			continue
		}
		size, err := store.Size(ctx, f.name)
		switch {
		case errors.Is(err, objstore.ErrNotExist):
			missing[f.name] = err.Error()
		case err != nil:
			return nil, err
		case size != f.bytes:
			missing[f.name] = fmt.Sprintf("has %d bytes, the state records %d", size, f.bytes)
		}
	}
	if len(missing) == 0 {
		return nil, nil
	}
	after, err := readFiles(ctx, conn, table)
	if err != nil {
		return nil, fmt.Errorf("reading sleeper.files: %w", err)
	}
	var problems []string
	for _, f := range after {
		if why, ok := missing[f.name]; ok && f.partition != "" {
			problems = append(problems, fmt.Sprintf("file %s referenced by partition %s: %s", f.name, f.partition, why))
			delete(missing, f.name)
		}
	}
	return problems, nil
}

// checkReferences checks the references of sleeper.files against sleeper.partitions: every
// reference is to a known partition, no file is referenced twice by one partition nor by a
// partition and one of its ancestors (its rows would be read twice), and, when leavesOne is
// set, every leaf holds at most one file, no non-leaf holds any and no reference is still
// assigned to a job (the state VACUUM FULL leaves). Files and partitions must come from one
// quiet state.
func checkReferences(files []fileRef, parts map[string]partition, leavesOne bool) []string {
	var problems []string
	byFile := make(map[string][]string)
	perPartition := make(map[string]int)
	for _, f := range files {
		if f.partition == "" {
			continue
		}
		if _, ok := parts[f.partition]; !ok {
			problems = append(problems, fmt.Sprintf("file %s referenced by unknown partition %s", f.name, f.partition))
			continue
		}
		byFile[f.name] = append(byFile[f.name], f.partition)
		perPartition[f.partition]++
		if leavesOne && f.job != "" {
			problems = append(problems, fmt.Sprintf("file %s in partition %s is still assigned to job %s", f.name, f.partition, f.job))
		}
	}
	ancestor := func(a, p string) bool { // a is a strict ancestor of p
		for seen := 0; p != "" && seen <= len(parts); seen++ {
			p = parts[p].parent
			if p == a {
				return true
			}
		}
		return false
	}
	for name, ps := range byFile {
		for i, p := range ps {
			for _, q := range ps[i+1:] {
				switch {
				case p == q:
					problems = append(problems, fmt.Sprintf("file %s referenced twice by partition %s", name, p))
				case ancestor(p, q) || ancestor(q, p):
					problems = append(problems, fmt.Sprintf("file %s referenced by partition %s and by its relative %s", name, p, q))
				}
			}
		}
	}
	if leavesOne {
		for p, n := range perPartition {
			if !parts[p].leaf {
				problems = append(problems, fmt.Sprintf("non-leaf partition %s holds %d files after VACUUM FULL", p, n))
			} else if n > 1 {
				problems = append(problems, fmt.Sprintf("leaf partition %s holds %d files after VACUUM FULL", p, n))
			}
		}
	}
	sort.Strings(problems)
	return problems
}

// kill kills s with SIGKILL and waits for it to exit.
func (s *server) kill(ctx context.Context, t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("SIGKILL: %v", err)
	}
	select {
	case <-s.exited:
	case <-ctx.Done():
		t.Fatalf("sleeperd did not exit after SIGKILL: %v", ctx.Err())
	}
}

// exitedEarly fails the test if s has exited (crashed) on its own.
func (s *server) exitedEarly(t *testing.T) {
	t.Helper()
	select {
	case <-s.exited:
		t.Fatalf("sleeperd exited on its own: %v\n%s", s.exitErr, s.logs)
	default:
	}
}

// jobHistory is what a table's transaction log records of compaction jobs.
type jobHistory struct {
	first, last uint64          // the log entries present
	committed   map[string]bool // jobs whose ReplaceFileReferences committed
	claimed     int             // jobs that claimed files
	released    int             // jobs whose claims were released
	releasedIDs map[string]bool // the jobs whose claims were released
}

// checkLog reads the transaction log of the only table in dataDir; see checkLogIn.
func checkLog(ctx context.Context, dataDir string) (jobHistory, []string, error) {
	store, err := objstore.NewLocal(dataDir)
	if err != nil {
		return jobHistory{committed: make(map[string]bool)}, nil, err
	}
	return checkLogIn(ctx, store)
}

// onlyTable returns the ID of the only table with objects in store.
func onlyTable(ctx context.Context, store objstore.Store) (statestore.TableID, error) {
	names, err := store.List(ctx, "tables/")
	if err != nil {
		return "", err
	}
	ids := make(map[string]bool)
	for _, n := range names {
		if rest, ok := strings.CutPrefix(n, "tables/"); ok {
			id, _, _ := strings.Cut(rest, "/")
			ids[id] = true
		}
	}
	if len(ids) != 1 {
		return "", fmt.Errorf("%d tables in the store, want 1", len(ids))
	}
	for id := range ids {
		return statestore.TableID(id), nil
	}
	panic("unreachable")
}

// checkLogIn reads the transaction log of the only table in store and checks that the log
// has no gaps, that no compaction job committed twice, that no file reference was consumed
// by two jobs, and that every committed job claimed exactly its inputs first and was not
// released before committing. Entries trimmed from the front of the log are not checked.
func checkLogIn(ctx context.Context, store objstore.Store) (jobHistory, []string, error) {
	h := jobHistory{committed: make(map[string]bool), releasedIDs: make(map[string]bool)}
	id, err := onlyTable(ctx, store)
	if err != nil {
		return h, nil, err
	}
	log, err := statestore.NewLog(store, statestore.LogPrefix(id))
	if err != nil {
		return h, nil, err
	}
	entries, err := log.Entries(ctx)
	if err != nil {
		return h, nil, err
	}
	if len(entries) == 0 {
		return h, nil, errors.New("the table's log is empty")
	}
	var problems []string
	add := func(format string, args ...any) {
		if len(problems) < 20 {
			problems = append(problems, fmt.Sprintf(format, args...))
		}
	}
	h.last = entries[len(entries)-1]
	type claim struct {
		partition string
		files     []string
		released  bool
	}
	claims := make(map[string]*claim)
	consumed := make(map[string]string) // partition + "/" + file -> job
	var prev uint64
	for _, n := range entries {
		data, err := log.Read(ctx, n)
		if errors.Is(err, objstore.ErrNotExist) && h.first == 0 {
			continue // trimmed since listed
		}
		if err != nil {
			return h, nil, fmt.Errorf("reading log entry %d: %w", n, err)
		}
		switch {
		case h.first == 0:
			h.first = n
		case n != prev+1:
			add("log entries %d to %d are missing", prev+1, n-1)
		}
		prev = n
		txn, _, err := statestore.UnmarshalTransaction(data)
		if err != nil {
			add("log entry %d: %v", n, err)
			continue
		}
		switch x := txn.(type) {
		case *statestore.AssignJobIds:
			for _, j := range x.Jobs {
				if claims[j.JobID] != nil {
					add("log entry %d: job %s claims files a second time", n, j.JobID)
				}
				claims[j.JobID] = &claim{partition: j.PartitionID, files: j.Files}
				h.claimed++
			}
		case *statestore.ReleaseJobs:
			h.released += len(x.JobIDs)
			for _, id := range x.JobIDs {
				h.releasedIDs[id] = true
				if c := claims[id]; c != nil {
					c.released = true
				}
			}
		case *statestore.ReplaceFileReferences:
			for _, j := range x.Jobs {
				if h.committed[j.JobID] {
					add("log entry %d: job %s commits a second time", n, j.JobID)
				}
				h.committed[j.JobID] = true
				switch c := claims[j.JobID]; {
				case c == nil && h.first == 1:
					add("log entry %d: job %s commits without a claim", n, j.JobID)
				case c == nil:
				case c.released:
					add("log entry %d: job %s commits after its claim was released", n, j.JobID)
				case c.partition != j.PartitionID || !sameStrings(c.files, j.InputFiles):
					add("log entry %d: job %s commits inputs %v of partition %s, claimed %v of %s", n, j.JobID, j.InputFiles, j.PartitionID, c.files, c.partition)
				}
				for _, f := range j.InputFiles {
					key := j.PartitionID + "/" + f
					if other, ok := consumed[key]; ok {
						add("log entry %d: job %s consumes file %s of partition %s, which job %s consumed before", n, j.JobID, f, j.PartitionID, other)
					}
					consumed[key] = j.JobID
				}
			}
		}
	}
	return h, problems, nil
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	a, b = append([]string(nil), a...), append([]string(nil), b...)
	sort.Strings(a)
	sort.Strings(b)
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestLifecycleChecks shows that the checks of the crash and multi-process tests catch what a
// broken engine would show.
func TestLifecycleChecks(t *testing.T) {
	newModel := func(outs ...outcome) *model {
		m := &model{}
		for _, o := range outs {
			m.settle(m.newBatch(2), o, nil)
		}
		return m
	}
	rowsOf := func(m *model, nos ...int) []row {
		var out []row
		for _, no := range nos {
			for _, id := range m.batches[no].ids {
				out = append(out, row{id, int64(no)})
			}
		}
		return out
	}
	for _, tc := range []struct {
		name     string
		outs     []outcome
		rows     func(m *model) []row
		problems int
		resolved []outcome
	}{
		{"all there", []outcome{acked, acked}, func(m *model) []row { return rowsOf(m, 0, 1) }, 0, []outcome{acked, acked}},
		{"acked row lost", []outcome{acked, acked}, func(m *model) []row { return rowsOf(m, 0, 1)[1:] }, 1, nil},
		{"acked row twice", []outcome{acked}, func(m *model) []row { return append(rowsOf(m, 0), rowsOf(m, 0)[0]) }, 1, nil},
		{"rejected row there", []outcome{acked, rejected}, func(m *model) []row { return rowsOf(m, 0, 1) }, 1, nil},
		{"unknown all there", []outcome{unknown, unknown}, func(m *model) []row { return rowsOf(m, 1) }, 0, []outcome{absent, present}},
		{"unknown half there", []outcome{unknown}, func(m *model) []row { return rowsOf(m, 0)[:1] }, 1, nil},
		{"absent comes back", []outcome{absent}, func(m *model) []row { return rowsOf(m, 0) }, 1, nil},
		{"present goes", []outcome{present}, func(m *model) []row { return nil }, 1, nil},
		{"stray row", []outcome{acked}, func(m *model) []row { return append(rowsOf(m, 0), row{idOf(99), 0}) }, 1, nil},
		{"wrong batch", []outcome{acked}, func(m *model) []row { r := rowsOf(m, 0); r[0].b = 7; return r }, 1, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newModel(tc.outs...)
			got := checkRows(m, tc.rows(m), true)
			if len(got) != tc.problems {
				t.Errorf("problems %q, want %d", got, tc.problems)
			}
			for i, want := range tc.resolved {
				if m.batches[i].out != want {
					t.Errorf("batch %d resolved to %s, want %s", i, m.batches[i].out, want)
				}
			}
		})
	}

	parts := map[string]partition{
		"root": {id: "root"}, "l": {id: "l", parent: "root", leaf: true}, "r": {id: "r", parent: "root"},
		"rl": {id: "rl", parent: "r", leaf: true}, "rr": {id: "rr", parent: "r", leaf: true},
	}
	for _, tc := range []struct {
		name      string
		files     []fileRef
		leavesOne bool
		problems  int
	}{
		{"disjoint", []fileRef{{name: "a", partition: "l"}, {name: "a", partition: "rl"}, {name: "b", partition: "r"}}, false, 0},
		{"siblings share", []fileRef{{name: "a", partition: "rl"}, {name: "a", partition: "rr"}}, false, 0},
		{"unreferenced", []fileRef{{name: "a"}, {name: "b", partition: "l"}}, true, 0},
		{"parent and child", []fileRef{{name: "a", partition: "r"}, {name: "a", partition: "rr"}}, false, 1},
		{"root and grandchild", []fileRef{{name: "a", partition: "rl"}, {name: "a", partition: "root"}}, false, 1},
		{"twice in one", []fileRef{{name: "a", partition: "l"}, {name: "a", partition: "l"}}, false, 1},
		{"unknown partition", []fileRef{{name: "a", partition: "x"}}, false, 1},
		{"two in a leaf", []fileRef{{name: "a", partition: "l"}, {name: "b", partition: "l"}}, true, 1},
		{"file in a non-leaf", []fileRef{{name: "a", partition: "r"}}, true, 1},
		{"still claimed", []fileRef{{name: "a", partition: "l", job: "j"}}, true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := checkReferences(tc.files, parts, tc.leavesOne); len(got) != tc.problems {
				t.Errorf("problems %q, want %d", got, tc.problems)
			}
		})
	}
}

// TestCheckLog shows that checkLog catches a job committed twice, a file consumed twice, a
// commit after a release or without a claim, and a gap in the log.
func TestCheckLog(t *testing.T) {
	claim := func(job string, files ...string) statestore.Transaction {
		return statestore.AssignJobIds{Jobs: []statestore.JobAssignment{{JobID: job, PartitionID: "p", Files: files}}}
	}
	commit := func(job string, files ...string) statestore.Transaction {
		return statestore.ReplaceFileReferences{Jobs: []statestore.JobResult{{JobID: job, PartitionID: "p", InputFiles: files}}}
	}
	release := func(job string) statestore.Transaction { return statestore.ReleaseJobs{JobIDs: []string{job}} }
	for _, tc := range []struct {
		name     string
		txns     []statestore.Transaction // nil leaves a gap
		problems int
	}{
		{"good", []statestore.Transaction{claim("a", "f", "g"), claim("b", "h"), commit("b", "h"), commit("a", "g", "f")}, 0},
		{"released then retaken", []statestore.Transaction{claim("a", "f"), release("a"), claim("b", "f"), commit("b", "f")}, 0},
		{"committed twice", []statestore.Transaction{claim("a", "f"), commit("a", "f"), commit("a", "f")}, 2},
		{"consumed by two jobs", []statestore.Transaction{claim("a", "f"), claim("b", "f"), commit("a", "f"), commit("b", "f")}, 1},
		{"commit after release", []statestore.Transaction{claim("a", "f"), release("a"), commit("a", "f")}, 1},
		{"commit without claim", []statestore.Transaction{claim("a", "f"), commit("b", "f")}, 1},
		{"other inputs", []statestore.Transaction{claim("a", "f", "g"), commit("a", "f")}, 1},
		{"gap", []statestore.Transaction{claim("a", "f"), nil, commit("a", "f")}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			store, err := objstore.NewLocal(dir)
			if err != nil {
				t.Fatal(err)
			}
			log, err := statestore.NewLog(store, statestore.LogPrefix("t1"))
			if err != nil {
				t.Fatal(err)
			}
			for i, txn := range tc.txns {
				if txn == nil {
					continue
				}
				data, err := statestore.MarshalTransaction(txn, time.Now())
				if err != nil {
					t.Fatal(err)
				}
				if err := log.Append(ctx, uint64(i+1), data); err != nil {
					t.Fatal(err)
				}
			}
			_, problems, err := checkLog(ctx, dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(problems) != tc.problems {
				t.Errorf("problems %q, want %d", problems, tc.problems)
			}
		})
	}
}
