package parquet

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pq "github.com/parquet-go/parquet-go"
)

// Lists of flat elements and maps of flat keys and values whose leaves hold integers,
// floats, dates, timestamps, strings or binary values are read by levels: the repetition
// and definition levels of a page are walked once to build the offsets and the validity of
// a batch's lists and the validity of their elements, and the page's values (a page holds
// only the non-NULL ones) are copied into the elements' Arrow buffers in bulk, a run at a
// time when no element of it is NULL. The other leaf types are read entry by entry
// (walkList, walkMap).
//
// A leaf read by levels has one repeated node above it: an entry whose repetition level is
// 0 begins a row; its definition level is below elem-1 for a NULL list (or map), elem-1 for
// an empty one, and from elem on an element, NULL below value.

// levelKind is how the values of a leaf are copied into Arrow buffers when it is read by
// levels: as fixed-width values of the same representation, as byte arrays, or not at all.
type levelKind uint8

const (
	levelsNone levelKind = iota
	levelsInt32
	levelsInt64
	levelsFloat32
	levelsFloat64
	levelsBytes
)

// levelKindOf is the levelKind of a leaf of Arrow type t stored as kind.
func levelKindOf(t arrow.DataType, kind pq.Kind) levelKind {
	if e, ok := t.(arrow.ExtensionType); ok {
		t = e.StorageType()
	}
	switch t.ID() {
	case arrow.INT32, arrow.DATE32:
		if kind == pq.Int32 {
			return levelsInt32
		}
	case arrow.INT64, arrow.TIMESTAMP:
		if kind == pq.Int64 {
			return levelsInt64
		}
	case arrow.FLOAT32:
		if kind == pq.Float {
			return levelsFloat32
		}
	case arrow.FLOAT64:
		if kind == pq.Double {
			return levelsFloat64
		}
	case arrow.STRING, arrow.BINARY:
		if kind == pq.ByteArray {
			return levelsBytes
		}
	}
	return levelsNone
}

// byLevels reports whether the list column or the map column (of flat keys and values) c is
// read by levels.
func byLevels(c *column) bool {
	if c.list != nil {
		return levelKindOf(c.elemType(), c.kind) != levelsNone
	}
	nc := c.nested
	if nc == nil || !nc.isMap || nc.general || len(nc.leaves) != 2 {
		return false
	}
	for k := range nc.leaves {
		if levelKindOf(nc.leaves[k].field.Type, nc.leaves[k].kind) == levelsNone {
			return false
		}
	}
	return nc.maxDef[0] >= 1 && nc.maxDef[1] >= nc.maxDef[0]
}

// levelPage makes the current page have unconsumed entries, reading the next page when it
// is consumed, and reports false at the end of the column chunk.
func (c *chunkReader) levelPage() (bool, error) {
	for c.page == nil || c.lpos == len(c.defs) {
		if c.page != nil {
			pq.Release(c.page)
			c.page = nil
		}
		p, err := c.pages.ReadPage()
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		c.page = p
		n := int(p.NumValues())
		c.reps, c.defs = p.RepetitionLevels(), p.DefinitionLevels()
		if len(c.reps) != n || len(c.defs) != n {
			return false, fmt.Errorf("%w: %d repetition and %d definition levels for %d values", ErrCorrupt, len(c.reps), len(c.defs), n)
		}
		c.lpos, c.val = 0, 0
		c.idx, c.data = nil, p
		if d := p.Dictionary(); d != nil {
			pd := p.Data()
			c.idx = pd.Int32()
			c.data = d.Page()
			for _, i := range c.idx {
				if i < 0 || int(i) >= d.Len() {
					return false, fmt.Errorf("%w: dictionary index %d out of range", ErrCorrupt, i)
				}
			}
		}
	}
	return true, nil
}

