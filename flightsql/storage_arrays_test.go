package flightsql

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/extensions"
)

// TestTimeAndUUIDArrays reads time[] and uuid[] columns over Flight SQL: lists of time64[us]
// and of the arrow.uuid extension, with the values, NULL elements, NULL and empty arrays.
func TestTimeAndUUIDArrays(t *testing.T) {
	ctx, mem, _, cl := serveChecked(t)
	execAll(ctx, t, cl,
		"CREATE TABLE ta (k bigint NOT NULL, t time[], u uuid[]) WITH (row_keys = 'k')",
		"INSERT INTO ta VALUES (1, ARRAY['10:00'::time, NULL, '00:00:00.000001'], ARRAY['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, NULL]), (2, NULL, NULL), (3, ARRAY[]::time[], ARRAY[]::uuid[])",
	)
	got := fetch(ctx, t, cl, mem, "SELECT k, t, u FROM ta ORDER BY k")
	defer releaseAll(got)
	sc := got[0].Schema()
	if want := arrow.ListOf(arrow.FixedWidthTypes.Time64us); !arrow.TypeEqual(sc.Field(1).Type, want) {
		t.Errorf("t is %s, want %s", sc.Field(1).Type, want)
	}
	if want := arrow.ListOf(extensions.NewUUIDType()); !arrow.TypeEqual(sc.Field(2).Type, want) {
		t.Errorf("u is %s, want %s", sc.Field(2).Type, want)
	}
	var ts, us []string
	for _, b := range got {
		for i := 0; i < int(b.NumRows()); i++ {
			ts = append(ts, b.Column(1).(*array.List).ValueStr(i))
			us = append(us, b.Column(2).(*array.List).ValueStr(i))
		}
	}
	wantT := []string{`["10:00:00",null,"00:00:00.000001"]`, "(null)", "[]"}
	wantU := []string{`["a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",null]`, "(null)", "[]"}
	if len(ts) != 3 || ts[0] != wantT[0] || ts[1] != wantT[1] || ts[2] != wantT[2] {
		t.Errorf("t values %q, want %q", ts, wantT)
	}
	if len(us) != 3 || us[0] != wantU[0] || us[1] != wantU[1] || us[2] != wantU[2] {
		t.Errorf("u values %q, want %q", us, wantU)
	}
}
