package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/format/pgcopy"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/storage/parquet"
	"github.com/sleeperd/sleeperd/types"
)

// exportJob is an export of a table or a query to DEST.
type exportJob struct {
	cfg    transferConfig
	source string // the table, or "" for --query
	dest   string
	format string
	// serverFile: the server writes DEST with COPY ... TO 'DEST' (a table in Parquet, as a
	// directory of one file per leaf).
	serverFile bool
}

func planExport(c transferConfig) (*exportJob, error) {
	j := &exportJob{cfg: c, dest: c.args[len(c.args)-1]}
	if c.query == "" {
		j.source = c.args[0]
	}
	format, err := formatOf(c.format, j.dest)
	if err != nil {
		return nil, err
	}
	j.format = format
	if format == "parquet" && (c.header || c.delimiter != "" || c.nullSet) {
		return nil, errors.New("--header, --delimiter and --null do not apply to Parquet")
	}
	if c.serverSide && (format != "parquet" || j.source == "") {
		return nil, errors.New("--server-side applies only to Parquet export of a table")
	}
	// A table in Parquet to a DEST not named *.parquet is a directory of one file per leaf,
	// which the server writes.
	dirDest := format == "parquet" && j.source != "" && !strings.EqualFold(filepath.Ext(j.dest), ".parquet")
	switch {
	case c.serverSide && !dirDest:
		return nil, errors.New("--server-side writes a directory of one file per leaf: name a DEST without the .parquet extension")
	case dirDest && c.url != "" && !c.serverSide:
		return nil, fmt.Errorf("a directory of one file per leaf is written by the server: add --server-side with an absolute DEST the server can see, or name a file DEST.parquet")
	}
	j.serverFile = dirDest
	if j.serverFile && c.data != "" {
		// This process is the server: the path is ours to make absolute.
		if j.dest, err = filepath.Abs(j.dest); err != nil {
			return nil, err
		}
	}
	if j.serverFile && !filepath.IsAbs(j.dest) && !strings.HasPrefix(j.dest, "/") {
		return nil, fmt.Errorf("--server-side needs an absolute DEST, not %q", j.dest)
	}
	return j, nil
}

// selectSQL is the query whose rows are exported.
func (j *exportJob) selectSQL() string {
	if j.source == "" {
		return j.cfg.query
	}
	return "SELECT * FROM " + j.source
}

func (j *exportJob) run(ctx context.Context, s *session, p *progress) error {
	var rows int64
	var err error
	switch {
	case j.serverFile:
		rows, err = j.toServerFile(ctx, s)
	case j.format == "parquet":
		rows, err = j.toParquet(ctx, s, p)
	default:
		rows, err = j.toText(ctx, s, p)
	}
	if err != nil {
		return err
	}
	p.rows.Store(rows)
	p.summary = fmt.Sprintf("%d rows to %s", rows, j.dest)
	return nil
}

// toServerFile has the server write DEST.
func (j *exportJob) toServerFile(ctx context.Context, s *session) (int64, error) {
	sql := fmt.Sprintf("COPY %s TO %s (FORMAT parquet)", j.source, quoteLiteral(j.dest))
	tag, err := s.conn.Exec(ctx, sql).ReadAll()
	if err != nil {
		return 0, err
	}
	if len(tag) == 0 {
		return 0, errors.New("no result from COPY")
	}
	return tag[len(tag)-1].CommandTag.RowsAffected(), nil
}

// copyToSQL is COPY ... TO STDOUT of the exported rows with options.
func (j *exportJob) copyToSQL(options string) string {
	if j.source != "" && j.cfg.query == "" {
		return fmt.Sprintf("COPY %s TO STDOUT %s", j.source, options)
	}
	return fmt.Sprintf("COPY (%s) TO STDOUT %s", j.cfg.query, options)
}

// createDest creates DEST's file, written under a temporary name and renamed into place by
// commit, so that a failed export leaves no partial DEST.
func createDest(dest string) (f *os.File, commit func() error, abort func(), err error) {
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return nil, nil, nil, err
	}
	f, err = os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".*.tmp")
	if err != nil {
		return nil, nil, nil, err
	}
	abort = func() {
		f.Close()
		os.Remove(f.Name())
	}
	commit = func() error {
		if err := f.Sync(); err != nil {
			abort()
			return err
		}
		if err := f.Close(); err != nil {
			os.Remove(f.Name())
			return err
		}
		if err := os.Chmod(f.Name(), 0o644); err != nil {
			os.Remove(f.Name())
			return err
		}
		return os.Rename(f.Name(), dest)
	}
	return f, commit, abort, nil
}

