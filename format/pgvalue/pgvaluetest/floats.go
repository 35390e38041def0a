// Package pgvaluetest holds fixtures of PostgreSQL values shared by the tests of the
// packages that format them.
package pgvaluetest

import "math"

var tenth, fifth = 0.1, 0.2

// point3 is 0.1 + 0.2 in float64 arithmetic, not the exact constant 0.3.
var point3 = tenth + fifth

// FloatCases are float8 and float4 values with their text, checked against PostgreSQL 15 with
// select 1e15::float8, 1e-5::float8, 123456::float4, 1e6::float4, ... (extra_float_digits 1).
var FloatCases = []struct {
	F8     float64
	F8Text string
	F4     float64
	F4Text string
}{
	{1e15, "1e+15", 123456, "123456"},
	{1e-5, "1e-05", 1e6, "1e+06"},
	{0.1, "0.1", 0.1, "0.1"},
	{123456789012345, "123456789012345", 999999, "999999"},
	{1e14, "100000000000000", 100000, "100000"},
	{1.5e300, "1.5e+300", 3.4028235e38, "3.4028235e+38"},
	{math.Inf(1), "Infinity", math.Inf(1), "Infinity"},
	{math.Inf(-1), "-Infinity", math.Inf(-1), "-Infinity"},
	{math.NaN(), "NaN", math.NaN(), "NaN"},
	{math.Copysign(0, -1), "-0", 0, "0"},
	{0.0001, "0.0001", 1e-4, "0.0001"},
	{1.7976931348623157e308, "1.7976931348623157e+308", 1.17549435e-38, "1.1754944e-38"},
	{5e-324, "5e-324", 1.401298e-45, "1e-45"},
	{point3, "0.30000000000000004", 12345.678, "12345.678"},
	{-3.25, "-3.25", 1.5, "1.5"},
	{-1e-5, "-1e-05", 123456789, "1.2345679e+08"},
}
