package flightsql

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/extensions"
)

// TestReadCompositeSQLTypes reads a column of a composite type whose fields are of uuid,
// time, char(n) and arrays of time and uuid with arrow-go's Flight SQL client: an Arrow
// struct whose children are the types flat columns of those types are sent as (the
// arrow.uuid extension, time64[us], utf8, lists of them), values and NULLs as inserted.
func TestReadCompositeSQLTypes(t *testing.T) {
	ctx, mem, _, cl := serveChecked(t)
	execAll(ctx, t, cl,
		"CREATE TYPE tagged AS (c char(3), u uuid, t time, ts time[], us uuid[])",
		"CREATE TABLE tg (k bigint NOT NULL, r tagged) WITH (row_keys = 'k')",
		`INSERT INTO tg VALUES (1, ROW('ab', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '12:34:56.5', ARRAY['01:00'::time, NULL], ARRAY['00000000-0000-0000-0000-000000000001'::uuid])),
		 (2, NULL), (3, ROW(NULL, NULL, NULL, NULL, NULL))`,
	)
	got := fetch(ctx, t, cl, mem, "SELECT k, r FROM tg ORDER BY k")
	defer releaseAll(got)
	st, ok := got[0].Schema().Field(1).Type.(*arrow.StructType)
	if !ok {
		t.Fatalf("column r: %s, want a struct", got[0].Schema().Field(1).Type)
	}
	uuidType := extensions.NewUUIDType()
	want := []arrow.DataType{arrow.BinaryTypes.String, uuidType, arrow.FixedWidthTypes.Time64us, arrow.ListOf(arrow.FixedWidthTypes.Time64us), arrow.ListOf(uuidType)}
	for k, w := range want {
		if f := st.Field(k); !arrow.TypeEqual(f.Type, w) {
			t.Errorf("field %s: %s, want %s", f.Name, f.Type, w)
		}
	}
	if len(got) != 1 || got[0].NumRows() != 3 {
		t.Fatalf("got %d batches", len(got))
	}
	r := got[0].Column(1).(*array.Struct)
	if r.IsValid(0) == false || r.IsNull(1) == false || r.IsValid(2) == false {
		t.Errorf("record validity: %v %v %v", r.IsValid(0), r.IsValid(1), r.IsValid(2))
	}
	for k := range want {
		if r.Field(k).IsNull(0) || r.Field(k).IsValid(2) {
			t.Errorf("field %d: row 1 null %v, row 3 null %v", k, r.Field(k).IsNull(0), r.Field(k).IsNull(2))
		}
	}
	if got := r.Field(0).(*array.String).Value(0); got != "ab" {
		t.Errorf("c = %q", got)
	}
	if got := r.Field(1).ValueStr(0); got != "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11" {
		t.Errorf("u = %s", got)
	}
	if got := r.Field(2).(*array.Time64).Value(0); got != arrow.Time64((12*3600+34*60+56)*1000000+500000) {
		t.Errorf("t = %d", got)
	}
	ts := r.Field(3).(*array.List)
	if s, e := ts.ValueOffsets(0); e-s != 2 || ts.ListValues().(*array.Time64).Value(int(s)) != arrow.Time64(3600*1000000) || ts.ListValues().IsValid(int(s)+1) {
		t.Errorf("ts = %s", ts.ValueStr(0))
	}
	us := r.Field(4).(*array.List)
	if s, e := us.ValueOffsets(0); e-s != 1 || us.ListValues().ValueStr(int(s)) != "00000000-0000-0000-0000-000000000001" {
		t.Errorf("us = %s", us.ValueStr(0))
	}
}
