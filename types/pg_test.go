package types

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/jackc/pgx/v5/pgtype"
)

// TestPGTypeOf checks the OIDs against pgx's table of PostgreSQL's types, and the
// round trip through FromOID.
func TestPGTypeOf(t *testing.T) {
	m := pgtype.NewMap()
	tests := []struct {
		t    arrow.DataType
		name string // pgx's name of the OID
		size int16
		mod  int32
		back arrow.DataType // FromOID of the OID
	}{
		{Bool, "bool", 1, -1, Bool},
		{Int16, "int2", 2, -1, Int16},
		{Int32, "int4", 4, -1, Int32},
		{Int64, "int8", 8, -1, Int64},
		{Float32, "float4", 4, -1, Float32},
		{Float64, "float8", 8, -1, Float64},
		{Numeric(10, 2), "numeric", -1, 10<<16 | 2 + 4, VarNumeric},
		{Text, "text", -1, -1, Text},
		{Varchar(5), "varchar", -1, 9, Text},
		{Varchar(-1), "varchar", -1, -1, Text},
		{Bpchar(3), "bpchar", -1, 7, Text},
		{Bytea, "bytea", -1, -1, Bytea},
		{Date, "date", 4, -1, Date},
		{Timestamp, "timestamp", 8, -1, Timestamp},
		{TimestampTZ, "timestamptz", 8, -1, TimestampTZ},
		{Interval, "interval", 16, -1, Interval},
		{ArrayOf(Int64), "_int8", -1, -1, ArrayOf(Int64)},
		{ArrayOf(Numeric(10, 2)), "_numeric", -1, 10<<16 | 2 + 4, ArrayOf(VarNumeric)},
		{ArrayOf(VarNumeric), "_numeric", -1, -1, ArrayOf(VarNumeric)},
		{ArrayOf(Varchar(2)), "_varchar", -1, 6, ArrayOf(Text)},
		{arrow.PrimitiveTypes.Uint32, "int8", 8, -1, Int64},
		{arrow.PrimitiveTypes.Uint64, "numeric", -1, -1, VarNumeric},
		{arrow.FixedWidthTypes.Time64us, "text", -1, -1, Text},
	}
	for _, tc := range tests {
		got := PGTypeOf(tc.t)
		pt, ok := m.TypeForOID(got.OID)
		if !ok || pt.Name != tc.name || got.Size != tc.size || got.Mod != tc.mod {
			t.Errorf("PGTypeOf(%s) = %+v (%v), want %s size %d mod %d", Name(tc.t), got, pt, tc.name, tc.size, tc.mod)
		}
		if back := FromOID(got.OID); !arrow.TypeEqual(back, tc.back) {
			t.Errorf("FromOID(%d) = %v, want %v", got.OID, back, tc.back)
		}
	}
	if FromOID(0) != nil || FromOID(OIDUnknown) != nil || !arrow.TypeEqual(FromOID(600), Text) {
		t.Error("FromOID of 0, unknown or an unknown OID")
	}
	for oid, want := range map[uint32]string{OIDInt4: "integer", 1016: "bigint[]", OIDTimestamptz: "timestamp with time zone", 600: "text"} {
		if got := NameOfOID(oid); got != want {
			t.Errorf("NameOfOID(%d) = %q, want %q", oid, got, want)
		}
	}
	for elem, arr := range arrayOIDs {
		pe, known := m.TypeForOID(elem)
		if !known {
			// pgx registers no codec for timetz, only its OIDs.
			if elem != pgtype.TimetzOID || arr != pgtype.TimetzArrayOID {
				t.Errorf("array OID of %d is %d, unknown to pgx", elem, arr)
			}
			continue
		}
		pa, ok := m.TypeForOID(arr)
		if !ok || pa.Name != "_"+pe.Name {
			t.Errorf("array OID of %s is %d (%v)", pe.Name, arr, pa)
		}
		if e, ok := ElemOID(arr); !ok || e != elem {
			t.Errorf("ElemOID(%d) = %d, %v", arr, e, ok)
		}
	}
}

// TestFieldPGType checks that a result field of a character type keeps its SQL type in its
// metadata.
func TestFieldPGType(t *testing.T) {
	tests := []struct {
		t     arrow.DataType
		want  PGType
		n     int
		fixed bool
		ok    bool
	}{
		{Varchar(10), PGType{OIDVarchar, -1, 14}, 10, false, true},
		{Bpchar(2), PGType{OIDBpchar, -1, 6}, 2, true, true},
		{Varchar(-1), PGType{OIDVarchar, -1, -1}, 0, false, false},
		{Int32, PGType{OIDInt4, 4, -1}, 0, false, false},
	}
	for _, tc := range tests {
		f := arrow.Field{Name: "c", Type: Storage(tc.t)}
		if md, ok := SQLMetadata(tc.t); ok {
			f.Metadata = md
		}
		if got := FieldPGType(f); got != tc.want {
			t.Errorf("FieldPGType(%s) = %+v, want %+v", Name(tc.t), got, tc.want)
		}
		if n, fixed, ok := FieldCharLength(f); n != tc.n || fixed != tc.fixed || ok != tc.ok {
			t.Errorf("FieldCharLength(%s) = %d, %v, %v", Name(tc.t), n, fixed, ok)
		}
	}
}
