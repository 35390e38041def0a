package pgcopy

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/types"
)

// COPY FROM reads time and time(p) columns (int64 microseconds described by the field
// metadata, as the engine's table schemas are) as time_in does, rounding to p; what the
// encoder writes in every format reads back the same; bad times fail with time's errors.
func TestTimeColumns(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	field := func(name string, sql arrow.DataType) arrow.Field {
		md, _ := types.SQLMetadata(sql)
		return arrow.Field{Name: name, Type: types.Storage(sql), Nullable: true, Metadata: md}
	}
	fields := []arrow.Field{field("t", types.TimeType), field("t1", types.TimeOf(1))}
	d := NewDecoder(mem, "t", fields, formats["text"])
	if err := d.Write([]byte("04:05:06.789\t04:05:06.789\n24:00\t23:59:59.96\n\\N\t\\N\n")); err != nil {
		t.Fatal(err)
	}
	out, err := d.Finish()
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, b arrow.RecordBatch) {
		t.Helper()
		want := [][]string{{"04:05:06.789", "04:05:06.8"}, {"24:00:00", "24:00:00"}}
		for r, row := range want {
			for c, w := range row {
				a := b.Column(c).(*array.Int64)
				if got := types.FormatTime(a.Value(r)); got != w {
					t.Errorf("%s: row %d column %d: %s, want %s", name, r, c, got, w)
				}
			}
		}
		if !b.Column(0).IsNull(2) || !b.Column(1).IsNull(2) {
			t.Errorf("%s: row 2 not NULL", name)
		}
	}
	check("text", out[0])
	for name, opts := range formats {
		e := NewEncoder(fields, opts, nil)
		data := e.Start(nil)
		e.Reset(out[0])
		for i := 0; i < int(out[0].NumRows()); i++ {
			data = e.AppendRow(data, i)
		}
		data = e.End(data)
		if name == "text" && !strings.HasPrefix(string(data), "04:05:06.789\t04:05:06.8\n") {
			t.Errorf("text: encoded %q", data)
		}
		d := NewDecoder(mem, "t", fields, opts)
		if err := d.Write(data); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		again, err := d.Finish()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		check(name, again[0])
		for _, b := range again {
			b.Release()
		}
	}
	for _, b := range out {
		b.Release()
	}
	for bad, msg := range map[string]string{"later\t\\N\n": "invalid input syntax for type time", "25:00\t\\N\n": "out of range"} {
		d := NewDecoder(mem, "t", fields, formats["text"])
		err := d.Write([]byte(bad))
		if err == nil {
			var out []arrow.RecordBatch
			out, err = d.Finish()
			for _, b := range out {
				b.Release()
			}
		} else {
			d.Release()
		}
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%q: %v, want %q", bad, err, msg)
		}
	}
}
