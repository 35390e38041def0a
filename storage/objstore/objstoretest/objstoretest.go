// Package objstoretest is the conformance suite every objstore.Store implementation passes.
package objstoretest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/sleeperd/sleeperd/storage/objstore"
)

// Options adapt the suite to a store.
type Options struct {
	// Skip maps the name of a subtest to the reason it does not apply to the store.
	Skip map[string]string
	// LargeSize is the size of the object LargePut writes (0: 20 MiB). A store with
	// multipart uploads is configured with a part size well below it.
	LargeSize int
}

// Run runs the conformance suite. open returns a new, empty store for each subtest.
func Run(t *testing.T, open func(t *testing.T) objstore.Store) {
	t.Helper()
	RunWith(t, open, Options{})
}

// RunWith runs the conformance suite with options.
func RunWith(t *testing.T, open func(t *testing.T) objstore.Store, o Options) {
	t.Helper()
	if o.LargeSize == 0 {
		o.LargeSize = 20 << 20
	}
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, s objstore.Store)
	}{
		{"ReadWrite", testReadWrite},
		{"Missing", testMissing},
		{"PutIfAbsent", testPutIfAbsent},
		{"List", testList},
		{"Delete", testDelete},
		{"InvalidNames", testInvalidNames},
		{"DirectoryClash", testDirectoryClash},
		{"Cancelled", testCancelled},
		{"ConcurrentPutIfAbsent", testConcurrentPutIfAbsent},
		{"ConcurrentReplace", testConcurrentReplace},
		{"ReadPastEnd", testReadPastEnd},
		{"ListPages", testListPages},
		{"LargePut", func(t *testing.T, s objstore.Store) { testLargePut(t, s, o.LargeSize) }},
		{"FailingReader", testFailingReader},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if why, ok := o.Skip[tc.name]; ok {
				t.Skip(why)
			}
			tc.fn(t, open(t))
		})
	}
}

func put(t *testing.T, s objstore.Store, name, data string) {
	t.Helper()
	if err := s.Put(context.Background(), name, strings.NewReader(data)); err != nil {
		t.Fatalf("Put(%q): %v", name, err)
	}
}

func readAll(t *testing.T, s objstore.Store, name string) string {
	t.Helper()
	b, err := objstore.ReadAll(context.Background(), s, name)
	if err != nil {
		t.Fatalf("ReadAll(%q): %v", name, err)
	}
	return string(b)
}

func testReadWrite(t *testing.T, s objstore.Store) {
	ctx := context.Background()
	put(t, s, "a/b/c.txt", "hello world")
	put(t, s, "empty", "")
	if got := readAll(t, s, "a/b/c.txt"); got != "hello world" {
		t.Errorf("ReadAll = %q", got)
	}
	if got := readAll(t, s, "empty"); got != "" {
		t.Errorf("ReadAll(empty) = %q", got)
	}
	for _, tc := range []struct {
		off  int64
		n    int
		want string
		err  error
	}{
		{0, 5, "hello", nil},
		{6, 5, "world", nil},
		{11, 0, "", nil},
		{3, 0, "", nil},
		{6, 6, "", io.ErrUnexpectedEOF},
		{12, 1, "", io.ErrUnexpectedEOF},
		{100, 1, "", io.ErrUnexpectedEOF},
	} {
		p := make([]byte, tc.n)
		err := s.ReadAt(ctx, "a/b/c.txt", p, tc.off)
		if !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
			t.Errorf("ReadAt(off=%d, n=%d) error = %v, want %v", tc.off, tc.n, err, tc.err)
			continue
		}
		if err == nil && string(p) != tc.want {
			t.Errorf("ReadAt(off=%d, n=%d) = %q, want %q", tc.off, tc.n, p, tc.want)
		}
	}
	if n, err := s.Size(ctx, "a/b/c.txt"); err != nil || n != 11 {
		t.Errorf("Size = %d, %v; want 11", n, err)
	}
	put(t, s, "a/b/c.txt", "replaced")
	if got := readAll(t, s, "a/b/c.txt"); got != "replaced" {
		t.Errorf("after replace ReadAll = %q", got)
	}
	if n, err := s.Size(ctx, "a/b/c.txt"); err != nil || n != 8 {
		t.Errorf("Size after replace = %d, %v; want 8", n, err)
	}
}

