package bench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/pgwire"
)

const lookupSQL = `SELECT * FROM t WHERE key = $1`

// wireServer is sleeperd's PostgreSQL wire server on a loopback port, in process.
type wireServer struct {
	srv  *pgwire.Server
	url  string
	done chan error

	once sync.Once
	err  error // of the first close
}

// startWire starts a pgwire server for eng on 127.0.0.1 and an ephemeral port.
func startWire(eng *engine.Engine) (*wireServer, error) {
	srv, err := pgwire.NewServer(pgwire.Config{Addr: "127.0.0.1:0", Connect: eng.Connect})
	if err != nil {
		return nil, fmt.Errorf("bench: pgwire server: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("bench: pgwire listen: %w", err)
	}
	w := &wireServer{srv: srv, done: make(chan error, 1),
		url: fmt.Sprintf("postgres://bench@%s/bench?sslmode=disable", ln.Addr())}
	go func() { w.done <- srv.Serve(ln) }()
	return w, nil
}

// close shuts the server down and waits for Serve to return. Later calls return the first
// call's error.
func (w *wireServer) close() error {
	w.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		w.err = w.srv.Shutdown(ctx)
		if serr := <-w.done; !errors.Is(serr, pgwire.ErrClosed) {
			w.err = errors.Join(w.err, serr)
		}
	})
	return w.err
}

// connect opens a pgx connection with the lookup prepared as statement "lookup".
func (w *wireServer) connect(ctx context.Context) (*pgx.Conn, error) {
	c, err := pgx.Connect(ctx, w.url)
	if err != nil {
		return nil, fmt.Errorf("bench: pgx connect: %w", err)
	}
	if _, err := c.Prepare(ctx, "lookup", lookupSQL); err != nil {
		c.Close(ctx)
		return nil, fmt.Errorf("bench: pgx prepare lookup: %w", err)
	}
	return c, nil
}

// pgxLookup runs the prepared lookup for key on c, adding its rows to sums.
func pgxLookup(ctx context.Context, c *pgx.Conn, key string, sums ...*checksum) error {
	rows, err := c.Query(ctx, "lookup", key)
	if err != nil {
		return err
	}
	defer rows.Close()
	var cells []string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return err
		}
		cells = cells[:0]
		for _, v := range vals {
			if v == nil {
				cells = append(cells, "NULL")
			} else {
				cells = append(cells, fmt.Sprint(v))
			}
		}
		for _, s := range sums {
			s.add(cells)
		}
	}
	return rows.Err()
}

// wireLookups runs one lookup per probe key over one pgx connection.
func wireLookups(ctx context.Context, w *wireServer, probe []string) (Figure, error) {
	c, err := w.connect(ctx)
	if err != nil {
		return Figure{}, err
	}
	defer c.Close(ctx)
	var sum checksum
	lat := make([]time.Duration, len(probe))
	start := time.Now()
	for i, k := range probe {
		t0 := time.Now()
		if err := pgxLookup(ctx, c, k, &sum); err != nil {
			return Figure{}, fmt.Errorf("bench: pgwire lookup %q: %w", k, err)
		}
		lat[i] = time.Since(t0)
	}
	return latencies(time.Since(start), lat, sum), nil
}

// lookupFunc runs one lookup of key, adding its rows to sum.
type lookupFunc func(ctx context.Context, key string, sum *checksum) error

// sustained runs one goroutine per worker for d. Worker i looks up keys from pool in the
// order of its own seeded sequence, so every engine asks the same questions in the same
// order and differs only in how far it gets. It returns the figure and, per worker, the
// digest of each query's result.
func sustained(ctx context.Context, workers []lookupFunc, pool []string, seed uint64, d time.Duration) (Figure, [][]checksum, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	lats := make([][]time.Duration, len(workers))
	digests := make([][]checksum, len(workers))
	errs := make([]error, len(workers))
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for i, look := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(seed+uint64(i), seed^0x94d049bb133111eb))
			for time.Now().Before(deadline) {
				k := pool[rng.IntN(len(pool))]
				var sum checksum
				t0 := time.Now()
				if err := look(ctx, k, &sum); err != nil {
					errs[i] = fmt.Errorf("bench: lookup %q: %w", k, err)
					cancel()
					return
				}
				lats[i] = append(lats[i], time.Since(t0))
				digests[i] = append(digests[i], sum)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := errors.Join(errs...); err != nil {
		return Figure{}, nil, err
	}
	all := slices.Concat(lats...)
	if len(all) == 0 {
		return Figure{}, nil, errors.New("bench: no lookup finished")
	}
	fig := latencies(elapsed, all, checksum{})
	fig.Ops = int64(len(all))
	fig.OpsPerSec = float64(len(all)) / elapsed.Seconds()
	return fig, digests, nil
}

// commonDigest sums the digests of the queries both engines ran: per worker, the shorter
// engine's count of queries from the start of its sequence.
func commonDigest(a, b [][]checksum) (checksum, checksum) {
	var x, y checksum
	for i := range min(len(a), len(b)) {
		for j := range min(len(a[i]), len(b[i])) {
			x.rows, x.sum = x.rows+a[i][j].rows, x.sum+a[i][j].sum
			y.rows, y.sum = y.rows+b[i][j].rows, y.sum+b[i][j].sum
		}
	}
	return x, y
}

// wireSustained runs conns pgx connections of lookups for d.
func wireSustained(ctx context.Context, w *wireServer, conns int, pool []string, seed uint64, d time.Duration) (Figure, [][]checksum, error) {
	cs := make([]*pgx.Conn, 0, conns)
	defer func() {
		for _, c := range cs {
			c.Close(context.Background())
		}
	}()
	workers := make([]lookupFunc, conns)
	for i := range workers {
		c, err := w.connect(ctx)
		if err != nil {
			return Figure{}, nil, err
		}
		cs = append(cs, c)
		workers[i] = func(ctx context.Context, key string, sum *checksum) error { return pgxLookup(ctx, c, key, sum) }
	}
	return sustained(ctx, workers, pool, seed, d)
}

// duckSustained runs conns goroutines of prepared lookups on db for d, each on a connection
// of its own.
func duckSustained(ctx context.Context, db *sql.DB, files string, conns int, pool []string, seed uint64, d time.Duration) (Figure, [][]checksum, error) {
	db.SetMaxOpenConns(conns)
	defer db.SetMaxOpenConns(1)
	var closers []func() error
	defer func() {
		for _, c := range slices.Backward(closers) {
			c()
		}
	}()
	workers := make([]lookupFunc, conns)
	for i := range workers {
		c, err := db.Conn(ctx)
		if err != nil {
			return Figure{}, nil, fmt.Errorf("bench: duckdb connection: %w", err)
		}
		closers = append(closers, c.Close)
		st, err := c.PrepareContext(ctx, fmt.Sprintf(`SELECT * FROM read_parquet('%s') WHERE key = ?`, files))
		if err != nil {
			return Figure{}, nil, fmt.Errorf("bench: duckdb prepare lookup: %w", err)
		}
		closers = append(closers, st.Close)
		workers[i] = func(ctx context.Context, key string, sum *checksum) error {
			rows, err := st.QueryContext(ctx, key)
			if err != nil {
				return err
			}
			return scanRows(rows, sum)
		}
	}
	return sustained(ctx, workers, pool, seed, d)
}
