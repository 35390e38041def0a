package exec

import (
	"encoding/binary"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// take returns the rows idx of a, in that order. The result is new memory from mem.
func take(mem memory.Allocator, a arrow.Array, idx []int32) arrow.Array {
	n := len(idx)
	var validity *memory.Buffer
	if a.NullN() > 0 {
		validity = newBitmap(mem, n, false)
		v := validity.Bytes()
		for j, i := range idx {
			if a.IsValid(int(i)) {
				bitutil.SetBit(v, j)
			}
		}
	}
	t := a.DataType()
	switch tid(t) {
	case arrow.BOOL:
		b := a.(*array.Boolean)
		out := newBitmap(mem, n, false)
		ob := out.Bytes()
		for j, i := range idx {
			if b.Value(int(i)) {
				bitutil.SetBit(ob, j)
			}
		}
		return makeArray(t, n, validity, out)
	case arrow.INT16:
		return takeFixed[int16](mem, a, idx, validity)
	case arrow.INT32, arrow.DATE32:
		return takeFixed[int32](mem, a, idx, validity)
	case arrow.INT64, arrow.TIMESTAMP:
		return takeFixed[int64](mem, a, idx, validity)
	case arrow.FLOAT32:
		return takeFixed[float32](mem, a, idx, validity)
	case arrow.FLOAT64:
		return takeFixed[float64](mem, a, idx, validity)
	case arrow.DECIMAL128:
		return takeFixed[decimal128.Num](mem, a, idx, validity)
	case arrow.INTERVAL_MONTH_DAY_NANO:
		return takeFixed[arrow.MonthDayNanoInterval](mem, a, idx, validity)
	case arrow.STRING, arrow.BINARY:
		offs := arrow.GetOffsets[int32](a.Data(), 1)
		data := a.Data().Buffers()[2]
		var src []byte
		if data != nil {
			src = data.Bytes()
		}
		total := 0
		for _, i := range idx {
			total += int(offs[i+1] - offs[i])
		}
		offBuf, oo := newValues[int32](mem, n+1)
		dbuf := memory.NewResizableBuffer(mem)
		dbuf.Resize(total)
		d := dbuf.Buf() // its capacity: room past total for the last word below
		pos := 0
		for j, i := range idx {
			oo[j] = int32(pos)
			s, e := int(offs[i]), int(offs[i+1])
			if e-s <= 8 && s+8 <= len(src) && pos+8 <= len(d) {
				// A short value moves as one word; the bytes past it are overwritten by
				// the next value or lie past the data's length.
				binary.LittleEndian.PutUint64(d[pos:], binary.LittleEndian.Uint64(src[s:]))
				pos += e - s
				continue
			}
			pos += copy(d[pos:], src[s:e])
		}
		oo[n] = int32(pos)
		return makeArray(t, n, validity, offBuf, dbuf)
	case arrow.LIST, arrow.MAP:
		return takeList(mem, a, idx, validity)
	case arrow.STRUCT:
		return takeStruct(mem, a, idx, validity)
	}
	if validity != nil {
		validity.Release()
	}
	panic("exec: take of unsupported type " + t.String())
}

func takeFixed[T arrow.FixedWidthType](mem memory.Allocator, a arrow.Array, idx []int32, validity *memory.Buffer) arrow.Array {
	src := values[T](a)
	buf, out := newValues[T](mem, len(idx))
	for j, i := range idx {
		out[j] = src[i]
	}
	return makeArray(a.DataType(), len(idx), validity, buf)
}

// takeBatch returns the rows idx of batch as a new batch.
func takeBatch(mem memory.Allocator, batch arrow.RecordBatch, idx []int32) arrow.RecordBatch {
	cols := make([]arrow.Array, batch.NumCols())
	for i, c := range batch.Columns() {
		cols[i] = take(mem, c, idx)
	}
	defer releaseAll(cols)
	return array.NewRecordBatch(batch.Schema(), cols, int64(len(idx)))
}

// part is a piece of a result being assembled by scatter: arr's row j goes to output row
// rows[j].
type part struct {
	rows []int32
	arr  arrow.Array
}

// scatter assembles an array of type t and length n from parts; rows no part covers are NULL.
func scatter(mem memory.Allocator, t arrow.DataType, n int, parts []part) arrow.Array {
	validity := newBitmap(mem, n, false)
	v := validity.Bytes()
	for _, p := range parts {
		for j, r := range p.rows {
			if p.arr.IsValid(j) {
				bitutil.SetBit(v, int(r))
			}
		}
	}
	switch tid(t) {
	case arrow.BOOL:
		out := newBitmap(mem, n, false)
		ob := out.Bytes()
		for _, p := range parts {
			b := p.arr.(*array.Boolean)
			for j, r := range p.rows {
				if b.Value(j) {
					bitutil.SetBit(ob, int(r))
				}
			}
		}
		return makeArray(t, n, validity, out)
	case arrow.INT16:
		return scatterFixed[int16](mem, t, n, parts, validity)
	case arrow.INT32, arrow.DATE32:
		return scatterFixed[int32](mem, t, n, parts, validity)
	case arrow.INT64, arrow.TIMESTAMP:
		return scatterFixed[int64](mem, t, n, parts, validity)
	case arrow.FLOAT32:
		return scatterFixed[float32](mem, t, n, parts, validity)
	case arrow.FLOAT64:
		return scatterFixed[float64](mem, t, n, parts, validity)
	case arrow.DECIMAL128:
		return scatterFixed[decimal128.Num](mem, t, n, parts, validity)
	case arrow.INTERVAL_MONTH_DAY_NANO:
		return scatterFixed[arrow.MonthDayNanoInterval](mem, t, n, parts, validity)
	case arrow.STRING, arrow.BINARY:
		lens := make([]int32, n)
		for _, p := range parts {
			offs := arrow.GetOffsets[int32](p.arr.Data(), 1)
			for j, r := range p.rows {
				lens[r] = offs[j+1] - offs[j]
			}
		}
		offBuf, oo, total := lengthOffsets(mem, lens)
		dbuf := memory.NewResizableBuffer(mem)
		dbuf.Resize(int(total))
		d := dbuf.Bytes()
		for _, p := range parts {
			offs := arrow.GetOffsets[int32](p.arr.Data(), 1)
			var src []byte
			if b := p.arr.Data().Buffers()[2]; b != nil {
				src = b.Bytes()
			}
			for j, r := range p.rows {
				copy(d[oo[r]:oo[r+1]], src[offs[j]:offs[j+1]])
			}
		}
		return makeArray(t, n, validity, offBuf, dbuf)
	case arrow.LIST, arrow.MAP:
		return scatterList(mem, t, n, parts, validity)
	case arrow.STRUCT:
		return scatterStruct(mem, t, n, parts, validity)
	}
	validity.Release()
	panic("exec: scatter of unsupported type " + t.String())
}

// lengthOffsets returns the offsets buffer of values of the given lengths: len(lens)+1
// offsets from 0, as a buffer and a slice over it, and the total length.
func lengthOffsets(mem memory.Allocator, lens []int32) (*memory.Buffer, []int32, int32) {
	buf, oo := newValues[int32](mem, len(lens)+1)
	total := int32(0)
	for i, l := range lens {
		oo[i] = total
		total += l
	}
	oo[len(lens)] = total
	return buf, oo, total
}

func scatterFixed[T arrow.FixedWidthType](mem memory.Allocator, t arrow.DataType, n int, parts []part, validity *memory.Buffer) arrow.Array {
	buf, out := newValues[T](mem, n)
	for _, p := range parts {
		src := values[T](p.arr)
		for j, r := range p.rows {
			out[r] = src[j]
		}
	}
	return makeArray(t, n, validity, buf)
}
