package engine

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/storage/hotcache"
	"github.com/sleeperd/sleeperd/storage/merge"
	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

// Options configure an Engine.
type Options struct {
	// Store holds every table's files, logs and the catalog.
	Store objstore.Store
	// Logger receives structured logs; nil discards them.
	Logger *slog.Logger
	// Alloc is the allocator for query memory; nil is the Go allocator.
	Alloc memory.Allocator
	// Parallelism bounds the leaf-partition scans that run at once; 0 is GOMAXPROCS.
	Parallelism int
	// QueryMemoryLimit bounds the Arrow memory one statement may hold at once, in bytes; a
	// statement over it fails with errs.OutOfMemory. Sorts, hash aggregates and hash joins
	// spill to SpillDir rather than hold more than a quarter of it. 0 means no limit.
	QueryMemoryLimit int64
	// MemoryLimit bounds the memory of all running statements together, in bytes; 0 means
	// no server-wide limit. A statement's own limit is at most MemoryLimit, and the spilling
	// operators of all statements share a quarter of it fairly (see exec.MemoryPool): when
	// it is full, each statement spills past its share rather than the server grow.
	MemoryLimit int64
	// OperatorMemory is what the spilling operators (sorts, hash aggregates, hash joins,
	// windows, set operations) of one statement may hold together before they spill, as
	// PostgreSQL's work_mem but for all of them; 0 is a quarter of the statement's limit.
	// Past the statement's limit a statement still fails with errs.OutOfMemory.
	OperatorMemory int64
	// StateStore tunes the state store (snapshot interval, commit retries).
	StateStore statestore.Options
	// CompactionWorkers bounds the compaction jobs one maintenance pass runs at once;
	// 0 is 2.
	CompactionWorkers int
	// MaintenanceInterval is how often the background worker compacts, splits and collects
	// garbage on every online table; 0 turns background maintenance off (VACUUM still runs
	// it on demand).
	MaintenanceInterval time.Duration
	// ImportMemory bounds the rows one write (INSERT, COPY FROM, ingest) holds in memory
	// before it sorts and spills them to SpillDir; 0 is ingest.DefaultMemory.
	ImportMemory int64
	// SpillDir is the local directory under which the engine keeps a directory of its own
	// for spill files, removed on Close; "" is os.TempDir(). Spill directories of processes
	// that died are removed when the next one is made.
	SpillDir string
	// External opens the store of an S3 bucket that COPY reads from or writes to
	// (s3://bucket/...), with object names being keys; nil opens objstore.NewS3 on the bucket
	// with AWS's default endpoint, credential chain and region.
	External func(ctx context.Context, bucket string) (objstore.Store, error)
	// FileCacheBytes bounds the memory of the open data files (decoded footers and page
	// indexes) kept for all statements; 0 is merge.DefaultFileCacheBytes.
	FileCacheBytes int64
	// CacheMemory is the budget of the hot cache: the column chunks of data files that queries
	// read, kept for every statement and session (see storage/hotcache); 0 turns it off.
	CacheMemory int64
	// KeepPlanAt is the execution of a prepared query from which its plan is kept for the
	// executions after it (engine/plancache.go): 0 means the second, 1 the first (every
	// query then runs through a kept plan, which tests use); a negative value keeps none.
	KeepPlanAt int
	// RequireRole refuses a connection whose user names no role (errs.InvalidAuthorization)
	// and checks privileges of every session; without it a user that names no role is
	// trusted with every right (see roles.go).
	RequireRole bool
	// FenceLease is how long the write fence of an ALTER COLUMN ... TYPE stands unless its
	// process renews it (it renews it every third of the lease while the ALTER runs): once
	// it is over, a fence whose process died is lifted (alter_fence.go). A short lease lifts
	// the fences of killed processes sooner; one shorter than a stall of a live process (a
	// pause of its store's commits) fails its ALTER with 40001. 0 is DefaultFenceLease.
	FenceLease time.Duration
}

