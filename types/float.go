package types

import (
	"math"
	"strconv"
	"strings"
)

// AppendFloat appends f as PostgreSQL 15's float4out and float8out write it with the
// default extra_float_digits of 1: the shortest digits that read back exactly, in exponent
// notation when the decimal exponent is below -4 or at least 6 (float4, bits 32) or 15
// (float8, bits 64); NaN, Infinity and -Infinity by name. The wire formats and the text
// casts of the executor share it.
func AppendFloat(dst []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(f, -1):
		return append(dst, "-Infinity"...)
	}
	limit := 15
	if bits == 32 {
		limit = 6
	}
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, 'e', -1, bits)
	e := strings.LastIndexByte(string(dst[start:]), 'e')
	exp, _ := strconv.Atoi(string(dst[start+e+1:]))
	if exp < -4 || exp >= limit {
		return dst
	}
	return strconv.AppendFloat(dst[:start], f, 'f', -1, bits)
}
