package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

const testTimeout = 2 * time.Minute

// testServer is an HTTP server over a fresh in-memory engine.
type testServer struct {
	t    *testing.T
	e    *engine.Engine
	srv  *Server
	http *httptest.Server
	// user and password, if user is set, go with every request as Basic credentials.
	user, password string
}

func startServer(t *testing.T, opts Options) *testServer {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	e, err := engine.Open(context.Background(), engine.Options{Store: objstore.NewMem(), Alloc: mem, CacheMemory: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	opts.Engine = e
	srv := New(opts)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		e.Close()
		mem.AssertSize(t, 0)
	})
	return &testServer{t: t, e: e, srv: srv, http: hs}
}

// answer is an HTTP answer with its body decoded as JSON (when it is JSON).
type answer struct {
	status int
	header http.Header
	body   []byte
	json   map[string]any
}

// errorCode is the SQLSTATE of an error answer.
func (a answer) errorCode() string {
	e, _ := a.json["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func (s *testServer) do(method, path string, body any, header ...string) answer {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, s.http.URL+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if s.user != "" {
		req.SetBasicAuth(s.user, s.password)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	a := answer{status: resp.StatusCode, header: resp.Header, body: data}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(data, &a.json); err != nil {
			s.t.Fatalf("%s %s: answer is not JSON: %v: %s", method, path, err, data)
		}
	}
	return a
}

// must runs a request that must answer status.
func (s *testServer) must(status int, method, path string, body any, header ...string) answer {
	s.t.Helper()
	a := s.do(method, path, body, header...)
	if a.status != status {
		s.t.Fatalf("%s %s: status %d, want %d: %s", method, path, a.status, status, a.body)
	}
	return a
}

// refuse runs a request that must fail with status and SQLSTATE code.
func (s *testServer) refuse(status int, code, method, path string, body any) {
	s.t.Helper()
	a := s.do(method, path, body)
	if a.status != status || a.errorCode() != code {
		s.t.Errorf("%s %s %v: %d %q, want %d %s: %s", method, path, body, a.status, a.errorCode(), status, code, a.body)
	}
	if msg, _ := a.json["error"].(map[string]any)["message"].(string); msg == "" {
		s.t.Errorf("%s %s: error without a message: %s", method, path, a.body)
	}
}

func (s *testServer) sql(text string, params ...any) answer {
	s.t.Helper()
	return s.must(http.StatusOK, "POST", "/api/v1/query", map[string]any{"sql": text, "params": params})
}

func TestHealthAndReady(t *testing.T) {
	ready := false
	s := startServer(t, Options{Ready: func() bool { return ready }, Auth: &Passwords{Check: func(context.Context, string, string) error { return ErrBadCredentials }}})
	// Health checks need no credentials.
	if a := s.must(http.StatusOK, "GET", "/healthz", nil); a.json["status"] != "ok" {
		t.Errorf("/healthz: %s", a.body)
	}
	s.must(http.StatusServiceUnavailable, "GET", "/readyz", nil)
	ready = true
	if a := s.must(http.StatusOK, "GET", "/readyz", nil); a.json["status"] != "ready" {
		t.Errorf("/readyz: %s", a.body)
	}
}

