// Package spillfile writes batches to local spill files as Arrow IPC streams and reads them
// back. It is shared by the operators that spill (package exec) and the ingest writer's
// external sort (package storage/ingest), and imports nothing of either.
package spillfile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Ext ends the name of every spill file.
const Ext = ".arrows"

// File is a spill file: batches of one schema written as an Arrow IPC stream, then read
// back. A File is not safe for concurrent use.
type File struct {
	schema *arrow.Schema
	path   string
	f      *os.File // while writing
	bw     *bufio.Writer
	cw     countWriter
	w      *ipc.Writer
	rows   int64
	starts []int64 // the offset of each batch's message in the stream (the first's is 0)
	done   bool    // finished: the stream is complete and f is closed
	gone   bool    // removed
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Create creates a spill file in dir, named prefix, a random part and Ext, for batches of
// schema. The IPC writer allocates through mem; writes go through a buffer of bufSize bytes.
func Create(dir, prefix string, schema *arrow.Schema, mem memory.Allocator, bufSize int) (*File, error) {
	f, err := os.CreateTemp(dir, prefix+"*"+Ext)
	if err != nil {
		return nil, fmt.Errorf("create spill file: %w", err)
	}
	s := &File{schema: schema, path: f.Name(), f: f}
	s.cw.w = f
	s.bw = bufio.NewWriterSize(&s.cw, bufSize)
	s.w = ipc.NewWriter(s.bw, ipc.WithSchema(schema), ipc.WithAllocator(mem))
	return s, nil
}

// Path is the file's path.
func (s *File) Path() string { return s.path }

// Schema is the schema of the file's batches.
func (s *File) Schema() *arrow.Schema { return s.schema }

// Rows is the number of rows written.
func (s *File) Rows() int64 { return s.rows }

// Bytes is the number of bytes written to the file so far; after Finish, its size.
func (s *File) Bytes() int64 { return s.cw.n }

// Write appends b, which must be of the file's schema; the caller keeps b. Empty batches
// are skipped.
func (s *File) Write(b arrow.RecordBatch) error {
	if s.done || s.gone {
		return errors.New("write spill file: already finished")
	}
	if b.NumRows() == 0 {
		return nil
	}
	s.starts = append(s.starts, s.cw.n+int64(s.bw.Buffered()))
	if err := s.w.Write(b); err != nil {
		return fmt.Errorf("write spill file: %w", err)
	}
	s.rows += b.NumRows()
	return nil
}

// Finish ends the stream, flushes it and closes the file, which stays on disk. It does
// nothing the second time. After a failure the file is left to Remove.
func (s *File) Finish() error {
	if s.done || s.gone {
		return nil
	}
	s.done = true
	err := s.w.Close()
	s.w = nil
	if err == nil {
		err = s.bw.Flush()
	}
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	s.f = nil
	if err != nil {
		return fmt.Errorf("write spill file: %w", err)
	}
	return nil
}

// Remove deletes the file, unfinished or not. It is safe to call more than once, and on a
// nil File.
func (s *File) Remove() {
	if s == nil || s.gone {
		return
	}
	s.gone = true
	if s.w != nil {
		s.w.Close()
		s.w = nil
	}
	if s.f != nil {
		s.f.Close()
		s.f = nil
	}
	os.Remove(s.path)
}

// Open finishes the file and returns a reader of its batches, which allocates through mem
// and reads through a buffer of bufSize bytes. Closing the reader removes the file; so does
// a failure of Open.
func (s *File) Open(mem memory.Allocator, bufSize int) (*Reader, error) {
	return s.open(mem, bufSize, false)
}

// OpenShared is Open for one of several readers of the file at once: closing the reader
// leaves the file, which the caller removes once every reader is closed. It finishes the
// file, so it must not run concurrently with another Open or OpenShared of the same file.
func (s *File) OpenShared(mem memory.Allocator, bufSize int) (*Reader, error) {
	return s.open(mem, bufSize, true)
}

// Batches is the number of batches written.
func (s *File) Batches() int { return len(s.starts) }

// OpenSharedAt is OpenShared for a reader that starts at batch i (0 <= i < Batches()),
// without reading the batches before it. Files whose schema has dictionaries are read from
// their first batch (a later batch may need the dictionaries sent before it).
func (s *File) OpenSharedAt(mem memory.Allocator, bufSize int, i int) (*Reader, error) {
	if i <= 0 || i >= len(s.starts) || hasDictionary(s.schema.Fields()) {
		return s.open(mem, bufSize, true)
	}
	if s.gone {
		return nil, errors.New("read spill file: removed")
	}
	if err := s.Finish(); err != nil {
		s.Remove()
		return nil, err
	}
	// The stream from batch i on, after the schema message (which an IPC stream with the
	// schema alone ends with an 8-byte end-of-stream marker).
	var head bytes.Buffer
	hw := ipc.NewWriter(&head, ipc.WithSchema(s.schema), ipc.WithAllocator(mem))
	if err := hw.Close(); err != nil {
		return nil, fmt.Errorf("read spill file: %w", err)
	}
	schemaMsg := head.Bytes()[:head.Len()-8]
	f, err := os.Open(s.path)
	if err != nil {
		s.Remove()
		return nil, fmt.Errorf("read spill file: %w", err)
	}
	body := io.NewSectionReader(f, s.starts[i], s.cw.n-s.starts[i])
	r, err := ipc.NewReader(bufio.NewReaderSize(io.MultiReader(bytes.NewReader(schemaMsg), body), bufSize), ipc.WithAllocator(mem), ipc.WithSchema(s.schema))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("read spill file: %w", err)
	}
	return &Reader{file: s, f: f, r: r, keep: true}, nil
}

