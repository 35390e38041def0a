package parquet

import (
	"bytes"
	"errors"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// writeWith writes rows of testSchema in batches of batchRows with par row groups encoded at
// once.
func writeWith(t *testing.T, mem memory.Allocator, props Properties, par, rows, batchRows int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, testSchema, props)
	if err != nil {
		t.Fatal(err)
	}
	w.par = par
	w.SetKeyValue("sketch", "abc")
	for r := 0; r < rows; r += batchRows {
		b := genBatch(t, mem, testSchema, r, min(batchRows, rows-r))
		err := w.Write(b)
		b.Release()
		if err != nil {
			t.Fatal(err)
		}
	}
	meta, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	if meta.Rows != int64(rows) || meta.Bytes != int64(buf.Len()) {
		t.Fatalf("meta %+v, want %d rows and %d bytes", meta, rows, buf.Len())
	}
	return buf.Bytes()
}

// Row groups encoded on several workers at once give the file one worker writes, byte for
// byte, whether batches straddle row groups or not.
func TestConcurrentRowGroupsSameBytes(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	props := Properties{RowGroupRows: 700, PageBytes: 2 << 10}
	for _, batchRows := range []int{33, 700, 1000, 5000} {
		want := writeWith(t, mem, props, 1, 5000, batchRows)
		for _, par := range []int{2, 4} {
			if got := writeWith(t, mem, props, par, 5000, batchRows); !bytes.Equal(got, want) {
				t.Errorf("batches of %d, %d workers: file differs from the sequential one", batchRows, par)
			}
		}
		f, err := Open(bytes.NewReader(want), int64(len(want)))
		if err != nil {
			t.Fatal(err)
		}
		if n := len(f.RowGroups()); n != 8 {
			t.Fatalf("%d row groups, want 8", n)
		}
	}
}

type failingWriter struct{ after int }

var errOutput = errors.New("output failed")

func (f *failingWriter) Write(p []byte) (int, error) {
	if f.after < len(p) {
		return 0, errOutput
	}
	f.after -= len(p)
	return len(p), nil
}

// An output failure while row groups are in flight is reported and every batch handed to the
// writer is released.
func TestConcurrentOutputFailure(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	w, err := NewWriter(&failingWriter{after: 10 << 10}, testSchema, Properties{RowGroupRows: 500})
	if err != nil {
		t.Fatal(err)
	}
	w.par = 3
	var werr error
	for r := 0; r < 20000 && werr == nil; r += 300 {
		b := genBatch(t, mem, testSchema, r, 300)
		werr = w.Write(b)
		b.Release()
	}
	_, cerr := w.Close()
	if !errors.Is(werr, errOutput) && !errors.Is(cerr, errOutput) {
		t.Fatalf("write error %v, close error %v: want the output's failure", werr, cerr)
	}
}
