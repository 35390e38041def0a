package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/format/pgcopy"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/storage/parquet"
	"github.com/sleeperd/sleeperd/types"
)

// maxImportReaders bounds the files one COPY FROM reads at once (below the engine's
// parallelism too).
const maxImportReaders = 8

// importChunk is how much of a CSV or text file is read and decoded at a time (one request
// on S3).
const importChunk = 4 << 20

// copyFromFile runs COPY ... FROM a server location: it reads the files the location names,
// several at once, and streams their rows into one writer, committed as one transaction
// once every file is read. The first error stops every reader and commits nothing.
func (e *Engine) copyFromFile(ctx context.Context, st *planner.Copy, loc *time.Location) (Result, error) {
	files, err := e.importFiles(ctx, st.File)
	if err != nil {
		return nil, err
	}
	t := st.Table
	// Every batch holds the copied columns in order, of the table's types.
	targets := make([]int, len(t.Columns))
	for i := range targets {
		targets[i] = -1
	}
	for j, idx := range st.Targets {
		targets[idx] = j
	}
	w, err := e.newRowWriter(ctx, t, targets)
	if err != nil {
		return nil, err
	}
	defer w.Abort()
	var read func(ctx context.Context, f importFile, emit func(arrow.RecordBatch) error) error
	if st.Options.Format == planner.CopyParquet {
		read = func(ctx context.Context, f importFile, emit func(arrow.RecordBatch) error) error {
			return readParquetFile(ctx, st, f, emit)
		}
	} else {
		_, fields, _ := (&copyInResult{st: st}).CopyTarget()
		read = func(ctx context.Context, f importFile, emit func(arrow.RecordBatch) error) error {
			return readCopyFile(ctx, st, fields, loc, f, emit)
		}
	}
	if err := e.importInto(ctx, w, files, read); err != nil {
		return nil, err
	}
	n, err := w.Commit(ctx)
	if err != nil {
		return nil, err
	}
	return &doneResult{tag: fmt.Sprintf("COPY %d", n)}, nil
}

// importInto reads files with read, several at once, and appends the batches they emit to
// w from this goroutine alone (w is not safe for concurrent use). The first error cancels
// the other readers and is returned.
func (e *Engine) importInto(ctx context.Context, w *rowWriter, files []importFile,
	read func(ctx context.Context, f importFile, emit func(arrow.RecordBatch) error) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		once  sync.Once
		first error
		wg    sync.WaitGroup
		next  atomic.Int64
	)
	fail := func(err error) {
		once.Do(func() { first = err })
		cancel(err)
	}
	workers := min(len(files), e.opts.Parallelism, maxImportReaders)
	batches := make(chan arrow.RecordBatch, workers)
	emit := func(b arrow.RecordBatch) error {
		select {
		case batches <- b:
			return nil
		case <-ctx.Done():
			b.Release()
			return context.Cause(ctx)
		}
	}
	for range workers {
		wg.Go(func() {
			defer func() {
				if p := recover(); p != nil {
					fail(e.panicError("copy", p))
				}
			}()
			for {
				k := int(next.Add(1) - 1)
				if k >= len(files) || ctx.Err() != nil {
					return
				}
				if err := read(ctx, e.countRead(files[k]), emit); err != nil {
					if ctx.Err() != nil {
						err = context.Cause(ctx)
					}
					fail(err)
					return
				}
			}
		})
	}
	go func() {
		wg.Wait()
		close(batches)
	}()
	for b := range batches {
		if ctx.Err() == nil {
			if err := w.Append(ctx, b); err != nil {
				fail(err)
			} else {
				e.copyRows.Add(b.NumRows())
			}
		}
		b.Release()
	}
	if first != nil {
		return first
	}
	return context.Cause(ctx)
}

// CopyProgress tells how far the COPY FROM statements that read server files (local or
// s3://) have got, added up since the engine opened: the bytes read from the files and the
// rows handed to the table writers. A client in the same process polls it to show the
// progress of a COPY (sleeperd import --data).
func (e *Engine) CopyProgress() (bytes, rows int64) { return e.copyBytes.Load(), e.copyRows.Load() }

