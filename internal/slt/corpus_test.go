package slt

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"

	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/pgwire"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// The corpus runs on every harness: in process, over the Postgres wire protocol with the
// simple and the extended protocol, and on a real PostgreSQL server (SLT_POSTGRES's, or a
// throwaway one; each file in a fresh database), which checks the expectations of every
// record not marked skipif postgres.
var (
	rewrite   = flag.Bool("rewrite", false, "rewrite the expectations of the corpus in place from the in-process results")
	rewritePG = flag.Bool("rewrite-postgres", false, "rewrite the expectations of the corpus in place from PostgreSQL's results")
	postgres  = os.Getenv("SLT_POSTGRES")
)

const corpus = "../../testdata/slt"

// fileTimeout bounds one file on one harness.
const fileTimeout = 2 * time.Minute

func corpusFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(corpus, "*.slt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no .slt files in %s", corpus)
	}
	return files
}

// runFile runs the file at path on db and reports each failure as a test error. With
// rewrite, it writes the rewritten file back if it changed.
func runFile(ctx context.Context, t *testing.T, path string, db DB, opts Options) {
	t.Helper()
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Parse(filepath.Base(path), string(text))
	if err != nil {
		t.Fatal(err)
	}
	fails, out, err := Run(ctx, db, s, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fails {
		t.Error(f)
	}
	if opts.Rewrite && string(out) != string(text) {
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote %s", path)
	}
}

// openEngine opens a fresh engine over an in-memory store, closed when the test ends.
func openEngine(ctx context.Context, t *testing.T, mem memory.Allocator) *engine.Engine {
	return openEngineCache(ctx, t, mem, 0)
}

// openEngineCache is openEngine with a hot cache of cacheMemory bytes (0: none).
func openEngineCache(ctx context.Context, t *testing.T, mem memory.Allocator, cacheMemory int64) *engine.Engine {
	t.Helper()
	eng, err := engine.Open(ctx, engine.Options{Store: objstore.NewMem(), Alloc: mem, CacheMemory: cacheMemory})
	if err != nil {
		t.Fatalf("opening engine: %v", err)
	}
	t.Cleanup(func() {
		if err := eng.Close(); err != nil {
			t.Errorf("closing engine: %v", err)
		}
	})
	return eng
}

func TestCorpusInProcess(t *testing.T) { corpusInProcess(t, 0) }

// TestCorpusHotCache runs the corpus in process with a hot cache so small that most of what
// a query reads evicts what another read, and with one that keeps everything: the results
// must be those without one.
func TestCorpusHotCache(t *testing.T) {
	t.Run("16KiB", func(t *testing.T) { corpusInProcess(t, 16<<10) })
	t.Run("64MiB", func(t *testing.T) { corpusInProcess(t, 64<<20) })
}

// TestCorpusSpilling runs the corpus and the PostgreSQL-checked files of pg_compat in process
// with an operator budget of 1 KiB, so that every sort, hash aggregate, hash join, window
// with PARTITION BY and set operation over more than a few dozen rows spills: the results
// must be the expected ones (those of pg_compat being PostgreSQL's). pg_compat/spill.slt
// holds windows and set operations over 20,000 rows.
func TestCorpusSpilling(t *testing.T) {
	files := corpusFiles(t)
	compat, err := filepath.Glob(filepath.Join(corpus, "pg_compat", "*.slt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range append(files, compat...) {
		t.Run(filepath.Base(filepath.Dir(path))+"/"+filepath.Base(path), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
			defer cancel()
			func() {
				eng, err := engine.Open(ctx, engine.Options{Store: objstore.NewMem(), Alloc: mem, OperatorMemory: 1 << 10,
					MemoryLimit: 1 << 30, SpillDir: t.TempDir()})
				if err != nil {
					t.Fatalf("opening engine: %v", err)
				}
				defer eng.Close()
				conn, err := eng.Connect(ctx, "slt", "slt")
				if err != nil {
					t.Fatalf("connecting: %v", err)
				}
				defer conn.Close()
				db, err := NewConn(conn)
				if err != nil {
					t.Fatal(err)
				}
				runFile(ctx, t, path, db, Options{Names: []string{"sleeperd", "inprocess"}})
				res, err := db.Exec(ctx, "SELECT spill_files, spilled_bytes FROM sleeper.memory")
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("spill files, bytes: %s, %s", res.Rows[0][0].String, res.Rows[0][1].String)
				if filepath.Base(path) == "spill.slt" && res.Rows[0][0].String == "0" {
					t.Error("nothing spilled")
				}
			}()
		})
	}
}

func corpusInProcess(t *testing.T, cacheMemory int64) {
	for _, path := range corpusFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
			defer cancel()
			func() {
				eng := openEngineCache(ctx, t, mem, cacheMemory)
				conn, err := eng.Connect(ctx, "slt", "slt")
				if err != nil {
					t.Fatalf("connecting: %v", err)
				}
				defer conn.Close()
				db, err := NewConn(conn)
				if err != nil {
					t.Fatal(err)
				}
				runFile(ctx, t, path, db, Options{Names: []string{"sleeperd", "inprocess"}, Rewrite: *rewrite && cacheMemory == 0})
			}()
		})
	}
}

func TestCorpusPGWire(t *testing.T) {
	for _, proto := range []struct {
		name string
		p    Protocol
	}{{"simple", Simple}, {"extended", Extended}} {
		t.Run(proto.name, func(t *testing.T) {
			for _, path := range corpusFiles(t) {
				t.Run(filepath.Base(path), func(t *testing.T) {
					mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
					defer mem.AssertSize(t, 0)
					ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
					defer cancel()
					func() {
						addr := serve(ctx, t, openEngine(ctx, t, mem))
						conn := dial(ctx, t, fmt.Sprintf("postgres://slt@%s/slt?sslmode=disable", addr))
						db, err := NewPG(conn.PgConn(), proto.p)
						if err != nil {
							t.Fatal(err)
						}
						runFile(ctx, t, path, db, Options{Names: []string{"sleeperd", "pgwire", proto.name}})
					}()
				})
			}
		})
	}
}

// serve starts a Postgres wire server for eng on a free loopback port and returns its
// address. The server is shut down when the test ends, before the engine closes.
func serve(ctx context.Context, t *testing.T, eng *engine.Engine) string {
	t.Helper()
	srv, err := pgwire.NewServer(pgwire.Config{Connect: eng.Connect})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			t.Errorf("shutting down: %v", err)
		}
		if err := <-done; !errors.Is(err, pgwire.ErrClosed) {
			t.Errorf("Serve returned %v, want ErrClosed", err)
		}
	})
	return ln.Addr().String()
}

// dial connects with pgx; the connection closes when the test ends.
func dial(ctx context.Context, t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connecting to %s: %v", dsn, err)
	}
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		conn.Close(cctx)
	})
	return conn
}

// TestCorpusPostgres checks the corpus against a real PostgreSQL server, so that the
// expectations are PostgreSQL's: the server SLT_POSTGRES names (for example
// "host=/tmp user=postgres dbname=postgres"), else a throwaway one the test starts. Each
// file runs in a fresh database.
func TestCorpusPostgres(t *testing.T) {
	postgresDSN(t)
	for _, path := range corpusFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
			defer cancel()
			conn := freshDatabase(ctx, t, filepath.Base(path))
			db, err := NewPG(conn.PgConn(), Simple)
			if err != nil {
				t.Fatal(err)
			}
			runFile(ctx, t, path, db, Options{Names: []string{"postgres"}, Rewrite: *rewritePG})
		})
	}
}
