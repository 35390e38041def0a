package parquet

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// parallelRows is the fewest rows of a batch whose column chunks are decoded in parallel: a
// key lookup's batch of a few rows decodes on the calling goroutine, where starting
// goroutines would cost more than the decoding.
const parallelRows = 2048

// decodeSlots bounds the goroutines decoding columns beside their readers' own, across every
// Reader of the process. A reader that finds no slot free decodes on its own goroutine: it
// never waits for one.
var decodeSlots = make(chan struct{}, max(runtime.GOMAXPROCS(0), 2))

// decodes reports whether c decodes values when read, rather than slicing a cached chunk or
// reading only levels.
func (c *chunkReader) decodes() bool { return c.arr == nil && c.nulls == nil }

// readColumns reads the next n rows of every open chunk into arrs (one per chunk, in order).
// With n >= parallelRows and more than one chunk to decode, the chunks are decoded in
// parallel: the calling goroutine and up to one more goroutine per free slot of decodeSlots
// (at most one per chunk beyond the first) take chunks in turn. Each chunk reader is used by
// one goroutine at a time and they share nothing but the allocator, which is safe for
// concurrent use, and the source, which io.ReaderAt allows to be read concurrently. On error
// the arrays read are released and the error of the first failing column (in output order)
// returned, as reading them one after another would. A panic in a decoding goroutine is
// raised again on the calling one, after the others have finished and their arrays are
// released.
func (r *Reader) readColumns(n int, mem memory.Allocator, arrs []arrow.Array) (err error) {
	defer func() {
		if err != nil {
			for i, a := range arrs {
				if a != nil {
					a.Release()
					arrs[i] = nil
				}
			}
		}
	}()
	decoding := 0
	for _, c := range r.chunks {
		if c.decodes() {
			decoding++
		}
	}
	if n < parallelRows || decoding < 2 || r.serial {
		for i, c := range r.chunks {
			if arrs[i], err = c.read(n, mem); err != nil {
				return fmt.Errorf("reading parquet column %q: %w", c.col.field.Name, err)
			}
		}
		return nil
	}
	// The cheap chunks first, on this goroutine; then the decoding ones, shared out.
	todo := make([]int, 0, decoding)
	for i, c := range r.chunks {
		if !c.decodes() {
			if arrs[i], err = c.read(n, mem); err != nil {
				return fmt.Errorf("reading parquet column %q: %w", c.col.field.Name, err)
			}
			continue
		}
		todo = append(todo, i)
	}
	errs := make([]error, len(r.chunks))
	var (
		next   atomic.Int64
		wg     sync.WaitGroup
		pmu    sync.Mutex
		panics []any
	)
	work := func() {
		defer func() {
			if p := recover(); p != nil {
				pmu.Lock()
				panics = append(panics, p)
				pmu.Unlock()
				// The other goroutines finish the remaining chunks; this one's is lost,
				// and the panic is raised again below.
			}
		}()
		for {
			k := int(next.Add(1)) - 1
			if k >= len(todo) {
				return
			}
			i := todo[k]
			arrs[i], errs[i] = r.chunks[i].read(n, mem)
		}
	}
spawn:
	for range len(todo) - 1 {
		select {
		case decodeSlots <- struct{}{}:
			wg.Add(1)
			go func() {
				defer func() { <-decodeSlots; wg.Done() }()
				work()
			}()
		default:
			break spawn
		}
	}
	work()
	wg.Wait()
	if len(panics) > 0 {
		for i, a := range arrs {
			if a != nil {
				a.Release()
				arrs[i] = nil
			}
		}
		panic(panics[0])
	}
	for _, i := range todo {
		if errs[i] != nil {
			return fmt.Errorf("reading parquet column %q: %w", r.chunks[i].col.field.Name, errs[i])
		}
	}
	return nil
}
