package exec

import (
	"context"
	"errors"
	"io"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// scripted is a stream of n one-row batches followed by end (io.EOF, an error, or a panic
// when end is nil); it records whether it was closed and fails a Next after Close.
type scripted struct {
	mem    memory.Allocator
	t      *testing.T
	n, i   int
	end    error
	closed bool
}

func (s *scripted) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if s.closed {
		s.t.Error("Next after Close")
		return nil, io.EOF
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.i < s.n {
		s.i++
		return col(s.t, s.mem, tI64, int64(s.i)), nil
	}
	if s.end == nil {
		panic("input broke")
	}
	return nil, s.end
}

func (s *scripted) Close() error { s.closed = true; return nil }

// TestReadAhead reads streams through a readAhead: every batch in order and then the end,
// again at every later Next (io.EOF, the input's error, a panic turned into an error); a
// Close before the end releases the batches read ahead and closes the input once its
// goroutine has stopped; a cancelled context ends a Next. The checked allocator finds no
// leak.
func TestReadAhead(t *testing.T) {
	ctx, mem := checkedCtx(t)
	boom := errors.New("boom")
	for _, tc := range []struct {
		name string
		n    int
		end  error
	}{{"eof", 10, io.EOF}, {"empty", 0, io.EOF}, {"error", 7, boom}, {"panic", 3, nil}} {
		in := &scripted{mem: mem, t: t, n: tc.n, end: tc.end}
		r := &readAhead{in: in}
		var got []string
		var err error
		for {
			var b arrow.RecordBatch
			b, err = r.Next(ctx)
			if err != nil {
				break
			}
			got = append(got, rowsText([]arrow.RecordBatch{b})...)
			b.Release()
		}
		var want []string
		for i := 1; i <= tc.n; i++ {
			wb := col(t, mem, tI64, int64(i))
			want = append(want, rowsText([]arrow.RecordBatch{wb})...)
			wb.Release()
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: rows %v, want %v", tc.name, got, want)
		}
		switch {
		case tc.end == nil && (err == nil || err == io.EOF):
			t.Errorf("%s: end %v, want the panic as an error", tc.name, err)
		case tc.end != nil && !errors.Is(err, tc.end):
			t.Errorf("%s: end %v, want %v", tc.name, err, tc.end)
		}
		if _, again := r.Next(ctx); again != err {
			t.Errorf("%s: end again %v, want %v", tc.name, again, err)
		}
		if err := r.Close(); err != nil || !in.closed {
			t.Errorf("%s: close %v, input closed %v", tc.name, err, in.closed)
		}
	}
	// Closed after one batch: the batches read ahead are released.
	in := &scripted{mem: mem, t: t, n: 100, end: io.EOF}
	r := &readAhead{in: in}
	b, err := r.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b.Release()
	if err := r.Close(); err != nil || !in.closed {
		t.Fatalf("close %v, input closed %v", err, in.closed)
	}
	if _, err := r.Next(ctx); err == nil {
		t.Fatal("Next after Close succeeded")
	}
	// A cancelled context ends Next.
	cctx, cancel := context.WithCancel(ctx)
	in = &scripted{mem: mem, t: t, n: 100, end: io.EOF}
	r = &readAhead{in: in}
	cancel()
	if _, err := r.Next(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	r.Close()
}
