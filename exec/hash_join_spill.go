package exec

import (
	"context"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
)

// maxSpillDepth bounds how many times a hash join partitions its inputs again: a partition
// that is still too large after that (many rows with one key) is built in memory.
const maxSpillDepth = 4

// joinRowBytes is the estimated cost of a build row in the hash table beyond its values:
// its chain link and a share of the map.
const joinRowBytes = 56

// buildOrSpill reads the right input of a hash join and returns it as one batch, or, when
// it grows past the memory budget, partitions both inputs to disk and sets s.grace.
func (s *joinStream) buildOrSpill(ctx context.Context) (arrow.RecordBatch, error) {
	s.res = Budget(ctx).reserve()
	var batches []arrow.RecordBatch
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	rows, size := int64(0), int64(0)
	for {
		b, err := nextRows(ctx, s.right)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		batches = append(batches, b)
		rows += b.NumRows()
		size += batchSize(b)
		// The batches, their concatenation, and the hash table.
		if !s.res.resize(2*size + joinRowBytes*rows) {
			held := batches
			batches = nil
			err := s.spill(ctx, held)
			s.res.resize(0)
			return nil, err
		}
	}
	return concatBatches(Allocator(ctx), s.spec.right.Schema(), batches, rows)
}

// graceJoin is a hash join whose inputs were partitioned to disk by a hash of the key: it
// joins each pair of partitions in turn as a join of its own.
type graceJoin struct {
	s           *joinStream
	left, right *partitionWriter
	none        bool // no row qualifies (NOT IN with a NULL on the right)
	part        int  // next partition
	sub         *joinStream
}

// spill partitions the right batches held (which it releases), the rest of the right
// input and the whole left input, and sets s.grace.
func (s *joinStream) spill(ctx context.Context, held []arrow.RecordBatch) error {
	j := s.p.(*hashProbe).j
	kind := s.spec.kind
	g := &graceJoin{s: s,
		left:  &partitionWriter{schema: s.spec.left.Schema()},
		right: &partitionWriter{schema: s.spec.right.Schema()}}
	s.grace = g // Close removes its files from here on
	// A row with a NULL key matches nothing. Such right rows are kept only to be returned
	// unmatched (Right, Full) and noted for NOT IN; such left rows are kept to be returned
	// unmatched (Left, Full, Anti), and dropped by NOT IN, whose right side is not empty.
	nullRight := false
	var err error
	for i, b := range held {
		if err == nil {
			var sawNull bool
			sawNull, err = g.partition(ctx, g.right, j.rightKeys, b, kind.keepsRight())
			nullRight = nullRight || sawNull
		}
		b.Release()
		held[i] = nil
	}
	for err == nil {
		b, rerr := s.right.Next(ctx)
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return rerr
		}
		var sawNull bool
		sawNull, err = g.partition(ctx, g.right, j.rightKeys, b, kind.keepsRight())
		nullRight = nullRight || sawNull
		b.Release()
	}
	if err != nil {
		return err
	}
	if kind == NullAwareAnti && nullRight {
		g.none = true
		return nil
	}
	keepLeft := kind.keepsLeft() || kind == Anti
	for {
		b, err := s.left.Next(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		_, err = g.partition(ctx, g.left, j.leftKeys, b, keepLeft)
		b.Release()
		if err != nil {
			return err
		}
	}
}

// partition writes the rows of b to w by the hash of their keys, dropping those with a NULL
// key unless keepNull; it reports whether some row had a NULL key.
func (g *graceJoin) partition(ctx context.Context, w *partitionWriter, exprs []Expr, b arrow.RecordBatch, keepNull bool) (bool, error) {
	n := int(b.NumRows())
	if n == 0 {
		return false, nil
	}
	keys, err := evalAll(ctx, exprs, b)
	if err != nil {
		return false, err
	}
	defer releaseAll(keys)
	part := make([]int32, n)
	partitionsOf(keys, g.s.depth, part)
	sawNull := false
	for _, k := range keys {
		if k.NullN() == 0 {
			continue
		}
		sawNull = true
		if !keepNull {
			for r := range n {
				if k.IsNull(r) {
					part[r] = -1
				}
			}
		}
	}
	return sawNull, w.write(ctx, Allocator(ctx), b, part)
}

func (g *graceJoin) next(ctx context.Context) (arrow.RecordBatch, error) {
	keepsRight := g.s.spec.kind.keepsRight()
	for {
		if g.sub != nil {
			b, err := g.sub.Next(ctx)
			if err != io.EOF {
				return b, err
			}
			err = g.sub.Close()
			g.sub = nil
			if err != nil {
				return nil, err
			}
		}
		if g.none || g.part >= spillFanOut {
			return nil, io.EOF
		}
		p := g.part
		g.part++
		lf, rf := g.left.files[p], g.right.files[p]
		g.left.files[p], g.right.files[p] = nil, nil
		if lf == nil && !(rf != nil && keepsRight) {
			rf.remove()
			continue
		}
		var ls, rs Stream = emptyStream{}, emptyStream{}
		if lf != nil {
			st, err := lf.open(ctx)
			if err != nil {
				rf.remove()
				return nil, err
			}
			ls = st
		}
		if rf != nil {
			st, err := rf.open(ctx)
			if err != nil {
				ls.Close()
				return nil, err
			}
			rs = st
		}
		g.sub = &joinStream{spec: g.s.spec, p: &hashProbe{j: g.s.p.(*hashProbe).j}, left: ls, right: rs, depth: g.s.depth + 1}
	}
}

func (g *graceJoin) close() {
	if g.sub != nil {
		g.sub.Close()
		g.sub = nil
	}
	g.left.remove()
	g.right.remove()
}
