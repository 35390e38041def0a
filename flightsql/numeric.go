package flightsql

import (
	"math/big"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/decimal256"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/types"
)

// Numeric without a type modifier (types.VarNumeric) keeps a scale per value, in an extension
// type whose storage packs value and scale. Flight SQL clients get it as decimal256(76,38),
// a standard Arrow type that holds every such value exactly (at most 36 digits, scale at
// most 38); the per-value display scale is not sent.
var wireNumeric = &arrow.Decimal256Type{Precision: 76, Scale: types.MaxVarNumericScale}

// wireNumericList is how an array of numeric without a type modifier reaches Flight SQL
// clients: a list of wireNumeric.
var wireNumericList = arrow.ListOf(wireNumeric)

// isVarNumericList reports whether t is an array of numeric without a type modifier.
func isVarNumericList(t arrow.DataType) bool {
	l, ok := t.(*arrow.ListType)
	return ok && types.IsVarNumeric(l.Elem())
}

// wireNumericListArray converts a list of numeric without a type modifier to
// wireNumericList: the same offsets and validity over the elements as wireNumeric.
func wireNumericListArray(mem memory.Allocator, a arrow.Array) arrow.Array {
	l := a.(*array.List)
	vals := l.ListValues()
	if ext, ok := vals.(array.ExtensionArray); ok {
		vals = ext.Storage()
	}
	w := wireNumericArray(mem, vals)
	defer w.Release()
	d := l.Data()
	data := array.NewData(wireNumericList, d.Len(), d.Buffers(), []arrow.ArrayData{w.Data()}, d.NullN(), d.Offset())
	defer data.Release()
	return array.MakeFromData(data)
}

// wireSchema is sc with the fields of numeric without a type modifier as Flight SQL sends
// them.
func wireSchema(sc *arrow.Schema) *arrow.Schema {
	if sc == nil {
		return nil
	}
	var fields []arrow.Field
	for i, f := range sc.Fields() {
		if types.IsVarNumeric(f.Type) {
			if fields == nil {
				fields = sc.Fields()
			}
			fields[i].Type = wireNumeric
		}
		if isVarNumericList(f.Type) {
			if fields == nil {
				fields = sc.Fields()
			}
			fields[i].Type = wireNumericList
		}
		if wt, ok := wireType(f); ok {
			if fields == nil {
				fields = sc.Fields()
			}
			fields[i].Type = wt
		}
	}
	if fields == nil {
		return sc
	}
	md := sc.Metadata()
	return arrow.NewSchema(fields, &md)
}

// wireNumericArray converts an array of numeric without a type modifier to wireNumeric.
func wireNumericArray(mem memory.Allocator, a arrow.Array) arrow.Array {
	b := array.NewDecimal256Builder(mem, wireNumeric)
	defer b.Release()
	b.Reserve(a.Len())
	vals := arrow.GetValues[decimal128.Num](a.Data(), 1)
	ten := big.NewInt(10)
	for i := 0; i < a.Len(); i++ {
		if a.IsNull(i) {
			b.AppendNull()
			continue
		}
		v, s := types.UnpackNumeric(vals[i])
		u := v.BigInt()
		u.Mul(u, new(big.Int).Exp(ten, big.NewInt(int64(types.MaxVarNumericScale-s)), nil))
		b.Append(decimal256.FromBigInt(u))
	}
	return b.NewArray()
}
