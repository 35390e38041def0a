package bench

import (
	"context"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"os"
	osexec "os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/internal/s3test"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// hotCacheRows is the fact table's size in TestHotCacheJoin (HOTCACHE_ROWS overrides it).
const hotCacheRows = 500_000

var hotCacheJoins = []string{
	"SELECT d.name, count(*), sum(f.v) FROM fact f JOIN dim d ON f.k = d.k GROUP BY d.name ORDER BY 2 DESC, 1 LIMIT 10",
	"SELECT d.region, count(*), avg(f.v) FROM fact f JOIN dim d ON f.k = d.k JOIN dim e ON d.k = e.k WHERE f.s LIKE 'row 1%' GROUP BY d.region ORDER BY 1",
	"SELECT count(*) FROM fact f JOIN dim d ON f.k = d.k WHERE d.region = 'r3'",
}

// seedRows and seedQueries are the seed design's hot-cache workload (HOTCACHE_WORKLOAD=seed):
// 2.47M rows, a join producing about 1M rows (aggregated here, so that the client's work
// does not dominate) and a filter returning 100k rows.
const seedRows = 2_470_000

var seedQueries = []string{
	"SELECT count(*), sum(f.v), count(DISTINCT d.name) FROM fact f JOIN dim d ON f.k = d.k WHERE f.id < 1000000",
	"SELECT id, k, v, s FROM fact WHERE v >= 100000 AND v < 150000 ORDER BY id",
}

// TestHotCacheJoin measures a join-heavy workload: the first run after the engine opens
// (cold: no hot cache, no open files), the same runs again without the hot cache (the
// operating system's page cache warm), and with the tables pinned in the hot cache; and the
// hot cache's bytes per cached row. The runs are measured in a fresh process over tables
// already written, as a server restarted over its tables would run them: when the test
// writes the tables of a local store itself, it runs itself again in a child process over
// them (HOTCACHE_SAME_PROCESS=1 measures in the writing process instead, whose Go heap the
// writes left grown and its pages mapped: its uncached runs then skip the page faults of a
// growing heap, about half their CPU, which no restarted server skips). It runs only when
// HOTCACHE is set:
//
//	HOTCACHE=1 go test -run TestHotCacheJoin -v -timeout 30m .
//
// HOTCACHE_WORKLOAD=seed runs the seed design's workload (seedQueries over seedRows rows)
// instead of hotCacheJoins; HOTCACHE_STORE=s3 keeps the tables in a bucket of a versitygw
// server on 127.0.0.1 (make deps installs it) instead of a local directory, so that cold
// reads are S3 requests. HOTCACHE_DIR keeps a local store's tables in that directory
// between runs (made by the first), HOTCACHE_DROP evicts a local store's files from the
// operating system's page cache before the cold run (so that it reads from the disk),
// HOTCACHE_CPUPROFILE writes a CPU profile of nine further hot runs (HOTCACHE_PROFILE_RUNS
// of them, if set) to that file, and HOTCACHE_OFF_CPUPROFILE one of further runs without
// the hot cache. Timed
// runs consume the rows by a digest of their values (digestRows), not as text.
func TestHotCacheJoin(t *testing.T) {
	if os.Getenv("HOTCACHE") == "" {
		t.Skip("set HOTCACHE=1 to run the hot cache measurement")
	}
	rows, queries := hotCacheRows, hotCacheJoins
	if os.Getenv("HOTCACHE_WORKLOAD") == "seed" {
		rows, queries = seedRows, seedQueries
	}
	if s := os.Getenv("HOTCACHE_ROWS"); s != "" {
		rows, _ = strconv.Atoi(s)
	}
	ctx := context.Background()
	var store objstore.Store
	var storeDir string
	reuse := false
	var err error
	switch kind := os.Getenv("HOTCACHE_STORE"); kind {
	case "", "local":
		dir := os.Getenv("HOTCACHE_DIR") // keeps the tables between runs
		if dir == "" {
			dir = t.TempDir()
		} else if _, err := os.Stat(filepath.Join(dir, "ready")); err == nil {
			reuse = true
		}
		storeDir = dir
		store, err = objstore.NewLocal(dir)
	case "s3":
		endpoint := s3test.VersityGW(t)
		store, err = objstore.NewS3(ctx, objstore.S3Options{
			Bucket: s3test.NewBucket(t, endpoint), Endpoint: endpoint, PathStyle: true,
			Region: s3test.Region, Credentials: s3test.Credentials(),
		})
	default:
		t.Fatalf("HOTCACHE_STORE=%q: want local or s3", kind)
	}
	if err != nil {
		t.Fatal(err)
	}
	openEng := func(cache int64) (*engine.Engine, engine.Conn) {
		e, err := engine.Open(ctx, engine.Options{Store: store, CacheMemory: cache})
		if err != nil {
			t.Fatal(err)
		}
		c, err := e.Connect(ctx, "bench", "bench")
		if err != nil {
			t.Fatal(err)
		}
		return e, c
	}
	e, c := openEng(0)
	setup := []string{
		"CREATE TABLE fact (id bigint PRIMARY KEY, k bigint, v double precision, s text) WITH (split_points = '125000,250000,375000')",
		fmt.Sprintf("INSERT INTO fact SELECT g, g %% 10000, g * 0.5, 'row ' || g FROM generate_series(0, %d) AS g", rows-1),
		"CREATE TABLE dim (k bigint PRIMARY KEY, name text, region text)",
		"INSERT INTO dim SELECT g, 'name ' || (g % 997), 'r' || (g % 7) FROM generate_series(0, 9999) AS g",
	}
	if reuse {
		setup = nil
	}
	for _, q := range setup {
		mustRun(t, c, q)
	}
	if storeDir != "" && !reuse {
		if err := os.WriteFile(filepath.Join(storeDir, "ready"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e.Close()
	if !reuse && storeDir != "" && os.Getenv("HOTCACHE_SAME_PROCESS") == "" {
		// Measure in a fresh process over the tables just written: see above.
		cmd := osexec.Command(os.Args[0], "-test.run", "^TestHotCacheJoin$", "-test.v", "-test.timeout", "30m")
		cmd.Env = append(os.Environ(), "HOTCACHE_DIR="+storeDir)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		t.Logf("tables written to %s; measuring in a fresh process", storeDir)
		if err := cmd.Run(); err != nil {
			t.Fatalf("measuring process: %v", err)
		}
		return
	}

	// CPU time of the process (user + system, every thread) spent in each kind of run: on
	// a shared machine it moves less with the load than wall time does.
	// The minor page faults of each kind of run count the fresh memory it touched: a heap
	// that grows faults its new pages in.
	var coldCPU, offCPU, onCPU time.Duration
	var coldFaults, offFaults, onFaults int64
	cpuUsed := func() (time.Duration, int64) {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			t.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), ru.Minflt
	}
	var lastCPU time.Duration
	var lastFaults int64
	// A timed run consumes the rows as a client that reads them would, without rendering
	// them as text: digestRows hashes each value's bytes (the query's own time is what is
	// measured). The rows are compared as text once, outside the timed runs.
	workload := func(c engine.Conn) (time.Duration, []string) {
		startCPU, startFaults := cpuUsed()
		start := time.Now()
		var out []string
		for _, q := range queries {
			out = append(out, digestRows(t, c, q))
		}
		cpu, faults := cpuUsed()
		lastCPU, lastFaults = cpu-startCPU, faults-startFaults
		return time.Since(start), out
	}
	const runs = 9
	if os.Getenv("HOTCACHE_DROP") != "" {
		// Evict the tables' files from the operating system's page cache, so that the cold
		// run reads them from the disk.
		if storeDir == "" {
			t.Fatal("HOTCACHE_DROP needs a local store")
		}
		n, err := dropPageCache(storeDir)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("dropped %d files from the page cache", n)
	}
	e, c = openEng(0)
	defer e.Close()
	cold, want := workload(c)
	coldCPU, coldFaults = lastCPU, lastFaults
	eOn, cOn := openEng(4 << 30)
	defer eOn.Close()
	coldOn, got := workload(cOn)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("results differ with the cache:\n%v\n%v", got, want)
	}
	pinStart := time.Now()
	var pinned int64
	for _, tb := range []string{"fact", "dim"} {
		n, _ := strconv.ParseInt(mustRun(t, cOn, fmt.Sprintf("SELECT sleeper.cache_pin('%s')", tb)), 10, 64)
		pinned += n
	}
	pin := time.Since(pinStart)
	// The machine may be loaded: alternate the two engines and take the median of each.
	var off, on []time.Duration
	for range runs {
		for _, x := range []struct {
			c   engine.Conn
			d   *[]time.Duration
			cpu *time.Duration
			flt *int64
		}{{c, &off, &offCPU, &offFaults}, {cOn, &on, &onCPU, &onFaults}} {
			d, got := workload(x.c)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("results differ:\n%v\n%v", got, want)
			}
			*x.d = append(*x.d, d)
			*x.cpu += lastCPU
			*x.flt += lastFaults
		}
	}
	median := func(ds []time.Duration) time.Duration {
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	warmOff, hot := median(off), median(on)
	if p := os.Getenv("HOTCACHE_OFF_CPUPROFILE"); p != "" {
		// A CPU profile of further runs without the hot cache, with the page faults and
		// collections they caused.
		n := runs
		if s := os.Getenv("HOTCACHE_PROFILE_RUNS"); s != "" {
			n, _ = strconv.Atoi(s)
		}
		var ms0, ms1 runtime.MemStats
		var ru0, ru1 syscall.Rusage
		runtime.ReadMemStats(&ms0)
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
		profile(t, p, func() {
			for range n {
				workload(c)
			}
		})
		runtime.ReadMemStats(&ms1)
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
		t.Logf("profiled %d runs without the hot cache: %d minor page faults, %d collections, %d MB allocated per run, heap %d MB mapped",
			n, ru1.Minflt-ru0.Minflt, ms1.NumGC-ms0.NumGC, (ms1.TotalAlloc-ms0.TotalAlloc)>>20/uint64(n), ms1.HeapSys>>20)
	}
	if p := os.Getenv("HOTCACHE_CPUPROFILE"); p != "" {
		// A CPU profile of further hot runs only.
		n := runs
		if s := os.Getenv("HOTCACHE_PROFILE_RUNS"); s != "" {
			n, _ = strconv.Atoi(s)
		}
		profile(t, p, func() {
			for range n {
				workload(cOn)
			}
		})
	}
	for _, q := range queries {
		if off, on := mustRun(t, c, q), mustRun(t, cOn, q); off != on {
			t.Fatalf("%s: results differ with the cache:\n%s\n%s", q, off, on)
		}
	}
	stats := mustRun(t, cOn, "SELECT sum(entries), sum(bytes), sum(hits), sum(misses) FROM sleeper.cache")
	perRow := float64(pinned) / float64(rows+10000)
	t.Logf("store %q, rows: fact %d, dim 10000; %d queries per run; medians of %d alternating runs", os.Getenv("HOTCACHE_STORE"), rows, len(queries), runs)
	t.Logf("cold (engine just opened, hot cache off): %v", cold.Round(time.Millisecond))
	t.Logf("cold, hot cache on (the first join fills it, the next two hit): %v", coldOn.Round(time.Millisecond))
	t.Logf("warm, hot cache off (OS page cache and open files warm): %v (min %v)", warmOff.Round(time.Millisecond), off[0].Round(time.Millisecond))
	t.Logf("hot (tables pinned): %v (min %v); cold/hot %.1fx, warm-off/hot %.2fx", hot.Round(time.Millisecond), on[0].Round(time.Millisecond), float64(cold)/float64(hot), float64(warmOff)/float64(hot))
	offCPU, onCPU = offCPU/runs, onCPU/runs
	t.Logf("CPU (process, user + system): cold %v, warm without the hot cache %v per run, hot %v per run; cold/hot %.1fx, warm-off/hot %.2fx",
		coldCPU.Round(time.Millisecond), offCPU.Round(time.Millisecond), onCPU.Round(time.Millisecond),
		float64(coldCPU)/float64(onCPU), float64(offCPU)/float64(onCPU))
	t.Logf("minor page faults: cold %d, warm without the hot cache %d per run, hot %d per run", coldFaults, offFaults/runs, onFaults/runs)
	t.Logf("pinned %d bytes in %v: %.1f bytes per cached row; sleeper.cache entries, bytes, hits, misses: %s", pinned, pin.Round(time.Millisecond), perRow, stats)
}

// profile writes a CPU profile of fn to the file p.
func profile(t *testing.T, p string, fn func()) {
	t.Helper()
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		t.Fatal(err)
	}
	fn()
	pprof.StopCPUProfile()
}

// digestRows runs q and returns the number of its rows and a hash of their values in order,
// read from the batches' buffers (a value's bytes; NULLs and column boundaries marked).
func digestRows(t *testing.T, c engine.Conn, q string) string {
	t.Helper()
	var d rowDigest
	eachBatch(t, c, q, d.add)
	return d.String()
}

// eachBatch runs q and calls fn on each batch of its result in order.
func eachBatch(t *testing.T, c engine.Conn, q string, fn func(arrow.RecordBatch)) {
	t.Helper()
	ctx := context.Background()
	st, err := c.Prepare(ctx, q, nil)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer st.Close()
	r, err := st.Execute(ctx, nil)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer r.Close()
	for {
		b, err := r.Next(ctx)
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		fn(b)
		b.Release()
	}
}

// rowDigest is an order-dependent digest of rows: their count and, per column, a hash of
// its values in row order (a value's bytes; NULLs marked), folded column by column over
// each batch's buffers. Two results have equal digests when every column holds the same
// values in the same order, however they are cut into batches.
type rowDigest struct {
	rows int64
	cols []uint64
	// strs hashes the bytes of each string column in one pass per batch; cols takes each
	// value's length. A maphash.Hash depends only on the bytes written, not on how they were
	// split into writes, so the digest does not depend on where batches end.
	strs []maphash.Hash
}

// digestSeed seeds every rowDigest's string hashes, so that digests of one process compare.
var digestSeed = maphash.MakeSeed()

const fnvOffset, fnvPrime = 14695981039346656037, 1099511628211

// mix folds a 64-bit word into h.
func mix(h, v uint64) uint64 {
	h ^= v
	h *= 0x9e3779b97f4a7c15
	return h ^ h>>29
}

// add folds the rows of b into d.
func (d *rowDigest) add(b arrow.RecordBatch) {
	if d.cols == nil {
		d.cols = make([]uint64, b.NumCols())
		d.strs = make([]maphash.Hash, b.NumCols())
		for i := range d.cols {
			d.cols[i] = fnvOffset
			d.strs[i].SetSeed(digestSeed)
		}
	}
	for j, c := range b.Columns() {
		h := d.cols[j]
		nulls := c.NullN() > 0
		switch a := c.(type) {
		case *array.Int64:
			for i, v := range a.Int64Values() {
				if nulls && a.IsNull(i) {
					h = mix(h, 0x5bd1e995)
					continue
				}
				h = mix(h, uint64(v))
			}
		case *array.Float64:
			for i, v := range a.Float64Values() {
				if nulls && a.IsNull(i) {
					h = mix(h, 0x5bd1e995)
					continue
				}
				h = mix(h, math.Float64bits(v))
			}
		case *array.String:
			d.strs[j].Write(a.ValueBytes())
			offs := a.ValueOffsets()
			for i := range a.Len() {
				if nulls && a.IsNull(i) {
					h = mix(h, 0x5bd1e995)
					continue
				}
				h = mix(h, uint64(offs[i+1]-offs[i]))
			}
		default:
			for i := range c.Len() {
				if c.IsNull(i) {
					h = mix(h, 0x5bd1e995)
					continue
				}
				s := c.ValueStr(i)
				for k := 0; k < len(s); k++ {
					h = (h ^ uint64(s[k])) * fnvPrime
				}
				h = mix(h, uint64(len(s)))
			}
		}
		d.cols[j] = h
	}
	d.rows += b.NumRows()
}

func (d *rowDigest) String() string {
	sums := slices.Clone(d.cols)
	for j := range sums {
		sums[j] = mix(sums[j], d.strs[j].Sum64())
	}
	return fmt.Sprintf("%d/%016x", d.rows, sums)
}

// mustRun runs q and returns its rows as text, one line per row.
func mustRun(t *testing.T, c engine.Conn, q string) string {
	t.Helper()
	var out strings.Builder
	eachBatch(t, c, q, func(b arrow.RecordBatch) {
		for i := 0; i < int(b.NumRows()); i++ {
			if out.Len() > 0 {
				out.WriteByte('\n')
			}
			for j := 0; j < int(b.NumCols()); j++ {
				if j > 0 {
					out.WriteByte(' ')
				}
				out.WriteString(b.Column(j).ValueStr(i))
			}
		}
	})
	return out.String()
}
