package pgcopy

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/types"
)

// COPY FROM reads uuid, json and jsonb columns (strings and binary values described by the
// field metadata, as the engine's table schemas are) as their input functions do: uuid
// parsed to its 16 bytes, json checked, jsonb normalised; and what the encoder writes in every
// format reads back the same.
func TestJSONUUIDColumns(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	field := func(name string, sql arrow.DataType) arrow.Field {
		md, _ := types.SQLMetadata(sql)
		return arrow.Field{Name: name, Type: types.Storage(sql), Nullable: true, Metadata: md}
	}
	fields := []arrow.Field{field("id", types.UUIDType), field("j", types.JSONBType), field("p", types.JSONType)}
	d := NewDecoder(mem, "t", fields, formats["text"])
	if err := d.Write([]byte("{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}\t{\"b\":1, \"a\":[1,1e2], \"b\":2}\t{\"k\" :  1}\n\\N\t\\N\t\\N\n")); err != nil {
		t.Fatal(err)
	}
	out, err := d.Finish()
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, b arrow.RecordBatch) {
		t.Helper()
		id := b.Column(0).(*array.Binary)
		if got := string(types.AppendUUID(nil, id.Value(0))); got != "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11" || !id.IsNull(1) {
			t.Errorf("%s: uuid %s", name, got)
		}
		if got := b.Column(1).(*array.String).Value(0); got != `{"a": [1, 100], "b": 2}` {
			t.Errorf("%s: jsonb %s", name, got)
		}
		if got := b.Column(2).(*array.String).Value(0); got != `{"k" :  1}` {
			t.Errorf("%s: json %s", name, got)
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
	for _, bad := range []string{"nope\t{}\t{}\n", "00000000-0000-0000-0000-000000000001\t{\"a\":\t{}\n", "00000000-0000-0000-0000-000000000001\t{}\t[1,]\n"} {
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
		if err == nil || !strings.Contains(err.Error(), "invalid input syntax for type") {
			t.Errorf("%q: %v, want an input syntax error", bad, err)
		}
	}
}