// levelSpan scans the unconsumed entries of the current page up to the first entry of row
// n+1, rows rows having begun before them. It returns how many entries that is, the rows
// begun after them and how many of them are elements (at elem or above) and values (at
// value).
func (c *chunkReader) levelSpan(rows, n int, elem, value byte) (j, after, elems, vals int, err error) {
	reps, defs := c.reps[c.lpos:], c.defs[c.lpos:]
	defs = defs[:len(reps)]
	for ; j < len(reps); j++ {
		r, d := reps[j], defs[j]
		if r == 0 {
			if rows == n {
				break
			}
			rows++
		} else if r != 1 || rows == 0 {
			return 0, 0, 0, 0, fmt.Errorf("%w: repetition level %d in a list of flat values (row %d)", ErrCorrupt, r, rows)
		}
		if d >= elem {
			if d > value {
				return 0, 0, 0, 0, fmt.Errorf("%w: definition level %d above %d", ErrCorrupt, d, value)
			}
			elems++
			if d == value {
				vals++
			}
		}
	}
	return j, rows, elems, vals, nil
}

// skipLevels consumes the entries of the next n rows of a leaf read by levels.
func (c *chunkReader) skipLevels(n int, elem, value byte) error {
	rows := 0
	for {
		ok, err := c.levelPage()
		if err != nil {
			return err
		}
		if !ok {
			if rows < n {
				return fmt.Errorf("%w: column chunk ended early", ErrCorrupt)
			}
			return nil
		}
		j, after, _, vals, err := c.levelSpan(rows, n, elem, value)
		if err != nil {
			return err
		}
		rows = after
		c.lpos += j
		c.val += vals
		if c.lpos < len(c.defs) {
			return nil
		}
	}
}

// repeated is the result of reading a batch of a leaf by levels.
type repeated struct {
	offs  *memory.Buffer // n+1 int32 offsets of the lists' elements
	valid *memory.Buffer // the lists' validity, nil when none is NULL
	nulls int            // NULL lists
	elems arrow.ArrayData
}

func (r *repeated) release() {
	for _, b := range []*memory.Buffer{r.offs, r.valid} {
		if b != nil {
			b.Release()
		}
	}
	if r.elems != nil {
		r.elems.Release()
	}
	*r = repeated{}
}

// growBuffer makes b hold size bytes, at least doubling its capacity when it grows; bytes
// beyond old (the size before) are set to fill.
func growBuffer(b *memory.Buffer, old, size int, fill byte) []byte {
	if size > b.Cap() {
		b.Reserve(max(size, 2*b.Cap()))
	}
	b.ResizeNoShrink(size)
	bs := b.Bytes()
	if fill == 0 {
		clear(bs[old:size])
	} else {
		memory.Set(bs[old:size], fill)
	}
	return bs
}

