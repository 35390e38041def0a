// Package keys encodes composite row keys as byte strings whose bytewise order is the key order.
//
// Partition boundaries, file key ranges and scan clipping all work on encoded keys, so the state
// store and the partition tree never need to know column types. The encoding of a key made of
// columns c1..cn is enc(c1) || ... || enc(cn), and enc of a prefix of the columns is a prefix of
// enc of the whole key, so a range over the leading columns is a range of encoded keys.
//
// Encodings (row key values are never null):
//   - int32, date32: 4 bytes big-endian with the sign bit flipped
//   - int64, timestamp: 8 bytes big-endian with the sign bit flipped
//   - string, binary: the bytes with 0x00 escaped as 0x00 0xFF, terminated by 0x00 0x01
package keys

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Supported reports whether values of type t can be part of a row key.
func Supported(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT32, arrow.INT64, arrow.STRING, arrow.BINARY, arrow.DATE32, arrow.TIMESTAMP:
		return true
	}
	return false
}

// AppendRow appends the encoding of row i of the given key columns to dst.
func AppendRow(dst []byte, cols []arrow.Array, i int) []byte {
	for _, c := range cols {
		dst = AppendValue(dst, c, i)
	}
	return dst
}

// AppendValue appends the encoding of row i of arr to dst. It panics on an unsupported type.
func AppendValue(dst []byte, arr arrow.Array, i int) []byte {
	switch a := arr.(type) {
	case *array.Int32:
		return appendInt32(dst, a.Value(i))
	case *array.Date32:
		return appendInt32(dst, int32(a.Value(i)))
	case *array.Int64:
		return appendInt64(dst, a.Value(i))
	case *array.Timestamp:
		return appendInt64(dst, int64(a.Value(i)))
	case *array.String:
		return appendBytes(dst, []byte(a.Value(i)))
	case *array.Binary:
		return appendBytes(dst, a.Value(i))
	}
	panic(fmt.Sprintf("keys: unsupported key column type %s", arr.DataType()))
}

// AppendGo appends the encoding of a Go value of the given key type: int32 or int64 (any Go
// integer is accepted and range-checked), string, []byte, arrow.Date32, arrow.Timestamp.
func AppendGo(dst []byte, t arrow.DataType, v any) ([]byte, error) {
	switch t.ID() {
	case arrow.INT32, arrow.DATE32:
		n, ok := toInt64(v)
		if !ok || n < -1<<31 || n > 1<<31-1 {
			return nil, fmt.Errorf("keys: %v (%T) is not a %s", v, v, t)
		}
		return appendInt32(dst, int32(n)), nil
	case arrow.INT64, arrow.TIMESTAMP:
		n, ok := toInt64(v)
		if !ok {
			return nil, fmt.Errorf("keys: %v (%T) is not a %s", v, v, t)
		}
		return appendInt64(dst, n), nil
	case arrow.STRING:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("keys: %v (%T) is not a %s", v, v, t)
		}
		return appendBytes(dst, []byte(s)), nil
	case arrow.BINARY:
		switch b := v.(type) {
		case []byte:
			return appendBytes(dst, b), nil
		case string:
			return appendBytes(dst, []byte(b)), nil
		}
		return nil, fmt.Errorf("keys: %v (%T) is not a %s", v, v, t)
	}
	return nil, fmt.Errorf("keys: unsupported key type %s", t)
}

func toInt64(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int8:
		return int64(n), true
	case int16:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	case arrow.Date32:
		return int64(n), true
	case arrow.Timestamp:
		return int64(n), true
	}
	return 0, false
}

func appendInt32(dst []byte, v int32) []byte {
	return binary.BigEndian.AppendUint32(dst, uint32(v)^(1<<31))
}

func appendInt64(dst []byte, v int64) []byte {
	return binary.BigEndian.AppendUint64(dst, uint64(v)^(1<<63))
}

func appendBytes(dst []byte, b []byte) []byte {
	for {
		i := bytes.IndexByte(b, 0)
		if i < 0 {
			break
		}
		dst = append(dst, b[:i+1]...)
		dst = append(dst, 0xFF)
		b = b[i+1:]
	}
	dst = append(dst, b...)
	return append(dst, 0x00, 0x01)
}

