package engine

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/storage/hotcache"
	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

// cacheCallSchema is the result of sleeper.cache_pin and sleeper.cache_evict: one bigint
// column named after the function.
func cacheCallSchema(s *planner.CacheCall) *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{{Name: s.Func, Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
}

// cacheCall runs sleeper.cache_pin('t'), which pins table t in the hot cache and loads every
// column chunk of its current files, returning the bytes it holds of them, or
// sleeper.cache_evict('t'), which unpins t and drops its chunks, returning the bytes freed.
func (e *Engine) cacheCall(ctx context.Context, s *planner.CacheCall) (Result, error) {
	t, err := e.cat.Table(ctx, s.Table)
	if err != nil {
		return nil, err
	}
	prefix := statestore.TablePrefix(t.StateID())
	var n int64
	switch s.Func {
	case "cache_evict":
		n = e.hot.Evict(prefix)
	case "cache_pin":
		if e.hot == nil {
			return nil, errs.New(errs.InvalidParameter, "sleeper.cache_pin: the hot cache is off (--cache-memory 0)")
		}
		if n, err = e.pin(ctx, t.Name, prefix, t.StateID()); err != nil {
			return nil, err
		}
	}
	b := array.NewInt64Builder(exec.Allocator(ctx))
	defer b.Release()
	b.Append(n)
	col := b.NewArray()
	defer col.Release()
	return &batchResult{batch: array.NewRecordBatch(cacheCallSchema(s), []arrow.Array{col}, 1), tag: "SELECT 1"}, nil
}

// pin pins the table with prefix in the hot cache and decodes every column chunk of its
// current files into it. It fails, leaving the table unpinned, if they do not fit beside the
// other pinned tables.
func (e *Engine) pin(ctx context.Context, name, prefix string, id statestore.TableID) (int64, error) {
	state, err := e.ss.Snapshot(ctx, id)
	if err != nil {
		return 0, err
	}
	free := e.hot.Free(prefix)
	if err := e.hot.Pin(prefix, free); err != nil {
		return 0, errs.New(errs.InvalidParameter, "sleeper.cache_pin: %v", err)
	}
	for _, f := range state.Files() {
		pf, err := e.files.Open(ctx, f.Name, f.Bytes, nil)
		if err == nil {
			err = pf.Preload(&objstore.ReaderAt{Ctx: ctx, Store: e.store, Name: f.Name, Size: pf.Size()})
		}
		if err != nil {
			e.hot.Unpin(prefix)
			return 0, err
		}
	}
	pinned, overflow := e.hot.Settle(prefix)
	if overflow {
		e.hot.Unpin(prefix)
		return 0, errs.New(errs.InvalidParameter, "sleeper.cache_pin: %v: table %q needs more than the %d bytes free", hotcache.ErrTooLarge, name, free)
	}
	return pinned, nil
}