// hasDictionary reports whether any of fields, or a field nested in them, is
// dictionary-encoded.
func hasDictionary(fields []arrow.Field) bool {
	for _, f := range fields {
		switch t := f.Type.(type) {
		case *arrow.DictionaryType:
			return true
		case arrow.NestedType:
			if hasDictionary(t.Fields()) {
				return true
			}
		}
	}
	return false
}

func (s *File) open(mem memory.Allocator, bufSize int, keep bool) (*Reader, error) {
	if s.gone {
		return nil, errors.New("read spill file: removed")
	}
	if err := s.Finish(); err != nil {
		s.Remove()
		return nil, err
	}
	f, err := os.Open(s.path)
	if err != nil {
		s.Remove()
		return nil, fmt.Errorf("read spill file: %w", err)
	}
	r, err := ipc.NewReader(bufio.NewReaderSize(f, bufSize), ipc.WithAllocator(mem), ipc.WithSchema(s.schema))
	if err != nil {
		f.Close()
		s.Remove()
		return nil, fmt.Errorf("read spill file: %w", err)
	}
	return &Reader{file: s, f: f, r: r, keep: keep}, nil
}

// Reader reads a spill file's batches back.
type Reader struct {
	file *File
	f    *os.File
	r    *ipc.Reader
	keep bool // opened by OpenShared: Close leaves the file
}

// Next returns the next batch, which the caller releases, or io.EOF at the end.
func (r *Reader) Next() (arrow.RecordBatch, error) {
	if r.r == nil {
		return nil, io.EOF
	}
	b, err := r.r.Read()
	if err != nil {
		if err == io.EOF {
			return nil, io.EOF
		}
		return nil, fmt.Errorf("read spill file: %w", err)
	}
	b.Retain()
	return b, nil
}

// Close releases the reader and removes the file, unless the reader was opened by
// OpenShared. It is safe to call more than once.
func (r *Reader) Close() {
	if r.r != nil {
		r.r.Release()
		r.r = nil
		r.f.Close()
	}
	if !r.keep {
		r.file.Remove()
	}
}

// BufferBytes is the size of the buffers d references, its children's and its dictionary's
// included: all of each buffer, also when d is a slice of it.
func BufferBytes(d arrow.ArrayData) int64 {
	var n int64
	for _, b := range d.Buffers() {
		if b != nil {
			n += int64(b.Len())
		}
	}
	for _, c := range d.Children() {
		n += BufferBytes(c)
	}
	if dict, ok := d.Dictionary().(*array.Data); ok && dict != nil {
		n += BufferBytes(dict)
	}
	return n
}

// BatchBufferBytes is the size of the buffers the columns of b reference (see BufferBytes).
func BatchBufferBytes(b arrow.RecordBatch) int64 {
	var n int64
	for _, c := range b.Columns() {
		n += BufferBytes(c.Data())
	}
	return n
}
