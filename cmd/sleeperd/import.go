package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/format/pgcopy"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/storage/objstore"
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
		if c.url != "" && hasGlob(f) && !objstore.IsS3URL(f) {
			if _, err := os.Stat(f); err != nil {
				return nil, fmt.Errorf("%s: a pattern is read by the server itself only with --data or on s3://; with --url name the files", f)
			}
		}
		j.format = append(j.format, format)
	}
	return j, nil
}

// hasGlob reports whether a file argument is a pattern (the server expands *, ? and [).
func hasGlob(s string) bool { return strings.ContainsAny(s, "*?[") }

// serverSide reports whether file is read by the server with COPY ... FROM 'file': s3://
// locations always, local files and patterns when this process is the server (--data).
func (j *importJob) serverSide(file string) bool {
	return objstore.IsS3URL(file) || j.cfg.data != ""
}

// localFiles returns the files a local argument names: itself, or a pattern's matches.
func localFiles(arg string) ([]string, error) {
	if _, err := os.Stat(arg); err == nil || !hasGlob(arg) {
		return []string{arg}, nil
	}
	m, err := filepath.Glob(arg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", arg, err)
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("%s: no file matches", arg)
	}
	return m, nil
}

// size is the total size of the local files, which progress counts against; -1 when an
// s3:// file is among them (their size is not looked up).
func (j *importJob) size() (int64, error) {
	var n int64
	unknown := false
	for _, arg := range j.files {
		if objstore.IsS3URL(arg) {
			unknown = true
			continue
		}
		files, err := localFiles(arg)
		if err != nil {
			return 0, err
		}
		for _, f := range files {
			st, err := os.Stat(f)
			if err != nil {
				return 0, err
			}
			if st.IsDir() {
				return 0, fmt.Errorf("%s is a directory", f)
			}
			n += st.Size()
		}
	}
	if unknown {
		return -1, nil
	}
	return n, nil
}

func (j *importJob) run(ctx context.Context, s *session, p *progress) error {
	var rows int64
	for i, name := range j.files {
		var n int64
		var err error
		switch {
		case j.serverSide(name):
			n, err = j.server(ctx, s, p, name, j.format[i])
		case j.format[i] == "parquet":
			n, err = j.parquet(ctx, s, p, name)
		default:
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

// server has the server read name itself: COPY table FROM '<absolute path, pattern or
// s3:// URL>'. The engine reads the files of a pattern several at once and commits them
// together. With the engine in this process, progress follows its CopyProgress.
func (j *importJob) server(ctx context.Context, s *session, p *progress, name, format string) (int64, error) {
	loc := name
	var size int64 = -1
	if !objstore.IsS3URL(name) {
		abs, err := filepath.Abs(name)
		if err != nil {
			return 0, err
		}
		loc = abs
		files, err := localFiles(name)
		if err != nil {
			return 0, err
		}
		size = 0
		for _, f := range files {
			if st, err := os.Stat(f); err == nil {
				size += st.Size()
			}
		}
	}
	opts := "(FORMAT parquet)"
	if format != "parquet" {
		opts = j.cfg.copyOptions(format, j.cfg.header)
	}
	sql := fmt.Sprintf("COPY %s FROM %s %s", j.table, quoteLiteral(loc), opts)
	bytesBefore, rowsBefore := p.bytes.Load(), p.rows.Load()
	stop := make(chan struct{})
	polled := make(chan struct{})
	// The counts before the COPY are taken here, not in the poller: a poller scheduled
	// late would take as its start bytes the COPY had already read.
	var b0, r0 int64
	if s.eng != nil {
		b0, r0 = s.eng.CopyProgress()
	}
	go func() {
		defer close(polled)
		if s.eng == nil {
			return
		}
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				b, r := s.eng.CopyProgress()
				if size >= 0 {
					b = min(b, b0+size) // a Parquet footer is read more than once
				}
				p.bytes.Store(bytesBefore + b - b0)
				p.rows.Store(rowsBefore + r - r0)
			}
		}
	}()
	res, err := s.conn.Exec(ctx, sql).ReadAll()
	close(stop)
	<-polled
	if size >= 0 {
		p.bytes.Store(bytesBefore + size)
	}
	if err != nil {
		return 0, err
	}
	if len(res) != 1 {
		return 0, fmt.Errorf("%d results of %s", len(res), sql)
	}
	return res[0].CommandTag.RowsAffected(), nil
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
