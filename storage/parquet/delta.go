package parquet

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sync"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	kzstd "github.com/klauspost/compress/zstd"
	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding/delta"
	"github.com/parquet-go/parquet-go/format"
)

// Delta encodings on the flat path. With Properties.Encoding EncodingDelta (the default) the
// flat path writes integer columns (and dates, timestamps and decimals stored as integers)
// as DELTA_BINARY_PACKED and byte-array columns as DELTA_BYTE_ARRAY, Parquet's standard
// encodings for them: fewer bytes reach the compressor, which is most of the cost of
// writing a file. A sorted row key keeps only what each value does not share with the one
// before it; an integer keeps only the bits its page's deltas need. Booleans and floats stay
// PLAIN.
//
// Pages are still cut by the size of their PLAIN values, so a page holds the same rows
// whatever the encoding: the page index and the reads through it do not change. The
// encoder keeps a page's integers PLAIN as before, and its byte arrays one after another
// with their offsets, and encodes them when the page is flushed; the readers of this package (direct.go, onepage.go) decode such a page back
// into PLAIN values when they load it and then read it as before.
//
// zstd at its fastest level stores a block in which it finds no match without entropy
// coding its literals. A DELTA_BYTE_ARRAY page of random keys or values has few matches
// but a skewed alphabet (hex digits, say), so its pages are compressed with literal
// entropy coding on: smaller than PLAIN and zstd, for a fraction of the CPU. Integer pages
// after DELTA_BINARY_PACKED are bit-packed deltas that entropy coding does not shrink, so
// they keep the usual encoder, which passes them over quickly.

// Value encodings accepted in Properties.Encoding.
const (
	// EncodingDelta writes integers as DELTA_BINARY_PACKED and byte arrays as
	// DELTA_BYTE_ARRAY on the flat path (the default).
	EncodingDelta = "delta"
	// EncodingPlain writes every column's values PLAIN.
	EncodingPlain = "plain"
)

// flatEncoding returns the encoding of the values of a flat column of the given kind.
func flatEncoding(kind pq.Kind, props Properties) format.Encoding {
	if props.Encoding != EncodingDelta {
		return format.Plain
	}
	switch kind {
	case pq.Int32, pq.Int64:
		return format.DeltaBinaryPacked
	case pq.ByteArray:
		return format.DeltaByteArray
	}
	return format.Plain
}

// encodePage encodes a page's values in enc, appending to dst: integers from their PLAIN
// encoding (plain), byte arrays from data and its offsets (offs; empty or starting at 0).
func encodePage(dst, plain []byte, kind pq.Kind, enc format.Encoding, offs []uint32, data []byte) ([]byte, error) {
	switch {
	case enc == format.DeltaBinaryPacked && kind == pq.Int64:
		return (&delta.BinaryPackedEncoding{}).EncodeInt64(dst, arrow.Int64Traits.CastFromBytes(plain))
	case enc == format.DeltaBinaryPacked && kind == pq.Int32:
		return (&delta.BinaryPackedEncoding{}).EncodeInt32(dst, arrow.Int32Traits.CastFromBytes(plain))
	case enc == format.DeltaByteArray && kind == pq.ByteArray:
		return encodeDeltaByteArray(dst, data, offs), nil
	}
	return nil, fmt.Errorf("%w: %s values of %s", ErrUnsupportedType, enc, kind)
}

// deltaPage builds a DELTA_BYTE_ARRAY page value by value: the lengths of the prefix each
// value shares with the one before it and of the rest, and the rests one after another.
// The flat writer adds each value as it is written, so a value is read once, while it is
// in the cache, and only its rest is copied.
type deltaPage struct {
	pre, suf []int32
	rest     []byte
	// The last value added is base[lastOff:lastOff+lastLen]. base is the memory of the
	// caller's values (all of it, to its capacity) or own, and changes only when a value
	// lies outside it: the values of one batch share their memory, so adding one stores
	// two integers and no pointer, which would cost a write barrier while the collector
	// marks (as often as not during a compaction).
	base             []byte
	lastOff, lastLen int
	own              []byte
	enc              []byte // scratch of appendTo
}

// last returns the last value added (empty after a reset).
func (d *deltaPage) last() []byte { return d.base[d.lastOff : d.lastOff+d.lastLen] }

// add adds v to the page.
func (d *deltaPage) add(v []byte) {
	n := sharedPrefix(d.last(), v)
	d.pre = append(d.pre, int32(n))
	d.suf = append(d.suf, int32(len(v)-n))
	// The rest is copied into rest resliced in place, which stores its length alone: an
	// append of a slice stores the whole slice, a pointer, and so a write barrier.
	k, m := len(v)-n, len(d.rest)
	if m+k > cap(d.rest) {
		d.rest = slices.Grow(d.rest, k)
	}
	d.rest = d.rest[:m+k]
	copy(d.rest[m:], v[n:])
	d.setLast(v)
}