// countRead returns f with its reads counted in CopyProgress: bytes read, at most the
// file's size (a Parquet footer is read more than once), and the whole file once it is
// closed (a reader need not read every byte).
func (e *Engine) countRead(f importFile) importFile {
	open := f.open
	f.open = func(ctx context.Context) (io.ReaderAt, int64, func() error, error) {
		r, size, closeFile, err := open(ctx)
		if err != nil {
			return r, size, closeFile, err
		}
		c := &countingReaderAt{r: r, size: size, total: &e.copyBytes}
		return c, size, func() error {
			c.mu.Lock()
			c.add(size)
			c.mu.Unlock()
			return closeFile()
		}, nil
	}
	return f
}

// countingReaderAt adds the bytes read through it, up to size, to total.
type countingReaderAt struct {
	r     io.ReaderAt
	size  int64
	total *atomic.Int64
	mu    sync.Mutex
	n     int64 // bytes counted
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	k, err := c.r.ReadAt(p, off)
	c.mu.Lock()
	c.add(c.n + int64(k))
	c.mu.Unlock()
	return k, err
}

// add counts the file as read up to n bytes (at most its size); c.mu is held.
func (c *countingReaderAt) add(n int64) {
	n = min(n, c.size)
	if n > c.n {
		c.total.Add(n - c.n)
		c.n = n
	}
}

// inFile gives err, an error reading the named file, the file as a line of its context,
// after the line and column context the COPY decoder gives.
func inFile(err error, name string) error {
	where := fmt.Sprintf("file \"%s\"", name)
	var e *errs.Error
	if errors.As(err, &e) {
		c := *e
		if c.Where != "" {
			where = c.Where + "\n" + where
		}
		c.Where = where
		return &c
	}
	return &errs.Error{Kind: errs.KindOf(err), Msg: err.Error(), Where: where}
}

// readCopyFile decodes a CSV or text file into batches of fields, in chunks, and emits
// them as they fill.
func readCopyFile(ctx context.Context, st *planner.Copy, fields []arrow.Field, loc *time.Location, f importFile, emit func(arrow.RecordBatch) error) (err error) {
	r, size, closeFile, err := f.open(ctx)
	if err != nil {
		return err
	}
	defer closeFile()
	dec := pgcopy.NewDecoder(exec.Allocator(ctx), st.Table.Name, fields, st.Options)
	dec.SetTimeZone(loc)
	finished := false
	defer func() {
		if !finished {
			dec.Release()
		}
	}()
	send := func(bs []arrow.RecordBatch) error {
		for i, b := range bs {
			if err := emit(b); err != nil {
				releaseAll(bs[i+1:])
				return err
			}
		}
		return nil
	}
	sr := io.NewSectionReader(r, 0, size)
	buf := make([]byte, min(size, importChunk))
	for size > 0 {
		n, rerr := io.ReadFull(sr, buf)
		if n > 0 {
			if err := dec.Write(buf[:n]); err != nil {
				return inFile(err, f.name)
			}
			if err := send(dec.Take()); err != nil {
				return err
			}
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			return errs.Wrap(errs.IOError, rerr, "could not read from COPY file \"%s\": %v", f.name, rerr)
		}
	}
	finished = true
	bs, err := dec.Finish()
	if err != nil {
		return inFile(err, f.name)
	}
	return send(bs)
}

