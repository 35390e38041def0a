package engine

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/internal/s3test"
	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

func openCache(t *testing.T, store objstore.Store, mem memory.Allocator, cacheMemory int64) (*Engine, Conn) {
	t.Helper()
	return openWith(t, Options{Store: store, Alloc: mem, CacheMemory: cacheMemory})
}

// cacheRow returns t's row of sleeper.cache as entries, bytes, hits, misses, pinned.
func cacheRow(t *testing.T, c Conn, table string) []string {
	t.Helper()
	rows, _ := run(t, c, "SELECT entries, bytes, hits, misses, pinned, s3_requests_saved FROM sleeper.cache WHERE table_name = $1", table)
	if len(rows) != 1 {
		t.Fatalf("sleeper.cache rows for %s: %v", table, rows)
	}
	return rows[0]
}

func atoi(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

var cacheQueries = []string{
	"SELECT count(*), sum(v), count(s), min(s), max(s) FROM t",
	"SELECT a.id, a.s, b.w FROM t a JOIN u b ON a.id = b.id WHERE a.id % 97 = 3 ORDER BY a.id",
	"SELECT * FROM t WHERE id BETWEEN 2990 AND 3010 ORDER BY id",
	"SELECT s, count(*) FROM t JOIN u USING (id) GROUP BY s ORDER BY 2 DESC, 1 LIMIT 5",
	"SELECT * FROM t WHERE id = 4321",
}

func fillCacheTables(t *testing.T, c Conn) {
	run(t, c, "CREATE TABLE t (id bigint PRIMARY KEY, v bigint, s text) WITH (split_points = '3000', gc_delay = '0s', online = 'false')")
	run(t, c, "INSERT INTO t SELECT g, g * 7, CASE WHEN g % 5 = 0 THEN NULL ELSE 'row ' || (g % 50) END FROM generate_series(0, 5999) AS g")
	run(t, c, "CREATE TABLE u (id bigint PRIMARY KEY, w double precision)")
	run(t, c, "INSERT INTO u SELECT g, g / 3.0 FROM generate_series(0, 5999, 2) AS g")
}

// TestHotCacheSQL checks sleeper.cache_pin, sleeper.cache_evict and sleeper.cache through a
// connection, that results are those without a cache (with a cache large and one so small it
// evicts under every query), and that VACUUM's deleted files leave the cache.
func TestHotCacheSQL(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	var want [][][]string
	for _, size := range []int64{0, 64 << 20, 4 << 10} {
		func() {
			e, c := openCache(t, objstore.NewMem(), mem, size)
			defer e.Close()
			fillCacheTables(t, c)
			for pass := range 2 {
				for i, q := range cacheQueries {
					rows, _ := run(t, c, q)
					if size == 0 && pass == 0 {
						want = append(want, rows)
					} else if fmt.Sprint(rows) != fmt.Sprint(want[i]) {
						t.Fatalf("cache %d pass %d: %s:\n%v\nwithout a cache:\n%v", size, pass, q, rows, want[i])
					}
				}
			}
			if size == 0 {
				if _, _, err := tryRun(c, "SELECT sleeper.cache_pin('t')"); err == nil {
					t.Fatal("cache_pin with the cache off succeeded")
				}
				return
			}
			r := cacheRow(t, c, "t")
			if (size > 4<<10 && atoi(t, r[2]) == 0) || atoi(t, r[3]) == 0 || r[5] != "(null)" {
				t.Fatalf("cache %d: hits and misses not counted: %v", size, r)
			}
			if size == 4<<10 && atoi(t, r[1]) > 4<<10 {
				t.Fatalf("cache of 4KiB holds %s bytes", r[1])
			}
		}()
	}

	e, c := openCache(t, objstore.NewMem(), mem, 1<<20)
	defer e.Close()
	fillCacheTables(t, c)
	rows, _ := run(t, c, "SELECT sleeper.cache_pin('t')")
	pinned := atoi(t, rows[0][0])
	r := cacheRow(t, c, "t")
	if pinned == 0 || atoi(t, r[1]) != pinned || r[4] != "true" {
		t.Fatalf("cache_pin returned %d; sleeper.cache: %v", pinned, r)
	}
	// Pressure from u (evicting its own chunks) leaves t's pinned chunks where they are.
	for range 3 {
		run(t, c, "SELECT sum(w) FROM u")
	}
	hits := atoi(t, cacheRow(t, c, "t")[2])
	misses := atoi(t, cacheRow(t, c, "t")[3])
	run(t, c, cacheQueries[0])
	r = cacheRow(t, c, "t")
	if atoi(t, r[1]) != pinned || atoi(t, r[3]) != misses || atoi(t, r[2]) <= hits {
		t.Fatalf("a query of pinned t missed the cache: %v (pinned %d, misses %d, hits %d before)", r, pinned, misses, hits)
	}
	rows, _ = run(t, c, "SELECT sleeper.cache_evict('t')")
	if atoi(t, rows[0][0]) != pinned {
		t.Fatalf("cache_evict freed %s bytes, want %d", rows[0][0], pinned)
	}
	if r := cacheRow(t, c, "t"); r[0] != "0" || r[1] != "0" || r[4] != "false" {
		t.Fatalf("after cache_evict: %v", r)
	}
	if _, _, err := tryRun(c, "SELECT sleeper.cache_pin('nope')"); err == nil {
		t.Fatal("cache_pin of a missing table succeeded")
	}
	// A pin beyond the budget fails.
	e2, c2 := openCache(t, objstore.NewMem(), mem, 1<<10)
	defer e2.Close()
	fillCacheTables(t, c2)
	if _, _, err := tryRun(c2, "SELECT sleeper.cache_pin('t')"); err == nil {
		t.Fatal("a pin beyond the budget succeeded")
	}

	// Files VACUUM deletes leave the cache.
	run(t, c, "SELECT sleeper.cache_pin('t')")
	run(t, c, "INSERT INTO t VALUES (10000, 1, 'x')")
	old := atoi(t, cacheRow(t, c, "t")[1])
	run(t, c, "VACUUM FULL t")
	tbl := mustTable(t, e, "t")
	if got := e.hot.Stats(statestore.TablePrefix(tbl.StateID())).Bytes; got >= old && got != 0 {
		t.Fatalf("cached bytes %d after VACUUM FULL deleted the files of %d", got, old)
	}
	for name := range e.hot.Files() {
		if _, err := e.store.Size(context.Background(), name); err != nil {
			t.Fatalf("cache holds chunks of %s: %v", name, err)
		}
	}
}

// TestHotCacheS3Requests checks that a repeated query on S3 makes fewer requests with the
// cache, and that sleeper.cache counts the requests it saved.
func TestHotCacheS3Requests(t *testing.T) {
	endpoint := s3test.FakeS3(t)
	bucket := s3test.NewBucket(t, endpoint)
	ctr := &requestCounter{count: map[string]int{}}
	o := objstore.S3Options{Bucket: bucket, Prefix: "db", Endpoint: endpoint, PathStyle: true,
		Region: s3test.Region, Credentials: s3test.Credentials(), HTTPClient: &http.Client{Transport: ctr}}
	s, err := objstore.NewS3(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	e, c := openCache(t, s, memory.NewGoAllocator(), 64<<20)
	defer e.Close()
	// Files larger than the store's cache of object tails (PLAIN: delta encoding shrinks
	// these sequential columns to less than that).
	run(t, c, "CREATE TABLE big (id bigint PRIMARY KEY, v bigint, s text) WITH (encoding = 'plain')")
	run(t, c, "INSERT INTO big SELECT g, g * 7, 'row ' || g FROM generate_series(0, 59999) AS g")
	q := "SELECT count(*), sum(v), max(s) FROM big WHERE id % 3 = 0"
	ctr.take()
	want, _ := run(t, c, q)
	cold := ctr.take()
	hot, _ := run(t, c, q)
	got := ctr.take()
	t.Logf("cold: %d requests (%s); hot: %d requests (%s)", total(cold), formatCounts(cold), total(got), formatCounts(got))
	if fmt.Sprint(hot) != fmt.Sprint(want) {
		t.Fatalf("hot result differs: %v, cold %v", hot, want)
	}
	if n := got["GET parquet"]; n != 0 {
		t.Fatalf("hot query made %d parquet GETs (%s)", n, formatCounts(got))
	}
	if r := cacheRow(t, c, "big"); atoi(t, r[5]) == 0 {
		t.Fatalf("no S3 request counted as saved: %v", r)
	}
	// Without the cache the same query reads the files again.
	e2, c2 := openCache(t, s, memory.NewGoAllocator(), 0)
	defer e2.Close()
	run(t, c2, q)
	ctr.take()
	run(t, c2, q)
	off := ctr.take()
	t.Logf("repeated without the cache: %d requests (%s)", total(off), formatCounts(off))
	if off["GET parquet"] == 0 {
		t.Fatalf("without the cache the repeated query made no parquet GET (%s)", formatCounts(off))
	}
}

// TestHotCacheConcurrentQueries runs one query on several connections at once over a cold
// cache: each column chunk is decoded once (misses equal entries) and every result is right.
func TestHotCacheConcurrentQueries(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	e, c := openCache(t, objstore.NewMem(), mem, 64<<20)
	defer e.Close()
	fillCacheTables(t, c)
	want, _ := run(t, c, cacheQueries[0])
	run(t, c, "SELECT sleeper.cache_evict('t')")
	h0, m0 := atoi(t, cacheRow(t, c, "t")[2]), atoi(t, cacheRow(t, c, "t")[3])
	const n = 8
	errc := make(chan error, n)
	for range n {
		go func() {
			cn, err := e.Connect(context.Background(), "test", "test")
			if err != nil {
				errc <- err
				return
			}
			defer cn.Close()
			rows, _, err := tryRun(cn, cacheQueries[0])
			if err == nil && fmt.Sprint(rows) != fmt.Sprint(want) {
				err = fmt.Errorf("got %v, want %v", rows, want)
			}
			errc <- err
		}()
	}
	for range n {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	r := cacheRow(t, c, "t")
	entries, hits, misses := atoi(t, r[0]), atoi(t, r[2])-h0, atoi(t, r[3])-m0
	if entries == 0 || misses != entries || hits != (n-1)*entries {
		t.Fatalf("%d queries at once: %d entries, %d misses, %d hits; want each entry missed once and hit by the others", n, entries, misses, hits)
	}
}

// TestHotCacheKeyLookups runs key lookups and ranges, on a merged (primary key) table and a
// plain one, with composite and text keys, against an engine without the cache and one with
// the tables pinned, where the scans narrow their spans by binary search of the cached keys:
// the results are the same.
func TestHotCacheKeyLookups(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	queries := []string{
		"SELECT * FROM pk WHERE id = 4321",
		"SELECT * FROM pk WHERE id = 6000",
		"SELECT * FROM pk WHERE id = -1",
		"SELECT * FROM pk WHERE id IN (0, 1, 2999, 3000, 5999, 7000) ORDER BY id",
		"SELECT count(*), sum(v) FROM pk WHERE id BETWEEN 1234 AND 4567",
		"SELECT count(*), sum(v) FROM pk WHERE id > 5990",
		"SELECT count(*), sum(v) FROM pk WHERE id < 7",
		"SELECT * FROM ck WHERE a = 'k17' AND b = 170",
		"SELECT * FROM ck WHERE a = 'k17' AND b = 171",
		"SELECT count(*), sum(b) FROM ck WHERE a = 'k17'",
		"SELECT count(*), sum(b) FROM ck WHERE a BETWEEN 'k1' AND 'k2'",
		"SELECT count(*), sum(b) FROM ck WHERE a >= 'k9'",
		"SELECT * FROM ck WHERE a IN ('k0', 'k33', 'zz') AND b < 40 ORDER BY a, b",
		"SELECT * FROM plain WHERE id = 2500",
		"SELECT * FROM plain WHERE id IN (3, 2999, 3000, 4000, 9000) ORDER BY id, v",
		"SELECT count(*), sum(v) FROM plain WHERE id BETWEEN 100 AND 5100",
	}
	var want [][][]string
	for _, size := range []int64{0, 64 << 20} {
		func() {
			e, c := openCache(t, objstore.NewMem(), mem, size)
			defer e.Close()
			run(t, c, "CREATE TABLE pk (id bigint PRIMARY KEY, v bigint, s text) WITH (split_points = '3000', page_size = '512', row_group_rows = '1000')")
			run(t, c, "INSERT INTO pk SELECT g, g * 7, 'row ' || g FROM generate_series(0, 5999) AS g")
			run(t, c, "UPDATE pk SET v = -v WHERE id % 100 = 21")
			run(t, c, "CREATE TABLE ck (a text, b bigint, c text, PRIMARY KEY (a, b)) WITH (page_size = '512', row_group_rows = '1000')")
			run(t, c, "INSERT INTO ck SELECT 'k' || (g % 50), g, 'c' || g FROM generate_series(0, 4999) AS g")
			run(t, c, "CREATE TABLE plain (id bigint, v bigint) WITH (row_keys = 'id', split_points = '3000', page_size = '512', row_group_rows = '1000')")
			run(t, c, "INSERT INTO plain SELECT g / 2, g FROM generate_series(0, 11999) AS g")
			if size > 0 {
				for _, tb := range []string{"pk", "ck", "plain"} {
					run(t, c, "SELECT sleeper.cache_pin('"+tb+"')")
				}
			}
			for i, q := range queries {
				rows, _ := run(t, c, q)
				if size == 0 {
					want = append(want, rows)
					continue
				}
				if fmt.Sprint(rows) != fmt.Sprint(want[i]) {
					t.Errorf("%s: with the cache %v, without %v", q, rows, want[i])
				}
			}
		}()
	}
}