// setLast makes v the last value added.
func (d *deltaPage) setLast(v []byte) {
	// v's offset in base, if v lies in it (a value before base wraps around to a large
	// offset). Only the two addresses' difference is kept, not an address.
	off := uintptr(unsafe.Pointer(unsafe.SliceData(v))) - uintptr(unsafe.Pointer(unsafe.SliceData(d.base)))
	if off > uintptr(len(d.base)) || uintptr(len(v)) > uintptr(len(d.base))-off {
		d.base, off = v[:cap(v)], 0
	}
	d.lastOff, d.lastLen = int(off), len(v)
}

// keep copies the last value added into the page's own memory: the caller's is about to
// be released or reused.
func (d *deltaPage) keep() {
	d.own = append(d.own[:0], d.last()...)
	d.base, d.lastOff = d.own, 0
}

// reset empties the page.
func (d *deltaPage) reset() {
	d.pre, d.suf, d.rest = d.pre[:0], d.suf[:0], d.rest[:0]
	d.base, d.lastOff, d.lastLen = nil, 0, 0
}

// values is the number of values added since the last reset.
func (d *deltaPage) values() int { return len(d.pre) }

// appendTo appends the page's DELTA_BYTE_ARRAY encoding to dst: the prefix lengths and the
// rest lengths (both DELTA_BINARY_PACKED), then the rests.
func (d *deltaPage) appendTo(dst []byte) []byte {
	bp := &delta.BinaryPackedEncoding{}
	d.enc, _ = bp.EncodeInt32(d.enc, d.pre)
	dst = append(dst, d.enc...)
	d.enc, _ = bp.EncodeInt32(d.enc, d.suf)
	dst = append(dst, d.enc...)
	return append(dst, d.rest...)
}

var deltaPagePool = sync.Pool{New: func() any { return new(deltaPage) }}

// encodeDeltaByteArray appends the DELTA_BYTE_ARRAY encoding of the byte arrays in data
// (offs: their offsets, empty or starting at 0) to dst: the lengths of the prefixes each
// shares with the one before it and of the rest of each (both DELTA_BINARY_PACKED), then
// the rests one after another. It writes what parquet-go's encoder writes, finding each
// shared prefix eight bytes at a time instead of one.
func encodeDeltaByteArray(dst, data []byte, offs []uint32) []byte {
	d := deltaPagePool.Get().(*deltaPage)
	defer deltaPagePool.Put(d)
	d.reset()
	for i := 0; i+1 < len(offs); i++ {
		d.add(data[offs[i]:offs[i+1]])
	}
	dst = d.appendTo(dst)
	d.reset()
	return dst
}

// sharedPrefix returns the length of the longest common prefix of a and b.
func sharedPrefix(a, b []byte) int {
	n := min(len(a), len(b))
	i := 0
	for ; i+8 <= n; i += 8 {
		if x := binary.LittleEndian.Uint64(a[i:]) ^ binary.LittleEndian.Uint64(b[i:]); x != 0 {
			return i + bits.TrailingZeros64(x)/8
		}
	}
	for i < n && a[i] == b[i] {
		i++
	}
	return i
}

// deltaBuffers are the scratch buffers of decoding a delta-encoded page.
type deltaBuffers struct {
	data []byte
	offs []uint32
}

var deltaPool = sync.Pool{New: func() any { return new(deltaBuffers) }}