// readLevels reads the next n rows of a leaf read by levels whose elements are of type et
// and whose values are copied as lk says; elem and value are the definition levels of an
// element and of a non-NULL one.
func (c *chunkReader) readLevels(n int, elem, value byte, et arrow.DataType, lk levelKind, mem memory.Allocator) (out repeated, err error) {
	out.offs = newBuffer(mem, 4*(n+1))
	offs := arrow.Int32Traits.CastFromBytes(out.offs.Bytes())
	out.valid = newBuffer(mem, int(bitutil.BytesForBits(int64(n))))
	memory.Set(out.valid.Bytes(), 0xff)
	ev := memory.NewResizableBuffer(mem) // the elements' validity
	vals := memory.NewResizableBuffer(mem)
	var eoffs *memory.Buffer // the offsets of byte array elements
	width := 0
	switch lk {
	case levelsInt32, levelsFloat32:
		width = 4
	case levelsInt64, levelsFloat64:
		width = 8
	case levelsBytes:
		eoffs = newBuffer(mem, 4)
		clear(eoffs.Bytes())
	}
	defer func() {
		for _, b := range []*memory.Buffer{ev, vals, eoffs} {
			if b != nil {
				b.Release()
			}
		}
		if err != nil {
			out.release()
		}
	}()
	rows, e, enulls, size := 0, 0, 0, 0 // rows begun, elements, NULL elements, bytes of values
	vb := out.valid.Bytes()
	for {
		ok, err := c.levelPage()
		if err != nil {
			return out, err
		}
		if !ok {
			if rows < n {
				return out, fmt.Errorf("%w: column chunk ended early", ErrCorrupt)
			}
			break
		}
		j, after, k, nv, err := c.levelSpan(rows, n, elem, value)
		if err != nil {
			return out, err
		}
		reps, defs := c.reps[c.lpos:c.lpos+j], c.defs[c.lpos:c.lpos+j]
		// The lists and the elements' validity.
		evb := growBuffer(ev, int(bitutil.BytesForBits(int64(e))), int(bitutil.BytesForBits(int64(e+k))), 0xff)
		x := e
		for i, r := range reps {
			d := defs[i]
			if r == 0 {
				offs[rows] = int32(x)
				rows++
				if d < elem {
					if d+1 < elem {
						bitutil.ClearBit(vb, rows-1)
						out.nulls++
					}
					continue
				}
			}
			if d != value {
				bitutil.ClearBit(evb, x)
			}
			x++
		}
		if rows != after || x != e+k {
			return out, fmt.Errorf("%w: levels out of step", ErrCorrupt)
		}
		enulls += k - nv
		// The values.
		switch lk {
		case levelsInt32:
			err = fillFixed(c, int32sOf(c.data), growFixed[int32](vals, e, k), defs, elem, value, nv)
		case levelsInt64:
			err = fillFixed(c, int64sOf(c.data), growFixed[int64](vals, e, k), defs, elem, value, nv)
		case levelsFloat32:
			err = fillFixed(c, float32sOf(c.data), growFixed[float32](vals, e, k), defs, elem, value, nv)
		case levelsFloat64:
			err = fillFixed(c, float64sOf(c.data), growFixed[float64](vals, e, k), defs, elem, value, nv)
		case levelsBytes:
			size, err = c.fillBytes(eoffs, vals, e, k, size, defs, elem, value, nv)
		}
		if err != nil {
			return out, err
		}
		e += k
		c.lpos += j
		if c.lpos < len(c.defs) {
			break
		}
	}
	if e > 1<<31-1 {
		return out, fmt.Errorf("%w: more than 2^31 list elements in one batch", ErrUnsupportedType)
	}
	offs[n] = int32(e)
	if out.nulls == 0 {
		out.valid.Release()
		out.valid = nil
	}
	if width > 0 {
		vals.ResizeNoShrink(e * width)
	}
	var evalid *memory.Buffer
	if enulls > 0 {
		evalid = ev
	}
	bufs := []*memory.Buffer{evalid, vals}
	if eoffs != nil {
		bufs = []*memory.Buffer{evalid, eoffs, vals}
	}
	out.elems = array.NewData(et, e, bufs, nil, enulls, 0)
	return out, nil
}

// growFixed makes the value buffer b hold e+k values of type T and returns the last k.
func growFixed[T fixedSize](b *memory.Buffer, e, k int) []T {
	var zero T
	w := int(sizeOf(zero))
	if (e+k)*w > b.Cap() {
		b.Reserve(max((e+k)*w, 2*b.Cap()))
	}
	b.ResizeNoShrink((e + k) * w)
	return arrow.GetData[T](b.Bytes())[e : e+k]
}

// fillFixed copies the nv values of the entries defs of the current page into dst, its
// elements, a NULL element as the zero value.
func fillFixed[T fixedSize](c *chunkReader, src, dst []T, defs []byte, elem, value byte, nv int) error {
	v := c.val
	avail := len(src)
	if c.idx != nil {
		avail = len(c.idx)
	}
	if v+nv > avail {
		return fmt.Errorf("%w: page has too few values", ErrCorrupt)
	}
	switch {
	case c.idx == nil && nv == len(dst):
		copy(dst, src[v:v+nv])
	case c.idx == nil:
		x := 0
		for _, d := range defs {
			if d < elem {
				continue
			}
			if d == value {
				dst[x] = src[v]
				v++
			} else {
				dst[x] = 0
			}
			x++
		}
	default:
		idx := c.idx
		x := 0
		for _, d := range defs {
			if d < elem {
				continue
			}
			if d == value {
				dst[x] = src[idx[v]]
				v++
			} else {
				dst[x] = 0
			}
			x++
		}
	}
	c.val += nv
	return nil
}