// toText streams COPY ... TO STDOUT in CSV or text into DEST.
func (j *exportJob) toText(ctx context.Context, s *session, p *progress) (int64, error) {
	f, commit, abort, err := createDest(j.dest)
	if err != nil {
		return 0, err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	cw := &countingWriter{w: bw, p: p}
	tag, err := s.conn.CopyTo(ctx, cw, j.copyToSQL(j.cfg.copyOptions(j.format, j.cfg.header)))
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = commit()
	} else {
		abort()
	}
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

// countingWriter counts bytes and lines written through it into p.
type countingWriter struct {
	w io.Writer
	p *progress
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.p.bytes.Add(int64(n))
	c.p.rows.Add(int64(bytes.Count(b[:n], []byte{'\n'})))
	return n, err
}

// exportBatchRows is how many rows toParquet decodes before it writes them.
const exportBatchRows = 64 << 10

// toParquet streams COPY ... TO STDOUT in text format, decodes it into Arrow batches of the
// column types the server describes for the query, and writes them to the one Parquet file
// DEST with the project's Parquet writer (default properties). Text format is used rather
// than binary because its rows end at every unescaped newline, which lets the decoder be
// finished and restarted every exportBatchRows rows: memory stays bounded. Its values are
// exact (floats are printed to round trip).
func (j *exportJob) toParquet(ctx context.Context, s *session, p *progress) (int64, error) {
	sd, err := s.conn.Prepare(ctx, "", j.selectSQL(), nil)
	if err != nil {
		return 0, err
	}
	fields := make([]arrow.Field, len(sd.Fields))
	for i, fd := range sd.Fields {
		t := types.FromOID(fd.DataTypeOID)
		if t == nil {
			t = arrow.BinaryTypes.String
		}
		fields[i] = arrow.Field{Name: fd.Name, Type: t, Nullable: true}
	}
	f, commit, abort, err := createDest(j.dest)
	if err != nil {
		return 0, err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	pw, err := parquet.NewWriter(bw, arrow.NewSchema(fields, nil), parquet.Properties{})
	if err != nil {
		abort()
		return 0, err
	}
	opts := planner.CopyOptions{Format: planner.CopyText, Delimiter: '\t', Null: `\N`}
	dw := &decodeWriter{fields: fields, opts: opts, out: pw, p: p}
	tag, err := s.conn.CopyTo(ctx, dw, j.copyToSQL("(FORMAT text)"))
	if err == nil {
		err = dw.flush(true)
	}
	if err == nil {
		_, err = pw.Close()
	}
	if err == nil {
		err = bw.Flush()
	}
	if dw.dec != nil {
		dw.dec.Release()
	}
	if err == nil {
		err = commit()
	} else {
		abort()
	}
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

// decodeWriter decodes COPY text format rows written to it into batches for a Parquet writer.
type decodeWriter struct {
	fields  []arrow.Field
	opts    planner.CopyOptions
	out     *parquet.Writer
	p       *progress
	dec     *pgcopy.Decoder
	partial []byte // the start of a row not yet complete
	rows    int    // rows in dec
}

func (d *decodeWriter) Write(b []byte) (int, error) {
	d.p.bytes.Add(int64(len(b)))
	data := b
	if len(d.partial) > 0 {
		d.partial = append(d.partial, b...)
		data = d.partial
	}
	end := bytes.LastIndexByte(data, '\n') + 1
	if end > 0 {
		if d.dec == nil {
			d.dec = pgcopy.NewDecoder(memory.DefaultAllocator, "export", d.fields, d.opts)
		}
		if err := d.dec.Write(data[:end]); err != nil {
			return 0, err
		}
		n := bytes.Count(data[:end], []byte{'\n'})
		d.rows += n
		d.p.rows.Add(int64(n))
	}
	d.partial = append(d.partial[:0], data[end:]...)
	if d.rows >= exportBatchRows {
		if err := d.flush(false); err != nil {
			return 0, err
		}
	}
	return len(b), nil
}

// flush finishes the decoder and writes its batches.
func (d *decodeWriter) flush(final bool) error {
	if final && len(d.partial) > 0 {
		return errors.New("COPY data ended in the middle of a row")
	}
	if d.dec == nil {
		return nil
	}
	batches, err := d.dec.Finish()
	d.dec, d.rows = nil, 0
	if err != nil {
		return err
	}
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	for _, b := range batches {
		if err := d.out.Write(b); err != nil {
			return err
		}
	}
	return nil
}