func testMissing(t *testing.T, s objstore.Store) {
	ctx := context.Background()
	put(t, s, "dir/obj", "x")
	for _, name := range []string{"nope", "dir", "dir/nope", "dir/obj/below"} {
		if _, err := s.Size(ctx, name); !errors.Is(err, objstore.ErrNotExist) {
			t.Errorf("Size(%q) error = %v, want ErrNotExist", name, err)
		}
		if err := s.ReadAt(ctx, name, make([]byte, 1), 0); !errors.Is(err, objstore.ErrNotExist) {
			t.Errorf("ReadAt(%q) error = %v, want ErrNotExist", name, err)
		}
		if _, err := objstore.ReadAll(ctx, s, name); !errors.Is(err, objstore.ErrNotExist) {
			t.Errorf("ReadAll(%q) error = %v, want ErrNotExist", name, err)
		}
	}
}

func testPutIfAbsent(t *testing.T, s objstore.Store) {
	ctx := context.Background()
	if err := s.PutIfAbsent(ctx, "log/1", []byte("first")); err != nil {
		t.Fatalf("first PutIfAbsent: %v", err)
	}
	if err := s.PutIfAbsent(ctx, "log/1", []byte("second")); !errors.Is(err, objstore.ErrExists) {
		t.Fatalf("second PutIfAbsent error = %v, want ErrExists", err)
	}
	if got := readAll(t, s, "log/1"); got != "first" {
		t.Errorf("ReadAll = %q, want the first write", got)
	}
	put(t, s, "log/2", "put")
	if err := s.PutIfAbsent(ctx, "log/2", []byte("x")); !errors.Is(err, objstore.ErrExists) {
		t.Errorf("PutIfAbsent over Put error = %v, want ErrExists", err)
	}
	if err := s.Delete(ctx, "log/1"); err != nil {
		t.Fatal(err)
	}
	if err := s.PutIfAbsent(ctx, "log/1", []byte("again")); err != nil {
		t.Errorf("PutIfAbsent after Delete: %v", err)
	}
	// The caller may reuse its buffer after the call.
	buf := []byte("mine")
	if err := s.PutIfAbsent(ctx, "log/3", buf); err != nil {
		t.Fatal(err)
	}
	copy(buf, "XXXX")
	if got := readAll(t, s, "log/3"); got != "mine" {
		t.Errorf("ReadAll = %q, the store kept the caller's buffer", got)
	}
}

func testList(t *testing.T, s objstore.Store) {
	ctx := context.Background()
	names := []string{"a-c", "a/b/c", "a/b1", "a/b/d/e", "a/bz/x", "b", "ab"}
	for _, n := range names {
		put(t, s, n, n)
	}
	for _, tc := range []struct {
		prefix string
		want   []string
	}{
		{"", []string{"a-c", "a/b/c", "a/b/d/e", "a/b1", "a/bz/x", "ab", "b"}},
		{"a", []string{"a-c", "a/b/c", "a/b/d/e", "a/b1", "a/bz/x", "ab"}},
		{"a/", []string{"a/b/c", "a/b/d/e", "a/b1", "a/bz/x"}},
		{"a/b", []string{"a/b/c", "a/b/d/e", "a/b1", "a/bz/x"}},
		{"a/b/", []string{"a/b/c", "a/b/d/e"}},
		{"a/b/d/e", []string{"a/b/d/e"}},
		{"a/bz/", []string{"a/bz/x"}},
		{"c", nil},
		{"zz/yy/", nil},
		{"b/", nil},
	} {
		got, err := s.List(ctx, tc.prefix)
		if err != nil {
			t.Errorf("List(%q): %v", tc.prefix, err)
			continue
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("List(%q) = %q, want %q", tc.prefix, got, tc.want)
		}
	}
	if _, err := s.List(ctx, "../"); !errors.Is(err, objstore.ErrInvalidName) {
		t.Errorf("List(../) error = %v, want ErrInvalidName", err)
	}
}

func testDelete(t *testing.T, s objstore.Store) {
	ctx := context.Background()
	put(t, s, "x/y", "1")
	put(t, s, "x/z", "2")
	if err := s.Delete(ctx, "x/y"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "x/y"); err != nil {
		t.Errorf("second Delete: %v", err)
	}
	if err := s.Delete(ctx, "never/was"); err != nil {
		t.Errorf("Delete(missing): %v", err)
	}
	if _, err := s.Size(ctx, "x/y"); !errors.Is(err, objstore.ErrNotExist) {
		t.Errorf("Size after Delete error = %v", err)
	}
	got, err := s.List(ctx, "x/")
	if err != nil || !slices.Equal(got, []string{"x/z"}) {
		t.Errorf("List after Delete = %q, %v", got, err)
	}
}

