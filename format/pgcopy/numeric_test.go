package pgcopy

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/types"
)

// A numeric column without a type modifier keeps each value's scale through COPY in every
// format: text and CSV as written, binary through the numeric's dscale.
func TestVarNumericKeepsScale(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	fields := []arrow.Field{{Name: "n", Type: types.VarNumeric, Nullable: true}}
	d := NewDecoder(mem, "t", fields, formats["text"])
	if err := d.Write([]byte("7\n7.00\n-0.125\n1.5e-2\n\\N\n")); err != nil {
		t.Fatal(err)
	}
	out, err := d.Finish()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"7", "7.00", "-0.125", "0.015", "NULL"}
	check := func(name string, col arrow.Array) {
		t.Helper()
		if !types.IsVarNumeric(col.DataType()) || col.Len() != len(want) {
			t.Fatalf("%s: %s of %d rows", name, col.DataType(), col.Len())
		}
		for i, w := range want {
			if got := col.ValueStr(i); got != w && !(w == "NULL" && col.IsNull(i)) {
				t.Errorf("%s: row %d is %s, want %s", name, i, got, w)
			}
		}
	}
	check("text", out[0].Column(0))
	for name, opts := range formats {
		data := encode(out[0], opts)
		d := NewDecoder(mem, "t", fields, opts)
		if err := d.Write(data); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		again, err := d.Finish()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		check(name, again[0].Column(0))
		for _, b := range again {
			b.Release()
		}
	}
	for _, b := range out {
		b.Release()
	}
}
