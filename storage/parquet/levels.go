package parquet

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pq "github.com/parquet-go/parquet-go"
)

// Lists of flat elements and maps of flat keys and values are read by levels: the
// repetition and definition levels of a page are walked once to build the offsets and the
// validity of a batch's lists and the validity of their elements, and the page's values (a
// page holds only the non-NULL ones) are copied into the elements' Arrow buffers in bulk, a
// run at a time when no element of it is NULL, converted as they are copied where the
// Arrow type's representation is not the page's (leaves.go). Leaves whose Arrow type and
// physical type do not go together (levelKindOf) are read entry by entry (walkList,
// walkMap).
//
// A leaf read by levels has one repeated node above it: an entry whose repetition level is
// 0 begins a row; its definition level is below elem-1 for a NULL list (or map), elem-1 for
// an empty one, and from elem on an element, NULL below value.

// levelKind is how the values of a leaf are copied into Arrow buffers when it is read by
// levels: as fixed-width values of the same representation, as byte arrays, converted from
// the page's representation (leaves.go), or not at all.
type levelKind uint8

const (
	levelsNone levelKind = iota
	levelsInt32
	levelsInt64
	levelsFloat32
	levelsFloat64
	levelsBytes
	levelsBool         // bits
	levelsInt8         // INT32 narrowed
	levelsInt16        // INT32 narrowed
	levelsDecimal32    // INT32 widened to decimal128
	levelsDecimal64    // INT64 widened to decimal128
	levelsDecimalFixed // big-endian FIXED_LEN_BYTE_ARRAY of 1 to 16 bytes to decimal128
	levelsInterval     // FIXED_LEN_BYTE_ARRAY(16) in Arrow's layout, or Parquet's INTERVAL widened
	levelsFixedBytes   // FIXED_LEN_BYTE_ARRAY (uuid) into a binary array
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
	case arrow.STRING:
		if kind == pq.ByteArray {
			return levelsBytes
		}
	case arrow.BINARY:
		switch kind {
		case pq.ByteArray:
			return levelsBytes
		case pq.FixedLenByteArray:
			return levelsFixedBytes
		}
	case arrow.BOOL:
		if kind == pq.Boolean {
			return levelsBool
		}
	case arrow.INT8:
		if kind == pq.Int32 {
			return levelsInt8
		}
	case arrow.INT16:
		if kind == pq.Int32 {
			return levelsInt16
		}
	case arrow.DECIMAL128:
		switch kind {
		case pq.Int32:
			return levelsDecimal32
		case pq.Int64:
			return levelsDecimal64
		case pq.FixedLenByteArray:
			return levelsDecimalFixed
		}
	case arrow.INTERVAL_MONTH_DAY_NANO:
		if kind == pq.FixedLenByteArray {
			return levelsInterval
		}
	}
	return levelsNone
}

// valueWidth is the bytes an element of a leaf read as lk takes in its Arrow value buffer:
// 0 for booleans (bits) and byte arrays (offsets and bytes).
func valueWidth(lk levelKind) int {
	switch lk {
	case levelsInt8:
		return 1
	case levelsInt16:
		return 2
	case levelsInt32, levelsFloat32:
		return 4
	case levelsInt64, levelsFloat64:
		return 8
	case levelsDecimal32, levelsDecimal64, levelsDecimalFixed, levelsInterval:
		return 16
	}
	return 0
}

// withOffsets reports whether the elements of a leaf read as lk are byte arrays, with
// offsets.
func withOffsets(lk levelKind) bool { return lk == levelsBytes || lk == levelsFixedBytes }

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
		if len(c.reps) == 0 || len(c.defs) == 0 {
			// A leaf that is never repeated, or never NULL, has no levels of that kind.
			if cap(c.zeros) < n {
				c.zeros = make([]byte, n)
			}
			if len(c.reps) == 0 {
				c.reps = c.zeros[:n]
			}
			if len(c.defs) == 0 {
				c.defs = c.zeros[:n]
			}
		}
		if len(c.reps) != n || len(c.defs) != n {
			return false, fmt.Errorf("%w: %d repetition and %d definition levels for %d values", ErrCorrupt, len(c.reps), len(c.defs), n)
		}
		c.lpos, c.val = 0, 0
		if err := c.pageValues(p); err != nil {
			return false, err
		}
	}
	return true, nil
}