func testInvalidNames(t *testing.T, s objstore.Store) {
	ctx := context.Background()
	for _, name := range []string{"", "/abs", "../up", "a/../../b", "a//b", "a/", "./a", "a/.", ".tmp/x", ".tmp", "nul\x00"} {
		errs := map[string]error{
			"Put":         s.Put(ctx, name, strings.NewReader("x")),
			"PutIfAbsent": s.PutIfAbsent(ctx, name, []byte("x")),
			"ReadAt":      s.ReadAt(ctx, name, make([]byte, 1), 0),
			"Delete":      s.Delete(ctx, name),
		}
		_, errs["Size"] = s.Size(ctx, name)
		for op, err := range errs {
			if !errors.Is(err, objstore.ErrInvalidName) {
				t.Errorf("%s(%q) error = %v, want ErrInvalidName", op, name, err)
			}
		}
	}
	if got, err := s.List(ctx, ""); err != nil || len(got) != 0 {
		t.Errorf("invalid names left objects: %q, %v", got, err)
	}
}

func testDirectoryClash(t *testing.T, s objstore.Store) {
	ctx := context.Background()
	put(t, s, "a/b", "object")
	put(t, s, "x/y/z", "object")
	for _, name := range []string{"a/b/c", "a/b/c/d", "x/y", "x"} {
		if err := s.Put(ctx, name, strings.NewReader("x")); !errors.Is(err, objstore.ErrInvalidName) {
			t.Errorf("Put(%q) error = %v, want ErrInvalidName", name, err)
		}
		if err := s.PutIfAbsent(ctx, name, []byte("x")); !errors.Is(err, objstore.ErrInvalidName) {
			t.Errorf("PutIfAbsent(%q) error = %v, want ErrInvalidName", name, err)
		}
	}
	// Once the object below is gone, the directory name is free (and vice versa).
	for _, name := range []string{"x/y/z", "a/b"} {
		if err := s.Delete(ctx, name); err != nil {
			t.Fatal(err)
		}
	}
	put(t, s, "a/b/c", "now a directory")
	got, err := s.List(ctx, "")
	if err != nil || !slices.Equal(got, []string{"a/b/c"}) {
		t.Errorf("List = %q, %v; want [a/b/c]", got, err)
	}
}

func testCancelled(t *testing.T, s objstore.Store) {
	put(t, s, "obj", "data")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	errs := map[string]error{
		"Put":         s.Put(ctx, "new", strings.NewReader("x")),
		"PutIfAbsent": s.PutIfAbsent(ctx, "new", []byte("x")),
		"ReadAt":      s.ReadAt(ctx, "obj", make([]byte, 1), 0),
		"Delete":      s.Delete(ctx, "obj"),
	}
	_, errs["Size"] = s.Size(ctx, "obj")
	_, errs["List"] = s.List(ctx, "")
	for op, err := range errs {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: error = %v, want context.Canceled", op, err)
		}
	}
	if got := readAll(t, s, "obj"); got != "data" {
		t.Errorf("obj = %q after cancelled calls", got)
	}
	if _, err := s.Size(context.Background(), "new"); !errors.Is(err, objstore.ErrNotExist) {
		t.Errorf("cancelled put created the object: %v", err)
	}
}

func testConcurrentPutIfAbsent(t *testing.T, s objstore.Store) {
	const writers, rounds = 16, 5
	ctx := context.Background()
	for r := range rounds {
		name := fmt.Sprintf("log/%020d.json", r)
		var wg sync.WaitGroup
		errs := make([]error, writers)
		start := make(chan struct{})
		for w := range writers {
			wg.Go(func() {
				<-start
				errs[w] = s.PutIfAbsent(ctx, name, []byte(fmt.Sprintf("writer %d", w)))
			})
		}
		close(start)
		wg.Wait()
		winner := -1
		for w, err := range errs {
			switch {
			case err == nil:
				if winner >= 0 {
					t.Fatalf("round %d: writers %d and %d both won", r, winner, w)
				}
				winner = w
			case !errors.Is(err, objstore.ErrExists):
				t.Fatalf("round %d: writer %d: %v", r, w, err)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no writer won", r)
		}
		if got, want := readAll(t, s, name), fmt.Sprintf("writer %d", winner); got != want {
			t.Errorf("round %d: object = %q, want %q", r, got, want)
		}
	}
	got, err := s.List(ctx, "log/")
	if err != nil || len(got) != rounds {
		t.Errorf("List = %q, %v; want %d objects", got, err, rounds)
	}
}

// testConcurrentReplace checks that readers never see a mix of two versions.
func testConcurrentReplace(t *testing.T, s objstore.Store) {
	ctx := context.Background()
	versions := [][]byte{bytes.Repeat([]byte("a"), 1000), bytes.Repeat([]byte("b"), 70000), bytes.Repeat([]byte("c"), 10)}
	put(t, s, "obj", string(versions[0]))
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 60 {
			if err := s.Put(ctx, "obj", bytes.NewReader(versions[i%len(versions)])); err != nil {
				t.Errorf("Put: %v", err)
				return
			}
		}
	})
	for range 2 {
		wg.Go(func() {
			for range 60 {
				b, err := objstore.ReadAll(ctx, s, "obj")
				if err != nil {
					t.Errorf("ReadAll: %v", err)
					return
				}
				if !slices.ContainsFunc(versions, func(v []byte) bool { return bytes.Equal(v, b) }) {
					t.Errorf("read a torn object of %d bytes", len(b))
					return
				}
			}
		})
	}
	wg.Wait()
}

