package parquet

import pq "github.com/parquet-go/parquet-go"

// byteArena holds copies of byte values in large blocks, so that copying many small values
// costs few allocations. Blocks are kept by reset for the next use.
type byteArena struct {
	blocks [][]byte
	cur    int // block being filled
}

const arenaBlock = 256 << 10

// reset forgets every copy, keeping the blocks.
func (a *byteArena) reset() {
	for i := range a.blocks {
		a.blocks[i] = a.blocks[i][:0]
	}
	a.cur = 0
}

// copyBytes returns a copy of b, valid until the next reset.
func (a *byteArena) copyBytes(b []byte) []byte {
	for {
		if a.cur == len(a.blocks) {
			a.blocks = append(a.blocks, make([]byte, 0, max(arenaBlock, len(b))))
		}
		blk := a.blocks[a.cur]
		if len(blk)+len(b) <= cap(blk) {
			start := len(blk)
			blk = append(blk, b...)
			a.blocks[a.cur] = blk
			return blk[start:len(blk):len(blk)]
		}
		if len(blk) == 0 {
			// An empty block too small for b: replace it.
			a.blocks[a.cur] = make([]byte, 0, len(b))
			continue
		}
		a.cur++
	}
}

// copyValue is byte value v (not NULL) with its bytes copied to the arena, its levels and
// column kept.
func (a *byteArena) copyValue(v pq.Value) pq.Value {
	b := a.copyBytes(v.ByteArray())
	var c pq.Value
	if v.Kind() == pq.FixedLenByteArray {
		c = pq.FixedLenByteArrayValue(b)
	} else {
		c = pq.ByteArrayValue(b)
	}
	return c.Level(v.RepetitionLevel(), v.DefinitionLevel(), v.Column())
}
