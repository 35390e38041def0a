package bench

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestRowDigest checks the hot cache measurement's digest of rows: the same rows cut into
// other batches give the same digest; a changed value, a NULL for a value, swapped rows or
// one row fewer give another.
func TestRowDigest(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "i", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "f", Type: arrow.PrimitiveTypes.Float64},
		{Name: "s", Type: arrow.BinaryTypes.String},
	}, nil)
	type r struct {
		i    int64
		null bool
		f    float64
		s    string
	}
	batch := func(rows []r) arrow.RecordBatch {
		b := array.NewRecordBuilder(mem, schema)
		defer b.Release()
		for _, x := range rows {
			if x.null {
				b.Field(0).(*array.Int64Builder).AppendNull()
			} else {
				b.Field(0).(*array.Int64Builder).Append(x.i)
			}
			b.Field(1).(*array.Float64Builder).Append(x.f)
			b.Field(2).(*array.StringBuilder).Append(x.s)
		}
		return b.NewRecordBatch()
	}
	digest := func(parts ...[]r) string {
		var d rowDigest
		for _, p := range parts {
			b := batch(p)
			d.add(b)
			b.Release()
		}
		return d.String()
	}
	rows := []r{{1, false, 0.5, "a"}, {0, true, -0.5, ""}, {3, false, 2, "row 3"}}
	want := digest(rows)
	if got := digest(rows[:1], rows[1:]); got != want {
		t.Errorf("split batches: %s, want %s", got, want)
	}
	changed := func(f func(rs []r) []r) string {
		return digest(f(append([]r(nil), rows...)))
	}
	for name, other := range map[string]string{
		"value":   changed(func(rs []r) []r { rs[2].s = "row 4"; return rs }),
		"float":   changed(func(rs []r) []r { rs[0].f = 0.25; return rs }),
		"null":    changed(func(rs []r) []r { rs[1].null = false; return rs }),
		"swapped": changed(func(rs []r) []r { rs[0], rs[2] = rs[2], rs[0]; return rs }),
		"fewer":   digest(rows[:2]),
		"text":    changed(func(rs []r) []r { rs[0].s, rs[1].s = "", "a"; return rs }),
	} {
		if other == want {
			t.Errorf("%s: digest unchanged (%s)", name, want)
		}
	}
}
