package compaction

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
)

// prefetchDepth is how many batches a prefetching input decodes ahead of the merge.
const prefetchDepth = 2

// prefetch is an input read ahead on its own goroutine, so that decoding the inputs overlaps
// the merge and the encoding of the output. The goroutine starts at the first Next, with the
// context of that call; it holds at most prefetchDepth batches besides the one it is reading.
type prefetch struct {
	in     exec.Stream
	ch     chan prefetched
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
	cancel context.CancelFunc
	err    error // the first error returned, returned again by later calls
	closed bool
}

type prefetched struct {
	b   arrow.RecordBatch
	err error
}

var _ exec.Stream = (*prefetch)(nil)

func newPrefetch(in exec.Stream) *prefetch {
	return &prefetch{in: in, ch: make(chan prefetched, prefetchDepth), stop: make(chan struct{}), done: make(chan struct{})}
}

func (p *prefetch) run(ctx context.Context) {
	defer close(p.done)
	defer close(p.ch)
	for {
		var b arrow.RecordBatch
		err := func() (err error) {
			defer func() {
				if r := recover(); r != nil {
					err = errs.Recovered(r)
				}
			}()
			b, err = p.in.Next(ctx)
			return err
		}()
		select {
		case p.ch <- prefetched{b, err}:
		case <-p.stop:
			if b != nil {
				b.Release()
			}
			return
		}
		if err != nil {
			return
		}
	}
}

// Next implements exec.Stream.
func (p *prefetch) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if p.closed {
		return nil, fmt.Errorf("compaction: read of a closed input")
	}
	if p.err != nil {
		return nil, p.err
	}
	p.once.Do(func() {
		var rctx context.Context
		rctx, p.cancel = context.WithCancel(ctx)
		go p.run(rctx)
	})
	select {
	case r, ok := <-p.ch:
		if !ok {
			return nil, io.EOF
		}
		if r.err != nil {
			p.err = r.err
			return nil, r.err
		}
		return r.b, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Close implements exec.Stream: it stops the goroutine, releases the batches read ahead and
// closes the input.
func (p *prefetch) Close() error {
	if p.closed {
		return nil
	}
	p.closed = true
	close(p.stop)
	started := true
	p.once.Do(func() { started = false })
	if started {
		p.cancel()
		for r := range p.ch {
			if r.b != nil {
				r.b.Release()
			}
		}
		<-p.done
	}
	return p.in.Close()
}
