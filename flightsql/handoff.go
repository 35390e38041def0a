package flightsql

import (
	"context"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/flight"
)

// arrow-go's Flight SQL DoGet releases each batch it receives from a result channel after
// writing it, but not one whose write fails (the client went away): that batch would never
// be released. doGetGuard wraps the Flight service so that every batch a DoGet handler takes
// from us is tracked, and whatever it still holds when the handler returns is released.

// handoff tracks the batches handed to one DoGet call.
type handoff struct {
	mu  sync.Mutex
	out map[*handedBatch]struct{}
}

type handoffKey struct{}

// hand gives b to the DoGet handler of ctx, tracked when ctx carries a handoff.
func hand(ctx context.Context, b arrow.RecordBatch) arrow.RecordBatch {
	h, ok := ctx.Value(handoffKey{}).(*handoff)
	if !ok || b == nil {
		return b
	}
	t := &handedBatch{RecordBatch: b, h: h, refs: 1}
	h.mu.Lock()
	h.out[t] = struct{}{}
	h.mu.Unlock()
	return t
}

// releaseAll releases what the handler did not.
func (h *handoff) releaseAll() {
	h.mu.Lock()
	out := h.out
	h.out = map[*handedBatch]struct{}{}
	h.mu.Unlock()
	for t := range out {
		t.mu.Lock()
		if t.refs > 0 {
			t.refs = 0
			t.RecordBatch.Release()
		}
		t.mu.Unlock()
	}
}

// handedBatch is a batch owned by the DoGet handler, with its own reference count.
type handedBatch struct {
	arrow.RecordBatch
	h    *handoff
	mu   sync.Mutex
	refs int
}

func (t *handedBatch) Retain() {
	t.mu.Lock()
	t.refs++
	t.mu.Unlock()
}

func (t *handedBatch) Release() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.refs == 0 {
		return
	}
	if t.refs--; t.refs == 0 {
		t.RecordBatch.Release()
		t.h.mu.Lock()
		delete(t.h.out, t)
		t.h.mu.Unlock()
	}
}

// doGetGuard is the Flight service with DoGet's batches tracked (see handoff).
type doGetGuard struct {
	flight.FlightServer
}

func (g doGetGuard) DoGet(req *flight.Ticket, stream flight.FlightService_DoGetServer) error {
	h := &handoff{out: map[*handedBatch]struct{}{}}
	defer h.releaseAll()
	return g.FlightServer.DoGet(req, &guardedStream{stream, context.WithValue(stream.Context(), handoffKey{}, h)})
}

// guardedStream is a DoGet stream whose context carries its handoff.
type guardedStream struct {
	flight.FlightService_DoGetServer
	ctx context.Context
}

func (s *guardedStream) Context() context.Context { return s.ctx }
