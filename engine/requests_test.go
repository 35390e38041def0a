package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/internal/s3test"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// requestCounter counts the HTTP requests an S3 store makes, by method and kind of object.
type requestCounter struct {
	mu    sync.Mutex
	count map[string]int
}

func (c *requestCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	kind := "other"
	switch p := r.URL.Path; {
	case strings.Contains(p, "/catalog/log/"):
		kind = "catalog-log"
	case strings.Contains(p, "/log/"):
		kind = "table-log"
	case strings.Contains(p, "/snapshots/"):
		kind = "snapshot"
	case strings.Contains(p, "/commits/"):
		kind = "commit-record"
	case strings.HasSuffix(p, ".parquet"):
		kind = "parquet"
	case r.URL.Query().Has("list-type"):
		kind = "list"
	}
	c.mu.Lock()
	c.count[r.Method+" "+kind]++
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func (c *requestCounter) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.count
	c.count = map[string]int{}
	return m
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func formatCounts(m map[string]int) string {
	var ks []string
	for k, v := range m {
		ks = append(ks, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(ks)
	return strings.Join(ks, " ")
}

// TestRequestsPerStatement measures the S3 requests of a statement on a node whose caches
// are warm, while another node on the same bucket writes: each statement first brings the
// catalog and the table's state up to date (a GET of the next entry of each log, which is
// absent unless another node committed), so a row acknowledged by node A is seen by the next
// statement on node B.
func TestRequestsPerStatement(t *testing.T) {
	endpoint := s3test.FakeS3(t)
	bucket := s3test.NewBucket(t, endpoint)
	ctr := &requestCounter{count: map[string]int{}}
	node := func(client *http.Client) (*Engine, Conn) {
		o := objstore.S3Options{Bucket: bucket, Prefix: "db", Endpoint: endpoint, PathStyle: true,
			Region: s3test.Region, Credentials: s3test.Credentials(), HTTPClient: client}
		s, err := objstore.NewS3(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		return open(t, s, memory.NewGoAllocator())
	}
	_, a := node(nil)
	_, b := node(&http.Client{Transport: ctr})
	run(t, a, "CREATE TABLE t (k bigint PRIMARY KEY, v text) WITH (split_points = '1000')")
	run(t, a, "INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 2000) g")
	// Warm node B's caches.
	for i := 0; i < 2; i++ {
		run(t, b, "SELECT v FROM t WHERE k = 5")
		run(t, b, fmt.Sprintf("INSERT INTO t VALUES (%d, 'x')", 3000+i))
	}
	ctr.take()

	const n = 20
	for i := 0; i < n; i++ {
		if rows, _ := run(t, b, "SELECT v FROM t WHERE k = $1", int64(7+i)); len(rows) != 1 || rows[0][0] != fmt.Sprint("v", 7+i) {
			t.Fatalf("point SELECT on node B: %v", rows)
		}
	}
	sel := ctr.take()
	for i := 0; i < n; i++ {
		run(t, b, fmt.Sprintf("INSERT INTO t VALUES (%d, 'b')", 4000+i))
	}
	ins := ctr.take()
	t.Logf("point SELECT, warm: %.1f requests per statement (%s over %d)", float64(total(sel))/n, formatCounts(sel), n)
	t.Logf("one-row INSERT, warm: %.1f requests per statement (%s over %d)", float64(total(ins))/n, formatCounts(ins), n)
	if total(sel) == 0 || total(ins) == 0 {
		t.Fatalf("no requests counted: %v %v", sel, ins)
	}
	// Binding looks a name up as a view and as a table, against one read of the catalog log.
	if got := sel["GET catalog-log"]; got != n {
		t.Fatalf("%d point SELECTs read the catalog log %d times, want once each", n, got)
	}

	// Read after acknowledged write across nodes: each INSERT on A is seen by the next
	// statement on B, which then costs the GETs of the new entries as well.
	for i := 0; i < n; i++ {
		k := 5000 + i
		run(t, a, fmt.Sprintf("INSERT INTO t VALUES (%d, 'a%d')", k, k))
		rows, _ := run(t, b, "SELECT v FROM t WHERE k = $1", int64(k))
		if len(rows) != 1 || rows[0][0] != fmt.Sprint("a", k) {
			t.Fatalf("row %d acknowledged on node A, node B reads %v", k, rows)
		}
	}
	after := ctr.take()
	t.Logf("point SELECT after a one-row INSERT on another node: %.1f requests per statement (%s over %d)", float64(total(after))/n, formatCounts(after), n)

	// The catalog follows the same way.
	run(t, a, "CREATE TABLE u (k int PRIMARY KEY)")
	run(t, a, "INSERT INTO u VALUES (1)")
	if rows, _ := run(t, b, "SELECT k FROM u"); len(rows) != 1 {
		t.Fatalf("table u created on node A: node B reads %v", rows)
	}
	run(t, a, "DROP TABLE u")
	if _, err := b.Prepare(context.Background(), "SELECT k FROM u", nil); err == nil {
		t.Fatal("table u dropped on node A: node B still prepares a SELECT of it")
	}
}

// A statement whose snapshot references a file that garbage collection on another node has
// deleted (it knows only its own queries, and waits only gc_delay) fails with an error that
// says so, rather than returning the rows of the other files.
func TestFileGoneFails(t *testing.T) {
	ctx := context.Background()
	store := objstore.NewMem()
	_, c := open(t, store, memory.NewGoAllocator())
	run(t, c, "CREATE TABLE t (k bigint PRIMARY KEY, v text)")
	run(t, c, "INSERT INTO t VALUES (1, 'a')")
	run(t, c, "INSERT INTO t VALUES (2, 'b')")
	names, err := store.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, n := range names {
		if strings.HasSuffix(n, ".parquet") {
			files = append(files, n)
		}
	}
	if len(files) != 2 {
		t.Fatalf("files %q, want 2", files)
	}
	if err := store.Delete(ctx, files[0]); err != nil {
		t.Fatal(err)
	}
	st, err := c.Prepare(ctx, "SELECT count(*) FROM t", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := st.Execute(ctx, nil)
	if err == nil {
		for {
			b, nerr := res.Next(ctx)
			if nerr != nil {
				if !errors.Is(nerr, io.EOF) {
					err = nerr
				}
				break
			}
			b.Release()
		}
		res.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "gc_delay") || !strings.Contains(err.Error(), files[0]) {
		t.Fatalf("SELECT with a file gone: %v, want an error naming the file and gc_delay", err)
	}
}

// TestSplitDefersWhenFileGone checks that splitting, which reads the key sketches of the files
// a snapshot names without claiming them, treats a file another process compacted and collected
// as a state that moved on: the pass splits nothing and fails nothing, and a later pass that
// finds the files splits.
func TestSplitDefersWhenFileGone(t *testing.T) {
	ctx := context.Background()
	store := objstore.NewMem()
	e, c := open(t, store, memory.NewGoAllocator())
	run(t, c, "CREATE TABLE s (k bigint, v text) WITH (row_keys = 'k', split_threshold = 100, gc_delay = '0s')")
	run(t, c, "INSERT INTO s SELECT g, 'x' FROM generate_series(1, 300) g")
	tab, err := e.cat.Table(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	names, err := store.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var gone string
	var data []byte
	for _, n := range names {
		if strings.HasSuffix(n, ".parquet") {
			size, err := store.Size(ctx, n)
			if err != nil {
				t.Fatal(err)
			}
			data = make([]byte, size)
			if err := store.ReadAt(ctx, n, data, 0); err != nil {
				t.Fatal(err)
			}
			gone = n
			break
		}
	}
	if gone == "" {
		t.Fatal("no data file")
	}
	if err := store.Delete(ctx, gone); err != nil {
		t.Fatal(err)
	}
	if n, err := e.split(ctx, tab); n != 0 || err != nil {
		t.Fatalf("split with a file gone: %d, %v; want 0, nil", n, err)
	}
	if err := store.Put(ctx, gone, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if n, err := e.split(ctx, tab); n == 0 || err != nil {
		t.Fatalf("split with the file back: %d, %v; want a split", n, err)
	}
}
