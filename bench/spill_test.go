package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// spillQueries are the windows and set operations TestSpillWindowsSetOps measures.
var spillQueries = []string{
	"SELECT count(*), sum(rn), sum(c) FROM (SELECT row_number() OVER (PARTITION BY g ORDER BY id) AS rn, count(*) OVER (PARTITION BY s) AS c, s FROM t) x",
	"SELECT count(*), sum(length(s)) FROM (SELECT s, g FROM t UNION SELECT s, g FROM t WHERE id % 3 = 0) x",
	"SELECT count(*), sum(length(s)) FROM (SELECT s FROM t EXCEPT ALL SELECT s FROM t WHERE id % 2 = 0) x",
}

// TestSpillWindowsSetOps measures windows and set operations over a table of about 90 bytes
// a row: in memory (no limits), spilling alone under a 64 MiB statement limit (a 16 MiB
// operator budget), and four at once under a 64 MiB server limit (a 16 MiB pool shared by
// the four) and without limits: wall time, the Go heap's peak and sleeper.memory's. It runs
// only when SPILLBENCH is set:
//
//	SPILLBENCH=1 go test -run TestSpillWindowsSetOps -v -timeout 60m .
func TestSpillWindowsSetOps(t *testing.T) {
	if os.Getenv("SPILLBENCH") == "" {
		t.Skip("set SPILLBENCH=1 to run the spilling measurement")
	}
	rows := 1_000_000
	if s := os.Getenv("SPILLBENCH_ROWS"); s != "" {
		rows, _ = strconv.Atoi(s)
	}
	ctx := context.Background()
	store := objstore.NewMem()
	open := func(opts engine.Options) (*engine.Engine, func() engine.Conn) {
		opts.Store, opts.SpillDir = store, t.TempDir()
		e, err := engine.Open(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.Close() })
		return e, func() engine.Conn {
			c, err := e.Connect(ctx, "bench", "bench")
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
	}
	_, connect := open(engine.Options{})
	c := connect()
	mustRun(t, c, "CREATE TABLE t (id bigint PRIMARY KEY, g bigint, s text)")
	for lo := 0; lo < rows; lo += 250_000 {
		mustRun(t, c, fmt.Sprintf("INSERT INTO t SELECT i, i %% 1000, 'value ' || (i %% %d) || repeat('z', 40 + i %% 23) FROM generate_series(%d, %d) AS x(i)", rows/2, lo, min(lo+250_000, rows)-1))
	}
	t.Logf("%d rows; load average %.2f", rows, LoadAvg())

	// run runs each query on as many connections at once and returns the wall time, the Go
	// heap's peak over its start and the answers.
	run := func(connect func() engine.Conn, q string, n int) (time.Duration, int64, []string) {
		conns := make([]engine.Conn, n)
		for i := range conns {
			conns[i] = connect()
		}
		s := startSampler(MemGoHeap)
		start := time.Now()
		out := make([]string, n)
		errc := make(chan error, n)
		for i := range n {
			go func() {
				var err error
				out[i], err = runText(conns[i], q)
				errc <- err
			}()
		}
		for range n {
			if err := <-errc; err != nil {
				t.Errorf("%s: %v", q, err)
			}
		}
		d := time.Since(start)
		return d, s.done(), out
	}
	_, plainConn := open(engine.Options{})
	_, aloneConn := open(engine.Options{QueryMemoryLimit: 64 << 20})
	for _, q := range spillQueries {
		// A server of its own for each query, so that sleeper.memory's peak is the query's.
		_, pooledConn := open(engine.Options{QueryMemoryLimit: 64 << 20, MemoryLimit: 64 << 20})
		pd, ph, pw := run(plainConn, q, 1)
		ad, ah, aw := run(aloneConn, q, 1)
		if aw[0] != pw[0] {
			t.Errorf("%s: spilled %s, in memory %s", q, aw[0], pw[0])
		}
		t.Logf("%s\n  alone:  in memory %v, heap peak %d MiB; spilling (16 MiB budget) %v, heap peak %d MiB", q, pd.Round(time.Millisecond), ph>>20, ad.Round(time.Millisecond), ah>>20)
		pd, ph, _ = run(plainConn, q, 4)
		ad, ah, aw = run(pooledConn, q, 4)
		for _, a := range aw {
			if a != pw[0] {
				t.Errorf("%s: four at once, %s, in memory %s", q, a, pw[0])
			}
		}
		after := mustRun(t, pooledConn(), "SELECT refused, spill_files, peak_reserved_bytes FROM sleeper.memory")
		t.Logf("  4 at once: without limits %v, heap peak %d MiB; 16 MiB pool %v, heap peak %d MiB (sleeper.memory refused, spill files, peak reserved: %s)",
			pd.Round(time.Millisecond), ph>>20, ad.Round(time.Millisecond), ah>>20, after)
	}
	t.Logf("load average %.2f", LoadAvg())
}

// runText runs q and returns its rows as text.
func runText(c engine.Conn, q string) (out string, err error) {
	ctx := context.Background()
	st, err := c.Prepare(ctx, q, nil)
	if err != nil {
		return "", err
	}
	defer st.Close()
	r, err := st.Execute(ctx, nil)
	if err != nil {
		return "", err
	}
	defer r.Close()
	for {
		b, err := r.Next(ctx)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return "", err
		}
		for i := 0; i < int(b.NumRows()); i++ {
			for j := 0; j < int(b.NumCols()); j++ {
				out += b.Column(j).ValueStr(i) + " "
			}
			out += "\n"
		}
		b.Release()
	}
}
