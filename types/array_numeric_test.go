package types

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// An array of numeric without a type modifier holds VarNumeric elements; a catalog keeps it
// apart from the numeric(38,9)[] of tables made before, each type written and read back as
// itself.
func TestNumericArrayTypes(t *testing.T) {
	if got := ArrayOf(VarNumeric); !arrow.TypeEqual(Elem(got), VarNumeric) {
		t.Fatalf("ArrayOf(numeric) = %s", got)
	}
	if got := FromOID(1231); !arrow.TypeEqual(got, ArrayOf(VarNumeric)) {
		t.Fatalf("FromOID(numeric[]) = %s", got)
	}
	for _, typ := range []arrow.DataType{ArrayOf(VarNumeric), arrow.ListOf(DefaultNumeric), ArrayOf(Numeric(6, 2))} {
		back, err := Parse(Format(typ))
		if err != nil || !arrow.TypeEqual(back, typ) {
			t.Errorf("Parse(Format(%s)) = %v, %v", typ, back, err)
		}
	}
}
