package pgvalue

import (
	"reflect"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/sleeperd/sleeperd/types"
)

// buildList builds a list array of elem from rows; a nil row is a NULL list, a nil element a
// NULL element.
func buildList(t *testing.T, mem memory.Allocator, elem arrow.DataType, rows [][]any) *array.List {
	t.Helper()
	b := array.NewListBuilder(mem, elem)
	defer b.Release()
	vb := b.ValueBuilder()
	for _, r := range rows {
		if r == nil {
			b.AppendNull()
			continue
		}
		b.Append(true)
		for _, v := range r {
			switch x := v.(type) {
			case nil:
				vb.AppendNull()
			case int32:
				vb.(*array.Int32Builder).Append(x)
			case string:
				vb.(*array.StringBuilder).Append(x)
			case arrow.Timestamp:
				vb.(*array.TimestampBuilder).Append(x)
			default:
				t.Fatalf("unexpected element %T", v)
			}
		}
	}
	return b.NewListArray()
}

// The text forms were checked against PostgreSQL 15: select array[1,null,3], array['a b',
// 'c"d', ”, 'NULL', 'x\y', '{}'], '{}'::int[], array['2024-01-02 03:04:05'::timestamp].
func TestArrayText(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ts := arrow.Timestamp(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC).UnixMicro())
	for _, c := range []struct {
		elem arrow.DataType
		row  []any
		want string
		oid  uint32
	}{
		{arrow.PrimitiveTypes.Int32, []any{int32(1), nil, int32(3)}, "{1,NULL,3}", 1007},
		{arrow.BinaryTypes.String, []any{"a b", `c"d`, "", "NULL", `x\y`, "{}", "plain"}, `{"a b","c\"d","","NULL","x\\y","{}",plain}`, 1009},
		{arrow.PrimitiveTypes.Int32, []any{}, "{}", 1007},
		{&arrow.TimestampType{Unit: arrow.Microsecond}, []any{ts}, `{"2024-01-02 03:04:05"}`, 1115},
	} {
		l := buildList(t, mem, c.elem, [][]any{c.row, nil})
		if got := string(AppendText(nil, l, 0)); got != c.want {
			t.Errorf("%v: text %s, want %s", c.row, got, c.want)
		}
		if got := types.PGTypeOf(l.DataType()).OID; got != c.oid {
			t.Errorf("%v: oid %d, want %d", c.elem, got, c.oid)
		}
		// The text form reads back to the same elements.
		back, err := decodeText(l.DataType(), c.oid, c.want)
		if err != nil {
			t.Errorf("decoding %s: %v", c.want, err)
		} else if n := len(back.([]any)); n != len(c.row) {
			t.Errorf("decoding %s: %d elements, want %d", c.want, n, len(c.row))
		}
		l.Release()
	}
}

// pgx decodes the binary form, and its encodings of parameters decode to the same elements.
func TestArrayBinaryWithPgx(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	m := pgtype.NewMap()

	l := buildList(t, mem, arrow.PrimitiveTypes.Int32, [][]any{{int32(7), nil, int32(-2)}, {}})
	defer l.Release()
	w := binaryWriter(l)
	var got []*int32
	if err := m.Scan(1007, pgtype.BinaryFormatCode, w(nil, 0), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || *got[0] != 7 || got[1] != nil || *got[2] != -2 {
		t.Fatalf("pgx read %v", got)
	}
	var empty []int32
	if err := m.Scan(1007, pgtype.BinaryFormatCode, w(nil, 1), &empty); err != nil || len(empty) != 0 {
		t.Fatalf("pgx read the empty array as %v, %v", empty, err)
	}

	ts := arrow.Timestamp(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC).UnixMicro())
	tl := buildList(t, mem, &arrow.TimestampType{Unit: arrow.Microsecond}, [][]any{{ts}})
	defer tl.Release()
	var times []time.Time
	if err := m.Scan(1115, pgtype.BinaryFormatCode, binaryWriter(tl)(nil, 0), &times); err != nil {
		t.Fatal(err)
	}
	if len(times) != 1 || !times[0].Equal(time.UnixMicro(int64(ts)).UTC()) {
		t.Fatalf("pgx read %v", times)
	}

	for _, c := range []struct {
		oid  uint32
		dt   arrow.DataType
		in   any
		want []any
	}{
		{1016, arrow.ListOf(arrow.PrimitiveTypes.Int64), []int64{1, 2, 3}, []any{int64(1), int64(2), int64(3)}},
		{1007, arrow.ListOf(arrow.PrimitiveTypes.Int32), []*int32{ptr(int32(4)), nil}, []any{int64(4), nil}},
		{1009, arrow.ListOf(arrow.BinaryTypes.String), []string{"a b", `q"`, ""}, []any{"a b", `q"`, ""}},
		{1022, arrow.ListOf(arrow.PrimitiveTypes.Float64), []float64{}, []any{}},
	} {
		if got := types.FromOID(c.oid); !arrow.TypeEqual(got, c.dt) {
			t.Errorf("oid %d: prepared as %v, want %v", c.oid, got, c.dt)
		}
		for _, format := range []int16{formatText, formatBinary} {
			enc, err := m.Encode(c.oid, format, c.in, nil)
			if err != nil {
				t.Fatal(err)
			}
			decode := DecodeText
			if format == formatBinary {
				decode = func(dt arrow.DataType, s string) (any, error) { return DecodeBinary(dt, []byte(s)) }
			}
			got, err := decode(c.dt, string(enc))
			if err != nil {
				t.Errorf("oid %d format %d: %v", c.oid, format, err)
				continue
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("oid %d format %d: %#v, want %#v", c.oid, format, got, c.want)
			}
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestArrayTextErrors(t *testing.T) {
	dt := arrow.ListOf(arrow.PrimitiveTypes.Int32)
	for _, s := range []string{"1,2", "{1,2", `{"a}`, "{1,,2}", "{1,x}", "{{1},{2}}"} {
		if _, err := decodeText(dt, 1007, s); err == nil {
			t.Errorf("%q: no error", s)
		}
	}
}
