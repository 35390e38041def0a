package types

import (
	"encoding/binary"
	"strconv"
	"strings"
)

// AppendJSONBSortKey appends to dst a byte string whose bytewise order is PostgreSQL's jsonb
// btree order of v (compareJsonbContainers), v normalised (object keys in jsonb's order):
// objects after arrays after booleans after numbers after strings after null; containers
// first by their number of elements or pairs, then element by element (object keys and
// values in key order); a top-level scalar is a one-element array that sorts before a real
// one of one element; numbers by value (1.0 and 1 have one key), strings bytewise (the C
// collation), false before true. Equal keys are equal jsonb values.
func AppendJSONBSortKey(dst []byte, v *JSONValue) []byte {
	switch v.Kind {
	case JSONArray:
		dst = append(dst, 0x10)
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(v.Elems)))
		dst = append(dst, 1) // not a raw scalar
		for _, e := range v.Elems {
			dst = appendJSONBElem(dst, e)
		}
		return dst
	case JSONObject:
		return appendJSONBElem(dst, v)
	}
	dst = append(dst, 0x10)
	dst = binary.BigEndian.AppendUint32(dst, 1)
	dst = append(dst, 0) // a raw scalar
	return appendJSONBElem(dst, v)
}

// The tags of the kinds, in jsonb's order of types (jbvNull < jbvString < jbvNumeric <
// jbvBool < jbvArray < jbvObject).
const (
	jsonbTagNull   = 0x01
	jsonbTagString = 0x02
	jsonbTagNumber = 0x03
	jsonbTagBool   = 0x04
	jsonbTagArray  = 0x10
	jsonbTagObject = 0x11
)

func appendJSONBElem(dst []byte, v *JSONValue) []byte {
	switch v.Kind {
	case JSONNull:
		return append(dst, jsonbTagNull)
	case JSONString:
		return appendJSONBString(append(dst, jsonbTagString), v.Str)
	case JSONNumber:
		return appendJSONBNumber(append(dst, jsonbTagNumber), v.Str)
	case JSONBool:
		if v.Str == "true" {
			return append(dst, jsonbTagBool, 1)
		}
		return append(dst, jsonbTagBool, 0)
	case JSONArray:
		dst = append(dst, jsonbTagArray)
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(v.Elems)))
		dst = append(dst, 1)
		for _, e := range v.Elems {
			dst = appendJSONBElem(dst, e)
		}
		return dst
	}
	dst = append(dst, jsonbTagObject)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(v.Keys)))
	for i, k := range v.Keys {
		dst = appendJSONBString(append(dst, jsonbTagString), k)
		dst = appendJSONBElem(dst, v.Vals[i])
	}
	return dst
}

// appendJSONBString appends s so that no encoding is a prefix of another's: 0x00 escaped as
// 0x00 0xff, ended by 0x00 0x00.
func appendJSONBString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			dst = append(dst, 0, 0xff)
			continue
		}
		dst = append(dst, s[i])
	}
	return append(dst, 0, 0)
}

// appendJSONBNumber appends the decimal number s (JSON's syntax) in an order-preserving form:
// a sign class (negative, zero, positive), then the decimal exponent of the first significant
// digit and the significant digits, complemented for negative numbers.
func appendJSONBNumber(dst []byte, s string) []byte {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	exp := 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		exp, _ = strconv.Atoi(s[i+1:])
		s = s[:i]
	}
	intPart, frac, _ := strings.Cut(s, ".")
	digits := strings.TrimLeft(intPart+frac, "0")
	// value = 0.digits × 10^e, where e counts the integer digits left after the zeros.
	e := exp + len(intPart) - (len(intPart+frac) - len(digits))
	digits = strings.TrimRight(digits, "0")
	if digits == "" {
		return append(dst, 0x02)
	}
	if !neg {
		dst = append(dst, 0x03)
		dst = binary.BigEndian.AppendUint32(dst, uint32(int32(e))^0x80000000)
		dst = append(dst, digits...)
		return append(dst, 0)
	}
	dst = append(dst, 0x01)
	dst = binary.BigEndian.AppendUint32(dst, ^(uint32(int32(e)) ^ 0x80000000))
	for i := 0; i < len(digits); i++ {
		dst = append(dst, 0xff-digits[i])
	}
	return append(dst, 0xff)
}
