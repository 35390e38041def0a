package bench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/storage/ingest"
	"github.com/sleeperd/sleeperd/storage/parquet"
)

// importFiles is how many Parquet files the import workload reads.
const importFiles = 4

// splitInput writes the rows of input, in order, into about n Parquet files of consecutive
// runs of whole batches (unsorted, as the input is) in dir with sleeperd's writer, and
// returns their paths.
func splitInput(ctx context.Context, input, dir string, n int, mem memory.Allocator) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.Open(input)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	pf, err := parquet.Open(f, fi.Size())
	if err != nil {
		return nil, err
	}
	per := (pf.NumRows() + int64(n) - 1) / int64(n)
	r, err := pf.Read(ctx, parquet.ReadOptions{Alloc: mem, BatchRows: int(min(64<<10, max(1, per/4)))})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var (
		paths []string
		out   *os.File
		w     *parquet.Writer
		in    int64 // rows in the current file
	)
	closeFile := func() error {
		if w == nil {
			return nil
		}
		_, err := w.Close()
		w = nil
		return errors.Join(err, out.Close())
	}
	defer closeFile()
	for {
		b, err := r.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		// Whole batches: a file takes batches until it holds its share of the rows.
		if w == nil || in >= per {
			if err := closeFile(); err != nil {
				b.Release()
				return nil, err
			}
			p := filepath.Join(dir, fmt.Sprintf("part-%d.parquet", len(paths)))
			if out, err = os.Create(p); err != nil {
				b.Release()
				return nil, err
			}
			if w, err = parquet.NewWriter(out, pf.Schema(), parquet.Properties{}); err != nil {
				b.Release()
				return nil, err
			}
			paths, in = append(paths, p), 0
		}
		if err := w.Write(b); err != nil {
			b.Release()
			return nil, err
		}
		in += b.NumRows()
		b.Release()
	}
	return paths, closeFile()
}

