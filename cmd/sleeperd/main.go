// Command sleeperd is the sleeperd server: a table store of sorted, range-partitioned Parquet
// tables and a SQL engine over them, served over the PostgreSQL wire protocol.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/sleeperd/sleeperd/connectors/trino"
	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/flightsql"
	"github.com/sleeperd/sleeperd/httpapi"
	"github.com/sleeperd/sleeperd/pgwire"
	"github.com/sleeperd/sleeperd/storage/ingest"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// version is set at build time with -ldflags "-X main.version=..."; otherwise it comes from
// the module's build information.
var version = ""

const usage = `usage:
  sleeperd serve [flags]                  serve the database over the PostgreSQL wire protocol
  sleeperd import [flags] TABLE FILE...   import CSV, text or Parquet files into a table
  sleeperd export [flags] TABLE DEST      export a table (or --query SQL) to CSV, text or Parquet
  sleeperd version                        print the version

Run "sleeperd COMMAND -h" for the flags of a command.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run runs the subcommand in args and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stderr)
	case "import", "export":
		return transfer(args[0], args[1:], stderr)
	case "version":
		fmt.Fprintln(stdout, "sleeperd", buildVersion())
		return 0
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "sleeperd: unknown command %q\n%s", args[0], usage)
	return 2
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		return info.Main.Version
	}
	return "(devel)"
}

// serveConfig is the configuration of serve, from its flags.
type serveConfig struct {
	data            string
	pgAddr          string
	pgSocketDir     string
	demo            bool
	demoRows        int
	logLevel        slog.Level
	shutdownTimeout time.Duration
	maintenance     time.Duration
	fenceLease      time.Duration
	memoryLimit     byteSize
	serverMemory    byteSize
	importMemory    byteSize
	cacheMemory     byteSize
	spillDir        string
	flightAddr      string
	trinoAddr       string
	trinoAdvertise  string
	s3Endpoint      string
	s3PathStyle     bool
	pprofAddr       string
	httpAddr        string
	sec             securityConfig
	gc              gcConfig
}

func parseServe(args []string, stderr io.Writer) (serveConfig, error) {
	var c serveConfig
	fs := flag.NewFlagSet("sleeperd serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.data, "data", "./data", "where the database is: a directory, or s3://BUCKET/PREFIX")
	fs.StringVar(&c.s3Endpoint, "s3-endpoint", "", "base URL of an S3-compatible server for an s3:// --data and for COPY to and from s3:// locations (empty: AWS)")
	fs.BoolVar(&c.s3PathStyle, "s3-path-style", false, "address S3 buckets by path (ENDPOINT/BUCKET) rather than by host name, for --data and COPY")
	fs.StringVar(&c.pgAddr, "pg-addr", pgwire.DefaultAddr, "address the PostgreSQL wire protocol listens on (port 0 picks a free port)")
	fs.StringVar(&c.pgSocketDir, "pg-socket-dir", "", "also accept PostgreSQL connections on the unix-domain socket DIR/.s.PGSQL.PORT, PORT being the TCP port of --pg-addr listened on, as psql -h DIR -p PORT and host=DIR connect (empty: off); same authentication as TCP, no TLS on it, as in PostgreSQL")
	fs.BoolVar(&c.demo, "demo", false, "create the table demo on start if it does not exist")
	fs.IntVar(&c.demoRows, "demo-rows", 1_000_000, "rows of the demo table")
	fs.TextVar(&c.logLevel, "log-level", slog.LevelInfo, "log level: debug, info, warn or error")
	fs.DurationVar(&c.shutdownTimeout, "shutdown-timeout", 10*time.Second, "how long to wait for clients on shutdown")
	fs.StringVar(&c.flightAddr, "flight-addr", flightsql.DefaultAddr, "address the Arrow Flight SQL server listens on (empty: off; port 0 picks a free port)")
	fs.StringVar(&c.httpAddr, "http-addr", httpapi.DefaultAddr, "address the HTTP server (metrics, /healthz, status page, REST API) listens on (empty: off; port 0 picks a free port)")
	fs.StringVar(&c.trinoAddr, "trino-addr", trino.DefaultAddr, "address the Trino Thrift connector service listens on (empty: off; port 0 picks a free port)")
	fs.StringVar(&c.trinoAdvertise, "trino-advertise", "", "HOST:PORT[,HOST:PORT...] put in every Trino split as the servers able to serve it: this one and the others over the same data (empty: the --trino-addr listened on, unless a wildcard)")
	c.memoryLimit = 4 << 30
	fs.Var(&c.memoryLimit, "query-memory-limit", "most Arrow memory one statement may hold, in bytes or with a unit such as 4GiB (0: no limit); a statement over it fails with SQLSTATE 53200")
	c.serverMemory = 8 << 30
	fs.Var(&c.serverMemory, "memory-limit", "most memory all running statements may hold together, such as 8GiB (0: no limit); a statement's own limit is at most this, and sorts, aggregates, joins, windows and set operations share a quarter of it fairly, spilling to --spill-dir when it is full")
	c.importMemory = ingest.DefaultMemory
	fs.Var(&c.importMemory, "import-memory", "rows one write (INSERT, COPY FROM, Flight ingest) holds in memory before it sorts and spills them to --spill-dir, such as 256MiB; at most half of --query-memory-limit")
	c.cacheMemory = 1 << 30
	fs.Var(&c.cacheMemory, "cache-memory", "budget of the hot cache of table data that queries read, shared by every session, such as 1GiB (0: off); sleeper.cache_pin keeps a table in it")
	fs.StringVar(&c.spillDir, "spill-dir", "", "local directory for spill files (empty: the system temporary directory)")
	fs.DurationVar(&c.maintenance, "maintenance-interval", 10*time.Second, "how often background compaction, splitting and garbage collection run (0 turns them off)")
	fs.DurationVar(&c.fenceLease, "fence-lease", engine.DefaultFenceLease, "how long the write fence of an ALTER COLUMN ... TYPE stands unless its process renews it (every third of it): a shorter lease lifts the fences of killed processes sooner, one shorter than a stall of a live process fails its ALTER with SQLSTATE 40001 (at least 1s)")
	fs.StringVar(&c.pprofAddr, "pprof", "", "debugging: serve net/http/pprof's profiles on this loopback address (empty: off)")
	c.gc = gcConfig{percent: -1, limit: -1, minHeap: -1}
	fs.IntVar(&c.gc.percent, "gc-percent", -1, fmt.Sprintf("the Go garbage collector's GOGC: collect when the heap has grown by this percentage since the last collection (0: only near --gc-memory-limit; -1: GOGC from the environment, else %d)", defaultGCPercent))
	fs.Var(&c.gc.limit, "gc-memory-limit", "the Go runtime's soft memory limit (GOMEMLIMIT), such as 12GiB: the collector works harder as the heap nears it (0: none; unset: GOMEMLIMIT from the environment, else --cache-memory plus --memory-limit plus 1GiB, at most three quarters of the machine's memory)")
	fs.Var(&c.gc.minHeap, "gc-min-heap", "the heap the Go collector lets grow before it collects, however small the live heap, such as 512MiB: the percentage rises while the live heap is small (0: none; unset: none when GOGC is set in the environment, else half of --cache-memory, at most a quarter of the soft memory limit)")
	addSecurityFlags(fs, &c.sec)
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if c.importMemory < 1<<20 {
		return c, fmt.Errorf("-import-memory must be at least 1MiB, not %d bytes", c.importMemory)
	}
	if _, err := trino.ParseAdvertise(c.trinoAdvertise); err != nil {
		return c, fmt.Errorf("-trino-advertise: %w", err)
	}
	if c.maintenance < 0 {
		return c, fmt.Errorf("-maintenance-interval must not be negative, not %s", c.maintenance)
	}
	if c.fenceLease < time.Second {
		return c, fmt.Errorf("-fence-lease must be at least 1s, not %s", c.fenceLease)
	}
	if objstore.IsS3URL(c.data) {
		if _, _, err := objstore.ParseS3URL(c.data); err != nil {
			return c, err
		}
	}
	if c.pprofAddr != "" {
		host, _, err := net.SplitHostPort(c.pprofAddr)
		if ip := net.ParseIP(host); err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
			return c, fmt.Errorf("-pprof must be a loopback address such as 127.0.0.1:6060, not %q", c.pprofAddr)
		}
	}
	if err := c.gc.validate(); err != nil {
		return c, err
	}
	if c.demoRows < 1 {
		return c, fmt.Errorf("-demo-rows must be positive, not %d", c.demoRows)
	}
	if err := c.sec.resolve(c.pgAddr, c.flightAddr, c.httpAddr); err != nil {
		return c, err
	}
	return c, nil
}

func serve(args []string, stderr io.Writer) int {
	cfg, err := parseServe(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "sleeperd serve:", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.logLevel}))
	defer applyGC(cfg, log)()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serveUntilDone(ctx, cfg, log); err != nil {
		log.Error("sleeperd stopped", "err", err)
		return 1
	}
	log.Info("stopped")
	return 0
}

// openStore opens the object store --data names: a bucket and prefix on S3 (credentials and
// region from the standard AWS sources), or a local directory.
func openStore(ctx context.Context, cfg serveConfig) (objstore.Store, error) {
	if objstore.IsS3URL(cfg.data) {
		bucket, prefix, err := objstore.ParseS3URL(cfg.data)
		if err != nil {
			return nil, err
		}
		s, err := objstore.NewS3(ctx, objstore.S3Options{Bucket: bucket, Prefix: prefix, Endpoint: cfg.s3Endpoint, PathStyle: cfg.s3PathStyle})
		if err != nil {
			return nil, err
		}
		cctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if err := s.Check(cctx); err != nil {
			return nil, fmt.Errorf("opening %s: %w", cfg.data, err)
		}
		return s, nil
	}
	if err := os.MkdirAll(cfg.data, 0o755); err != nil {
		return nil, fmt.Errorf("creating data directory: %w", err)
	}
	store, err := objstore.NewLocal(cfg.data)
	if err != nil {
		return nil, fmt.Errorf("opening data directory: %w", err)
	}
	return store, nil
}

// externalStore opens a bucket COPY reads from or writes to, with the endpoint and
// addressing of the flags (credentials and region from the standard AWS sources).
func (cfg serveConfig) externalStore(ctx context.Context, bucket string) (objstore.Store, error) {
	return objstore.NewS3(ctx, objstore.S3Options{Bucket: bucket, Endpoint: cfg.s3Endpoint, PathStyle: cfg.s3PathStyle})
}

// serveUntilDone opens the database and serves it until ctx is done.
func serveUntilDone(ctx context.Context, cfg serveConfig, log *slog.Logger) (err error) {
	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	eng, err := engine.Open(ctx, engine.Options{Store: withTestHook(store, log), Logger: log, MaintenanceInterval: cfg.maintenance, QueryMemoryLimit: int64(cfg.memoryLimit),
		MemoryLimit:  int64(cfg.serverMemory),
		ImportMemory: int64(cfg.importMemory), SpillDir: cfg.spillDir, External: cfg.externalStore, CacheMemory: int64(cfg.cacheMemory),
		RequireRole: cfg.sec.requirePasswords(), FenceLease: cfg.fenceLease})
	if err != nil {
		return fmt.Errorf("opening database in %s: %w", cfg.data, err)
	}
	defer func() {
		if cerr := eng.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("closing database: %w", cerr)
		}
	}()
	log.Info("database open", "data", cfg.data, "version", buildVersion())
	if err := cfg.sec.ensureSuperuser(ctx, eng, log); err != nil {
		return err
	}

	if cfg.pprofAddr != "" {
		_, stopPprof, err := servePprof(cfg.pprofAddr, log)
		if err != nil {
			return err
		}
		defer stopPprof()
	}

	if cfg.demo {
		log.Info("ensuring demo table", "rows", cfg.demoRows)
		if err := eng.EnsureDemo(ctx, cfg.demoRows); err != nil {
			return fmt.Errorf("creating demo table: %w", err)
		}
	}

	srv, err := pgwire.NewServer(cfg.sec.pgwireConfig(pgwire.Config{Addr: cfg.pgAddr, Logger: log, Connect: eng.Connect}, eng))
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.pgAddr)
	if err != nil {
		return fmt.Errorf("listening: %w", err)
	}
	var uln net.Listener
	if cfg.pgSocketDir != "" {
		u, err := listenUnix(cfg.pgSocketDir, ln.Addr().(*net.TCPAddr).Port)
		if err != nil {
			ln.Close()
			return err
		}
		uln = u
		// Removes the socket file on the way out however serving ends; a no-op after Shutdown.
		defer uln.Close()
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	log.Info("listening", "protocol", "postgres", "addr", ln.Addr().String(), "auth", cfg.sec.auth, "tls", cfg.sec.tlsMode)
	var udone chan error // nil without a socket: never ready
	if uln != nil {
		udone = make(chan error, 1)
		go func() { udone <- srv.Serve(uln) }()
		log.Info("listening", "protocol", "postgres", "socket", uln.Addr().String(), "auth", cfg.sec.auth)
	}

	fdone := make(chan error, 1)
	if cfg.flightAddr != "" {
		fsrv, err := flightsql.NewServer(cfg.sec.flightConfig(flightsql.Config{Engine: eng, Addr: cfg.flightAddr, Logger: log}, eng))
		if err != nil {
			return err
		}
		fln, err := net.Listen("tcp", cfg.flightAddr)
		if err != nil {
			return fmt.Errorf("listening for flight sql: %w", err)
		}
		go func() { fdone <- fsrv.Serve(fln) }()
		log.Info("listening", "protocol", "flightsql", "addr", fln.Addr().String())
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), cfg.shutdownTimeout)
			defer cancel()
			if serr := fsrv.Shutdown(sctx); serr != nil && err == nil {
				err = fmt.Errorf("shutting down flight sql: %w", serr)
			}
			if serr := <-fdone; serr != nil && !errors.Is(serr, flightsql.ErrClosed) && err == nil {
				err = fmt.Errorf("serving flight sql: %w", serr)
			}
		}()
	}

	var hdone <-chan error
	if cfg.httpAddr != "" {
		// Requests are let in as the trust authentication of the other frontends does.
		stopHTTP, d, err := serveHTTP(cfg.httpAddr, eng, cfg.sec.httpAuth(eng), cfg.sec.TLSConfig(), log, cfg.shutdownTimeout)
		if err != nil {
			return err
		}
		hdone = d
		defer func() {
			if serr := stopHTTP(); serr != nil && err == nil {
				err = serr
			}
		}()
	}

	tdone := make(chan error, 1)
	if cfg.trinoAddr != "" {
		advertise, err := trino.ParseAdvertise(cfg.trinoAdvertise)
		if err != nil {
			return err
		}
		tsrv, err := trino.NewServer(trino.Config{Engine: eng, Advertise: advertise, Logger: log})
		if err != nil {
			return err
		}
		tln, err := net.Listen("tcp", cfg.trinoAddr)
		if err != nil {
			return fmt.Errorf("listening for trino: %w", err)
		}
		go func() { tdone <- tsrv.Serve(tln) }()
		log.Info("listening", "protocol", "trino-thrift", "addr", tln.Addr().String())
		defer func() {
			if serr := tsrv.Close(); serr != nil && err == nil {
				err = fmt.Errorf("shutting down trino: %w", serr)
			}
			if serr := <-tdone; serr != nil && !errors.Is(serr, trino.ErrClosed) && err == nil {
				err = fmt.Errorf("serving trino: %w", serr)
			}
		}()
	}

	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err := <-tdone:
		tdone <- err // for the deferred shutdown
		return fmt.Errorf("serving trino: %w", err)
	case err := <-done:
		return fmt.Errorf("serving: %w", err)
	case err := <-udone:
		return fmt.Errorf("serving on %s: %w", uln.Addr(), err)
	case err := <-hdone:
		return fmt.Errorf("serving http: %w", err)
	case err := <-fdone:
		fdone <- err // for the deferred shutdown
		return fmt.Errorf("serving flight sql: %w", err)
	}
	sctx, cancel := context.WithTimeout(context.Background(), cfg.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-done; err != nil && !errors.Is(err, pgwire.ErrClosed) {
		return fmt.Errorf("serving: %w", err)
	}
	if udone != nil {
		// Serve has closed the listener, which removed the socket file.
		if err := <-udone; err != nil && !errors.Is(err, pgwire.ErrClosed) {
			return fmt.Errorf("serving on %s: %w", uln.Addr(), err)
		}
	}
	return nil
}