// readParquetFile reads a Parquet file and emits its rows as batches of the copied columns
// of st's table, of the table's types: file columns are matched to the copied columns by
// name (exactly, else ignoring case) and cast; a copied column the file lacks is NULL; a
// file column that names no copied column fails (but the hidden row id of a table keyed by
// insertion order, as COPY TO writes it, is skipped: rows get new ids).
func readParquetFile(ctx context.Context, st *planner.Copy, f importFile, emit func(arrow.RecordBatch) error) error {
	t := st.Table
	mem := exec.Allocator(ctx)
	r, size, closeFile, err := f.open(ctx)
	if err != nil {
		return err
	}
	defer closeFile()
	bad := func(err error) error {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		var e *errs.Error
		if errors.As(err, &e) {
			return inFile(err, f.name)
		}
		var re *readError
		if errors.As(err, &re) {
			return errs.Wrap(errs.IOError, err, "could not read from COPY file \"%s\": %v", f.name, re.err)
		}
		return errs.Wrap(errs.BadCopyFormat, err, "could not read Parquet file \"%s\": %v", f.name, err)
	}
	pf, err := parquet.Open(readerAt{r, size}, size)
	if err != nil {
		return bad(err)
	}
	rowID := t.ColumnIndex(catalog.RowIDColumn)
	hasRowID := rowID >= 0 && t.Columns[rowID].Hidden
	cols := []int{}
	for j, fd := range pf.Schema().Fields() {
		if hasRowID && fd.Name == catalog.RowIDColumn {
			continue
		}
		cols = append(cols, j)
	}
	rd, err := pf.Read(ctx, parquet.ReadOptions{Columns: cols, Alloc: mem})
	if err != nil {
		return bad(err)
	}
	defer rd.Close()
	ftargets, err := matchColumns(t, st.Targets, rd.Schema())
	if err != nil {
		return inFile(err, f.name)
	}
	fields := make([]arrow.Field, len(st.Targets))
	for j, idx := range st.Targets {
		c := t.Columns[idx]
		fields[j] = arrow.Field{Name: c.Name, Type: c.Type, Nullable: c.Nullable}
	}
	schema := arrow.NewSchema(fields, nil)
	for {
		b, err := rd.Next(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return bad(err)
		}
		c, err := castBatch(ctx, t, ftargets, b)
		b.Release()
		if err != nil {
			return inFile(err, f.name)
		}
		n := int(c.NumRows())
		out := make([]arrow.Array, len(st.Targets))
		var cerr error
		for j, idx := range st.Targets {
			k := ftargets[idx]
			switch {
			case k < 0:
				out[j] = array.MakeArrayOfNull(mem, t.Columns[idx].Type, n)
			default:
				ct, isChar := t.Columns[idx].SQLType.(*types.Char)
				if isChar && ct.Length() >= 0 && cerr == nil {
					out[j], cerr = fitChars(mem, c.Column(k), ct)
				} else {
					out[j] = c.Column(k)
					out[j].Retain()
				}
			}
		}
		var ob arrow.RecordBatch
		if cerr == nil {
			ob = array.NewRecordBatch(schema, out, int64(n))
		}
		for _, a := range out {
			if a != nil {
				a.Release()
			}
		}
		c.Release()
		if cerr != nil {
			return inFile(cerr, f.name)
		}
		if err := emit(ob); err != nil {
			return err
		}
	}
}

// fitChars checks the strings of a varchar(n) or char(n) column as an assignment does (see
// pgcopy.FitChar), returning them with what that drops dropped.
func fitChars(mem memory.Allocator, a arrow.Array, ct *types.Char) (arrow.Array, error) {
	strs, ok := a.(*array.String)
	if !ok {
		return nil, errs.New(errs.Internal, "%s column of type %s", ct, a.DataType())
	}
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.Reserve(strs.Len())
	for i := 0; i < strs.Len(); i++ {
		if strs.IsNull(i) {
			b.AppendNull()
			continue
		}
		v, err := pgcopy.FitChar(strs.Value(i), int(ct.Length()), ct.Fixed())
		if err != nil {
			return nil, err
		}
		b.Append(v)
	}
	return b.NewArray(), nil
}

// readerAt marks the errors of reading a file of the given size within its bounds as
// readError, to tell them from errors in its contents (a corrupt file may have its reader
// read out of bounds).
type readerAt struct {
	r    io.ReaderAt
	size int64
}

func (r readerAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := r.r.ReadAt(p, off)
	if err != nil && err != io.EOF && off >= 0 && off+int64(len(p)) <= r.size {
		err = &readError{err}
	}
	return n, err
}

// readError is a failure to read a file.
type readError struct{ err error }

func (e *readError) Error() string { return e.err.Error() }
func (e *readError) Unwrap() error { return e.err }
