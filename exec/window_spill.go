package exec

import (
	"bytes"
	"context"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// A Window with PARTITION BY whose input grows past the memory budget sorts the input by
// the partition and order keys with an external Sort (which spills sorted runs and merges
// them) and then computes the functions over a chunk of whole partitions at a time, in the
// sorted order: what it holds is a chunk, not the input. The output is the same, in the same
// order, as without spilling, both sorts being stable. A single partition is held whole,
// however large; a Window without PARTITION BY is one partition and does not spill.

// windowRowBytes is the estimated cost of an input row of a window beyond its values: its
// place in the permutation and the partition and peer layout.
const windowRowBytes = 24

// windowSpill is the sorted input of a spilled window and the rows read from it but not yet
// computed. A chunk is computed once the rows pending reach a quarter of the budget, or
// sooner when the budget (shared with the statement's other operators and, through the
// server's pool, with other statements) refuses them.
type windowSpill struct {
	res    *Reservation
	sorted Stream // the input, sorted by the partition and order keys
	eof    bool
	chunk  int64 // bytes of rows to gather before computing a chunk
	tight  bool  // the budget refused what pend takes: compute a chunk now

	pend    []arrow.RecordBatch // sorted rows read, not yet computed
	keys    [][]arrow.Array     // the partition keys of pend
	bytes   int64
	rows    int64
	onePart int    // the first onePart batches of pend are all of the partition of last
	last    []byte // encoded partition key of the last row read
}

// read reads the input and returns it as one batch, or nil with s.spill set when it grew
// past the memory budget.
func (s *windowStream) read(ctx context.Context) (arrow.RecordBatch, error) {
	w := s.w
	res := Budget(ctx).reserve()
	s.res = res // released by Close
	var held []arrow.RecordBatch
	defer func() { releaseRecords(held) }()
	rows, size := int64(0), int64(0)
	for {
		b, err := nextRows(ctx, s.in)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		held = append(held, b)
		rows += b.NumRows()
		size += batchSize(b)
		// The rows, their concatenation, the sort keys, the layout and the results.
		cost := 2*size + rows*(windowRowBytes+8*int64(len(w.funcs)))
		if !res.resize(cost) && len(w.partitionBy) > 0 {
			res.release()
			keys := make([]SortKey, 0, len(w.partitionBy)+len(w.orderBy))
			for _, p := range w.partitionBy {
				keys = append(keys, SortKey{Expr: p})
			}
			keys = append(keys, w.orderBy...)
			in := &replayStream{held: held, in: s.in}
			held = nil
			s.in = nil
			s.spill = &windowSpill{res: Budget(ctx).reserve(), chunk: max(Budget(ctx).Limit()/4, 64<<10),
				sorted: &sortStream{keys: keys, schema: w.input.Schema(), in: in, limit: -1}}
			return nil, nil
		}
	}
	return concatBatches(Allocator(ctx), w.input.Schema(), held, rows)
}

// releaseRecords releases every batch of bs.
func releaseRecords(bs []arrow.RecordBatch) {
	for _, b := range bs {
		b.Release()
	}
}

// nextChunk computes the functions over the next chunk of whole partitions of the sorted
// input; io.EOF when there is none.
func (s *windowStream) nextChunk(ctx context.Context) error {
	s.reset()
	p := s.spill
	for {
		cut, ok := -1, 0
		if p.eof {
			if len(p.pend) == 0 {
				return io.EOF
			}
			cut, ok = len(p.pend), 0
		} else if p.bytes >= p.chunk || p.tight {
			cut, ok = p.lastPartition()
		}
		if cut > 0 || ok > 0 {
			return s.computeChunk(ctx, cut, ok)
		}
		b, err := p.sorted.Next(ctx)
		if err == io.EOF {
			p.eof = true
			continue
		}
		if err != nil {
			return err
		}
		if err := p.add(ctx, s.w.partitionBy, b); err != nil {
			return err
		}
	}
}

// add appends a sorted batch, whose reference it takes, to the rows pending.
func (p *windowSpill) add(ctx context.Context, partitionBy []Expr, b arrow.RecordBatch) error {
	if b.NumRows() == 0 {
		b.Release()
		return nil
	}
	keys, err := evalAll(ctx, partitionBy, b)
	if err != nil {
		b.Release()
		return err
	}
	p.pend = append(p.pend, b)
	p.keys = append(p.keys, keys)
	p.bytes += batchSize(b) + arraysSize(keys)
	p.rows += b.NumRows()
	p.tight = !p.res.resize(2*p.bytes + p.rows*windowRowBytes)
	return nil
}

// encodeKey appends the encoded partition key of row r of pending batch i to dst.
func (p *windowSpill) encodeKey(dst []byte, i, r int) []byte {
	for _, k := range p.keys[i] {
		dst = encoder(k)(dst, r)
	}
	return dst
}

// lastPartition finds where the partition of the last row pending starts: in batch cut at
// row off; (0, 0) when every row pending is of that partition.
func (p *windowSpill) lastPartition() (cut, off int) {
	n := len(p.pend)
	last := p.encodeKey(nil, n-1, int(p.pend[n-1].NumRows())-1)
	if !bytes.Equal(last, p.last) {
		p.onePart = 0
	}
	p.last = last
	var key []byte
	for i := n - 1; i >= p.onePart; i-- {
		for r := int(p.pend[i].NumRows()) - 1; r >= 0; r-- {
			key = p.encodeKey(key[:0], i, r)
			if !bytes.Equal(key, last) {
				if r+1 == int(p.pend[i].NumRows()) {
					return i + 1, 0
				}
				return i, r + 1
			}
		}
	}
	p.onePart = n
	return 0, 0
}

// computeChunk computes the functions over the pending rows before row off of batch cut,
// keeping the rest pending.
func (s *windowStream) computeChunk(ctx context.Context, cut, off int) error {
	p := s.spill
	var chunk, rest []arrow.RecordBatch
	var restKeys [][]arrow.Array
	rows := int64(0)
	for i, b := range p.pend {
		switch {
		case i < cut:
			chunk = append(chunk, b)
			rows += b.NumRows()
			releaseAll(p.keys[i])
		case i == cut && off > 0:
			chunk = append(chunk, b.NewSlice(0, int64(off)))
			rows += int64(off)
			rest = append(rest, b.NewSlice(int64(off), b.NumRows()))
			ks := make([]arrow.Array, len(p.keys[i]))
			for j, k := range p.keys[i] {
				ks[j] = array.NewSlice(k, int64(off), int64(k.Len()))
			}
			restKeys = append(restKeys, ks)
			b.Release()
			releaseAll(p.keys[i])
		default:
			rest = append(rest, b)
			restKeys = append(restKeys, p.keys[i])
		}
	}
	p.pend, p.keys, p.onePart, p.bytes, p.rows = rest, restKeys, 0, 0, 0
	for i, b := range p.pend {
		p.bytes += batchSize(b) + arraysSize(p.keys[i])
		p.rows += b.NumRows()
	}
	p.tight = !p.res.resize(2*p.bytes + p.rows*windowRowBytes)
	data, err := concatBatches(Allocator(ctx), s.w.input.Schema(), chunk, rows)
	releaseRecords(chunk)
	if err != nil {
		return err
	}
	return s.computeAll(ctx, data)
}

// close releases what the spilled window holds and closes its input.
func (p *windowSpill) close() error {
	releaseRecords(p.pend)
	for _, ks := range p.keys {
		releaseAll(ks)
	}
	p.pend, p.keys = nil, nil
	p.res.release()
	return p.sorted.Close()
}

// replayStream returns held batches, and then the rest of a stream.
type replayStream struct {
	held []arrow.RecordBatch
	in   Stream
}

func (s *replayStream) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if len(s.held) > 0 {
		b := s.held[0]
		s.held = s.held[1:]
		return b, nil
	}
	return s.in.Next(ctx)
}

func (s *replayStream) Close() error {
	releaseRecords(s.held)
	s.held = nil
	return s.in.Close()
}
