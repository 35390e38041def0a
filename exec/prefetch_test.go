package exec

import (
	"context"
	"errors"
	"io"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// countStream returns n one-row batches of an int64 column holding 0, 1, ..., then fails
// with err (io.EOF: ends) or panics when panicAt is reached.
type countStream struct {
	t       *testing.T
	mem     memory.Allocator
	n, i    int
	err     error
	panicAt int
	closed  bool
}

func (s *countStream) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if s.closed {
		s.t.Error("Next after Close")
	}
	if s.i == s.panicAt {
		panic("boom")
	}
	if s.i >= s.n {
		return nil, s.err
	}
	s.i++
	return col(s.t, s.mem, arrow.PrimitiveTypes.Int64, int64(s.i-1)), nil
}

func (s *countStream) Close() error { s.closed = true; return nil }

func TestPrefetchKeepsOrderAndReleases(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("prefetching needs two cores")
	}
	boom := errors.New("input failed")
	for _, tc := range []struct {
		name    string
		n, read int // batches the input has; batches read before Close (-1: to the end)
		err     error
		panicAt int
		want    string // error returned at the end
	}{
		{"all", 50, -1, io.EOF, -1, "EOF"},
		{"empty", 0, -1, io.EOF, -1, "EOF"},
		{"one", 1, -1, io.EOF, -1, "EOF"},
		{"closed early", 50, 3, io.EOF, -1, ""},
		{"closed before reading ahead", 50, 0, io.EOF, -1, ""},
		{"error", 20, -1, boom, -1, "input failed"},
		{"panic", 20, -1, io.EOF, 7, "boom"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, mem := checkedCtx(t)
			in := &countStream{t: t, mem: mem, n: tc.n, err: tc.err, panicAt: tc.panicAt}
			s := prefetch(in)
			if _, ok := s.(*prefetchStream); !ok {
				t.Fatalf("prefetch returned %T", s)
			}
			var err error
			for i := 0; tc.read < 0 || i < tc.read; i++ {
				var b arrow.RecordBatch
				b, err = s.Next(ctx)
				if err != nil {
					break
				}
				if got := b.Column(0).ValueStr(0); got != strconv.Itoa(i) {
					t.Errorf("batch %d holds %s", i, got)
				}
				b.Release()
			}
			if tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("ended with %v, want %q", err, tc.want)
			}
			if tc.want != "" {
				if _, again := s.Next(ctx); again == nil || again.Error() != err.Error() {
					t.Errorf("Next after the end: %v, want %v", again, err)
				}
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if !in.closed {
				t.Error("input not closed")
			}
			mem.AssertSize(t, 0)
		})
	}
}

// TestPrefetchCancel: cancelling the consumer's context ends the read-ahead, and Close
// releases what it read.
func TestPrefetchCancel(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("prefetching needs two cores")
	}
	base, mem := checkedCtx(t)
	ctx, cancel := context.WithCancel(base)
	in := &countStream{t: t, mem: mem, n: 1 << 30, err: io.EOF, panicAt: -1}
	s := prefetch(in)
	for range 3 {
		b, err := s.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		b.Release()
	}
	cancel()
	for {
		b, err := s.Next(ctx)
		if err != nil {
			if !errors.Is(err, context.Canceled) {
				t.Errorf("after cancel: %v", err)
			}
			break
		}
		b.Release() // a batch read ahead before the cancel
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	mem.AssertSize(t, 0)
}
