package exec

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// bitState is bit_and, bit_or or bit_xor of integers, in the argument's type.
type bitState struct {
	op   byte // '&', '|' or '#'
	typ  arrow.DataType
	vals []int64
	seen []bool
}

func (s *bitState) grow(n int) { s.vals, s.seen = grown(s.vals, n), grown(s.seen, n) }

func (s *bitState) update(gids []int32, arr arrow.Array) error {
	for i, g := range gids {
		if !validRow(arr, gids, i) {
			continue
		}
		var v int64
		switch a := valueAt(arr, i).(type) {
		case int16:
			v = int64(a)
		case int32:
			v = int64(a)
		case int64:
			v = a
		}
		switch {
		case !s.seen[g]:
			s.vals[g], s.seen[g] = v, true
		case s.op == '&':
			s.vals[g] &= v
		case s.op == '|':
			s.vals[g] |= v
		default:
			s.vals[g] ^= v
		}
	}
	return nil
}

func (s *bitState) finish(mem memory.Allocator) (arrow.Array, error) {
	switch s.typ.ID() {
	case arrow.INT16:
		buf, out := newValues[int16](mem, len(s.vals))
		for i, v := range s.vals {
			out[i] = int16(v)
		}
		return makeArray(s.typ, len(s.vals), seenValidity(mem, s.seen), buf), nil
	case arrow.INT32:
		buf, out := newValues[int32](mem, len(s.vals))
		for i, v := range s.vals {
			out[i] = int32(v)
		}
		return makeArray(s.typ, len(s.vals), seenValidity(mem, s.seen), buf), nil
	}
	buf, out := newValues[int64](mem, len(s.vals))
	copy(out, s.vals)
	return makeArray(s.typ, len(s.vals), seenValidity(mem, s.seen), buf), nil
}
