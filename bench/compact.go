package bench

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/storage/compaction"
	"github.com/sleeperd/sleeperd/storage/ingest"
	"github.com/sleeperd/sleeperd/storage/parquet"
)

// compactTable is the compaction workload's table: one partition (no split points).
const compactTable = `CREATE TABLE c (key text, sort bigint, value text, value2 text) WITH (row_keys='key', sort_keys='sort')`

// compactFiles is how many files the compaction workload merges, as in Sleeper's system test
// (11 files per job).
const compactFiles = 11

// compactJob is the compaction workload, set up and ready to time.
type compactJob struct {
	env   compaction.Env
	job   compaction.Job
	paths []string // local paths of the job's input files, for DuckDB
	rows  int64    // rows in the input files
}

// setupCompaction creates table c and ingests the rows of input into it in compactFiles
// commits (fewer when there are fewer rows) of consecutive, unsorted slices of the input, so
// that the single leaf holds that many files, each sorted, all overlapping in key range. It
// returns the full compaction of the leaf as planned by compaction.PlanFull, which must take
// every file.
func setupCompaction(ctx context.Context, eng *engine.Engine, conn engine.Conn, storeDir, input string, mem memory.Allocator) (*compactJob, error) {
	if err := exec(ctx, conn, compactTable); err != nil {
		return nil, fmt.Errorf("bench: create table c: %w", err)
	}
	t, err := eng.Catalog().Table(ctx, "c")
	if err != nil {
		return nil, fmt.Errorf("bench: table c: %w", err)
	}
	spec := t.IngestSpec()
	spec.Alloc = mem

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
		return nil, fmt.Errorf("bench: open input: %w", err)
	}
	total := pf.NumRows()
	parts := min(int64(compactFiles), total)
	r, err := pf.Read(ctx, parquet.ReadOptions{Alloc: mem, BatchRows: 64 << 10})
	if err != nil {
		return nil, err
	}
	defer r.Close()

	var carry arrow.RecordBatch // rows read but not yet ingested
	defer func() {
		if carry != nil {
			carry.Release()
		}
	}()
	for i := range parts {
		want := total*(i+1)/parts - total*i/parts
		var part []arrow.RecordBatch
		release := func() {
			for _, b := range part {
				b.Release()
			}
		}
		for got := int64(0); got < want; {
			b := carry
			carry = nil
			if b == nil {
				raw, err := r.Next(ctx)
				if err == io.EOF {
					release()
					return nil, fmt.Errorf("bench: input ended after %d of %d rows", got, want)
				}
				if err != nil {
					release()
					return nil, fmt.Errorf("bench: read input: %w", err)
				}
				// Rebind the columns to the table's schema (same types, the table's nullability).
				b = array.NewRecordBatch(spec.Schema, raw.Columns(), raw.NumRows())
				raw.Release()
			}
			if k := want - got; b.NumRows() > k {
				part = append(part, b.NewSlice(0, k))
				carry = b.NewSlice(k, b.NumRows())
				b.Release()
			} else {
				part = append(part, b)
			}
			got += part[len(part)-1].NumRows()
		}
		_, err := ingest.Write(ctx, eng.Catalog().Store(), eng.Catalog().StateStore(), spec, part)
		release()
		if err != nil {
			return nil, fmt.Errorf("bench: ingest part %d into c: %w", i, err)
		}
	}

	st, err := eng.Catalog().StateStore().Snapshot(ctx, t.StateID())
	if err != nil {
		return nil, fmt.Errorf("bench: state of c: %w", err)
	}
	jobs, _ := compaction.PlanFull(st, false)
	if len(jobs) != 1 || len(jobs[0].Files) != int(parts) {
		return nil, fmt.Errorf("bench: full compaction of c planned %d jobs, want 1 of %d files", len(jobs), parts)
	}
	cj := &compactJob{
		env: compaction.Env{
			Store:  eng.Catalog().Store(),
			States: eng.Catalog().StateStore(),
			Table: compaction.TableSpec{
				ID: t.StateID(), Schema: t.Schema(), RowKeys: t.RowKeys, SortKeys: t.SortKeys,
				Props: t.Props.Parquet, FilePrefix: t.FilePrefix(),
			},
			// A table without filters, aggregations, deletes or primary key: no iterators.
			Alloc: mem,
		},
		job: jobs[0],
	}
	for _, name := range cj.job.Files {
		ff, ok := st.File(name)
		if !ok {
			return nil, fmt.Errorf("bench: file %s of the job not in the state", name)
		}
		cj.rows += ff.Rows
		cj.paths = append(cj.paths, filepath.Join(storeDir, filepath.FromSlash(name)))
	}
	if cj.rows != total {
		return nil, fmt.Errorf("bench: c's files hold %d rows, want %d", cj.rows, total)
	}
	return cj, nil
}