// levelSpan scans the unconsumed entries of the current page up to the first entry of row
// n+1, rows rows having begun before them. It returns how many entries that is, the rows
// begun after them and how many of them are elements (at elem or above) and values (at
// value).
// maxRep is the leaf's maximum repetition level.
func (c *chunkReader) levelSpan(rows, n int, elem, value, maxRep byte) (j, after, elems, vals int, err error) {
	reps, defs := c.reps[c.lpos:], c.defs[c.lpos:]
	defs = defs[:len(reps)]
	for ; j < len(reps); j++ {
		r, d := reps[j], defs[j]
		if r == 0 {
			if rows == n {
				break
			}
			rows++
		} else if r > maxRep || rows == 0 {
			return 0, 0, 0, 0, fmt.Errorf("%w: repetition level %d above %d or before the first row", ErrCorrupt, r, maxRep)
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
func (c *chunkReader) skipLevels(n int, elem, value, maxRep byte) error {
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
		j, after, _, vals, err := c.levelSpan(rows, n, elem, value, maxRep)
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

// growBytes makes data, which holds size bytes of values, hold add more (at least doubling its
// capacity, and to 4 KiB at least, when it grows) and returns its bytes; a batch holds less
// than 2 GiB of them.
func growBytes(data *memory.Buffer, size, add int) ([]byte, error) {
	if size+add > 1<<31-1 {
		return nil, fmt.Errorf("%w: more than 2 GiB of bytes in one batch", ErrUnsupportedType)
	}
	if size+add > data.Cap() {
		data.Reserve(max(size+add, 2*data.Cap(), 4096))
	}
	data.ResizeNoShrink(size + add)
	return data.Bytes(), nil
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
	width := valueWidth(lk)
	if withOffsets(lk) {
		eoffs = newBuffer(mem, 4)
		clear(eoffs.Bytes())
	}
	c.reserveLevels(n, lk, ev, vals, eoffs)
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
		j, after, k, nv, err := c.levelSpan(rows, n, elem, value, 1)
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
		size, err = c.fillLevelValues(lk, et, eoffs, vals, e, k, size, defs, elem, value, nv)
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
	c.sizedLevels(n, e, size)
	if out.nulls == 0 {
		out.valid.Release()
		out.valid = nil
	}
	switch {
	case width > 0:
		vals.ResizeNoShrink(e * width)
	case lk == levelsBool:
		vals.ResizeNoShrink(int(bitutil.BytesForBits(int64(e))))
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

// reserveLevels reserves, before a batch of n rows of a leaf read by levels as lk, the
// buffers of its elements' validity (ev, when not nil), values and offsets (when not nil)
// for the elements and bytes per row of the batch before, with a little to spare, so that
// they seldom grow (each growth copies them and leaves the old buffer to the collector).
func (c *chunkReader) reserveLevels(n int, lk levelKind, ev, vals, offs *memory.Buffer) {
	if c.levelElems == 0 || n == 0 {
		return
	}
	e := int(float64(n)*c.levelElems*1.05) + 64
	if ev != nil {
		ev.Reserve(int(bitutil.BytesForBits(int64(e))))
	}
	switch w := valueWidth(lk); {
	case w > 0:
		vals.Reserve(e * w)
	case lk == levelsBool:
		vals.Reserve(int(bitutil.BytesForBits(int64(e))))
	default:
		vals.Reserve(int(float64(n)*c.levelBytes*1.05) + 64)
	}
	if offs != nil {
		offs.Reserve(4 * (e + 1))
	}
}

// sizedLevels records that a batch of n rows read by levels held e elements (or values)
// and size bytes of byte arrays, for reserveLevels.
func (c *chunkReader) sizedLevels(n, e, size int) {
	if n > 0 {
		c.levelElems, c.levelBytes = float64(e)/float64(n), float64(size)/float64(n)
	}
}

// fillLevelValues copies the nv non-NULL values (at value) among the entries defs of the
// current page (elements at elem) into vals, as lk says, growing it to hold k more elements
// after the first e; byte arrays also fill offs, size bytes being in vals before, and the
// size after is returned. A leaf of type t not read by levels is an error.
func (c *chunkReader) fillLevelValues(lk levelKind, t arrow.DataType, offs, vals *memory.Buffer, e, k, size int, defs []byte, elem, value byte, nv int) (int, error) {
	var err error
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
		size, err = c.fillBytes(offs, vals, e, k, size, defs, elem, value, nv)
	case levelsFixedBytes:
		size, err = c.fillFixedBytes(offs, vals, e, k, size, defs, elem, value, nv)
	case levelsBool:
		err = c.fillBools(vals, e, k, defs, elem, value, nv)
	case levelsInt8:
		err = fillNarrow(c, growValues[int8](vals, e, k), defs, elem, value, nv)
	case levelsInt16:
		err = fillNarrow(c, growValues[int16](vals, e, k), defs, elem, value, nv)
	case levelsDecimal32:
		err = fillDecimals(c, int32sOf(c.data), growValues[decimal128.Num](vals, e, k), defs, elem, value, nv)
	case levelsDecimal64:
		err = fillDecimals(c, int64sOf(c.data), growValues[decimal128.Num](vals, e, k), defs, elem, value, nv)
	case levelsDecimalFixed:
		err = c.fillFixedDecimals(growValues[decimal128.Num](vals, e, k), defs, elem, value, nv)
	case levelsInterval:
		err = c.fillIntervals(growValues[arrow.MonthDayNanoInterval](vals, e, k), defs, elem, value, nv)
	default:
		err = fmt.Errorf("%w: %s read by levels", ErrUnsupportedType, t)
	}
	return size, err
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
	db, err := growBytes(data, size, add)
	if err != nil {
		return 0, err
	}
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
	if err := r.leaves[0].skipLevels(n, nc.maxDef[0], nc.maxDef[0], 1); err != nil {
		return err
	}
	return r.leaves[1].skipLevels(n, nc.maxDef[0], nc.maxDef[1], 1)
}

// The general nested columns of structs and lists of leaves read by levels (every leaf's
// type, and definition levels as its type implies) are gathered by levels too: each leaf's
// levels for the batch, and its non-NULL values copied in bulk into an array of their own,
// from which the columnar assembly (columnar.go) takes a leaf's slots as they are when none
// is NULL, or scatters them among the NULL ones.

// generalByLevels reports whether the general nested column c is read by levels.
func generalByLevels(c *column) bool {
	nc := c.nested
	if !columnarShape(c.field.Type) {
		return false
	}
	defs := impliedDefs(c.field, 0, nil)
	if len(defs) != len(nc.leaves) {
		return false
	}
	for k := range nc.leaves {
		if defs[k] != nc.maxDef[k] || levelKindOf(nc.leaves[k].field.Type, nc.leaves[k].kind) == levelsNone {
			return false
		}
	}
	return true
}

// impliedDefs appends to out the definition level of a value of each leaf of field f, whose
// parent is present at base, as the columnar assembly takes them.
func impliedDefs(f arrow.Field, base byte, out []byte) []byte {
	present := base
	if f.Nullable {
		present++
	}
	switch t := f.Type.(type) {
	case *arrow.StructType:
		for i := range t.NumFields() {
			out = impliedDefs(t.Field(i), present, out)
		}
		return out
	case *arrow.ListType, *arrow.MapType:
		return impliedDefs(repeatedField(t), present+1, out)
	}
	return append(out, present)
}

// impliedReps appends to out the maximum repetition level of each leaf of type t, below
// rep lists.
func impliedReps(t arrow.DataType, rep byte, out []byte) []byte {
	switch t := t.(type) {
	case *arrow.StructType:
		for i := range t.NumFields() {
			out = impliedReps(t.Field(i).Type, rep, out)
		}
		return out
	case *arrow.ListType:
		return impliedReps(t.Elem(), rep+1, out)
	case *arrow.MapType:
		out = impliedReps(t.KeyType(), rep+1, out)
		return impliedReps(t.ItemType(), rep+1, out)
	}
	return append(out, rep)
}

// gatherLevels reads the next n rows of a leaf by levels: it appends their levels to reps
// and defs and returns their non-NULL values (at maxDef) as an array of type t.
func (c *chunkReader) gatherLevels(n int, maxRep, maxDef byte, t arrow.DataType, lk levelKind, reps, defs []byte, mem memory.Allocator) (_, _ []byte, _ arrow.ArrayData, err error) {
	vals := memory.NewResizableBuffer(mem)
	var offs *memory.Buffer
	if withOffsets(lk) {
		offs = newBuffer(mem, 4)
		clear(offs.Bytes())
	}
	c.reserveLevels(n, lk, nil, vals, offs)
	defer func() {
		vals.Release()
		if offs != nil {
			offs.Release()
		}
	}()
	rows, e, size := 0, 0, 0
	for {
		ok, err := c.levelPage()
		if err != nil {
			return nil, nil, nil, err
		}
		if !ok {
			if rows < n {
				return nil, nil, nil, fmt.Errorf("%w: column chunk ended early", ErrCorrupt)
			}
			break
		}
		j, after, _, nv, err := c.levelSpan(rows, n, maxDef, maxDef, maxRep)
		if err != nil {
			return nil, nil, nil, err
		}
		seg := c.defs[c.lpos : c.lpos+j]
		reps = append(reps, c.reps[c.lpos:c.lpos+j]...)
		defs = append(defs, seg...)
		size, err = c.fillLevelValues(lk, t, offs, vals, e, nv, size, seg, maxDef, maxDef, nv)
		if err != nil {
			return nil, nil, nil, err
		}
		e += nv
		rows = after
		c.lpos += j
		if c.lpos < len(c.defs) {
			break
		}
	}
	c.sizedLevels(n, e, size)
	bufs := []*memory.Buffer{nil, vals}
	if offs != nil {
		bufs = []*memory.Buffer{nil, offs, vals}
	}
	return reps, defs, array.NewData(t, e, bufs, nil, 0, 0), nil
}

// scatter is the array of type t of the n slots of a leaf (its entries at slot or above,
// NULL below present) whose non-NULL values are dense (read as lk).
func scatter(t arrow.DataType, dense arrow.ArrayData, lk levelKind, defs []byte, slot, present byte, n int, mem memory.Allocator) (arrow.ArrayData, error) {
	slots, vals := 0, 0
	for _, d := range defs {
		if d >= slot {
			slots++
			if d >= present {
				vals++
			}
		}
	}
	if slots != n || vals != dense.Len() {
		return nil, fmt.Errorf("%w: a leaf holds %d values of %d for %d slots", ErrCorrupt, slots, vals, n)
	}
	if vals == n {
		return array.NewData(t, n, dense.Buffers(), nil, 0, 0), nil
	}
	valid := newBuffer(mem, int(bitutil.BytesForBits(int64(n))))
	vb := valid.Bytes()
	clear(vb)
	defer valid.Release()
	src := dense.Buffers()
	if !withOffsets(lk) {
		w := valueWidth(lk)
		buf := newBuffer(mem, max(w*n, int(bitutil.BytesForBits(int64(n)))))
		defer buf.Release()
		dst, from := buf.Bytes(), src[1].Bytes()
		switch w {
		case 0:
			scatterBits(dst, from, defs, slot, present, vb)
		case 1:
			scatterFixed(dst, from, defs, slot, present, vb)
		case 2:
			scatterFixed(arrow.GetData[uint16](dst), arrow.GetData[uint16](from), defs, slot, present, vb)
		case 4:
			scatterFixed(arrow.GetData[uint32](dst), arrow.GetData[uint32](from), defs, slot, present, vb)
		case 8:
			scatterFixed(arrow.GetData[uint64](dst), arrow.GetData[uint64](from), defs, slot, present, vb)
		default:
			scatterFixed(arrow.GetData[decimal128.Num](dst), arrow.GetData[decimal128.Num](from), defs, slot, present, vb)
		}
		return array.NewData(t, n, []*memory.Buffer{valid, buf}, nil, n-vals, 0), nil
	}
	offBuf := newBuffer(mem, 4*(n+1))
	defer offBuf.Release()
	offs, doffs := arrow.Int32Traits.CastFromBytes(offBuf.Bytes()), arrow.Int32Traits.CastFromBytes(src[1].Bytes())
	offs[0] = 0
	s, v := 0, 0
	for _, d := range defs {
		if d < slot {
			continue
		}
		if d >= present {
			bitutil.SetBit(vb, s)
			v++
		}
		offs[s+1] = doffs[v]
		s++
	}
	return array.NewData(t, n, []*memory.Buffer{valid, offBuf, src[2]}, nil, n-vals, 0), nil
}

// scatterFixed spreads the values src over the slots of defs (at slot or above) in dst,
// setting the bits of the non-NULL ones (at present) in vb.
func scatterFixed[T uint8 | uint16 | uint32 | uint64 | decimal128.Num](dst, src []T, defs []byte, slot, present byte, vb []byte) {
	var zero T
	s, v := 0, 0
	for _, d := range defs {
		if d < slot {
			continue
		}
		if d >= present {
			dst[s] = src[v]
			bitutil.SetBit(vb, s)
			v++
		} else {
			dst[s] = zero
		}
		s++
	}
}

// scatterBits is scatterFixed of booleans: the bits src over the slots of defs in the
// bitmap dst.
func scatterBits(dst, src []byte, defs []byte, slot, present byte, vb []byte) {
	s, v := 0, 0
	for _, d := range defs {
		if d < slot {
			continue
		}
		if d >= present {
			bitutil.SetBitTo(dst, s, bitutil.BitIsSet(src, v))
			bitutil.SetBit(vb, s)
			v++
		} else {
			bitutil.ClearBit(dst, s)
		}
		s++
	}
}

// readGeneralLevels reads the next n rows of a general nested column read by levels.
func (r *nestedReader) readGeneralLevels(n int, mem memory.Allocator) (arrow.Array, error) {
	nc := r.col.nested
	k := len(r.leaves)
	if len(r.lreps) != k {
		r.lreps, r.ldefs = make([][]byte, k), make([][]byte, k)
	}
	maxReps := impliedReps(r.col.field.Type, 0, nil)
	as := &assembler{nc: nc, reps: r.lreps, defs: r.ldefs, dense: make([]arrow.ArrayData, k), kinds: make([]levelKind, k)}
	defer func() {
		for _, d := range as.dense {
			if d != nil {
				d.Release()
			}
		}
	}()
	for i := range r.leaves {
		lc := &nc.leaves[i]
		as.kinds[i] = levelKindOf(lc.field.Type, lc.kind)
		reps, defs, d, err := r.leaves[i].gatherLevels(n, maxReps[i], nc.maxDef[i], lc.field.Type, as.kinds[i], r.lreps[i][:0], r.ldefs[i][:0], mem)
		if err != nil {
			return nil, err
		}
		r.lreps[i], r.ldefs[i], as.dense[i] = reps, defs, d
	}
	d, err := as.columnar(r.col.field, 0, 0, 0, 0, n, mem)
	if err != nil {
		return nil, err
	}
	defer d.Release()
	return array.MakeFromData(d), nil
}

// skipGeneralLevels consumes the next n rows of a general nested column read by levels.
func (r *nestedReader) skipGeneralLevels(n int) error {
	maxReps := impliedReps(r.col.field.Type, 0, nil)
	for i := range r.leaves {
		d := r.col.nested.maxDef[i]
		if err := r.leaves[i].skipLevels(n, d, d, maxReps[i]); err != nil {
			return err
		}
	}
	return nil
}