// fillBytes appends the nv byte array values of the entries defs of the current page to
// data (size bytes used) and the k elements' offsets after element e to offs, returning the
// bytes used.
func (c *chunkReader) fillBytes(offs, data *memory.Buffer, e, k, size int, defs []byte, elem, value byte, nv int) (int, error) {
	pd := c.data.Data()
	src, soffs := pd.ByteArray()
	v := c.val
	avail := len(soffs) - 1
	if c.idx != nil {
		avail = len(c.idx)
	}
	if v+nv > avail {
		return 0, fmt.Errorf("%w: page has too few values", ErrCorrupt)
	}
	ob := growBuffer(offs, 4*(e+1), 4*(e+k+1), 0)
	eo := arrow.Int32Traits.CastFromBytes(ob)[e : e+k+1]
	add := 0 // the bytes of the values
	if c.idx == nil {
		add = int(soffs[v+nv] - soffs[v])
	} else {
		for _, i := range c.idx[v : v+nv] {
			add += int(soffs[i+1] - soffs[i])
		}
	}
	if size+add > 1<<31-1 {
		return 0, fmt.Errorf("%w: more than 2 GiB of bytes in one batch", ErrUnsupportedType)
	}
	if size+add > data.Cap() {
		data.Reserve(max(size+add, 2*data.Cap(), 4096))
	}
	data.ResizeNoShrink(size + add)
	db := data.Bytes()
	switch {
	case c.idx == nil:
		base := soffs[v]
		copy(db[size:], src[base:soffs[v+nv]])
		shift := int32(size) - int32(base)
		if nv == k {
			for x := range k {
				eo[x+1] = int32(soffs[v+x+1]) + shift
			}
			break
		}
		x := 0
		for _, d := range defs {
			if d < elem {
				continue
			}
			if d == value {
				v++
			}
			eo[x+1] = int32(soffs[v]) + shift
			x++
		}
	default:
		at := size
		x := 0
		for _, d := range defs {
			if d < elem {
				continue
			}
			if d == value {
				i := c.idx[v]
				at += copy(db[at:], src[soffs[i]:soffs[i+1]])
				v++
			}
			eo[x+1] = int32(at)
			x++
		}
	}
	c.val += nv
	return size + add, nil
}

// readListLevels reads the next n rows of a list column read by levels.
func (c *chunkReader) readListLevels(n int, mem memory.Allocator) (arrow.Array, error) {
	lv := c.col.list
	et := c.col.elemType()
	r, err := c.readLevels(n, lv.repDef, lv.maxDef, et, levelKindOf(et, c.col.kind), mem)
	if err != nil {
		return nil, err
	}
	defer r.release()
	d := array.NewData(c.col.field.Type, n, []*memory.Buffer{r.valid, r.offs}, []arrow.ArrayData{r.elems}, r.nulls, 0)
	defer d.Release()
	return array.MakeFromData(d), nil
}

// readMapLevels reads the next n rows of a map column read by levels.
func (r *nestedReader) readMapLevels(n int, mem memory.Allocator) (arrow.Array, error) {
	nc := r.col.nested
	mt := r.col.field.Type.(*arrow.MapType)
	entry := nc.maxDef[0]
	keys, err := r.leaves[0].readLevels(n, entry, entry, mt.KeyType(), levelKindOf(nc.leaves[0].field.Type, nc.leaves[0].kind), mem)
	if err != nil {
		return nil, err
	}
	defer keys.release()
	items, err := r.leaves[1].readLevels(n, entry, nc.maxDef[1], mt.ItemType(), levelKindOf(nc.leaves[1].field.Type, nc.leaves[1].kind), mem)
	if err != nil {
		return nil, err
	}
	defer items.release()
	if items.nulls != keys.nulls || !bytes.Equal(keys.offs.Bytes()[:4*(n+1)], items.offs.Bytes()[:4*(n+1)]) {
		return nil, fmt.Errorf("%w: map keys and values out of step", ErrCorrupt)
	}
	pairs := array.NewData(mt.Elem(), keys.elems.Len(), []*memory.Buffer{nil}, []arrow.ArrayData{keys.elems, items.elems}, 0, 0)
	defer pairs.Release()
	d := array.NewData(mt, n, []*memory.Buffer{keys.valid, keys.offs}, []arrow.ArrayData{pairs}, keys.nulls, 0)
	defer d.Release()
	return array.MakeFromData(d), nil
}

// skipMapLevels consumes the next n rows of a map column read by levels.
func (r *nestedReader) skipMapLevels(n int) error {
	nc := r.col.nested
	if err := r.leaves[0].skipLevels(n, nc.maxDef[0], nc.maxDef[0]); err != nil {
		return err
	}
	return r.leaves[1].skipLevels(n, nc.maxDef[0], nc.maxDef[1])
}