// testReadPastEnd reads ranges that end past the object's end, of several objects, also
// through ReaderAt (whose reads at the end of an object may take a store's read-ahead path).
func testReadPastEnd(t *testing.T, s objstore.Store) {
	ctx := context.Background()
	data := make([]byte, 100_000)
	for i := range data {
		data[i] = byte(i * 7)
	}
	put(t, s, "big", string(data))
	put(t, s, "one", "x")
	put(t, s, "empty", "")
	for _, tc := range []struct {
		name string
		off  int64
		n    int
	}{
		{"big", 99_990, 11}, {"big", 100_000, 1}, {"big", 1 << 40, 1}, {"big", 0, 100_001},
		{"one", 1, 1}, {"one", 0, 2}, {"empty", 0, 1},
	} {
		if err := s.ReadAt(ctx, tc.name, make([]byte, tc.n), tc.off); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("ReadAt(%s, off=%d, n=%d) error = %v, want io.ErrUnexpectedEOF", tc.name, tc.off, tc.n, err)
		}
	}
	if err := s.ReadAt(ctx, "big", make([]byte, 1), -1); err == nil {
		t.Error("ReadAt at a negative offset succeeded")
	}
	// Reads at the end, then before it, then across the whole object, as a Parquet reader does.
	r := &objstore.ReaderAt{Ctx: ctx, Store: s, Name: "big", Size: int64(len(data))}
	for _, tc := range []struct {
		off, n int64
		want   int
		err    error
	}{
		{99_992, 8, 8, nil}, {99_000, 992, 992, nil}, {90_000, 10_000, 10_000, nil},
		{99_995, 10, 5, io.EOF}, {0, 100_000, 100_000, nil}, {100_000, 1, 0, io.EOF},
		{40_000, 30_000, 30_000, nil},
	} {
		p := make([]byte, tc.n)
		n, err := r.ReadAt(p, tc.off)
		if n != tc.want || err != tc.err {
			t.Errorf("ReaderAt.ReadAt(off=%d, n=%d) = %d, %v; want %d, %v", tc.off, tc.n, n, err, tc.want, tc.err)
			continue
		}
		if !bytes.Equal(p[:n], data[tc.off:tc.off+int64(n)]) {
			t.Errorf("ReaderAt.ReadAt(off=%d, n=%d) returned the wrong bytes", tc.off, tc.n)
		}
	}
	// A replaced object is read afresh.
	put(t, s, "big", "short")
	p := make([]byte, 5)
	if n, err := (&objstore.ReaderAt{Ctx: ctx, Store: s, Name: "big", Size: 5}).ReadAt(p, 0); n != 5 || err != nil || string(p) != "short" {
		t.Errorf("after replace ReadAt = %q, %d, %v", p, n, err)
	}
}