// Engine is one database over one object store. It is safe for concurrent use by many
// connections.
type Engine struct {
	opts    Options
	log     *slog.Logger
	alloc   memory.Allocator
	store   objstore.Store
	ss      *statestore.Store
	cat     *catalog.Catalog
	metrics *catalog.Metrics
	// files caches the open data files (footers and page indexes) of every statement.
	files *catalog.FileCache
	// hot caches the column chunks queries read; nil when Options.CacheMemory is 0.
	hot *hotcache.Cache
	// catalogRead is when a prepared statement last read the catalog's log to revalidate
	// (Unix nanoseconds; engine/plancache.go).
	catalogRead atomic.Int64
	// stmtTypeNames and stmtTypeOIDs are every statement's exec.TypeNames and TypeOIDs: they read the
	// catalog as this process last read it when called, so one pair serves every statement.
	stmtTypeNames exec.TypeNames
	stmtTypeOIDs  exec.TypeOIDs

	rowIDMu   sync.Mutex
	lastRowID int64
	// seqs is this process's state of each sequence, by ID (sequences.go).
	seqs sync.Map

	jobs    jobLog
	readers readers
	// sess holds the open connections and the recent statements (sessions.go).
	sess sessions
	// counters count commits and compaction jobs (stats.go).
	counters counters
	spill    *spillArea
	// pool is the memory the spilling operators of every statement share (Options.MemoryLimit);
	// nil without one.
	pool *exec.MemoryPool
	// queryBytes is the Arrow memory statements with a limit hold now.
	queryBytes atomic.Int64
	// spillStats adds up the statistics of the writes that ended (see SpillStats).
	spillStats spillCounters
	// copyBytes and copyRows count what COPY FROM server files read (see CopyProgress).
	copyBytes, copyRows atomic.Int64

	// purged holds the IDs of dropped tables whose objects are gone for good: purged after
	// no writer that began before the drop can still be running.
	purgedMu sync.Mutex
	purged   map[string]bool
	// now is the clock of the purge of dropped tables and of the leases of write fences
	// (time.Now but in tests).
	now func() time.Time
	// fenceMu serializes the lifting of expired write fences (alter_fence.go).
	fenceMu sync.Mutex

	bgCancel context.CancelFunc
	bgDone   chan struct{}
}

// Open opens the database in opts.Store, creating an empty one if the store is empty.
func Open(ctx context.Context, opts Options) (*Engine, error) {
	if opts.Store == nil {
		return nil, errs.New(errs.InvalidParameter, "engine: no object store")
	}
	e := &Engine{opts: opts, log: opts.Logger, alloc: opts.Alloc, store: opts.Store, metrics: &catalog.Metrics{}, now: time.Now,
		spill: &spillArea{parent: opts.SpillDir}, files: merge.NewFileCache(opts.Store, opts.FileCacheBytes)}
	e.hot = hotcache.New(opts.CacheMemory)
	e.stmtTypeNames, e.stmtTypeOIDs = e.typeNames(context.Background()), e.typeOIDs(context.Background())
	e.pool = newMemoryPool(opts.MemoryLimit)
	e.files.SetHot(e.hot)
	if e.log == nil {
		e.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if e.alloc == nil {
		e.alloc = memory.DefaultAllocator
	}
	if e.opts.Parallelism <= 0 {
		e.opts.Parallelism = runtime.GOMAXPROCS(0)
	}
	if e.opts.CompactionWorkers <= 0 {
		e.opts.CompactionWorkers = 2
	}
	ssOpts := opts.StateStore
	ssOpts.OnCommit = e.commitHook(ssOpts.OnCommit)
	e.ss = statestore.New(opts.Store, ssOpts)
	cat, err := catalog.Open(ctx, opts.Store, e.ss)
	if err != nil {
		return nil, err
	}
	e.cat = cat
	if opts.MaintenanceInterval > 0 {
		bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
		e.bgCancel, e.bgDone = cancel, make(chan struct{})
		go e.background(bg, opts.MaintenanceInterval)
	}
	return e, nil
}

// Catalog returns the engine's catalog.
func (e *Engine) Catalog() *catalog.Catalog { return e.cat }

// Metrics returns the counters of every table scan the engine has run.
func (e *Engine) Metrics() *catalog.Metrics { return e.metrics }

// Connect opens a connection for a client, which runs as the role user names (a role
// without LOGIN is refused with errs.InvalidAuthorization). A user that names no role is
// refused with Options.RequireRole, and else trusted (see roles.go). Any database name is
// accepted. Passwords are the frontend's to check (Authenticate, Verifier).
func (e *Engine) Connect(ctx context.Context, user, database string) (Conn, error) {
	ro, err := e.checkLogin(ctx, user)
	if err != nil {
		return nil, err
	}
	c := &conn{e: e, user: user, database: database, checked: ro != nil || e.opts.RequireRole}
	e.sess.add(c)
	return c, nil
}

// Close stops background work, waiting for a running pass to end, and releases the engine.
func (e *Engine) Close() error {
	if e.bgCancel != nil {
		e.bgCancel()
		<-e.bgDone
		e.bgCancel = nil
	}
	e.spill.close()
	return nil
}

// allocRowIDs reserves n increasing row ids for a table keyed by insertion order and returns
// the first. Ids follow the clock (microseconds times 1024), so rows inserted later by any
// process sort after earlier ones, within the clock skew between processes.
func (e *Engine) allocRowIDs(n int64) int64 {
	e.rowIDMu.Lock()
	defer e.rowIDMu.Unlock()
	base := time.Now().UnixMicro() << 10
	if base <= e.lastRowID {
		base = e.lastRowID + 1
	}
	e.lastRowID = base + n - 1
	return base
}

// IsNotFound reports whether err says a table does not exist.
func IsNotFound(err error) bool { return errors.Is(err, errs.UndefinedTable) }
