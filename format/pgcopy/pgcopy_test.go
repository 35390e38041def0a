package pgcopy

import (
	"errors"
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
)

var testFields = []arrow.Field{
	{Name: "k", Type: arrow.PrimitiveTypes.Int64},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "b", Type: arrow.BinaryTypes.Binary, Nullable: true},
	{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
}

func testBatch(mem memory.Allocator) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, arrow.NewSchema(testFields, nil))
	defer b.Release()
	strs := []string{"plain", "", "tab\there", "line\nbreak\r\n", `back\slash`, `"quoted", comma`, `\.`, `\N`, "é✓"}
	for i, s := range strs {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		b.Field(1).(*array.StringBuilder).Append(s)
		b.Field(2).(*array.Float64Builder).Append([]float64{1.5, math.NaN(), math.Inf(-1)}[i%3])
		b.Field(3).(*array.BinaryBuilder).Append([]byte(s))
		b.Field(4).(*array.Date32Builder).Append(arrow.Date32(i * 1000))
	}
	b.Field(0).(*array.Int64Builder).Append(99)
	for j := 1; j < len(testFields); j++ {
		b.Field(j).AppendNull()
	}
	return b.NewRecordBatch()
}

func encode(b arrow.RecordBatch, opts planner.CopyOptions) []byte {
	e := NewEncoder(testFields, opts, nil)
	out := e.Start(nil)
	e.Reset(b)
	for i := 0; i < int(b.NumRows()); i++ {
		out = e.AppendRow(out, i)
	}
	return e.End(out)
}

var formats = map[string]planner.CopyOptions{
	"text":   {Format: planner.CopyText, Delimiter: '\t', Null: `\N`, Quote: '"', Escape: '"'},
	"csv":    {Format: planner.CopyCSV, Delimiter: ',', Quote: '"', Escape: '"', Header: true},
	"binary": {Format: planner.CopyBinary},
}

// TestRoundTripInPieces decodes what the encoder wrote, fed in pieces of every size from one
// byte up, and checks the rows come back the same and no memory is left held.
func TestRoundTripInPieces(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	b := testBatch(mem)
	defer b.Release()
	for name, opts := range formats {
		data := encode(b, opts)
		for size := 1; size <= len(data); size *= 3 {
			d := NewDecoder(mem, "t", testFields, opts)
			for i := 0; i < len(data); i += size {
				if err := d.Write(data[i:min(i+size, len(data))]); err != nil {
					t.Fatalf("%s, pieces of %d: %v", name, size, err)
				}
			}
			out, err := d.Finish()
			if err != nil {
				t.Fatalf("%s, pieces of %d: %v", name, size, err)
			}
			if len(out) != 1 || out[0].NumRows() != b.NumRows() {
				t.Fatalf("%s, pieces of %d: %d batches", name, size, len(out))
			}
			if again := encode(out[0], opts); string(again) != string(data) {
				t.Errorf("%s, pieces of %d: round trip gives\n%q\nwant\n%q", name, size, again, data)
			}
			for _, o := range out {
				o.Release()
			}
		}
	}
}

// TestErrorsReleaseMemory checks a failed decode holds no memory, whether it fails in Write
// or in Finish, and that errors carry the line and column.
func TestErrorsReleaseMemory(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	text := formats["text"]
	for _, c := range []struct {
		data, where string
		kind        error
	}{
		{"1\ta\t1\t\\\\x\t2024-01-01\n2\tb\tnope\t\\N\t\\N\n", `COPY t, line 2, column f: "nope"`, errs.InvalidText},
		{"1\ta\t1\t\\\\x\t2024-01-01\n\\N\tb\t1\t\\N\t\\N\n", `COPY t, line 2: "\N	b	1	\N	\N"`, errs.NotNullViolation},
		{"1\ta\n", `COPY t, line 1: "1	a"`, errs.BadCopyFormat},
		{"1\ta\t1\t\\\\x\t2024-01-01\textra", `COPY t, line 1: "1	a	1	\\x	2024-01-01	extra"`, errs.BadCopyFormat},
	} {
		d := NewDecoder(mem, "t", testFields, text)
		err := d.Write([]byte(c.data))
		if err == nil {
			_, err = d.Finish()
		} else {
			d.Release()
		}
		var e *errs.Error
		if !errors.As(err, &e) || e.Where != c.where || !errors.Is(err, c.kind) {
			t.Errorf("%q: got %v (%+v), want %v at %s", c.data, err, e, c.kind, c.where)
		}
	}
}

// TestManyBatches decodes more rows than fit one batch.
func TestManyBatches(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	fields := []arrow.Field{{Name: "k", Type: arrow.PrimitiveTypes.Int32}}
	d := NewDecoder(mem, "t", fields, formats["text"])
	n := BatchRows*2 + 7
	var line []byte
	for i := 0; i < n; i++ {
		line = append(line[:0], []byte(string(rune('0'+i%10))+"\n")...)
		if err := d.Write(line); err != nil {
			t.Fatal(err)
		}
	}
	out, err := d.Finish()
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, b := range out {
		total += int(b.NumRows())
		b.Release()
	}
	if len(out) != 3 || total != n {
		t.Errorf("%d batches of %d rows, want 3 of %d", len(out), total, n)
	}
}