// listOf is a DuckDB list literal of paths.
func listOf(paths []string) string {
	q := make([]string, len(paths))
	for i, p := range paths {
		q[i] = quote(p)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// streamImport reads files batch by batch with sleeperd's Parquet reader, in order, and
// appends the batches to an ingest.Writer into table into with the given options, committing once. This is the write
// path INSERT and COPY FROM take in the engine (engine Options.ImportMemory and SpillDir are
// the writer's Memory and SpillDir).
func streamImport(ctx context.Context, eng *engine.Engine, into string, files []string, opts ingest.WriterOptions, mem memory.Allocator) (int64, error) {
	t, err := eng.Catalog().Table(ctx, into)
	if err != nil {
		return 0, err
	}
	spec := t.IngestSpec()
	spec.Alloc = mem
	w, err := ingest.NewWriter(ctx, eng.Catalog().Store(), eng.Catalog().StateStore(), spec, opts)
	if err != nil {
		return 0, err
	}
	defer w.Abort()
	for _, f := range files {
		if err := appendFile(ctx, w, spec.Schema, f, mem); err != nil {
			return 0, err
		}
	}
	return w.Commit(ctx)
}

// appendFile appends the rows of one Parquet file to w.
func appendFile(ctx context.Context, w *ingest.Writer, schema *arrow.Schema, path string, mem memory.Allocator) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	pf, err := parquet.Open(f, fi.Size())
	if err != nil {
		return fmt.Errorf("bench: open %s: %w", path, err)
	}
	r, err := pf.Read(ctx, parquet.ReadOptions{Alloc: mem, BatchRows: 64 << 10})
	if err != nil {
		return err
	}
	defer r.Close()
	for {
		b, err := r.Next(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		// Rebind the columns to the table's schema (same types, the table's nullability).
		rb := array.NewRecordBatch(schema, b.Columns(), b.NumRows())
		b.Release()
		err = w.Append(rb)
		rb.Release()
		if err != nil {
			return err
		}
	}
}

// dirSampler records the peak total size of the files under a directory and whether any
// file appeared there, sampling every 20 ms until done.
type dirSampler struct {
	dir   string
	peak  int64
	files bool
	stop  chan struct{}
	wg    sync.WaitGroup
}

func startDirSampler(dir string) *dirSampler {
	s := &dirSampler{dir: dir, stop: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			s.sample()
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *dirSampler) sample() {
	var total int64
	filepath.WalkDir(s.dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if fi, err := d.Info(); err == nil {
			total += fi.Size()
			s.files = true
		}
		return nil
	})
	s.peak = max(s.peak, total)
}

func (s *dirSampler) done() {
	close(s.stop)
	s.wg.Wait()
}

// exportCheck reads sleeperd's export back with DuckDB: the digest of its rows, the number
// of files and the number of rows out of (key, sort) order within a file.
func exportCheck(ctx context.Context, db *sql.DB, dir string) (sum string, files, unsorted int64, err error) {
	glob := filepath.Join(dir, "*.parquet")
	if sum, err = duckChecksum(ctx, db, glob); err != nil {
		return "", 0, 0, err
	}
	q := fmt.Sprintf(`SELECT count(DISTINCT filename), count(*) FILTER (WHERE pk > key OR (pk = key AND ps > sort)) FROM (
		SELECT filename, key, sort,
			lag(key) OVER (PARTITION BY filename ORDER BY file_row_number) pk,
			lag(sort) OVER (PARTITION BY filename ORDER BY file_row_number) ps
		FROM read_parquet(%s, filename = true, file_row_number = true))`, quote(glob))
	if err := db.QueryRowContext(ctx, q).Scan(&files, &unsorted); err != nil {
		return "", 0, 0, fmt.Errorf("bench: duckdb export check: %w", err)
	}
	return sum, files, unsorted, nil
}

// copyRows is the row count of a "COPY n" tag.
func copyRows(tag string) (int64, error) {
	n, ok := strings.CutPrefix(tag, "COPY ")
	if !ok {
		return 0, fmt.Errorf("bench: tag %q, want COPY n", tag)
	}
	return strconv.ParseInt(n, 10, 64)
}

// sleeperdExport runs COPY t TO 'dir' (FORMAT parquet): one sorted file per leaf.
func sleeperdExport(ctx context.Context, conn engine.Conn, dir string) (Figure, error) {
	start := time.Now()
	st, err := conn.Prepare(ctx, fmt.Sprintf(`COPY t TO %s (FORMAT parquet)`, quote(dir)), nil)
	if err != nil {
		return Figure{}, err
	}
	defer st.Close()
	_, tag, err := drain(ctx, st, nil)
	if err != nil {
		return Figure{}, err
	}
	n, err := copyRows(tag)
	if err != nil {
		return Figure{}, err
	}
	return Figure{Seconds: time.Since(start).Seconds(), Rows: n}, nil
}

// duckCopy times a DuckDB COPY statement and returns the rows it wrote.
func duckCopy(ctx context.Context, db *sql.DB, text string) (Figure, error) {
	start := time.Now()
	res, err := db.ExecContext(ctx, text)
	if err != nil {
		return Figure{}, err
	}
	d := time.Since(start)
	n, err := res.RowsAffected()
	if err != nil {
		return Figure{}, err
	}
	return Figure{Seconds: d.Seconds(), Rows: n}, nil
}

// transferWorkloads measures export, import from Parquet files and the bounded-memory
// import, after the other workloads; files is the glob of table t's data files.
func (r *runner) transferWorkloads(ctx context.Context, input, storeDir, files, tableSum string) error {
	cfg, rep := r.cfg, r.rep
	leaves, err := leafCount(ctx, r.conn)
	if err != nil {
		return err
	}

	// Export.
	sdDir := filepath.Join(cfg.Dir, "export-sleeperd")
	ddOut := filepath.Join(cfg.Dir, "export-duckdb.parquet")
	name := fmt.Sprintf("export (COPY t TO dir, parquet, %d leaves)", leaves)
	sd, dd, err := r.pair(name,
		func() (Figure, error) { return sleeperdExport(ctx, r.conn, sdDir) },
		func() (Figure, error) {
			return duckCopy(ctx, r.db, fmt.Sprintf(`COPY (SELECT * FROM read_parquet(%s)) TO %s (FORMAT parquet, COMPRESSION zstd)`, quote(files), quote(ddOut)))
		})
	if err != nil {
		return err
	}
	sum, nfiles, unsorted, err := exportCheck(ctx, r.db, sdDir)
	if err != nil {
		return err
	}
	if sd.Checksum = sum; nfiles != leaves || unsorted != 0 || sum != tableSum {
		sd.Checksum = fmt.Sprintf("%s (%d files, %d rows out of order; table %s)", sum, nfiles, unsorted, tableSum)
	}
	if dd.Checksum, err = duckChecksum(ctx, r.db, ddOut); err != nil {
		return err
	}
	rep.add(name, int64(cfg.Rows), sd, &dd)
	rep.Results[len(rep.Results)-1].Note = fmt.Sprintf("read back with DuckDB: %d files for %d leaves, %d rows out of (key, sort) order within a file, "+
		"same count and checksum as the table; DuckDB: COPY of read_parquet(<t's files>) into one zstd file, unsorted", nfiles, leaves, unsorted)

	// Import from several Parquet files.
	r.logf("import: splitting the input into %d files", importFiles)
	parts, err := splitInput(ctx, input, filepath.Join(cfg.Dir, "import-in"), importFiles, cfg.Alloc)
	if err != nil {
		return fmt.Errorf("bench: split input: %w", err)
	}
	for _, tbl := range []string{"t2", "t3"} {
		if err := exec(ctx, r.conn, strings.Replace(createTable, "TABLE t ", "TABLE "+tbl+" ", 1)); err != nil {
			return fmt.Errorf("bench: create table %s: %w", tbl, err)
		}
	}
	name = fmt.Sprintf("import (%d parquet files, 16 partitions)", len(parts))
	ddImport := filepath.Join(cfg.Dir, "import-duckdb.parquet")
	sd, dd, err = r.pair(name,
		func() (Figure, error) {
			start := time.Now()
			n, err := streamImport(ctx, r.eng, "t2", parts, ingest.WriterOptions{SpillDir: filepath.Join(cfg.Dir, "spill")}, cfg.Alloc)
			return Figure{Seconds: time.Since(start).Seconds(), Rows: n}, err
		},
		func() (Figure, error) {
			return duckCopy(ctx, r.db, fmt.Sprintf(`COPY (SELECT * FROM read_parquet(%s) ORDER BY key, sort) TO %s (FORMAT parquet, COMPRESSION zstd)`, listOf(parts), quote(ddImport)))
		})
	if err != nil {
		return err
	}
	t2, err := r.eng.Catalog().Table(ctx, "t2")
	if err != nil {
		return err
	}
	if sd.Checksum, err = duckChecksum(ctx, r.db, filepath.Join(storeDir, filepath.FromSlash(t2.FilePrefix()), "*.parquet")); err != nil {
		return err
	}
	if dd.Checksum, err = duckChecksum(ctx, r.db, ddImport); err != nil {
		return err
	}
	rep.add(name, int64(cfg.Rows), sd, &dd)
	rep.Results[len(rep.Results)-1].Note = "sleeperd: the Parquet reader's batches appended to ingest.Writer (the write path of INSERT and COPY FROM) " +
		"and committed once, standing in for COPY t2 FROM '<dir>/*.parquet' (FORMAT parquet) until that statement exists; " +
		"DuckDB: COPY of read_parquet(<the files>) ORDER BY key, sort into one zstd file; both read back and compared"

	// Bounded-memory import: the files read over and over, about ImportRows rows in whole
	// passes, with a 256 MiB budget.
	passes := max(1, (cfg.ImportRows+cfg.Rows/2)/cfg.Rows)
	var cycled []string
	for range passes {
		cycled = append(cycled, parts...)
	}
	boundedRows := int64(passes) * int64(cfg.Rows)
	spill := filepath.Join(cfg.Dir, "spill-bounded")
	if err := os.MkdirAll(spill, 0o755); err != nil {
		return err
	}
	budget := int64(256 << 20)
	name = fmt.Sprintf("bounded import (%d rows, %d MiB budget)", boundedRows, budget>>20)
	var rssPeak int64
	var spilled *dirSampler
	r.logf("%s: sleeperd", name)
	sd, err = measure(name, MemGoHeap, cfg.ProfileDir, func() (Figure, error) {
		rs := startSampler(MemRSS)
		spilled = startDirSampler(spill)
		start := time.Now()
		n, err := streamImport(ctx, r.eng, "t3", cycled, ingest.WriterOptions{Memory: budget, SpillDir: spill}, cfg.Alloc)
		secs := time.Since(start).Seconds()
		spilled.done()
		rssPeak = rs.done()
		return Figure{Seconds: secs, Rows: n}, err
	})
	if err != nil {
		return fmt.Errorf("bench: %s: %w", name, err)
	}
	r.logf("%s: duckdb", name)
	ddBounded := filepath.Join(cfg.Dir, "bounded-duckdb.parquet")
	dd, err = measure(name, MemRSS, "", func() (Figure, error) {
		if _, err := r.db.ExecContext(ctx, fmt.Sprintf(`SET memory_limit = '%dMiB'`, budget>>20)); err != nil {
			return Figure{}, err
		}
		defer r.db.ExecContext(ctx, `RESET memory_limit`)
		return duckCopy(ctx, r.db, fmt.Sprintf(`COPY (SELECT * FROM read_parquet(%s) ORDER BY key, sort) TO %s (FORMAT parquet, COMPRESSION zstd)`,
			listOf(cycled), quote(ddBounded)))
	})
	if err != nil {
		return fmt.Errorf("bench: %s: duckdb: %w", name, err)
	}
	t3, err := r.eng.Catalog().Table(ctx, "t3")
	if err != nil {
		return err
	}
	if sd.Checksum, err = duckChecksum(ctx, r.db, filepath.Join(storeDir, filepath.FromSlash(t3.FilePrefix()), "*.parquet")); err != nil {
		return err
	}
	if dd.Checksum, err = duckChecksum(ctx, r.db, ddBounded); err != nil {
		return err
	}
	rep.add(name, boundedRows, sd, &dd)
	res := &rep.Results[len(rep.Results)-1]
	res.Bounded = &Bounded{BudgetBytes: budget, HeapPeakBytes: sd.PeakMemBytes, RSSPeakBytes: rssPeak, Spilled: spilled.files, SpillPeakBytes: spilled.peak}
	res.Note = fmt.Sprintf("sleeperd: ingest.Writer with Memory %d MiB (engine Options.ImportMemory) fed batch by batch from %d Parquet files (passes over the input: %d); "+
		"peak Go heap %s, peak process RSS %s over start, spilled: %v (peak %s of spill files); DuckDB: SET memory_limit = '%dMiB', COPY ... ORDER BY key, sort",
		budget>>20, len(cycled), passes, mib(sd.PeakMemBytes), mib(rssPeak), spilled.files, mib(spilled.peak), budget>>20)
	return nil
}

// leafCount is the number of leaf partitions of table t.
func leafCount(ctx context.Context, conn engine.Conn) (int64, error) {
	st, err := conn.Prepare(ctx, `SELECT count(*) FROM sleeper.partitions WHERE table_name = 't' AND leaf`, nil)
	if err != nil {
		return 0, fmt.Errorf("bench: count leaves: %w", err)
	}
	defer st.Close()
	res, err := st.Execute(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("bench: count leaves: %w", err)
	}
	defer res.Close()
	b, err := res.Next(ctx)
	if err != nil {
		return 0, fmt.Errorf("bench: count leaves: %w", err)
	}
	defer b.Release()
	return strconv.ParseInt(arrowCell(b.Column(0), 0), 10, 64)
}