// Decode splits an encoded key, or an encoded prefix of one, into Go values of the key types:
// int32, int64, string, []byte, arrow.Date32, arrow.Timestamp. It returns as many values as
// the key holds.
func Decode(types []arrow.DataType, key []byte) ([]any, error) {
	var out []any
	for _, t := range types {
		if len(key) == 0 {
			break
		}
		switch t.ID() {
		case arrow.INT32, arrow.DATE32:
			if len(key) < 4 {
				return nil, fmt.Errorf("keys: truncated %s", t)
			}
			v := int32(binary.BigEndian.Uint32(key) ^ (1 << 31))
			key = key[4:]
			if t.ID() == arrow.DATE32 {
				out = append(out, arrow.Date32(v))
			} else {
				out = append(out, v)
			}
		case arrow.INT64, arrow.TIMESTAMP:
			if len(key) < 8 {
				return nil, fmt.Errorf("keys: truncated %s", t)
			}
			v := int64(binary.BigEndian.Uint64(key) ^ (1 << 63))
			key = key[8:]
			if t.ID() == arrow.TIMESTAMP {
				out = append(out, arrow.Timestamp(v))
			} else {
				out = append(out, v)
			}
		case arrow.STRING, arrow.BINARY:
			var b []byte
			for {
				i := bytes.IndexByte(key, 0)
				if i < 0 || i+1 >= len(key) {
					return nil, fmt.Errorf("keys: unterminated %s", t)
				}
				b = append(b, key[:i]...)
				if key[i+1] == 0xFF {
					b = append(b, 0)
					key = key[i+2:]
					continue
				}
				if key[i+1] != 0x01 {
					return nil, fmt.Errorf("keys: bad terminator in %s", t)
				}
				key = key[i+2:]
				break
			}
			if t.ID() == arrow.STRING {
				out = append(out, string(b))
			} else {
				out = append(out, b)
			}
		default:
			return nil, fmt.Errorf("keys: unsupported key type %s", t)
		}
	}
	if len(key) != 0 {
		return nil, fmt.Errorf("keys: %d trailing bytes", len(key))
	}
	return out, nil
}

// Format renders an encoded key for people: values separated by commas, "-inf" for an empty
// minimum. Formatting an upper bound, pass max=true so that nil prints as "+inf".
func Format(types []arrow.DataType, key []byte, max bool) string {
	if key == nil && max {
		return "+inf"
	}
	if len(key) == 0 {
		return "-inf"
	}
	vals, err := Decode(types, key)
	if err != nil {
		// An upper bound made by PrefixEnd: the first key after every key with a prefix.
		if n := len(key); n > 0 && key[n-1] > 0 {
			p := bytes.Clone(key)
			p[n-1]--
			if _, err := Decode(types, p); err == nil {
				return "after(" + Format(types, p, false) + ")"
			}
		}
		return "0x" + hex.EncodeToString(key)
	}
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = formatValue(types[i], v)
	}
	return strings.Join(parts, ",")
}

func formatValue(t arrow.DataType, v any) string {
	switch x := v.(type) {
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case int64:
		return strconv.FormatInt(x, 10)
	case string:
		return x
	case []byte:
		return `\x` + hex.EncodeToString(x)
	case arrow.Date32:
		return x.ToTime().Format("2006-01-02")
	case arrow.Timestamp:
		unit := arrow.Microsecond
		if ts, ok := t.(*arrow.TimestampType); ok {
			unit = ts.Unit
		}
		return x.ToTime(unit).UTC().Format("2006-01-02 15:04:05.999999")
	}
	return fmt.Sprint(v)
}

// PrefixEnd returns the smallest key greater than every key that has prefix p, or nil when
// there is none (p is all 0xFF bytes): nil means unbounded above.
func PrefixEnd(p []byte) []byte {
	end := bytes.Clone(p)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xFF {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// Range is the half-open interval [Min, Max) of encoded keys. An empty Min is unbounded below;
// a nil Max is unbounded above.
type Range struct {
	Min, Max []byte
}

// Full is the range of every key.
var Full = Range{}

// Contains reports whether k lies in r.
func (r Range) Contains(k []byte) bool {
	return bytes.Compare(k, r.Min) >= 0 && (r.Max == nil || bytes.Compare(k, r.Max) < 0)
}

// Empty reports whether r holds no key.
func (r Range) Empty() bool {
	return r.Max != nil && bytes.Compare(r.Min, r.Max) >= 0
}

// Intersect returns the intersection of r and o, which may be Empty.
func (r Range) Intersect(o Range) Range {
	out := r
	if bytes.Compare(o.Min, out.Min) > 0 {
		out.Min = o.Min
	}
	if out.Max == nil || (o.Max != nil && bytes.Compare(o.Max, out.Max) < 0) {
		out.Max = o.Max
	}
	return out
}

// Overlaps reports whether r and o share a key.
func (r Range) Overlaps(o Range) bool { return !r.Intersect(o).Empty() }

// TimeOf converts a decoded timestamp for display; kept here so callers share one rule.
func TimeOf(ts arrow.Timestamp, unit arrow.TimeUnit) time.Time { return ts.ToTime(unit).UTC() }

// LeadingRange returns the range of the keys whose leading column lies in [min, max], given
// as Go values that AppendGo accepts for type t (a Parquet row group's statistics of the
// leading row key column, say). ok is false when a bound cannot be encoded.
func LeadingRange(t arrow.DataType, min, max any) (r Range, ok bool) {
	lo, err := AppendGo(nil, t, min)
	if err != nil {
		return Range{}, false
	}
	hi, err := AppendGo(nil, t, max)
	if err != nil {
		return Range{}, false
	}
	return Range{Min: lo, Max: PrefixEnd(hi)}, true
}

// Prefix64 returns the first 8 bytes of encoded key k as a big-endian number, zero-padded:
// keys compare as their prefixes do unless the prefixes are equal, so sorts and merges
// compare prefixes first and fall back to bytes.Compare only on ties.
func Prefix64(k []byte) uint64 {
	if len(k) >= 8 {
		return binary.BigEndian.Uint64(k)
	}
	var b [8]byte
	copy(b[:], k)
	return binary.BigEndian.Uint64(b[:])
}
