package exec

import (
	"context"
	"math/big"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// The kernels and value helpers the function library (package function) builds on, exported
// under the names it calls them by. Each is the unexported helper of the file named.

// AddInterval is addInterval (interval.go).
func AddInterval(us int64, v arrow.MonthDayNanoInterval) (int64, error) { return addInterval(us, v) }

// AndValidity is andValidity (kernel_buffers.go).
func AndValidity(mem memory.Allocator, arrs ...arrow.Array) *memory.Buffer {
	return andValidity(mem, arrs...)
}

// AppendValue is appendValue (expr_cast.go).
func AppendValue(b array.Builder, v any) { appendValue(b, v) }

// ParseArray is parseArray (list.go).
func ParseArray(s string, t arrow.DataType, loc *time.Location) ([]any, error) {
	return parseArray(s, t, loc)
}

// ArrayText is arrayText (list.go).
func ArrayText(v []any, text func(any) string) string { return arrayText(v, text) }

// BigTen is bigTen (kernel_arith.go).
var BigTen = bigTen

// Broadcast is broadcast (expr_literal.go).
func Broadcast(mem memory.Allocator, v any, t arrow.DataType, n int) arrow.Array {
	return broadcast(mem, v, t, n)
}

// ByteData is byteData (kernel_compare.go).
func ByteData(a arrow.Array) []byte { return byteData(a) }

// CastArrayIn is castArray (expr_cast.go).
func CastArrayIn(mem memory.Allocator, loc *time.Location, a arrow.Array, to arrow.DataType) (arrow.Array, error) {
	return castArray(mem, loc, a, to)
}

// CivilToDays is civilToDays (expr_cast.go).
func CivilToDays(y int64, m, d int) int64 { return civilToDays(y, m, d) }

// CmpFloat is cmpFloat (kernel_compare.go).
func CmpFloat[T float](a, b T) int { return cmpFloat[T](a, b) }

// CmpInterval is cmpInterval (interval.go).
func CmpInterval(a, b arrow.MonthDayNanoInterval) int { return cmpInterval(a, b) }

// CopyValidity is copyValidity (kernel_buffers.go).
func CopyValidity(mem memory.Allocator, a arrow.Array) *memory.Buffer { return copyValidity(mem, a) }

// DaysIn is daysIn (expr_cast.go).
func DaysIn(y, m int) int { return daysIn(y, m) }

// DaysToCivil is daysToCivil (expr_cast.go).
func DaysToCivil(z int64) (int64, int, int) { return daysToCivil(z) }

// DivRound is divRound (kernel_arith.go).
func DivRound(x, y *big.Int, q, rem *big.Int) (decimal128.Num, bool) {
	return divRound(x, y, q, rem)
}

// ElemType is elemType (list.go).
func ElemType(t arrow.DataType) arrow.DataType { return elemType(t) }

// EvalAll is evalAll (kernel_buffers.go).
func EvalAll(ctx context.Context, exprs []Expr, batch arrow.RecordBatch) ([]arrow.Array, error) {
	return evalAll(ctx, exprs, batch)
}

// Fits38 is fits38 (kernel_arith.go).
func Fits38(n decimal128.Num) bool { return fits38(n) }

// Float is float (kernel_arith.go).
type Float = float

// FloatSpecial is floatSpecial (expr_cast.go).
func FloatSpecial(f float64) (string, bool) { return floatSpecial(f) }

// FloorDiv is floorDiv (expr_cast.go).
func FloorDiv(a, b int64) int64 { return floorDiv(a, b) }

// FormatFloat is formatFloat (expr_cast.go).
func FormatFloat(f float64, bitSize int) string { return formatFloat(f, bitSize) }

// FormatOffset is formatOffset (timezone.go).
func FormatOffset(secs int64) string { return formatOffset(secs) }

// FormatText is formatText (expr_cast.go).
func FormatText(v any, t arrow.DataType) string { return formatText(v, t) }

// FormatTextIn is formatTextIn (expr_cast.go).
func FormatTextIn(v any, t arrow.DataType, loc *time.Location) string {
	return formatTextIn(v, t, loc)
}

// FromLocal is fromLocal (timezone.go).
func FromLocal(loc *time.Location, local int64) int64 { return fromLocal(loc, local) }

// HasZone is hasZone (expr_cast.go).
func HasZone(t arrow.DataType) bool { return hasZone(t) }

// Integer is integer (kernel_arith.go).
type Integer = integer

// IsInteger is isInteger (kernel_buffers.go).
func IsInteger(t arrow.DataType) bool { return isInteger(t) }

// IsNumeric is isNumeric (kernel_buffers.go).
func IsNumeric(t arrow.DataType) bool { return isNumeric(t) }

// JoinExprs is joinExprs (expr_case.go).
func JoinExprs(es []Expr) string { return joinExprs(es) }

// MakeArray is makeArray (kernel_buffers.go).
func MakeArray(dt arrow.DataType, n int, validity *memory.Buffer, bufs ...*memory.Buffer) arrow.Array {
	return makeArray(dt, n, validity, bufs...)
}

// NewRecordField is newRecordField (struct.go).
func NewRecordField(args []Expr) (Expr, error) { return newRecordField(args) }

// NewRecordRetype is newRecordRetype (struct.go).
func NewRecordRetype(args []Expr) (Expr, error) { return newRecordRetype(args) }

// NewRowExpr is newRowExpr (struct.go).
func NewRowExpr(args []Expr) (Expr, error) { return newRowExpr(args) }

// AllocValues is newValues (kernel_buffers.go).
func AllocValues[T arrow.FixedWidthType](mem memory.Allocator, n int) (*memory.Buffer, []T) {
	return newValues[T](mem, n)
}

// OffsetAt is offsetAt (timezone.go).
func OffsetAt(loc *time.Location, us int64) int64 { return offsetAt(loc, us) }

// PackBig is packBig (varnumeric.go).
func PackBig(u *big.Int, s int32) (decimal128.Num, error) { return packBig(u, s) }

// PackNum is packNum (varnumeric.go).
func PackNum(v decimal128.Num, s int32) (decimal128.Num, error) { return packNum(v, s) }

// ParseTextIn is parseTextIn (expr_cast.go).
func ParseTextIn(s string, to arrow.DataType, loc *time.Location) (any, error) {
	return parseTextIn(s, to, loc)
}

// ParseZone is parseZone (timezone.go).
func ParseZone(name string) (*time.Location, error) { return parseZone(name) }

// Pow10 is pow10 (kernel_arith.go).
func Pow10(n int32) *big.Int { return pow10(n) }

// RangeErr is rangeErr (kernel_arith.go).
func RangeErr(t arrow.DataType) error { return rangeErr(t) }

// ReleaseAll is releaseAll (kernel_buffers.go).
func ReleaseAll(arrs []arrow.Array) { releaseAll(arrs) }

// RoleName is roleName (role_names.go).
func RoleName(oid int64) (string, bool) { return roleName(oid) }

// RoundQuo is roundQuo (varnumeric.go).
func RoundQuo(num, den *big.Int) *big.Int { return roundQuo(num, den) }

// ScaleOf is scaleOf (kernel_aggregate.go).
func ScaleOf(t arrow.DataType) int32 { return scaleOf(t) }

// Skip is skip (kernel_arith.go).
func Skip(valid []byte, i int) bool { return skip(valid, i) }

// Supported is supported (kernel_buffers.go).
func Supported(t arrow.DataType) bool { return supported(t) }

// ToLocal is toLocal (timezone.go).
func ToLocal(loc *time.Location, us int64) int64 { return toLocal(loc, us) }

// UsPerDay is usPerDay (expr_cast.go).
const UsPerDay = usPerDay

// UsPerHour is usPerHour (interval.go).
const UsPerHour = usPerHour

// UsPerSec is usPerSec (interval.go).
const UsPerSec = usPerSec

// ValueAt is valueAt (expr_literal.go).
func ValueAt(a arrow.Array, i int) any { return valueAt(a, i) }

// ValuesOf is values (kernel_buffers.go).
func ValuesOf[T arrow.FixedWidthType](a arrow.Array) []T { return values[T](a) }

// VarOverflow is varOverflow (varnumeric.go).
func VarOverflow() error { return varOverflow() }

// VarRounding is varRounding (varnumeric.go).
func VarRounding(mem memory.Allocator, dec func(x, d *big.Int) *big.Int, args []arrow.Array) (arrow.Array, error) {
	return varRounding(mem, dec, args)
}

// VarUnary is varUnary (varnumeric.go).
func VarUnary(mem memory.Allocator, a arrow.Array, abs bool) (arrow.Array, error) {
	return varUnary(mem, a, abs)
}
