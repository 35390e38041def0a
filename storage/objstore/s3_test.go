package objstore_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sleeperd/sleeperd/internal/s3test"
	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/objstore/objstoretest"
)

// testPart is S3's smallest part size: multipart paths run on small objects.
const testPart = 5 << 20

// openS3 opens a store on bucket at endpoint with the test credentials.
func openS3(t *testing.T, endpoint, bucket, prefix string, edit func(*objstore.S3Options)) *objstore.S3 {
	t.Helper()
	o := objstore.S3Options{
		Bucket: bucket, Prefix: prefix, Endpoint: endpoint, PathStyle: true, Region: s3test.Region,
		Credentials: s3test.Credentials(), PartSize: testPart,
	}
	if edit != nil {
		edit(&o)
	}
	s, err := objstore.NewS3(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestParseS3URL(t *testing.T) {
	for _, tc := range []struct{ in, bucket, prefix string }{
		{"s3://bkt", "bkt", ""},
		{"s3://bkt/", "bkt", ""},
		{"s3://bkt/data", "bkt", "data/"},
		{"s3://bkt/data/db1/", "bkt", "data/db1/"},
	} {
		b, p, err := objstore.ParseS3URL(tc.in)
		if err != nil || b != tc.bucket || p != tc.prefix {
			t.Errorf("ParseS3URL(%q) = %q, %q, %v; want %q, %q", tc.in, b, p, err, tc.bucket, tc.prefix)
		}
	}
	for _, in := range []string{"bkt/data", "/tmp/x", "s3:///data", "s3://bkt/a//b", "s3://bkt/../x", "s3://bkt/.tmp", "s3://bkt/x?y=1", "http://bkt/x", "s3://u@bkt/x"} {
		if b, p, err := objstore.ParseS3URL(in); err == nil {
			t.Errorf("ParseS3URL(%q) = %q, %q; want an error", in, b, p)
		}
	}
}

func TestS3ConformanceGoFakeS3(t *testing.T) {
	endpoint := s3test.FakeS3(t)
	objstoretest.RunWith(t, func(t *testing.T) objstore.Store {
		return openS3(t, endpoint, s3test.NewBucket(t, endpoint), "db/x", nil)
	}, objstoretest.Options{Skip: map[string]string{
		"DirectoryClash": "S3 has no directories: an object may share its name with a prefix of others",
	}})
}

func TestS3ConformanceVersityGW(t *testing.T) {
	endpoint := s3test.VersityGW(t)
	objstoretest.RunWith(t, func(t *testing.T) objstore.Store {
		return openS3(t, endpoint, s3test.NewBucket(t, endpoint), "db", nil)
	}, objstoretest.Options{Skip: map[string]string{
		"DirectoryClash": "S3 has no directories: an object may share its name with a prefix of others",
	}})
}

// A store's prefix keeps it apart from other stores and keys in the same bucket.
func TestS3Prefix(t *testing.T) {
	ctx := context.Background()
	endpoint := s3test.FakeS3(t)
	bucket := s3test.NewBucket(t, endpoint)
	a := openS3(t, endpoint, bucket, "one", nil)
	b := openS3(t, endpoint, bucket, "one/two", nil)
	root := openS3(t, endpoint, bucket, "", nil)
	if err := a.PutIfAbsent(ctx, "x", []byte("a")); err != nil {
		t.Fatal(err)
	}
	if err := b.PutIfAbsent(ctx, "x", []byte("b")); err != nil {
		t.Fatal(err)
	}
	// A directory marker such as consoles create is not an object.
	if err := root.Put(ctx, "one/zz", strings.NewReader("m")); err != nil {
		t.Fatal(err)
	}
	got, err := root.List(ctx, "")
	if err != nil || strings.Join(got, ",") != "one/two/x,one/x,one/zz" {
		t.Errorf("root List = %q, %v", got, err)
	}
	if got, err := b.List(ctx, ""); err != nil || strings.Join(got, ",") != "x" {
		t.Errorf("prefixed List = %q, %v", got, err)
	}
	if v, err := objstore.ReadAll(ctx, a, "two/x"); err != nil || string(v) != "b" {
		t.Errorf("ReadAll(two/x) = %q, %v", v, err)
	}
}

// countingTransport counts requests by method and part uploads.
type countingTransport struct {
	mu    sync.Mutex
	count map[string]int
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	k := r.Method
	if r.URL.Query().Has("partNumber") {
		k = "PART"
	}
	c.count[k]++
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func (c *countingTransport) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.count
	c.count = map[string]int{}
	return m
}

// Reads at the end of an object fetch its tail once; a Put above the part size is uploaded
// in parts.
func TestS3RequestCounts(t *testing.T) {
	ctx := context.Background()
	endpoint := s3test.FakeS3(t)
	ct := &countingTransport{count: map[string]int{}}
	s := openS3(t, endpoint, s3test.NewBucket(t, endpoint), "", func(o *objstore.S3Options) {
		o.HTTPClient = &http.Client{Transport: ct}
		o.TailSize = 4096
	})
	data := bytes.Repeat([]byte("0123456789"), 100_000) // 1 MB
	if err := s.Put(ctx, "f", bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if got := ct.take(); got["PUT"] != 1 || got["PART"] != 0 {
		t.Errorf("small Put made requests %v, want one PUT", got)
	}
	r := &objstore.ReaderAt{Ctx: ctx, Store: s, Name: "f", Size: int64(len(data))}
	check := func(off, n int64) {
		t.Helper()
		p := make([]byte, n)
		if _, err := r.ReadAt(p, off); err != nil || !bytes.Equal(p, data[off:off+n]) {
			t.Fatalf("ReadAt(%d, %d): %v", off, n, err)
		}
	}
	check(int64(len(data))-8, 8)       // trailer: fetches the last 4096 bytes
	check(int64(len(data))-3000, 2992) // footer: inside them
	check(int64(len(data))-4096, 10)
	if got := ct.take(); got["GET"] != 1 {
		t.Errorf("trailer and footer reads made %d GETs, want 1", got["GET"])
	}
	check(int64(len(data))-5000, 10) // before the tail: a ranged GET of its own
	check(0, 100)
	if got := ct.take(); got["GET"] != 2 {
		t.Errorf("two reads outside the tail made %d GETs, want 2", got["GET"])
	}
	// An object that fits in the tail is fetched whole by its first read, wherever it is.
	small := data[:3000]
	if err := s.Put(ctx, "small", bytes.NewReader(small)); err != nil {
		t.Fatal(err)
	}
	ct.take()
	rs := &objstore.ReaderAt{Ctx: ctx, Store: s, Name: "small", Size: int64(len(small))}
	for _, rg := range [][2]int64{{0, 4}, {2992, 8}, {100, 2000}, {0, 3000}} {
		p := make([]byte, rg[1])
		if _, err := rs.ReadAt(p, rg[0]); err != nil || !bytes.Equal(p, small[rg[0]:rg[0]+rg[1]]) {
			t.Fatalf("small ReadAt(%d, %d): %v", rg[0], rg[1], err)
		}
	}
	if got := ct.take(); got["GET"] != 1 {
		t.Errorf("four reads of a small object made %d GETs, want 1", got["GET"])
	}
	// Reads past the end, told the size or not, fail whatever is kept.
	for _, off := range []int64{2990, 3000, 3001, 5000} {
		if err := s.ReadAtSized(ctx, "small", make([]byte, 20), off, 3000); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("ReadAtSized(off=%d) past the end: %v, want io.ErrUnexpectedEOF", off, err)
		}
		if err := s.ReadAt(ctx, "small", make([]byte, 20), off); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("ReadAt(off=%d) past the end: %v, want io.ErrUnexpectedEOF", off, err)
		}
	}
	// A size larger than the object's is found out.
	if err := s.ReadAtSized(ctx, "f", make([]byte, 8), int64(len(data)), int64(len(data))+8); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("ReadAtSized with too large a size: %v, want io.ErrUnexpectedEOF", err)
	}
	// A Put drops the kept tail.
	if err := s.Put(ctx, "f", bytes.NewReader(bytes.Repeat([]byte("x"), len(data)))); err != nil {
		t.Fatal(err)
	}
	p := make([]byte, 8)
	if _, err := r.ReadAt(p, int64(len(data))-8); err != nil || string(p) != "xxxxxxxx" {
		t.Errorf("after Put read %q, %v", p, err)
	}
	ct.take()

	big := bytes.Repeat([]byte("abcdefgh"), (2*testPart+testPart/2)/8)
	if err := s.Put(ctx, "big", bytes.NewReader(big)); err != nil {
		t.Fatal(err)
	}
	if got := ct.take(); got["PART"] != 3 {
		t.Errorf("Put of %d bytes uploaded %d parts, want 3 (%v)", len(big), got["PART"], got)
	}
	if got, err := objstore.ReadAll(ctx, s, "big"); err != nil || !bytes.Equal(got, big) {
		t.Errorf("ReadAll(big): %d bytes, %v", len(got), err)
	}
}

