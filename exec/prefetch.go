package exec

import (
	"context"
	"io"
	"runtime"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/errs"
)

// prefetchAfter is how many batches a prefetching stream returns in its consumer's goroutine
// before it reads ahead on a goroutine of its own: a stream that ends within them (a join of
// a few rows, as a correlated subquery's inner side runs per binding) starts no goroutine.
const prefetchAfter = 1

// prefetchStream reads its input one batch ahead of its consumer, on a goroutine of its own,
// so that the input's work (a join's probe and gather) and the consumer's (an aggregation
// over its output) run on two cores at once. Batches come in the input's order. The input
// is only ever used by one goroutine at a time: by the consumer's until prefetchAfter
// batches, then by the reader's until it ends, and by Close once the reader has returned.
type prefetchStream struct {
	in      Stream
	inlined int
	started bool
	closed  bool
	err     error // sticky end: io.EOF or the input's error

	cancel context.CancelFunc
	out    chan prefetched // closed by the reader when it returns
}

type prefetched struct {
	b   arrow.RecordBatch
	err error
}

// prefetch returns in, read ahead on a goroutine of its own when there is more than one
// core to run it on.
func prefetch(in Stream) Stream {
	if runtime.GOMAXPROCS(0) < 2 {
		return in
	}
	return &prefetchStream{in: in}
}

func (s *prefetchStream) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if s.closed {
		return nil, io.EOF
	}
	if s.err != nil {
		return nil, s.err
	}
	if !s.started {
		if s.inlined < prefetchAfter {
			b, err := s.in.Next(ctx)
			if err != nil {
				s.err = err
				return nil, err
			}
			s.inlined++
			return b, nil
		}
		s.start(ctx)
	}
	select {
	case p, ok := <-s.out:
		if !ok {
			// The reader stopped without a result: cancelled.
			s.err = ctx.Err()
			if s.err == nil {
				s.err = context.Canceled
			}
			return nil, s.err
		}
		if p.err != nil {
			s.err = p.err
			return nil, p.err
		}
		return p.b, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// start runs the reader: it reads the input under a context of ctx that Close cancels, and
// hands each batch or the end over to Next.
func (s *prefetchStream) start(ctx context.Context) {
	s.started = true
	ctx, s.cancel = context.WithCancel(ctx)
	s.out = make(chan prefetched, 1)
	go func() {
		defer close(s.out)
		for {
			p := s.read(ctx)
			select {
			case s.out <- p:
			case <-ctx.Done():
				if p.b != nil {
					p.b.Release()
				}
				return
			}
			if p.err != nil {
				return
			}
		}
	}()
}

// read returns the input's next batch or its end; a panic of the input fails the query,
// not the process.
func (s *prefetchStream) read(ctx context.Context) (p prefetched) {
	defer func() {
		if r := recover(); r != nil {
			p = prefetched{err: errs.FromPanic(r)}
		}
	}()
	b, err := s.in.Next(ctx)
	return prefetched{b: b, err: err}
}

// Close stops the reader, releases the batch it read ahead, and closes the input.
func (s *prefetchStream) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	if s.started {
		s.cancel()
		for p := range s.out {
			if p.b != nil {
				p.b.Release()
			}
		}
	}
	return s.in.Close()
}
