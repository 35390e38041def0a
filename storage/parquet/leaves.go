package parquet

import (
	"encoding/binary"
	"fmt"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// The leaves read by levels whose Arrow representation is not the page's have their values
// converted as they are copied: booleans bit by bit (a run at once when no element of it is
// NULL), int8 and int16 narrowed from INT32, decimals widened to decimal128 from INT32,
// INT64 or a big-endian FIXED_LEN_BYTE_ARRAY of up to 16 bytes (38 digits), intervals
// copied from Arrow's 16-byte layout (as this package writes them) or widened from
// Parquet's 12-byte INTERVAL (as DuckDB and Spark write them), and fixed-length byte arrays
// (uuids) copied into a binary array's bytes with their offsets.

// growValues makes the value buffer b hold e+k values of type T and returns the last k.
func growValues[T int8 | int16 | decimal128.Num | arrow.MonthDayNanoInterval](b *memory.Buffer, e, k int) []T {
	var zero T
	w := int(unsafe.Sizeof(zero))
	if (e+k)*w > b.Cap() {
		b.Reserve(max((e+k)*w, 2*b.Cap()))
	}
	b.ResizeNoShrink((e + k) * w)
	return arrow.GetData[T](b.Bytes())[e : e+k]
}

// eachValue calls put(x, i) for each element among the entries defs of the current page (at
// elem or above), x counting them from 0 and i the index of its value in the page's data
// (through the dictionary), or -1 for a NULL element (below value). The entries hold nv
// values; avail is how many the page's data holds.
func (c *chunkReader) eachValue(defs []byte, elem, value byte, nv, avail int, put func(x, i int)) error {
	v := c.val
	if c.idx != nil {
		avail = len(c.idx)
	}
	if v+nv > avail {
		return fmt.Errorf("%w: page has too few values", ErrCorrupt)
	}
	x := 0
	for _, d := range defs {
		if d < elem {
			continue
		}
		switch {
		case d != value:
			put(x, -1)
		case c.idx != nil:
			put(x, int(c.idx[v]))
			v++
		default:
			put(x, v)
			v++
		}
		x++
	}
	c.val += nv
	return nil
}

// fillNarrow copies the nv INT32 values of the entries defs of the current page into dst, its
// elements, narrowed; a NULL element is 0.
func fillNarrow[D int8 | int16](c *chunkReader, dst []D, defs []byte, elem, value byte, nv int) error {
	src := int32sOf(c.data)
	if c.idx == nil && nv == len(dst) {
		if c.val+nv > len(src) {
			return fmt.Errorf("%w: page has too few values", ErrCorrupt)
		}
		for x, s := range src[c.val : c.val+nv] {
			dst[x] = D(s)
		}
		c.val += nv
		return nil
	}
	return c.eachValue(defs, elem, value, nv, len(src), func(x, i int) {
		if i < 0 {
			dst[x] = 0
			return
		}
		dst[x] = D(src[i])
	})
}

// fillDecimals copies the nv INT32 or INT64 decimals of the entries defs of the current page
// into dst, its elements.
func fillDecimals[S int32 | int64](c *chunkReader, src []S, dst []decimal128.Num, defs []byte, elem, value byte, nv int) error {
	if c.idx == nil && nv == len(dst) {
		if c.val+nv > len(src) {
			return fmt.Errorf("%w: page has too few values", ErrCorrupt)
		}
		for x, s := range src[c.val : c.val+nv] {
			dst[x] = decimal128.FromI64(int64(s))
		}
		c.val += nv
		return nil
	}
	return c.eachValue(defs, elem, value, nv, len(src), func(x, i int) {
		if i < 0 {
			dst[x] = decimal128.Num{}
			return
		}
		dst[x] = decimal128.FromI64(int64(src[i]))
	})
}

// fillFixedDecimals copies the nv big-endian fixed-length decimals of the entries defs of the
// current page into dst, its elements.
func (c *chunkReader) fillFixedDecimals(dst []decimal128.Num, defs []byte, elem, value byte, nv int) error {
	d := c.data.Data()
	src, size := d.FixedLenByteArray()
	if nv > 0 && (size < 1 || size > 16) {
		return fmt.Errorf("%w: decimal of %d bytes", ErrUnsupportedType, size)
	}
	avail := 0
	if size > 0 {
		avail = len(src) / size
	}
	return c.eachValue(defs, elem, value, nv, avail, func(x, i int) {
		if i < 0 {
			dst[x] = decimal128.Num{}
			return
		}
		dst[x] = decimalFromBE(src[i*size : (i+1)*size])
	})
}

// fillIntervals copies the nv intervals of the entries defs of the current page into dst, its
// elements.
func (c *chunkReader) fillIntervals(dst []arrow.MonthDayNanoInterval, defs []byte, elem, value byte, nv int) error {
	d := c.data.Data()
	src, size := d.FixedLenByteArray()
	if nv > 0 && size != intervalBytes && size != parquetIntervalBytes {
		return fmt.Errorf("%w: interval of %d bytes", ErrUnsupportedType, size)
	}
	avail := 0
	if size > 0 {
		avail = len(src) / size
	}
	if size == intervalBytes && c.idx == nil && nv == len(dst) {
		if c.val+nv > avail {
			return fmt.Errorf("%w: page has too few values", ErrCorrupt)
		}
		copy(arrow.MonthDayNanoIntervalTraits.CastToBytes(dst), src[c.val*size:(c.val+nv)*size])
		c.val += nv
		return nil
	}
	return c.eachValue(defs, elem, value, nv, avail, func(x, i int) {
		if i < 0 {
			dst[x] = arrow.MonthDayNanoInterval{}
			return
		}
		s := src[i*size : (i+1)*size]
		iv := arrow.MonthDayNanoInterval{
			Months: int32(binary.LittleEndian.Uint32(s[0:])),
			Days:   int32(binary.LittleEndian.Uint32(s[4:])),
		}
		if size == intervalBytes {
			iv.Nanoseconds = int64(binary.LittleEndian.Uint64(s[8:]))
		} else {
			iv.Nanoseconds = int64(binary.LittleEndian.Uint32(s[8:])) * 1_000_000
		}
		dst[x] = iv
	})
}

// fillBools copies the nv booleans of the entries defs of the current page into the bitmap
// vals, growing it to hold k more elements after the first e; a NULL element is false.
func (c *chunkReader) fillBools(vals *memory.Buffer, e, k int, defs []byte, elem, value byte, nv int) error {
	d := c.data.Data()
	src := d.Boolean()
	dst := growBuffer(vals, int(bitutil.BytesForBits(int64(e))), int(bitutil.BytesForBits(int64(e+k))), 0)
	if c.idx == nil && nv == k {
		if c.val+nv > 8*len(src) {
			return fmt.Errorf("%w: page has too few values", ErrCorrupt)
		}
		bitutil.CopyBitmap(src, c.val, nv, dst, e)
		c.val += nv
		return nil
	}
	return c.eachValue(defs, elem, value, nv, 8*len(src), func(x, i int) {
		bitutil.SetBitTo(dst, e+x, i >= 0 && bitutil.BitIsSet(src, i))
	})
}

// fillFixedBytes is fillBytes of fixed-length byte arrays: it appends the nv values of the
// entries defs of the current page to data (size bytes used) and the k elements' offsets
// after element e to offs, returning the bytes used.
func (c *chunkReader) fillFixedBytes(offs, data *memory.Buffer, e, k, size int, defs []byte, elem, value byte, nv int) (int, error) {
	pd := c.data.Data()
	src, w := pd.FixedLenByteArray()
	if nv > 0 && w < 1 {
		return 0, fmt.Errorf("%w: fixed-length values of %d bytes", ErrCorrupt, w)
	}
	add := nv * w
	db, err := growBytes(data, size, add)
	if err != nil {
		return 0, err
	}
	ob := growBuffer(offs, 4*(e+1), 4*(e+k+1), 0)
	eo := arrow.Int32Traits.CastFromBytes(ob)[e : e+k+1]
	avail := 0
	if w > 0 {
		avail = len(src) / w
	}
	if c.idx == nil && nv == k {
		if c.val+nv > avail {
			return 0, fmt.Errorf("%w: page has too few values", ErrCorrupt)
		}
		copy(db[size:], src[c.val*w:(c.val+nv)*w])
		for x := range k {
			eo[x+1] = int32(size + (x+1)*w)
		}
		c.val += nv
		return size + add, nil
	}
	at := size
	err = c.eachValue(defs, elem, value, nv, avail, func(x, i int) {
		if i >= 0 {
			at += copy(db[at:at+w], src[i*w:(i+1)*w])
		}
		eo[x+1] = int32(at)
	})
	return size + add, err
}
