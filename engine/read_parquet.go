package engine

import (
	"context"
	"errors"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/sql"
	"github.com/sleeperd/sleeperd/storage/parquet"
	"github.com/sleeperd/sleeperd/types"
)

// bindOptions are the options every statement is bound with.
func (e *Engine) bindOptions() sql.Options {
	return sql.Options{DMLInput: true, ParquetSchema: e.parquetSchema}
}

// parquetSchema is the Arrow schema of the first Parquet file at a location, for
// read_parquet.
func (e *Engine) parquetSchema(ctx context.Context, loc string) (*arrow.Schema, error) {
	files, err := e.importFiles(ctx, loc)
	if err != nil {
		return nil, err
	}
	f := files[0]
	r, size, closeFile, err := f.open(ctx)
	if err != nil {
		return nil, err
	}
	defer closeFile()
	pf, err := parquet.Open(readerAt{r, size}, size)
	if err != nil {
		return nil, errs.Wrap(errs.BadCopyFormat, err, "could not read Parquet file \"%s\": %v", f.name, err)
	}
	return pf.Schema(), nil
}

// readParquetTable reads every row of the Parquet files at a location into one batch whose
// columns have the types read_parquet gave them (sql.ParquetColumnType). Every file must
// have the first one's column names. The batch lives in Go memory, as system tables' do: it
// belongs to the plan.
func (e *Engine) readParquetTable(ctx context.Context, loc string) (arrow.RecordBatch, error) {
	files, err := e.importFiles(ctx, loc)
	if err != nil {
		return nil, err
	}
	mem := memory.DefaultAllocator
	cctx := exec.WithAllocator(ctx, mem)
	var (
		schema  *arrow.Schema
		batches []arrow.RecordBatch
	)
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	for _, f := range files {
		err := func() error {
			r, size, closeFile, err := f.open(ctx)
			if err != nil {
				return err
			}
			defer closeFile()
			pf, err := parquet.Open(readerAt{r, size}, size)
			if err != nil {
				return errs.Wrap(errs.BadCopyFormat, err, "could not read Parquet file \"%s\": %v", f.name, err)
			}
			fs := pf.Schema()
			if schema == nil {
				fields := make([]arrow.Field, fs.NumFields())
				for i, fd := range fs.Fields() {
					t, err := sql.ParquetColumnType(fd)
					if err != nil {
						return inFile(err, f.name)
					}
					fields[i] = arrow.Field{Name: fd.Name, Type: types.Storage(t), Nullable: true}
				}
				schema = arrow.NewSchema(fields, nil)
			}
			if fs.NumFields() != schema.NumFields() {
				return errs.New(errs.BadCopyFormat, "Parquet file \"%s\" has %d columns, the first file %d", f.name, fs.NumFields(), schema.NumFields())
			}
			for i, fd := range fs.Fields() {
				if fd.Name != schema.Field(i).Name {
					return errs.New(errs.BadCopyFormat, "column %d of Parquet file \"%s\" is %q, in the first file %q", i+1, f.name, fd.Name, schema.Field(i).Name)
				}
			}
			rd, err := pf.Read(ctx, parquet.ReadOptions{Alloc: mem})
			if err != nil {
				return err
			}
			defer rd.Close()
			for {
				b, err := rd.Next(ctx)
				if errors.Is(err, io.EOF) {
					return nil
				}
				if err != nil {
					return errs.Wrap(errs.BadCopyFormat, err, "could not read Parquet file \"%s\": %v", f.name, err)
				}
				cols := make([]arrow.Array, b.NumCols())
				for i := range cols {
					want := schema.Field(i).Type
					if arrow.TypeEqual(b.Column(i).DataType(), want) {
						cols[i] = b.Column(i)
						cols[i].Retain()
						continue
					}
					if cols[i], err = castColumn(cctx, b.Column(i), want); err != nil {
						for _, c := range cols[:i] {
							c.Release()
						}
						b.Release()
						return errs.Wrap(errs.KindOf(err), err, "column %q of Parquet file \"%s\": %v", schema.Field(i).Name, f.name, err)
					}
				}
				nb := array.NewRecordBatch(schema, cols, b.NumRows())
				for _, c := range cols {
					c.Release()
				}
				b.Release()
				batches = append(batches, nb)
			}
		}()
		if err != nil {
			return nil, err
		}
	}
	return concatBatches(mem, schema, batches)
}

// bindOptions are the engine's bind options for the session: read_parquet may look at a
// server file's schema only for a superuser (as COPY FROM a file), checked before the file
// is opened so that its error messages show nothing of a file the role may not read.
func (c *conn) bindOptions() sql.Options {
	o := c.e.bindOptions()
	o.ParquetSchema = func(ctx context.Context, loc string) (*arrow.Schema, error) {
		if ro, checked := c.sessionRole(); checked {
			if err := superuserOnly(ro, "read files on the server with read_parquet"); err != nil {
				return nil, err
			}
		}
		return c.e.parquetSchema(ctx, loc)
	}
	return o
}
