package engine

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

func nextval(t *testing.T, c Conn, q string) []int64 {
	t.Helper()
	rows, _, err := tryRun(c, q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	var out []int64
	for _, r := range rows {
		v, err := strconv.ParseInt(r[0], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// A sequence's values survive a restart: the new process never hands out a value the old
// one did (it may skip the ones the old one had cached).
func TestSequencePersistsAcrossRestart(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	store := objstore.NewMem()
	e, c := open(t, store, mem)
	run(t, c, "CREATE SEQUENCE s")
	run(t, c, "CREATE SEQUENCE sc CACHE 20")
	run(t, c, "CREATE TABLE t (id serial, v text)")
	if got := nextval(t, c, "SELECT nextval('s') FROM generate_series(1, 3)"); got[2] != 3 {
		t.Fatalf("nextval: %v", got)
	}
	if got := nextval(t, c, "SELECT nextval('sc')"); got[0] != 1 {
		t.Fatalf("nextval: %v", got)
	}
	run(t, c, "INSERT INTO t (v) VALUES ('a'), ('b')")
	e.Close()

	e, c = open(t, store, mem)
	defer e.Close()
	if got := nextval(t, c, "SELECT nextval('s')"); got[0] != 4 {
		t.Errorf("nextval after restart: %v, want 4", got)
	}
	// The old process reserved 1..20 of sc: the new one starts after them (a gap).
	if got := nextval(t, c, "SELECT nextval('sc')"); got[0] != 21 {
		t.Errorf("nextval of a cached sequence after restart: %v, want 21", got)
	}
	run(t, c, "INSERT INTO t (v) VALUES ('c')")
	expect(t, c, "SELECT id, v FROM t ORDER BY id", "1 a|2 b|3 c")
	if _, _, err := tryRun(c, "SELECT currval('s')"); err != nil {
		t.Errorf("currval after nextval: %v", err)
	}
}

// Two processes on one store, each with a cached range, hand out distinct values.
func TestSequenceTwoProcessesDistinct(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	store := objstore.NewMem()
	e1, c1 := open(t, store, mem)
	defer e1.Close()
	run(t, c1, "CREATE SEQUENCE s CACHE 3")
	run(t, c1, "CREATE SEQUENCE s1")
	e2, c2 := open(t, store, mem)
	defer e2.Close()

	const rounds = 40
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	for p, c := range []Conn{c1, c2} {
		for _, seq := range []string{"s", "s1"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < rounds; i++ {
					rows, _, err := tryRun(c, "SELECT nextval('"+seq+"') FROM generate_series(1, 2)")
					if err != nil {
						t.Errorf("process %d: %v", p, err)
						return
					}
					mu.Lock()
					for _, r := range rows {
						v, _ := strconv.ParseInt(r[0], 10, 64)
						if seq == "s1" {
							v = -v
						}
						seen[v]++
					}
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	for v, n := range seen {
		if n > 1 {
			t.Errorf("value %d handed out %d times", v, n)
		}
	}
	if len(seen) != 2*2*2*rounds {
		t.Errorf("%d distinct values, want %d", len(seen), 2*2*2*rounds)
	}
	// Without a cache, the values of s1 are exactly 1..160.
	for v := int64(1); v <= 2*2*rounds; v++ {
		if seen[-v] != 1 {
			t.Errorf("s1 value %d handed out %d times", v, seen[-v])
		}
	}
	_, _, err := tryRun(c2, "SELECT currval('s')")
	if err != nil {
		t.Errorf("currval: %v", err)
	}
	c3, _ := e2.Connect(context.Background(), "test", "test")
	if _, _, err := tryRun(c3, "SELECT currval('s')"); !errors.Is(err, errs.ObjectState) {
		t.Errorf("currval in a new session: %v", err)
	}
}

// DROP SEQUENCE deletes the sequence's state from the store.
func TestDropSequenceDeletesState(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	store := objstore.NewMem()
	e, c := open(t, store, mem)
	defer e.Close()
	ctx := context.Background()
	run(t, c, "CREATE SEQUENCE s")
	run(t, c, "CREATE TABLE t (id serial)")
	nextval(t, c, "SELECT nextval('s')")
	run(t, c, "INSERT INTO t DEFAULT VALUES")
	if objs, _ := store.List(ctx, "sequences/"); len(objs) != 2 {
		t.Fatalf("sequence state objects: %v", objs)
	}
	run(t, c, "DROP SEQUENCE s")
	run(t, c, "DROP TABLE t")
	if objs, _ := store.List(ctx, "sequences/"); len(objs) != 0 {
		t.Errorf("sequence state left after DROP: %v", objs)
	}
}