// testListPages lists more objects than one S3 page holds (1000), under several prefixes.
func testListPages(t *testing.T, s objstore.Store) {
	ctx := context.Background()
	const n = 1100
	var want, wantA []string
	for i := range n {
		dir := "p/b/"
		if i%3 == 0 {
			dir = "p/a/"
		}
		name := fmt.Sprintf("%s%05d", dir, i)
		want = append(want, name)
		if dir == "p/a/" {
			wantA = append(wantA, name)
		}
	}
	var wg sync.WaitGroup
	work := make(chan string)
	for range 8 {
		wg.Go(func() {
			for name := range work {
				if err := s.PutIfAbsent(ctx, name, []byte(name)); err != nil {
					t.Errorf("PutIfAbsent(%q): %v", name, err)
				}
			}
		})
	}
	for _, name := range want {
		work <- name
	}
	close(work)
	wg.Wait()
	put(t, s, "q", "outside")
	slices.Sort(want)
	for _, tc := range []struct {
		prefix string
		want   []string
	}{
		{"p/", want}, {"p", want}, {"p/a/", wantA}, {"p/b/01", want[slices.Index(want, "p/b/01000"):]},
		{"p/a/0000", []string{"p/a/00000", "p/a/00003", "p/a/00006", "p/a/00009"}},
	} {
		got, err := s.List(ctx, tc.prefix)
		if err != nil {
			t.Fatalf("List(%q): %v", tc.prefix, err)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("List(%q) returned %d names, want %d (first %q, want %q)", tc.prefix, len(got), len(tc.want), first(got), first(tc.want))
		}
	}
	all, err := s.List(ctx, "")
	if err != nil || len(all) != n+1 || all[n] != "q" {
		t.Errorf("List(\"\") = %d names (%v), want %d ending in q", len(all), err, n+1)
	}
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// onlyReader hides every method but Read, as a pipe from a Parquet writer does.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// testLargePut writes an object of size bytes from a plain reader (no Seek, no Len).
func testLargePut(t *testing.T, s objstore.Store, size int) {
	ctx := context.Background()
	data := make([]byte, size)
	x := uint64(1)
	for i := range data {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		data[i] = byte(x)
	}
	if err := s.Put(ctx, "large/obj", onlyReader{bytes.NewReader(data)}); err != nil {
		t.Fatalf("Put of %d bytes: %v", size, err)
	}
	if n, err := s.Size(ctx, "large/obj"); err != nil || n != int64(size) {
		t.Fatalf("Size = %d, %v; want %d", n, err, size)
	}
	got, err := objstore.ReadAll(ctx, s, "large/obj")
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("ReadAll: %d bytes, %v; equal = %v", len(got), err, bytes.Equal(got, data))
	}
	// A range across the middle of the object (part boundaries of a multipart upload).
	mid := int64(size/2 - 3000)
	p := make([]byte, 6000)
	if err := s.ReadAt(ctx, "large/obj", p, mid); err != nil || !bytes.Equal(p, data[mid:mid+6000]) {
		t.Errorf("ReadAt(mid): %v", err)
	}
	// Exactly a multiple of 5 MiB (a last part that is full) and one byte more.
	for _, n := range []int{5 << 20, 5<<20 + 1} {
		if n > size {
			continue
		}
		if err := s.Put(ctx, "large/exact", onlyReader{bytes.NewReader(data[:n])}); err != nil {
			t.Fatalf("Put of %d bytes: %v", n, err)
		}
		if got, err := objstore.ReadAll(ctx, s, "large/exact"); err != nil || !bytes.Equal(got, data[:n]) {
			t.Errorf("ReadAll of %d bytes: %d, %v", n, len(got), err)
		}
	}
}

// errReader fails after n bytes.
type errReader struct{ n int }

var errBroken = errors.New("broken reader")

func (e *errReader) Read(p []byte) (int, error) {
	if e.n == 0 {
		return 0, errBroken
	}
	k := min(len(p), e.n)
	clear(p[:k])
	e.n -= k
	return k, nil
}

// testFailingReader checks that a Put whose reader fails creates nothing and replaces
// nothing, for small and large objects.
func testFailingReader(t *testing.T, s objstore.Store) {
	ctx := context.Background()
	put(t, s, "keep", "old")
	for _, n := range []int{10, 7 << 20} {
		if err := s.Put(ctx, "new", &errReader{n: n}); !errors.Is(err, errBroken) {
			t.Errorf("Put(new) from a reader failing after %d bytes: error = %v, want it", n, err)
		}
		if err := s.Put(ctx, "keep", &errReader{n: n}); !errors.Is(err, errBroken) {
			t.Errorf("Put(keep) from a reader failing after %d bytes: error = %v, want it", n, err)
		}
	}
	if _, err := s.Size(ctx, "new"); !errors.Is(err, objstore.ErrNotExist) {
		t.Errorf("a failed Put created the object: %v", err)
	}
	if got := readAll(t, s, "keep"); got != "old" {
		t.Errorf("a failed Put replaced the object with %q", got)
	}
}