// sleeperdCompact runs the job with compaction.Run (claim, merge, write, commit) and checks
// that the leaf then references only the output, which holds every row. The figure's Rows are
// the rows written; its checksum is left to compactedChecksum.
func sleeperdCompact(ctx context.Context, cj *compactJob) (Figure, error) {
	start := time.Now()
	res, err := compaction.Run(ctx, cj.env, cj.job)
	if err != nil {
		return Figure{}, fmt.Errorf("bench: compaction: %w", err)
	}
	d := time.Since(start)
	if res.Output == nil || res.RowsWritten != cj.rows || res.RowsRead != cj.rows {
		return Figure{}, fmt.Errorf("bench: compaction read %d and wrote %d rows, want %d", res.RowsRead, res.RowsWritten, cj.rows)
	}
	if refs := res.State.References(cj.job.PartitionID); len(refs) != 1 || refs[0].File != res.Output.Name {
		return Figure{}, fmt.Errorf("bench: after compaction the leaf references %d files, want only the output", len(refs))
	}
	return Figure{Seconds: d.Seconds(), Rows: res.RowsWritten}, nil
}

// duckCompact merges the same files with DuckDB's sort into out. The figure's Rows are the
// rows written; its checksum is left to duckFileChecksum.
func duckCompact(ctx context.Context, db *sql.DB, paths []string, out string) (Figure, error) {
	list := make([]string, len(paths))
	for i, p := range paths {
		list[i] = quote(p)
	}
	q := fmt.Sprintf(`COPY (SELECT * FROM read_parquet([%s]) ORDER BY key, sort) TO %s (FORMAT parquet, COMPRESSION zstd)`,
		strings.Join(list, ", "), quote(out))
	start := time.Now()
	res, err := db.ExecContext(ctx, q)
	if err != nil {
		return Figure{}, fmt.Errorf("bench: duckdb compaction: %w", err)
	}
	d := time.Since(start)
	n, err := res.RowsAffected()
	if err != nil {
		return Figure{}, err
	}
	return Figure{Seconds: d.Seconds(), Rows: n}, nil
}

// compactedChecksum reads table c back through a query of sleeperd and digests its rows.
func compactedChecksum(ctx context.Context, conn engine.Conn) (checksum, error) {
	st, err := conn.Prepare(ctx, `SELECT key, sort, value, value2 FROM c`, nil)
	if err != nil {
		return checksum{}, fmt.Errorf("bench: read c back: %w", err)
	}
	defer st.Close()
	var sum checksum
	if _, _, err := drain(ctx, st, nil, &sum); err != nil {
		return checksum{}, fmt.Errorf("bench: read c back: %w", err)
	}
	return sum, nil
}

// duckFileChecksum reads a Parquet file back with DuckDB's read_parquet and digests its rows
// the way compactedChecksum does sleeperd's.
func duckFileChecksum(ctx context.Context, db *sql.DB, path string) (checksum, error) {
	rows, err := db.QueryContext(ctx, fmt.Sprintf(`SELECT key, sort, value, value2 FROM read_parquet(%s)`, quote(path)))
	if err != nil {
		return checksum{}, fmt.Errorf("bench: duckdb read back: %w", err)
	}
	var sum checksum
	if err := scanRows(rows, &sum); err != nil {
		return checksum{}, fmt.Errorf("bench: duckdb read back: %w", err)
	}
	return sum, nil
}

// quote returns s as a SQL string literal.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
