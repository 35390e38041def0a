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
	"time"

	"github.com/sleeperd/sleeperd/storage/objstore"
)

// Run runs the conformance suite. open returns a new, empty store for each subtest.
func Run(t *testing.T, open func(t *testing.T) objstore.Store) {
	t.Helper()
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, s objstore.Store)
	}{
		{"ReadWrite", testReadWrite},
		{"Missing", testMissing},
		{"PutIfAbsent", testPutIfAbsent},
		{"List", testList},
		{"ListInfo", testListInfo},
		{"Delete", testDelete},
		{"InvalidNames", testInvalidNames},
		{"DirectoryClash", testDirectoryClash},
		{"Cancelled", testCancelled},
		{"ConcurrentPutIfAbsent", testConcurrentPutIfAbsent},
		{"ConcurrentReplace", testConcurrentReplace},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
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

// testListInfo checks that ListInfo lists what List lists, with sizes and the times the
// objects were last written.
func testListInfo(t *testing.T, s objstore.Store) {
	ctx := context.Background()
	// File systems keep modification times at a coarser grain than the clock.
	const slack = 2 * time.Second
	before := time.Now()
	put(t, s, "d/a", "12345")
	if err := s.PutIfAbsent(ctx, "d/b/c", []byte("xy")); err != nil {
		t.Fatal(err)
	}
	put(t, s, "e", "")
	after := time.Now()
	for _, prefix := range []string{"", "d/", "d/b", "e", "x/"} {
		names, err := s.List(ctx, prefix)
		if err != nil {
			t.Fatal(err)
		}
		infos, err := s.ListInfo(ctx, prefix)
		if err != nil {
			t.Fatalf("ListInfo(%q): %v", prefix, err)
		}
		var got []string
		for _, o := range infos {
			got = append(got, o.Name)
		}
		if !slices.Equal(got, names) {
			t.Errorf("ListInfo(%q) names %q, List %q", prefix, got, names)
		}
	}
	infos, err := s.ListInfo(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	sizes := map[string]int64{"d/a": 5, "d/b/c": 2, "e": 0}
	for _, o := range infos {
		if o.Size != sizes[o.Name] {
			t.Errorf("%s: size %d, want %d", o.Name, o.Size, sizes[o.Name])
		}
		if o.ModTime.Before(before.Add(-slack)) || o.ModTime.After(after.Add(slack)) {
			t.Errorf("%s: modified at %v, want between %v and %v", o.Name, o.ModTime, before, after)
		}
	}
	// Replacing an object moves its time on.
	old := infos[0].ModTime
	time.Sleep(20 * time.Millisecond)
	put(t, s, "d/a", "new")
	infos, err = s.ListInfo(ctx, "d/a")
	if err != nil || len(infos) != 1 {
		t.Fatalf("ListInfo(d/a) = %v, %v", infos, err)
	}
	if infos[0].Size != 3 || infos[0].ModTime.Before(old) {
		t.Errorf("replaced d/a: %+v, want size 3 and a time not before %v", infos[0], old)
	}
	if _, err := s.ListInfo(ctx, "../"); !errors.Is(err, objstore.ErrInvalidName) {
		t.Errorf("ListInfo(../) error = %v, want ErrInvalidName", err)
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
	_, errs["ListInfo"] = s.ListInfo(ctx, "")
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
