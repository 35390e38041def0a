package exec

import (
	"encoding/binary"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
)

// selectedRows appends to sel the rows where p is true (valid and set), in order, reading
// p's bitmaps 64 rows at a time: a run of rows none of which is selected costs one word.
func selectedRows(p *array.Boolean, sel []int32) []int32 {
	n := p.Len()
	off := p.Data().Offset()
	vals := boolBits(p)
	var valid []byte
	if p.NullN() > 0 {
		valid = p.NullBitmapBytes()
	}
	for i := 0; i < n; i += 64 {
		k := min(64, n-i)
		w := bitWord(vals, off+i, k)
		if valid != nil {
			w &= bitWord(valid, off+i, k)
		}
		if w == ^uint64(0) {
			for j := range 64 {
				sel = append(sel, int32(i+j))
			}
			continue
		}
		for w != 0 {
			sel = append(sel, int32(i+bits.TrailingZeros64(w)))
			w &= w - 1
		}
	}
	return sel
}

// bitWord returns the k (1 to 64) bits of the bitmap b from bit off, bit off in the lowest
// place; bits past k are zero.
func bitWord(b []byte, off, k int) uint64 {
	i, sh := off>>3, uint(off&7)
	var w uint64
	switch {
	case i+9 <= len(b):
		w = binary.LittleEndian.Uint64(b[i:]) >> sh
		if sh > 0 {
			w |= uint64(b[i+8]) << (64 - sh)
		}
	case sh == 0 && i+8 <= len(b):
		w = binary.LittleEndian.Uint64(b[i:])
	default:
		for j := range k {
			if bitutil.BitIsSet(b, off+j) {
				w |= 1 << j
			}
		}
		return w
	}
	if k < 64 {
		w &= 1<<k - 1
	}
	return w
}
