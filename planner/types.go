package planner

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/types"
)

// The SQL types are package types', until its callers use it.
var (
	Bool        = types.Bool
	Int16       = types.Int16
	Int32       = types.Int32
	Int64       = types.Int64
	Float32     = types.Float32
	Float64     = types.Float64
	Text        = types.Text
	Bytea       = types.Bytea
	Date        = types.Date
	Timestamp   = types.Timestamp
	TimestampTZ = types.TimestampTZ
	Interval    = types.Interval
	Null        = types.Null
	Unknown     = types.Unknown
)

func IsUnknown(t arrow.DataType) bool                        { return types.IsUnknown(t) }
func Numeric(p, s int32) arrow.DataType                      { return types.Numeric(p, s) }
func TypeName(t arrow.DataType) string                       { return types.Name(t) }
func IsNumeric(t arrow.DataType) bool                        { return types.IsNumeric(t) }
func IsInteger(t arrow.DataType) bool                        { return types.IsInteger(t) }
func CommonType(a, b arrow.DataType) (arrow.DataType, error) { return types.Common(a, b) }
func FormatLiteral(v any, t arrow.DataType) string           { return types.FormatLiteral(v, t) }
func Varchar(n int32) arrow.DataType                         { return types.Varchar(n) }
func Bpchar(n int32) arrow.DataType                          { return types.Bpchar(n) }
func IsVarchar(t arrow.DataType) bool                        { return types.IsVarchar(t) }
func IsBpchar(t arrow.DataType) bool                         { return types.IsBpchar(t) }
func CharLength(t arrow.DataType) (int32, bool)              { return types.CharLength(t) }
func SelectCommonType(a, b arrow.DataType) (arrow.DataType, error) {
	return types.SelectCommon(a, b)
}
func ArrayOf(elem arrow.DataType) arrow.DataType { return types.ArrayOf(elem) }
func ElemType(t arrow.DataType) arrow.DataType   { return types.Elem(t) }
func IsArray(t arrow.DataType) bool              { return types.IsArray(t) }

const (
	SQLTypeKey   = types.SQLTypeKey
	SQLTypmodKey = types.SQLTypmodKey
)
