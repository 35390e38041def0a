package exec

import (
	"context"
	"errors"
	"runtime"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/errs"
)

// readAheadDepth is how many batches a readAhead holds ready beyond the one its caller has.
const readAheadDepth = 2

// readAhead is a stream that reads its input on a goroutine of its own, readAheadDepth
// batches ahead of the caller, so that the input's work (a join's probe) and the caller's
// (an aggregation) run on two cores at once. The input's batches, errors and end come out
// in order; a panic of the input becomes the query's error. The goroutine starts at the
// first Next, with that call's context, and stops when Close is called or the context is
// done; Close releases the batches read ahead and closes the input after the goroutine has
// stopped calling it.
type readAhead struct {
	in      Stream
	started bool
	closed  bool
	cancel  context.CancelFunc
	out     chan aheadItem
	done    chan struct{} // closed when the goroutine returns
	err     error         // the end: io.EOF or the input's error, returned by every later Next
}

type aheadItem struct {
	b   arrow.RecordBatch
	err error
}

var errReadAheadClosed = errors.New("exec: stream is closed")

// withReadAhead returns in read on a goroutine of its own when the process has more than one
// core to run it on, and in itself otherwise.
func withReadAhead(in Stream) Stream {
	if runtime.GOMAXPROCS(0) < 2 {
		return in
	}
	return &readAhead{in: in}
}

func (r *readAhead) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if r.closed {
		return nil, errReadAheadClosed
	}
	if r.err != nil {
		return nil, r.err
	}
	if !r.started {
		r.start(ctx)
	}
	select {
	case it := <-r.out:
		if it.err != nil {
			r.err = it.err
			return nil, it.err
		}
		return it.b, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (r *readAhead) start(ctx context.Context) {
	r.started = true
	gctx, cancel := context.WithCancel(ctx)
	r.cancel = cancel
	r.out = make(chan aheadItem, readAheadDepth)
	r.done = make(chan struct{})
	go func() {
		defer close(r.done)
		for {
			b, err := r.next(gctx)
			select {
			case r.out <- aheadItem{b, err}:
			case <-gctx.Done():
				if b != nil {
					b.Release()
				}
				return
			}
			if err != nil {
				return
			}
		}
	}()
}

// next is the input's Next, its panic turned into an error.
func (r *readAhead) next(ctx context.Context) (b arrow.RecordBatch, err error) {
	defer func() {
		if p := recover(); p != nil {
			b, err = nil, errs.FromPanic(p)
		}
	}()
	return r.in.Next(ctx)
}

func (r *readAhead) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	if r.started {
		r.cancel()
		for waiting := true; waiting; {
			select {
			case it := <-r.out:
				if it.b != nil {
					it.b.Release()
				}
			case <-r.done:
				waiting = false
			}
		}
		for len(r.out) > 0 {
			if it := <-r.out; it.b != nil {
				it.b.Release()
			}
		}
	}
	return r.in.Close()
}
