// Package take copies chosen rows of several Arrow arrays into one new array, each value
// copied once (the k-way merges of compaction and of ingest's external sort build their output
// batches with it).
package take

import (
	"fmt"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Ref names one row of one of several source arrays.
type Ref struct{ Src, Row int32 }

// Rows returns a new array of type dt whose row j is row refs[j].Row of srcs[refs[j].Src]:
// one copy of each value, straight from the sources. Sources not referenced may be nil. The
// result is new memory from mem; srcs stay the caller's.
func Rows(mem memory.Allocator, dt arrow.DataType, srcs []arrow.Array, refs []Ref) (arrow.Array, error) {
	n := len(refs)
	if dt.ID() == arrow.NULL {
		return array.NewNull(n), nil
	}
	var validity *memory.Buffer
	nulls := 0
	for _, s := range srcs {
		if s != nil && s.NullN() > 0 {
			validity = newBitmap(mem, n)
			v := validity.Bytes()
			for j, r := range refs {
				if srcs[r.Src].IsValid(int(r.Row)) {
					bitutil.SetBit(v, j)
				} else {
					nulls++
				}
			}
			break
		}
	}
	if validity != nil && nulls == 0 {
		validity.Release()
		validity = nil
	}
	bufs := []*memory.Buffer{validity}
	release := func() {
		for _, b := range bufs {
			if b != nil {
				b.Release()
			}
		}
	}
	st := dt // an extension type moves as its storage
	if e, ok := dt.(arrow.ExtensionType); ok {
		st = e.StorageType()
	}
	switch st.ID() {
	case arrow.BOOL:
		out := newBitmap(mem, n)
		ob := out.Bytes()
		for j, r := range refs {
			d := srcs[r.Src].Data()
			if bitutil.BitIsSet(d.Buffers()[1].Bytes(), d.Offset()+int(r.Row)) {
				bitutil.SetBit(ob, j)
			}
		}
		bufs = append(bufs, out)
	case arrow.STRING, arrow.BINARY:
		bufs = append(bufs, gatherBytes[int32](mem, srcs, refs)...)
	case arrow.LARGE_STRING, arrow.LARGE_BINARY:
		bufs = append(bufs, gatherBytes[int64](mem, srcs, refs)...)
	default:
		fw, ok := st.(arrow.FixedWidthDataType)
		if !ok || fw.BitWidth()%8 != 0 || fw.BitWidth() == 0 {
			release()
			return gatherSlices(mem, srcs, refs)
		}
		bufs = append(bufs, gatherFixed(mem, fw.BitWidth()/8, srcs, refs))
	}
	data := array.NewData(dt, n, bufs, nil, nulls, 0)
	release()
	defer data.Release()
	return array.MakeFromData(data), nil
}

func newBitmap(mem memory.Allocator, n int) *memory.Buffer {
	b := memory.NewResizableBuffer(mem)
	b.Resize(int(bitutil.BytesForBits(int64(n))))
	clear(b.Bytes())
	return b
}

// gatherFixed copies values of width bytes.
func gatherFixed(mem memory.Allocator, width int, srcs []arrow.Array, refs []Ref) *memory.Buffer {
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(width * len(refs))
	out := buf.Bytes()
	vals := make([][]byte, len(srcs))
	for i, s := range srcs {
		if s == nil {
			continue
		}
		d := s.Data()
		if b := d.Buffers()[1]; b != nil {
			vals[i] = b.Bytes()[d.Offset()*width:]
		}
	}
	switch width {
	case 8:
		o := arrow.Int64Traits.CastFromBytes(out)
		v := make([][]int64, len(vals))
		for i, b := range vals {
			v[i] = arrow.Int64Traits.CastFromBytes(b[:len(b)/8*8])
		}
		for j, r := range refs {
			o[j] = v[r.Src][r.Row]
		}
	case 4:
		o := arrow.Int32Traits.CastFromBytes(out)
		v := make([][]int32, len(vals))
		for i, b := range vals {
			v[i] = arrow.Int32Traits.CastFromBytes(b[:len(b)/4*4])
		}
		for j, r := range refs {
			o[j] = v[r.Src][r.Row]
		}
	default:
		for j, r := range refs {
			at := int(r.Row) * width
			copy(out[j*width:(j+1)*width], vals[r.Src][at:at+width])
		}
	}
	return buf
}

// gatherBytes copies variable-width values with offsets of type O.
func gatherBytes[O int32 | int64](mem memory.Allocator, srcs []arrow.Array, refs []Ref) []*memory.Buffer {
	offs := make([][]O, len(srcs))
	datas := make([][]byte, len(srcs))
	for i, s := range srcs {
		if s == nil {
			continue
		}
		offs[i] = arrow.GetOffsets[O](s.Data(), 1)
		if b := s.Data().Buffers()[2]; b != nil {
			datas[i] = b.Bytes()
		}
	}
	// One random read of each value's offsets: the first pass keeps each value's start, and
	// its length in the output offsets, which the second pass turns into positions.
	starts := make([]O, len(refs))
	var zero O
	ob := memory.NewResizableBuffer(mem)
	ob.Resize((len(refs) + 1) * int(unsafe.Sizeof(zero)))
	var oo []O
	switch any(zero).(type) {
	case int32:
		oo = any(arrow.Int32Traits.CastFromBytes(ob.Bytes())).([]O)
	default:
		oo = any(arrow.Int64Traits.CastFromBytes(ob.Bytes())).([]O)
	}
	total := 0
	for j, r := range refs {
		o := offs[r.Src][r.Row : r.Row+2]
		starts[j] = o[0]
		oo[j] = o[1] - o[0]
		total += int(o[1] - o[0])
	}
	db := memory.NewResizableBuffer(mem)
	db.Resize(total)
	d := db.Bytes()
	pos := 0
	for j, r := range refs {
		b, n := starts[j], oo[j]
		oo[j] = O(pos)
		pos += copy(d[pos:], datas[r.Src][b:b+n])
	}
	oo[len(refs)] = O(pos)
	return []*memory.Buffer{ob, db}
}

// gatherSlices is the slow path for other types (nested ones): it concatenates one-row
// slices.
func gatherSlices(mem memory.Allocator, srcs []arrow.Array, refs []Ref) (arrow.Array, error) {
	parts := make([]arrow.Array, len(refs))
	defer func() {
		for _, p := range parts {
			if p != nil {
				p.Release()
			}
		}
	}()
	for j, r := range refs {
		parts[j] = array.NewSlice(srcs[r.Src], int64(r.Row), int64(r.Row)+1)
	}
	out, err := array.Concatenate(parts, mem)
	if err != nil {
		return nil, fmt.Errorf("take: %w", err)
	}
	return out, nil
}