// faultProxy forwards requests to a server, but answers some itself or drops answers.
type faultProxy struct {
	target *url.URL
	// fault, if set, may handle the request and return true.
	fault func(w http.ResponseWriter, r *http.Request, forward func() *httptest.ResponseRecorder) bool
}

func (f *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rp := httputil.NewSingleHostReverseProxy(f.target)
	forward := func() *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		rp.ServeHTTP(rec, r)
		return rec
	}
	if f.fault != nil && f.fault(w, r, forward) {
		return
	}
	rp.ServeHTTP(w, r)
}

func s3Error(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>injected</Message></Error>`, code)
}

// Throttling, 5xx and 409 answers are retried; a commit whose answer was lost but which took
// effect is recognised as this writer's.
func TestS3Retries(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	target, _ := url.Parse(s3test.FakeS3(t))
	var mu sync.Mutex
	var plan []string // what to do with the next requests: "503", "500", "409", "lose", "ok"
	var seen []string
	proxy := &faultProxy{target: target, fault: func(w http.ResponseWriter, r *http.Request, forward func() *httptest.ResponseRecorder) bool {
		mu.Lock()
		step := "ok"
		if len(plan) > 0 {
			step, plan = plan[0], plan[1:]
		}
		seen = append(seen, r.Method+" "+step)
		mu.Unlock()
		switch step {
		case "503":
			s3Error(w, http.StatusServiceUnavailable, "SlowDown")
		case "500":
			s3Error(w, http.StatusInternalServerError, "InternalError")
		case "409":
			s3Error(w, http.StatusConflict, "ConditionalRequestConflict")
		case "cut": // the answer breaks off half way through its body
			rec := forward()
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			body := rec.Body.Bytes()
			w.Write(body[:len(body)/2])
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		case "stall": // no answer in time
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
			s3Error(w, http.StatusInternalServerError, "InternalError")
		case "lose": // the server does the work, the client hears 500
			forward()
			s3Error(w, http.StatusInternalServerError, "InternalError")
		default:
			return false
		}
		return true
	}}
	srv := httptest.NewServer(proxy)
	defer srv.Close()
	bucket := s3test.NewBucket(t, target.String())
	s := openS3(t, srv.URL, bucket, "", func(o *objstore.S3Options) { o.ResponseTimeout = 300 * time.Millisecond })
	run := func(steps []string, fn func() error) (error, []string) {
		mu.Lock()
		plan, seen = steps, nil
		mu.Unlock()
		err := fn()
		mu.Lock()
		defer mu.Unlock()
		return err, seen
	}
	err, seen := run([]string{"503", "503", "500"}, func() error { return s.Put(ctx, "a", strings.NewReader("A")) })
	if err != nil || len(seen) != 4 {
		t.Errorf("Put through 503, 503, 500: %v after %q", err, seen)
	}
	err, seen = run([]string{"409", "503"}, func() error { return s.PutIfAbsent(ctx, "b", []byte("B")) })
	if err != nil || len(seen) != 3 {
		t.Errorf("PutIfAbsent through 409, 503: %v after %q", err, seen)
	}
	err, seen = run([]string{"lose"}, func() error { return s.PutIfAbsent(ctx, "c", []byte("C")) })
	if err != nil {
		t.Errorf("PutIfAbsent whose first answer was lost: %v after %q", err, seen)
	}
	// The lost answer of a write that did not win is still a loss.
	err, seen = run([]string{"lose"}, func() error { return s.PutIfAbsent(ctx, "c", []byte("other")) })
	if !errors.Is(err, objstore.ErrExists) {
		t.Errorf("losing PutIfAbsent with a lost answer: error = %v, want ErrExists (%q)", err, seen)
	}
	err, seen = run([]string{"503", "lose"}, func() error { return s.ReadAt(ctx, "c", make([]byte, 1), 0) })
	if err != nil {
		t.Errorf("ReadAt through 503 and 500: %v after %q", err, seen)
	}
	// An answer that does not come is given up on and the request made again.
	began := time.Now()
	err, seen = run([]string{"stall"}, func() error { return s.Put(ctx, "e", strings.NewReader("E")) })
	if took := time.Since(began); err != nil || len(seen) != 2 || took > 6*time.Second {
		t.Errorf("Put through a stalled answer: %v after %q in %s (the stall lasts 10s)", err, seen, took)
	}
	// Bodies that break off are fetched again, for ranged and whole reads.
	if err := s.Put(ctx, "long", strings.NewReader(strings.Repeat("0123456789", 1000))); err != nil {
		t.Fatal(err)
	}
	p := make([]byte, 5000)
	err, seen = run([]string{"cut", "cut"}, func() error { return s.ReadAt(ctx, "long", p, 1000) })
	if err != nil || len(seen) != 3 || string(p[:10]) != "0123456789" {
		t.Errorf("ReadAt through two cut bodies: %v after %q", err, seen)
	}
	var whole []byte
	err, seen = run([]string{"cut"}, func() (err error) { whole, err = objstore.ReadAll(ctx, s, "long"); return err })
	if err != nil || len(seen) != 2 || len(whole) != 10000 {
		t.Errorf("ReadAll through a cut body: %d bytes, %v after %q", len(whole), err, seen)
	}
	for _, name := range []string{"a", "b", "c", "e"} {
		if got, err := objstore.ReadAll(ctx, s, name); err != nil || string(got) != strings.ToUpper(name) {
			t.Errorf("%s = %q, %v", name, got, err)
		}
	}
	// A store that keeps failing gives up after MaxAttempts.
	few := openS3(t, srv.URL, bucket, "", func(o *objstore.S3Options) { o.MaxAttempts = 2 })
	err, seen = run([]string{"503", "503", "503"}, func() error { return few.PutIfAbsent(ctx, "d", []byte("D")) })
	if err == nil || errors.Is(err, objstore.ErrExists) || len(seen) != 2 {
		t.Errorf("PutIfAbsent through 3 x 503 with 2 attempts: %v after %q", err, seen)
	}
}

// Several processes race PutIfAbsent on the same keys of a versitygw server: for each key
// exactly one wins, and the object holds the winner's bytes.
func TestS3PutIfAbsentProcesses(t *testing.T) {
	if os.Getenv("OBJSTORE_S3_CHILD") != "" {
		t.Skip("child process")
	}
	endpoint := s3test.VersityGW(t)
	bucket := s3test.NewBucket(t, endpoint)
	const procs, keys = 6, 20
	start := time.Now().Add(1500 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	outs := make([]bytes.Buffer, procs)
	cmds := make([]*exec.Cmd, procs)
	for i := range procs {
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestS3PutIfAbsentChild$", "-test.count=1")
		cmd.Env = append(os.Environ(),
			"OBJSTORE_S3_CHILD="+strconv.Itoa(i),
			"OBJSTORE_S3_ENDPOINT="+endpoint,
			"OBJSTORE_S3_BUCKET="+bucket,
			"OBJSTORE_S3_KEYS="+strconv.Itoa(keys),
			"OBJSTORE_S3_START="+strconv.FormatInt(start.UnixNano(), 10))
		cmd.Stdout = &outs[i]
		cmd.Stderr = &outs[i]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[i] = cmd
	}
	winners := make(map[int][]int) // key -> winning processes
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("child %d: %v\n%s", i, err, outs[i].String())
		}
		results := 0
		sc := bufio.NewScanner(&outs[i])
		for sc.Scan() {
			var key int
			var res string
			if n, _ := fmt.Sscanf(sc.Text(), "RESULT %d %s", &key, &res); n != 2 {
				continue
			}
			results++
			switch res {
			case "won":
				winners[key] = append(winners[key], i)
			case "exists":
			default:
				t.Errorf("child %d key %d: %s", i, key, res)
			}
		}
		if results != keys {
			t.Errorf("child %d reported %d results, want %d", i, results, keys)
		}
	}
	s := openS3(t, endpoint, bucket, "race", nil)
	for k := range keys {
		w := winners[k]
		if len(w) != 1 {
			t.Errorf("key %d: winners %v, want exactly one", k, w)
			continue
		}
		got, err := objstore.ReadAll(ctx, s, fmt.Sprintf("log/%04d", k))
		if want := fmt.Sprintf("process %d", w[0]); err != nil || string(got) != want {
			t.Errorf("key %d = %q, %v; want %q", k, got, err, want)
		}
	}
}

// TestS3PutIfAbsentChild is one writer of TestS3PutIfAbsentProcesses.
func TestS3PutIfAbsentChild(t *testing.T) {
	id := os.Getenv("OBJSTORE_S3_CHILD")
	if id == "" {
		t.Skip("run by TestS3PutIfAbsentProcesses")
	}
	keys, _ := strconv.Atoi(os.Getenv("OBJSTORE_S3_KEYS"))
	startNs, _ := strconv.ParseInt(os.Getenv("OBJSTORE_S3_START"), 10, 64)
	s := openS3(t, os.Getenv("OBJSTORE_S3_ENDPOINT"), os.Getenv("OBJSTORE_S3_BUCKET"), "race", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	time.Sleep(time.Until(time.Unix(0, startNs)))
	for k := range keys {
		err := s.PutIfAbsent(ctx, fmt.Sprintf("log/%04d", k), []byte("process "+id))
		res := "won"
		switch {
		case errors.Is(err, objstore.ErrExists):
			res = "exists"
		case err != nil:
			res = strings.ReplaceAll(err.Error(), "\n", " ")
		}
		fmt.Printf("RESULT %d %s\n", k, res)
	}
}

// failAfter yields n bytes and then fails.
type failAfter struct{ n int }

var errInjected = errors.New("injected reader failure")

func (f *failAfter) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, errInjected
	}
	k := min(len(p), f.n)
	f.n -= k
	return k, nil
}

// A multipart Put that fails leaves no upload behind (its parts would cost storage).
func TestS3MultipartAbort(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, srv := range []struct {
		name  string
		start func(testing.TB) string
	}{{"GoFakeS3", s3test.FakeS3}, {"VersityGW", s3test.VersityGW}} {
		t.Run(srv.name, func(t *testing.T) {
			endpoint := srv.start(t)
			bucket := s3test.NewBucket(t, endpoint)
			s := openS3(t, endpoint, bucket, "db", nil)
			if err := s.Put(ctx, "big", &failAfter{n: 2*testPart + 100}); !errors.Is(err, errInjected) {
				t.Fatalf("Put error = %v, want the reader's", err)
			}
			out, err := s3test.Client(endpoint).ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Uploads) != 0 {
				t.Errorf("%d multipart uploads left after a failed Put", len(out.Uploads))
			}
			if _, err := s.Size(ctx, "big"); !errors.Is(err, objstore.ErrNotExist) {
				t.Errorf("Size after a failed Put: %v, want ErrNotExist", err)
			}
		})
	}
}
