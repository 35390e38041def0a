package catalog

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// fakeLeaf returns n one-row batches, then fails with err or panics with panicking.
type fakeLeaf struct {
	n        int
	err      error
	panicVal any
	closed   bool
}

func (l *fakeLeaf) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if l.n > 0 {
		l.n--
		b := array.NewInt64Builder(memory.DefaultAllocator)
		defer b.Release()
		b.Append(1)
		a := b.NewArray()
		defer a.Release()
		return array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil), []arrow.Array{a}, 1), nil
	}
	if l.panicVal != nil {
		panic(l.panicVal)
	}
	if l.err != nil {
		return nil, l.err
	}
	return nil, io.EOF
}
func (l *fakeLeaf) Close()       { l.closed = true }
func (l *fakeLeaf) name() string { return "fake" }

// TestFanoutOneLeafInline checks the read of a single leaf in the caller's goroutine, then
// read ahead: its batches, a sticky end, an error or a panic as the stream's error,
// cancellation, and Close.
func TestFanoutOneLeafInline(t *testing.T) {
	drain := func(f *fanout) (int, error) {
		n := 0
		for {
			b, err := f.Next(context.Background())
			if err != nil {
				return n, err
			}
			n += int(b.NumRows())
			b.Release()
		}
	}
	boom := errors.New("boom")
	// Past inlineBatches batches the leaf goes on in a reader goroutine, with the same
	// batches, end, error or panic.
	for _, tc := range []struct {
		name    string
		leaf    *fakeLeaf
		want    string
		rows    int
		started bool
	}{
		{"eof", &fakeLeaf{n: 1}, "EOF", 1, false},
		{"error", &fakeLeaf{n: 1, err: boom}, "boom", 1, false},
		{"panic", &fakeLeaf{n: 1, panicVal: "reader bug"}, "reader bug", 1, false},
		{"eof read ahead", &fakeLeaf{n: 7}, "EOF", 7, true},
		{"error read ahead", &fakeLeaf{n: 5, err: boom}, "boom", 5, true},
		{"panic read ahead", &fakeLeaf{n: 3, panicVal: "reader bug"}, "reader bug", 3, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFanout(context.Background(), []leafSource{tc.leaf}, 4)
			n, err := drain(f)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %s", err, tc.want)
			}
			if n != tc.rows {
				t.Fatalf("%d rows, want %d", n, tc.rows)
			}
			if _, err2 := f.Next(context.Background()); err2 == nil || err2.Error() != err.Error() {
				t.Fatalf("the end is not sticky: %v then %v", err, err2)
			}
			if f.started != tc.started {
				t.Fatalf("reader goroutines started: %v, want %v", f.started, tc.started)
			}
			f.Close()
			if !tc.leaf.closed {
				t.Fatal("Close did not close the leaf")
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := newFanout(ctx, []leafSource{&fakeLeaf{n: 5}}, 4)
	cancel()
	if _, err := f.Next(context.Background()); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled scan: %v", err)
	}
	f.Close()
	// Two leaves run in goroutines and return every batch.
	f = newFanout(context.Background(), []leafSource{&fakeLeaf{n: 2}, &fakeLeaf{n: 3}}, 4)
	if n, err := drain(f); err != io.EOF || n != 5 {
		t.Fatalf("two leaves: %d rows, %v", n, err)
	}
	f.Close()
}
