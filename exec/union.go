package exec

import (
	"context"
	"fmt"
	"github.com/sleeperd/sleeperd/errs"
	"io"
	"runtime"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
)

// Union passes on every row of its children (UNION ALL), running up to parallelism children
// at a time. Batches are passed on as they arrive, so their order across children is not
// defined. The table scan runs one child per leaf partition.
type Union struct {
	children    []Operator
	parallelism int
}

var _ Operator = (*Union)(nil)

// NewUnion returns the union of children, which must have equal schemas. parallelism < 1
// means GOMAXPROCS.
func NewUnion(children []Operator, parallelism int) (*Union, error) {
	if len(children) == 0 {
		return nil, fmt.Errorf("union: %w: no children", ErrArity)
	}
	for i, c := range children {
		if c == nil {
			return nil, fmt.Errorf("union: nil child %d", i)
		}
		if !c.Schema().Equal(children[0].Schema()) {
			return nil, fmt.Errorf("union: child %d: %w: %s, want %s", i, ErrSchema, c.Schema(), children[0].Schema())
		}
	}
	if parallelism < 1 {
		parallelism = runtime.GOMAXPROCS(0)
	}
	return &Union{children: children, parallelism: min(parallelism, len(children))}, nil
}

func (u *Union) Schema() *arrow.Schema { return u.children[0].Schema() }
func (u *Union) Children() []Operator  { return u.children }

func (u *Union) String() string {
	return fmt.Sprintf("Union: children=%d parallelism=%d", len(u.children), u.parallelism)
}

// Execute returns a stream whose producers start at the first Next. They stop when the
// stream is closed, when ctx is done, or after the first error; a producer's panic becomes
// that error.
func (u *Union) Execute(ctx context.Context) (Stream, error) {
	ctx, cancel := context.WithCancel(ctx)
	return &unionStream{u: u, ctx: ctx, cancel: cancel,
		batches: make(chan arrow.RecordBatch, u.parallelism), failed: make(chan struct{})}, nil
}

type unionStream struct {
	u       *Union
	ctx     context.Context // producers' context, cancelled by Close and on error
	cancel  context.CancelFunc
	batches chan arrow.RecordBatch // closed when every producer has returned
	started bool
	closed  bool

	mu     sync.Mutex
	err    error         // first error
	failed chan struct{} // closed when err is set
	next   int           // next child to run
	wg     sync.WaitGroup
}

func (s *unionStream) start() {
	s.started = true
	s.wg.Add(s.u.parallelism)
	for range s.u.parallelism {
		go s.worker()
	}
	go func() {
		s.wg.Wait()
		close(s.batches)
	}()
}

func (s *unionStream) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = err
		close(s.failed)
		s.cancel()
	}
}

func (s *unionStream) worker() {
	defer s.wg.Done()
	for {
		s.mu.Lock()
		i := s.next
		s.next++
		s.mu.Unlock()
		if i >= len(s.u.children) || s.ctx.Err() != nil {
			return
		}
		if err := s.run(s.u.children[i]); err != nil {
			s.fail(fmt.Errorf("union child %d: %w", i, err))
			return
		}
	}
}

// run drains one child into the channel.
func (s *unionStream) run(child Operator) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errs.FromPanic(r)
		}
	}()
	st, err := child.Execute(s.ctx)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := st.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	for {
		b, err := st.Next(s.ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if s.ctx.Err() != nil {
				return nil // stopped by Close or by another producer's error
			}
			return err
		}
		select {
		case s.batches <- b:
		case <-s.ctx.Done():
			b.Release()
			return nil
		}
	}
}

func (s *unionStream) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if s.closed {
		return nil, io.EOF
	}
	if !s.started {
		s.start()
	}
	select {
	case b, ok := <-s.batches:
		if ok {
			return b, nil
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.err != nil {
			return nil, s.err
		}
		if err := s.ctx.Err(); err != nil {
			return nil, err
		}
		return nil, io.EOF
	case <-s.failed:
		s.mu.Lock()
		defer s.mu.Unlock()
		return nil, s.err
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-s.ctx.Done():
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.err != nil {
			return nil, s.err
		}
		return nil, s.ctx.Err()
	}
}

// Close cancels the producers, waits for them and releases batches nobody read.
func (s *unionStream) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	s.cancel()
	if !s.started {
		return nil
	}
	for b := range s.batches {
		b.Release()
	}
	return nil
}
