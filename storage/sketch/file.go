package sketch

import (
	"context"
	"fmt"

	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/parquet"
)

// FromFile returns the sketch stored in the footer of an open Parquet file, or an error
// wrapping ErrNoSketch when it has none.
func FromFile(f *parquet.File) (*Sketch, error) {
	v, ok := f.KeyValue(FooterKey)
	if !ok {
		return nil, ErrNoSketch
	}
	return Decode(v)
}

// Load reads the sketch in the footer of the Parquet object name of the given size (read
// from the store when size <= 0). Only the footer is read.
func Load(ctx context.Context, store objstore.Store, name string, size int64) (*Sketch, error) {
	if size <= 0 {
		var err error
		if size, err = store.Size(ctx, name); err != nil {
			return nil, fmt.Errorf("sketch of %s: %w", name, err)
		}
	}
	f, err := parquet.Open(&objstore.ReaderAt{Ctx: ctx, Store: store, Name: name, Size: size}, size)
	if err != nil {
		return nil, fmt.Errorf("sketch of %s: %w", name, err)
	}
	s, err := FromFile(f)
	if err != nil {
		return nil, fmt.Errorf("sketch of %s: %w", name, err)
	}
	return s, nil
}
