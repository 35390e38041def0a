package exec

import (
	"context"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
)

// setOpRowBytes is the estimated cost of an entry of a set operation's set or counts beyond
// its encoded row: the map's share and the count.
const setOpRowBytes = 64

// setOpSpill is the spilled part of a set operation other than UNION ALL. The set (UNION)
// or the counts (INTERSECT, EXCEPT) grow until the memory budget refuses; from then on they
// are full: rows of the rows they hold are still handled in memory, and the others are
// written to one of spillFanOut partitions by a hash of the whole row, the right input's
// rows (for INTERSECT and EXCEPT) to its partitions and the rest to the left ones. Equal
// rows land in the same partition, so once the inputs are done each pair of partitions is
// the same set operation over fewer rows, run in turn as one of its own (with another hash,
// recursively, when it is still too large; up to maxSpillDepth).
type setOpSpill struct {
	res         *Reservation
	bytes       int64 // estimated size of the set or counts
	full        bool
	left, right partitionWriter
	rows        []int32 // scratch: the rows of a batch to spill
	part        []int32

	draining bool
	next     int          // next partition to run
	sub      *setOpStream // the partition running
}

// add counts a new entry of key bytes.
func (p *setOpSpill) add(key int) { p.bytes += int64(key) + setOpRowBytes }

// check sets full when the budget refuses what the set or counts hold.
func (p *setOpSpill) check(depth int) {
	if !p.full && !p.res.resize(p.bytes) && depth < maxSpillDepth {
		p.full = true
	}
}

// write spills rows of b to w's partitions.
func (p *setOpSpill) write(ctx context.Context, w *partitionWriter, schema *arrow.Schema, jsonb []bool, b arrow.RecordBatch, rows []int32, depth int) error {
	if len(rows) == 0 {
		return nil
	}
	w.schema = schema
	n := int(b.NumRows())
	if cap(p.part) < n {
		p.part = make([]int32, n)
	}
	part := p.part[:n]
	cols, release := jsonbViews(b.Columns(), jsonb)
	partitionsOf(cols, depth, part)
	release()
	keep := make([]bool, n)
	for _, r := range rows {
		keep[r] = true
	}
	for r := range part {
		if !keep[r] {
			part[r] = -1
		}
	}
	return w.write(ctx, Allocator(ctx), b, part)
}

// drain ends the in-memory part of the operation: it frees the set or counts and starts on
// the partitions spilled, if any.
func (s *setOpStream) drain(ctx context.Context) (arrow.RecordBatch, error) {
	s.counts, s.seen = nil, nil
	s.spill.res.resize(0)
	s.spill.draining = true
	return s.nextPartition(ctx)
}

// nextPartition returns the next batch of the partitions' set operations.
func (s *setOpStream) nextPartition(ctx context.Context) (arrow.RecordBatch, error) {
	p := &s.spill
	for {
		if p.sub != nil {
			b, err := p.sub.Next(ctx)
			if err != io.EOF {
				return b, err
			}
			p.sub.Close()
			p.sub = nil
		}
		if p.next >= spillFanOut {
			return nil, io.EOF
		}
		i := p.next
		p.next++
		lf, rf := p.left.files[i], p.right.files[i]
		p.left.files[i], p.right.files[i] = nil, nil
		if lf == nil {
			// No left rows (nor, for UNION, any): the partition returns nothing.
			rf.remove()
			continue
		}
		left, err := lf.open(ctx)
		if err != nil {
			rf.remove()
			return nil, err
		}
		var right Stream = emptyStream{}
		if rf != nil {
			rs, err := rf.open(ctx)
			if err != nil {
				left.Close()
				return nil, err
			}
			right = rs
		}
		p.sub = &setOpStream{o: s.o, left: left, right: right, depth: s.depth + 1}
	}
}

// close removes the partitions not yet run and frees the reservation.
func (p *setOpSpill) close() {
	if p.sub != nil {
		p.sub.Close()
		p.sub = nil
	}
	p.left.remove()
	p.right.remove()
	p.res.release()
}