func TestTables(t *testing.T) {
	s := startServer(t, Options{})
	def := map[string]any{
		"name":        "events",
		"columns":     []map[string]any{{"name": "id", "type": "bigint", "not_null": true}, {"name": "body", "type": "varchar(20)"}},
		"primary_key": []string{"id"},
		"properties":  map[string]any{"split_points": "100,200", "compression": "snappy"},
	}
	a := s.must(http.StatusCreated, "POST", "/api/v1/tables", def)
	if a.json["name"] != "events" || a.json["partitions"].(float64) != 5 || a.json["leaf_partitions"].(float64) != 3 {
		t.Errorf("created: %s", a.body)
	}
	cols := a.json["columns"].([]any)
	if len(cols) != 2 || cols[0].(map[string]any)["type"] != "bigint" || cols[1].(map[string]any)["type"] != "character varying" {
		t.Errorf("columns: %v", cols)
	}
	s.refuse(http.StatusConflict, "42P07", "POST", "/api/v1/tables", def)
	s.refuse(http.StatusBadRequest, "22023", "POST", "/api/v1/tables", map[string]any{"name": "x", "columns": []map[string]any{{"name": "a", "type": "int); DROP TABLE events; --"}}})
	s.refuse(http.StatusBadRequest, "22023", "POST", "/api/v1/tables", map[string]any{"name": "x"})
	s.refuse(http.StatusBadRequest, "22023", "POST", "/api/v1/tables", map[string]any{"name": "x", "columns": []map[string]any{{"name": "a", "type": "int"}}, "colour": "red"})
	s.refuse(http.StatusBadRequest, "22023", "POST", "/api/v1/tables", "{not json")
	s.refuse(http.StatusBadRequest, "22023", "POST", "/api/v1/tables", nil)
	s.refuse(http.StatusBadRequest, "42704", "POST", "/api/v1/tables", map[string]any{"name": "x", "columns": []map[string]any{{"name": "a", "type": "nosuchtype"}}})
	s.refuse(http.StatusBadRequest, "22023", "POST", "/api/v1/tables", map[string]any{"name": "x", "columns": []map[string]any{{"name": "a", "type": "int"}}, "properties": map[string]any{"compression": "rar"}})

	list := s.must(http.StatusOK, "GET", "/api/v1/tables", nil).json["tables"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["name"] != "events" {
		t.Errorf("tables: %v", list)
	}
	s.refuse(http.StatusNotFound, "42P01", "GET", "/api/v1/tables/nosuch", nil)

	props := s.must(http.StatusOK, "GET", "/api/v1/tables/events/properties", nil).json["properties"].(map[string]any)
	if props["compression"] != "snappy" {
		t.Errorf("properties: %v", props)
	}
	props = s.must(http.StatusOK, "PATCH", "/api/v1/tables/events/properties", map[string]any{"compression": "gzip", "row_group_rows": 5000}).json["properties"].(map[string]any)
	if props["compression"] != "gzip" || props["row_group_rows"] != "5000" {
		t.Errorf("properties after PATCH: %v", props)
	}
	s.refuse(http.StatusBadRequest, "22023", "PATCH", "/api/v1/tables/events/properties", map[string]any{"compression": "rar"})
	s.refuse(http.StatusBadRequest, "22023", "PATCH", "/api/v1/tables/events/properties", map[string]any{"Bad Name": "1"})
	s.refuse(http.StatusBadRequest, "22023", "PATCH", "/api/v1/tables/events/properties", map[string]any{})
	s.refuse(http.StatusNotFound, "42P01", "PATCH", "/api/v1/tables/nosuch/properties", map[string]any{"compression": "gzip"})
	s.refuse(http.StatusNotFound, "42P01", "GET", "/api/v1/tables/nosuch/properties", nil)

	if a := s.must(http.StatusOK, "DELETE", "/api/v1/tables/events", nil); a.json["tag"] != "DROP TABLE" {
		t.Errorf("drop: %s", a.body)
	}
	s.refuse(http.StatusNotFound, "42P01", "DELETE", "/api/v1/tables/events", nil)
	s.must(http.StatusOK, "DELETE", "/api/v1/tables/events?if_exists=true", nil)
	s.refuse(http.StatusNotFound, "42883", "GET", "/api/v1/nothing", nil)
	s.refuse(http.StatusNotFound, "42883", "PUT", "/api/v1/tables", nil)
}

func TestQuery(t *testing.T) {
	s := startServer(t, Options{})
	s.sql("CREATE TABLE t (k bigint PRIMARY KEY, v text, f double precision)")
	if a := s.sql("INSERT INTO t VALUES ($1, $2, $3), (2, 'two', 2.5)", 1, "one", 1.5); a.json["tag"] != "INSERT 0 2" {
		t.Errorf("insert: %s", a.body)
	}
	a := s.sql("SELECT k, v, f FROM t WHERE k >= $1 ORDER BY k", 1)
	want := `{"columns":[{"name":"k","type":"int64"},{"name":"v","type":"utf8"},{"name":"f","type":"float64"}],"rows":[[1,"one",1.5],[2,"two",2.5]],"tag":"SELECT 2"}`
	var compact bytes.Buffer
	if err := json.Compact(&compact, a.body); err != nil || compact.String() != want {
		t.Errorf("query JSON:\n%s\nwant\n%s", compact.String(), want)
	}
	// Arrow IPC, by Accept and by ?format=.
	for _, req := range []struct{ path, accept string }{
		{"/api/v1/query", arrowStream},
		{"/api/v1/query?format=arrow", "application/json"},
	} {
		a := s.must(http.StatusOK, "POST", req.path, map[string]any{"sql": "SELECT k, v FROM t ORDER BY k"}, "Accept", req.accept)
		if ct := a.header.Get("Content-Type"); ct != arrowStream {
			t.Fatalf("%s: content type %q", req.path, ct)
		}
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		rd, err := ipc.NewReader(bytes.NewReader(a.body), ipc.WithAllocator(mem))
		if err != nil {
			t.Fatal(err)
		}
		var ks []int64
		var vs []string
		for rd.Next() {
			b := rd.RecordBatch()
			for i := 0; i < int(b.NumRows()); i++ {
				ks = append(ks, b.Column(0).(*array.Int64).Value(i))
				vs = append(vs, b.Column(1).(*array.String).Value(i))
			}
		}
		if err := rd.Err(); err != nil {
			t.Fatal(err)
		}
		rd.Release()
		mem.AssertSize(t, 0)
		if len(ks) != 2 || ks[0] != 1 || ks[1] != 2 || vs[0] != "one" || vs[1] != "two" {
			t.Errorf("%s: arrow rows %v %v", req.path, ks, vs)
		}
	}
	s.refuse(http.StatusBadRequest, "42601", "POST", "/api/v1/query", map[string]any{"sql": "SELEC 1"})
	s.refuse(http.StatusNotFound, "42P01", "POST", "/api/v1/query", map[string]any{"sql": "SELECT * FROM nosuch"})
	s.refuse(http.StatusBadRequest, "22012", "POST", "/api/v1/query", map[string]any{"sql": "SELECT 1/0"})
	s.refuse(http.StatusBadRequest, "22023", "POST", "/api/v1/query", map[string]any{"sql": " "})
	s.refuse(http.StatusBadRequest, "22023", "POST", "/api/v1/query?format=xml", map[string]any{"sql": "SELECT 1"})
	s.refuse(http.StatusBadRequest, "22023", "POST", "/api/v1/query", map[string]any{"sql": "SELECT $1::int", "params": []any{[]int{1}}})
	s.refuse(http.StatusBadRequest, "08P01", "POST", "/api/v1/query", map[string]any{"sql": "SELECT $1::int + $2::int", "params": []any{1}})
	// An error before the first batch is an error answer in Arrow format too.
	s.refuse(http.StatusBadRequest, "22012", "POST", "/api/v1/query?format=arrow", map[string]any{"sql": "SELECT 1/(k-2) FROM t ORDER BY k DESC"})
	// The server still serves.
	s.sql("SELECT 1")

	// The statements are in the query log as the http frontend's.
	qs := s.must(http.StatusOK, "GET", "/api/v1/queries", nil).json["queries"].([]any)
	var sawError, sawInsert bool
	for _, q := range qs {
		m := q.(map[string]any)
		if m["frontend"] != "http" {
			t.Errorf("query of frontend %v", m["frontend"])
		}
		sawError = sawError || (m["query"] == "SELECT 1/0" && m["status"] == "error" && m["sqlstate"] == "22012")
		sawInsert = sawInsert || (strings.HasPrefix(m["query"].(string), "INSERT") && m["rows"].(float64) == 2)
	}
	if !sawError || !sawInsert {
		t.Errorf("query log misses the failed division or the insert: %v", qs)
	}
}

func TestCompactAndCache(t *testing.T) {
	s := startServer(t, Options{})
	s.sql("CREATE TABLE t (k bigint PRIMARY KEY, v text)")
	for i := 0; i < 4; i++ {
		s.sql("INSERT INTO t SELECT g, 'v' || g FROM generate_series($1::bigint, $1::bigint + 999) g", i*1000)
	}
	before := s.must(http.StatusOK, "GET", "/api/v1/tables/t", nil).json
	if before["files"].(float64) != 4 {
		t.Fatalf("before compaction: %v files", before["files"])
	}
	after := s.must(http.StatusOK, "POST", "/api/v1/tables/t/compact", nil).json
	if after["files"].(float64) != 1 || after["rows"].(float64) != 4000 {
		t.Errorf("after compaction: %v files, %v rows", after["files"], after["rows"])
	}
	s.refuse(http.StatusNotFound, "42P01", "POST", "/api/v1/tables/nosuch/compact", nil)

	pin := s.must(http.StatusOK, "POST", "/api/v1/cache/pin", map[string]any{"table": "t"}).json
	if pin["pinned_bytes"].(float64) <= 0 {
		t.Errorf("pin: %v", pin)
	}
	st := s.must(http.StatusOK, "GET", "/api/v1/cache/stats", nil).json
	tables := st["tables"].([]any)
	if st["bytes"].(float64) <= 0 || len(tables) != 1 || tables[0].(map[string]any)["pinned"] != true {
		t.Errorf("stats after pin: %v", st)
	}
	ev := s.must(http.StatusOK, "POST", "/api/v1/cache/evict", map[string]any{"table": "t"}).json
	if ev["freed_bytes"].(float64) != pin["pinned_bytes"].(float64) {
		t.Errorf("evict freed %v, pin held %v", ev["freed_bytes"], pin["pinned_bytes"])
	}
	st = s.must(http.StatusOK, "GET", "/api/v1/cache/stats", nil).json
	if st["bytes"].(float64) != 0 || st["tables"].([]any)[0].(map[string]any)["pinned"] != false {
		t.Errorf("stats after evict: %v", st)
	}
	s.refuse(http.StatusNotFound, "42P01", "POST", "/api/v1/cache/pin", map[string]any{"table": "nosuch"})
	s.refuse(http.StatusBadRequest, "22023", "POST", "/api/v1/cache/pin", map[string]any{})
	s.refuse(http.StatusBadRequest, "22023", "POST", "/api/v1/cache/evict", "[]")
}

// A server with password authentication refuses requests without the right credentials,
// and exchanges them for a bearer token.
func TestAuthentication(t *testing.T) {
	check := func(_ context.Context, user, password string) error {
		if user == "alice" && password == "secret" {
			return nil
		}
		return ErrBadCredentials
	}
	s := startServer(t, Options{Auth: &Passwords{Check: check}})
	for _, c := range []struct{ user, password string }{{"", ""}, {"alice", "wrong"}, {"mallory", "secret"}} {
		s.user, s.password = c.user, c.password
		for _, ep := range []struct{ method, path string }{{"GET", "/"}, {"GET", "/metrics"}, {"GET", "/api/v1/tables"}, {"POST", "/api/v1/token"}} {
			a := s.do(ep.method, ep.path, nil)
			if a.status != http.StatusUnauthorized || a.errorCode() != "28P01" || a.header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s %s as %q/%q: %d %q", ep.method, ep.path, c.user, c.password, a.status, a.errorCode())
			}
			if strings.Contains(string(a.body), "alice") || strings.Contains(string(a.body), "mallory") {
				t.Errorf("the refusal names the user: %s", a.body)
			}
		}
	}
	s.user, s.password = "alice", "secret"
	s.must(http.StatusOK, "GET", "/api/v1/tables", nil)
	s.sql("CREATE TABLE t (k int PRIMARY KEY)")
	tok := s.must(http.StatusOK, "POST", "/api/v1/token", nil).json["token"].(string)
	s.user, s.password = "", ""
	s.must(http.StatusOK, "GET", "/api/v1/tables", nil, "Authorization", "Bearer "+tok)
	a := s.do("GET", "/api/v1/tables", nil)
	if a.status != http.StatusUnauthorized {
		t.Errorf("without the token: %d", a.status)
	}
	if a := s.do("GET", "/api/v1/tables", nil, "Authorization", "Bearer "+tok+"x"); a.status != http.StatusUnauthorized || a.errorCode() != "28P01" {
		t.Errorf("a wrong token: %d %s", a.status, a.body)
	}
	// The statement ran as alice.
	for _, q := range s.e.Queries() {
		if q.Text == "CREATE TABLE t (k int PRIMARY KEY)" && q.User != "alice" {
			t.Errorf("ran as %q", q.User)
		}
	}
	// An expired token is refused.
	p := &Passwords{Check: check, TTL: time.Nanosecond}
	old, _, err := p.Issue("alice")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Millisecond)
	if _, err := p.Authenticate(context.Background(), Credentials{Token: old}); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("an expired token: %v", err)
	}
	// With trust there are no tokens.
	tr := startServer(t, Options{})
	tr.refuse(http.StatusNotFound, "0A000", "POST", "/api/v1/token", nil)
}
