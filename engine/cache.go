package engine

import (
	"context"
	"errors"

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
		if n, err = e.pin(ctx, prefix, t.StateID()); err != nil {
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

// pin pins the table with prefix in the hot cache, reserving the bytes of the column chunks
// of its current files, and loads them.
func (e *Engine) pin(ctx context.Context, prefix string, id statestore.TableID) (int64, error) {
	state, err := e.ss.Snapshot(ctx, id)
	if err != nil {
		return 0, err
	}
	type open struct {
		name string
		size int64
	}
	var files []open
	var need int64
	for _, f := range state.Files() {
		pf, err := e.files.Open(ctx, f.Name, f.Bytes, nil)
		if err != nil {
			return 0, err
		}
		need += pf.ChunkBytes()
		files = append(files, open{f.Name, f.Bytes})
	}
	if err := e.hot.Pin(prefix, need); err != nil {
		if errors.Is(err, hotcache.ErrTooLarge) {
			return 0, errs.New(errs.InvalidParameter, "sleeper.cache_pin: %v", err)
		}
		return 0, err
	}
	for _, f := range files {
		pf, err := e.files.Open(ctx, f.name, f.size, nil)
		if err != nil {
			return 0, err
		}
		if _, err := pf.Preload(&objstore.ReaderAt{Ctx: ctx, Store: e.store, Name: f.name, Size: pf.Size()}); err != nil {
			return 0, err
		}
	}
	return e.hot.Stats(prefix).Bytes, nil
}