// plainValues decodes the values of a page encoded in enc (the page's decompressed values,
// vals, holding values values of kind) into their PLAIN encoding, appended to dst[:0]. It
// returns vals itself for a PLAIN page, and an error wrapping ErrCorrupt for values that
// are not values values of kind in enc.
func plainValues(dst, vals []byte, kind pq.Kind, enc format.Encoding, values int) ([]byte, error) {
	switch enc {
	case format.Plain:
		return vals, nil
	case format.DeltaBinaryPacked:
		if kind != pq.Int32 && kind != pq.Int64 {
			break
		}
		if n, ok := binaryPackedCount(vals); !ok || n != values {
			return nil, fmt.Errorf("%w: DELTA_BINARY_PACKED page of %d values, %d expected", ErrCorrupt, n, values)
		}
		if values == 0 {
			return dst[:0], nil
		}
		var err error
		if kind == pq.Int64 {
			var out []int64
			if c := cap(dst) / 8; c > 0 {
				out = arrow.Int64Traits.CastFromBytes(dst[:c*8])
			}
			out, err = (&delta.BinaryPackedEncoding{}).DecodeInt64(out[:0], vals)
			dst = arrow.Int64Traits.CastToBytes(out)
		} else {
			var out []int32
			if c := cap(dst) / 4; c > 0 {
				out = arrow.Int32Traits.CastFromBytes(dst[:c*4])
			}
			out, err = (&delta.BinaryPackedEncoding{}).DecodeInt32(out[:0], vals)
			dst = arrow.Int32Traits.CastToBytes(out)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		return dst, nil
	case format.DeltaByteArray, format.DeltaLengthByteArray:
		if kind != pq.ByteArray {
			break
		}
		if n, ok := binaryPackedCount(vals); !ok || n != values {
			return nil, fmt.Errorf("%w: %s page of %d values, %d expected", ErrCorrupt, enc, n, values)
		}
		if values == 0 {
			return dst[:0], nil
		}
		b := deltaPool.Get().(*deltaBuffers)
		defer deltaPool.Put(b)
		var err error
		if enc == format.DeltaByteArray {
			b.data, b.offs, err = (&delta.ByteArrayEncoding{}).DecodeByteArray(b.data, vals, b.offs)
		} else {
			b.data, b.offs, err = (&delta.LengthByteArrayEncoding{}).DecodeByteArray(b.data, vals, b.offs)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		if len(b.offs) != values+1 {
			return nil, fmt.Errorf("%w: %s page of %d values, %d expected", ErrCorrupt, enc, len(b.offs)-1, values)
		}
		size := 4*values + int(b.offs[values]-b.offs[0])
		if cap(dst) < size {
			dst = make([]byte, 0, size+size/4)
		}
		dst = dst[:0]
		for i := range values {
			v := b.data[b.offs[i]:b.offs[i+1]]
			dst = binary.LittleEndian.AppendUint32(dst, uint32(len(v)))
			dst = append(dst, v...)
		}
		return dst, nil
	}
	return nil, fmt.Errorf("%w: %s values of a %s column", ErrCorrupt, enc, kind)
}

// decodeByteArrays decodes the values of a DELTA_BYTE_ARRAY or DELTA_LENGTH_BYTE_ARRAY page
// (vals, holding values byte arrays) into strs, one after another, and their values+1
// offsets into offs (offs[0] is 0), reusing the memory of both.
func decodeByteArrays(strs []byte, offs []uint32, vals []byte, enc format.Encoding, values int) ([]byte, []uint32, error) {
	if n, ok := binaryPackedCount(vals); !ok || n != values {
		return strs, offs, fmt.Errorf("%w: %s page of %d values, %d expected", ErrCorrupt, enc, n, values)
	}
	if values == 0 {
		return strs[:0], append(offs[:0], 0), nil
	}
	var err error
	switch enc {
	case format.DeltaByteArray:
		strs, offs, err = (&delta.ByteArrayEncoding{}).DecodeByteArray(strs, vals, offs)
	case format.DeltaLengthByteArray:
		strs, offs, err = (&delta.LengthByteArrayEncoding{}).DecodeByteArray(strs, vals, offs)
	default:
		return strs, offs, fmt.Errorf("%w: %s values of a byte array column", ErrCorrupt, enc)
	}
	if err != nil {
		return strs, offs, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if len(offs) != values+1 || offs[0] != 0 || int(offs[values]) > len(strs) {
		return strs, offs, fmt.Errorf("%w: %s page of %d values, %d expected", ErrCorrupt, enc, len(offs)-1, values)
	}
	return strs, offs, nil
}

// binaryPackedCount returns the value count in the header of a DELTA_BINARY_PACKED stream
// (block size, miniblocks per block, value count, first value, as ULEB128 varints).
func binaryPackedCount(b []byte) (int, bool) {
	for range 2 {
		_, n := binary.Uvarint(b)
		if n <= 0 {
			return 0, false
		}
		b = b[n:]
	}
	v, n := binary.Uvarint(b)
	if n <= 0 || v > math.MaxInt32 {
		return 0, false
	}
	return int(v), true
}

// directEncoding reports whether the direct readers decode pages of a column of kind in enc.
func directEncoding(kind pq.Kind, enc format.Encoding) bool {
	switch enc {
	case format.Plain:
		return true
	case format.DeltaBinaryPacked:
		return kind == pq.Int32 || kind == pq.Int64
	case format.DeltaByteArray, format.DeltaLengthByteArray:
		return kind == pq.ByteArray
	}
	return false
}

// literalZstd is the zstd codec of DELTA_BYTE_ARRAY pages: the fastest level, as
// Properties' zstd, with entropy coding of the literals of blocks that have no match.
type literalZstd struct {
	compress.Codec
	encoders sync.Pool
}

var litZstd = &literalZstd{Codec: pq.LookupCompressionCodec(format.Zstd)}

func (c *literalZstd) Encode(dst, src []byte) ([]byte, error) {
	e, _ := c.encoders.Get().(*kzstd.Encoder)
	if e == nil {
		var err error
		e, err = kzstd.NewWriter(nil,
			kzstd.WithEncoderConcurrency(1),
			kzstd.WithEncoderLevel(kzstd.SpeedFastest),
			kzstd.WithZeroFrames(true),
			kzstd.WithEncoderCRC(false),
			kzstd.WithAllLitEntropyCompression(true),
		)
		if err != nil {
			return nil, err
		}
	}
	defer c.encoders.Put(e)
	return e.EncodeAll(src, dst[:0]), nil
}
