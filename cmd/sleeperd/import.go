package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/format/pgcopy"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/storage/parquet"
)

// importJob is an import: files copied into a table one COPY each.
type importJob struct {
	cfg    transferConfig
	table  string
	files  []string
	format []string // per file: csv, text or parquet
}

func planImport(c transferConfig) (*importJob, error) {
	j := &importJob{cfg: c, table: c.args[0], files: c.args[1:]}
	for _, f := range j.files {
		format, err := formatOf(c.format, f)
		if err != nil {
			return nil, err
		}
		if format == "parquet" && (c.header || c.delimiter != "" || c.nullSet) {
			return nil, fmt.Errorf("--header, --delimiter and --null do not apply to Parquet file %s", f)
		}
		j.format = append(j.format, format)
	}
	return j, nil
}

// size is the total size of the files, which progress counts against.
func (j *importJob) size() (int64, error) {
	var n int64
	for _, f := range j.files {
		st, err := os.Stat(f)
		if err != nil {
			return 0, err
		}
		if st.IsDir() {
			return 0, fmt.Errorf("%s is a directory", f)
		}
		n += st.Size()
	}
	return n, nil
}

func (j *importJob) run(ctx context.Context, s *session, p *progress) error {
	var rows int64
	for i, name := range j.files {
		var n int64
		var err error
		if j.format[i] == "parquet" {
			n, err = j.parquet(ctx, s, p, name)
		} else {
			n, err = j.text(ctx, s, p, name, j.format[i])
		}
		if err != nil {
			if len(j.files) > 1 {
				return fmt.Errorf("%s (%d of %d files imported before it, %d rows): %w", name, i, len(j.files), rows, err)
			}
			return err
		}
		rows += n
		p.fileDone(rows)
	}
	p.summary = fmt.Sprintf("%d rows from %d files", rows, len(j.files))
	if len(j.files) == 1 {
		p.summary = fmt.Sprintf("%d rows from %s", rows, j.files[0])
	}
	return nil
}

// text streams a CSV or text file's bytes as they are to COPY ... FROM STDIN.
func (j *importJob) text(ctx context.Context, s *session, p *progress, name, format string) (int64, error) {
	f, err := os.Open(name)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sql := fmt.Sprintf("COPY %s FROM STDIN %s", j.table, j.cfg.copyOptions(format, j.cfg.header))
	cr := &countingReader{r: f, p: p, lines: true}
	if j.cfg.header {
		cr.skip = 1
	}
	tag, err := s.conn.CopyFrom(ctx, cr, sql)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

// countingReader counts the bytes read through it, and with lines the newlines, into p.
type countingReader struct {
	r     io.Reader
	p     *progress
	lines bool
	skip  int // lines not to count: the header
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.p.bytes.Add(int64(n))
	if c.lines {
		// Rows as the progress shows them: lines, which a quoted CSV value may span.
		lines := bytes.Count(b[:n], []byte{'\n'})
		if c.skip > 0 && lines > 0 {
			d := min(c.skip, lines)
			lines, c.skip = lines-d, c.skip-d
		}
		c.p.rows.Add(int64(lines))
	}
	return n, err
}

// parquet reads a Parquet file with the project's reader and streams its rows to COPY ...
// FROM STDIN in text format, naming the file's columns, so that they are matched to the
// table's by name and each value is parsed as the table column's type.
func (j *importJob) parquet(ctx context.Context, s *session, p *progress, name string) (int64, error) {
	f, err := os.Open(name)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	pf, err := parquet.Open(f, st.Size())
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	schema := pf.Schema()
	target := j.table
	if !strings.Contains(target, "(") {
		cols := make([]string, schema.NumFields())
		for i, fl := range schema.Fields() {
			cols[i] = quoteIdent(fl.Name)
		}
		target += " (" + strings.Join(cols, ", ") + ")"
	}
	sql := fmt.Sprintf("COPY %s FROM STDIN (FORMAT text)", target)

	// Bytes are counted as the share of the file's rows sent so far.
	total, size := pf.NumRows(), st.Size()
	pr, pw := io.Pipe()
	encoded := make(chan struct{})
	go func() {
		defer close(encoded)
		pw.CloseWithError(encodeParquet(ctx, pf, schema, pw, func(sent int64) {
			p.rows.Add(sent)
			if total > 0 {
				p.bytes.Add(sent * size / total)
			}
		}))
	}()
	before := p.bytes.Load()
	tag, err := s.conn.CopyFrom(ctx, pr, sql)
	pr.CloseWithError(io.ErrClosedPipe) // stops the encoder if the copy ended early
	<-encoded
	p.bytes.Store(before + size)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	return tag.RowsAffected(), nil
}

// encodeParquet writes the rows of pf to w in COPY's text format, calling sent with the
// rows of each batch written.
func encodeParquet(ctx context.Context, pf *parquet.File, schema *arrow.Schema, w io.Writer, sent func(int64)) error {
	r, err := pf.Read(ctx, parquet.ReadOptions{})
	if err != nil {
		return err
	}
	defer r.Close()
	enc := pgcopy.NewEncoder(schema.Fields(), planner.CopyOptions{Format: planner.CopyText, Delimiter: '\t', Null: `\N`}, nil)
	var buf []byte
	for {
		b, err := r.Next(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		enc.Reset(b)
		for i := 0; i < int(b.NumRows()); i++ {
			buf = enc.AppendRow(buf, i)
			if len(buf) >= 256<<10 {
				if _, err := w.Write(buf); err != nil {
					b.Release()
					return err
				}
				buf = buf[:0]
			}
		}
		if _, err := w.Write(buf); err != nil {
			b.Release()
			return err
		}
		buf = buf[:0]
		sent(b.NumRows())
		b.Release()
	}
}
