package engine

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/format/pgcopy"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/storage/parquet"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

// copyToFile runs COPY ... TO a server file or an s3:// location. A table copied in Parquet
// is written as one file per leaf partition into the directory (key prefix) File; anything
// else as the one file (object) File.
func (e *Engine) copyToFile(ctx context.Context, st *planner.Copy, params []any, loc *time.Location) (Result, error) {
	out, name, err := e.openOutput(ctx, st.File)
	if err != nil {
		return nil, err
	}
	var n int64
	if st.Table != nil && st.Options.Format == planner.CopyParquet {
		n, err = e.exportTable(ctx, st.Table, out, name)
	} else {
		n, err = e.exportQuery(ctx, st, params, loc, out, name)
	}
	if err != nil {
		return nil, err
	}
	return &doneResult{tag: fmt.Sprintf("COPY %d", n)}, nil
}

// exportTable writes each leaf partition of t, as of one snapshot, to dir/<leaf id>.parquet
// in out with the table's Parquet properties and stored schema, its rows sorted by row key then sort
// key. Leaves are written in parallel, at most GOMAXPROCS at once. It returns the rows
// written.
func (e *Engine) exportTable(ctx context.Context, t *catalog.Table, out output, dir string) (int64, error) {
	state, err := e.ss.Snapshot(ctx, t.StateID())
	if err != nil {
		return 0, err
	}
	held := []readHold{e.readers.hold(t.StateID(), state.TxnNumber())}
	defer e.readers.release(held)
	merge, err := e.mergeSpec(ctx, t, state)
	if err != nil {
		return 0, err
	}
	if err := out.mkdir(dir); err != nil {
		return 0, err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		total atomic.Int64
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	fail := func(err error) {
		mu.Lock()
		if first == nil {
			first = err
		}
		mu.Unlock()
		cancel(err)
	}
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for _, leaf := range state.Leaves() {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func(leaf *statestore.Partition) {
			defer wg.Done()
			defer func() { <-sem }()
			defer func() {
				if p := recover(); p != nil {
					fail(e.panicError("copy", p))
				}
			}()
			n, err := e.exportLeaf(ctx, t, state, leaf, merge, out, dir)
			if err != nil {
				fail(err)
				return
			}
			total.Add(n)
		}(leaf)
	}
	wg.Wait()
	if first != nil {
		return 0, first
	}
	if err := context.Cause(ctx); err != nil {
		return 0, err
	}
	return total.Load(), nil
}

// exportLeaf writes one leaf of t to its file and returns the rows written.
func (e *Engine) exportLeaf(ctx context.Context, t *catalog.Table, state *statestore.State, leaf *statestore.Partition, merge *catalog.MergeSpec, out output, dir string) (int64, error) {
	cols := make([]int, len(t.Columns))
	for i := range cols {
		cols[i] = i
	}
	scan, err := catalog.NewScan(e.store, catalog.ScanSpec{
		Table: t, State: state, Leaves: []*statestore.Partition{leaf}, Columns: cols,
		Parallelism: 1, Metrics: e.metrics, Merge: merge,
	})
	if err != nil {
		return 0, err
	}
	// A leaf's files are read one after another: sort to put the leaf's rows in key order.
	var sortKeys []exec.SortKey
	for _, c := range append(append([]int(nil), t.RowKeys...), t.SortKeys...) {
		f := t.Schema().Field(c)
		col, err := exec.NewColumn(c, f.Type, f.Name)
		if err != nil {
			return 0, err
		}
		sortKeys = append(sortKeys, exec.SortKey{Expr: col})
	}
	var op exec.Operator = scan
	if len(sortKeys) > 0 {
		if op, err = exec.NewSort(sortKeys, scan); err != nil {
			return 0, err
		}
	}
	stream, err := op.Execute(ctx)
	if err != nil {
		return 0, err
	}
	defer stream.Close()
	name := out.join(dir, strings.NewReplacer("/", "_", string(filepath.Separator), "_").Replace(leaf.ID)+".parquet")
	return writeParquet(ctx, out, name, t.Schema(), t.Props.Parquet, stream)
}

// exportQuery runs the query of st and writes its rows to the file name of out in st's
// format.
func (e *Engine) exportQuery(ctx context.Context, st *planner.Copy, params []any, loc *time.Location, out output, name string) (int64, error) {
	op, release, err := e.plan(ctx, st.Query.Root, params)
	if err != nil {
		return 0, err
	}
	defer release()
	stream, err := op.Execute(ctx)
	if err != nil {
		return 0, err
	}
	defer stream.Close()
	schema := planner.ResultSchema(st.Query.Root.Columns(), st.Query.Names)
	if st.Options.Format == planner.CopyParquet {
		return writeParquet(ctx, out, name, schema, parquet.DefaultProperties(), stream)
	}
	return out.write(ctx, name, func(w io.Writer) (int64, error) {
		enc := pgcopy.NewEncoder(schema.Fields(), st.Options, loc)
		enc.SetRegNames(e.regNames(ctx))
		buf := enc.Start(nil)
		var rows int64
		for {
			b, err := stream.Next(ctx)
			if err == io.EOF {
				break
			}
			if err != nil {
				return 0, err
			}
			enc.Reset(b)
			for i := 0; i < int(b.NumRows()); i++ {
				buf = enc.AppendRow(buf, i)
			}
			rows += b.NumRows()
			b.Release()
			if _, err := w.Write(buf); err != nil {
				return 0, err
			}
			buf = buf[:0]
		}
		_, err := w.Write(enc.End(buf))
		return rows, err
	})
}

// writeParquet writes the batches of stream to the Parquet file name of out.
func writeParquet(ctx context.Context, out output, name string, schema *arrow.Schema, props parquet.Properties, stream exec.Stream) (int64, error) {
	return out.write(ctx, name, func(w io.Writer) (int64, error) {
		pw, err := parquet.NewWriter(w, schema, props)
		if err != nil {
			return 0, err
		}
		var rows int64
		for {
			b, err := stream.Next(ctx)
			if err == io.EOF {
				break
			}
			if err != nil {
				return 0, err
			}
			if b.NumRows() > 0 {
				if !b.Schema().Equal(schema) && sameTypes(b.Schema(), schema) {
					// The result fields' metadata (the SQL types the writer maps to
					// Parquet's logical types) is the schema's, not the batches'.
					nb := array.NewRecordBatch(schema, b.Columns(), b.NumRows())
					b.Release()
					b = nb
				}
				err = pw.Write(b)
			}
			rows += b.NumRows()
			b.Release()
			if err != nil {
				return 0, err
			}
		}
		_, err = pw.Close()
		return rows, err
	})
}

// writeFile writes name through write: into a temporary file beside it, renamed over name
// once complete, so a failed copy leaves no partial file behind.
func writeFile(name string, write func(io.Writer) (int64, error)) (int64, error) {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*.tmp")
	if err != nil {
		return 0, fileError("open file", name, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	bw := bufio.NewWriterSize(f, 1<<20)
	n, err := write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	if err := os.Rename(tmp, name); err != nil {
		return 0, fileError("rename file", name, err)
	}
	return n, nil
}

// fileError reports a failure on a server file or directory, with PostgreSQL's SQLSTATE for
// it: 42501 when permission is denied, 58030 otherwise.
func fileError(what, name string, err error) error {
	kind := errs.IOError
	if errors.Is(err, fs.ErrPermission) {
		kind = errs.InsufficientPrivilege
	}
	return errs.New(kind, "could not %s \"%s\": %v", what, name, err)
}
