package types

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// TestRegTypes: each object identifier alias type is int64 storage, PostgreSQL's OID and
// length 4 on the wire, kept through a result field's metadata and the persisted text.
func TestRegTypes(t *testing.T) {
	for _, tc := range []struct {
		t    *Reg
		oid  uint32
		name string
	}{{RegClass, 2205, "regclass"}, {RegType, 2206, "regtype"}, {RegProc, 24, "regproc"}, {RegNamespace, 4089, "regnamespace"}, {RegRole, 4096, "regrole"}} {
		if got := PGTypeOf(tc.t); got != (PGType{tc.oid, 4, -1}) {
			t.Errorf("PGTypeOf(%s) = %v", tc.name, got)
		}
		if Storage(tc.t) != arrow.PrimitiveTypes.Int64 || tc.t.ID() != arrow.INT64 {
			t.Errorf("%s is not stored as int64", tc.name)
		}
		md, ok := SQLMetadata(tc.t)
		f := arrow.Field{Name: "c", Type: Storage(tc.t), Metadata: md}
		if !ok || FieldPGType(f).OID != tc.oid || FieldReg(f) != tc.t {
			t.Errorf("field of %s: %v %v", tc.name, FieldPGType(f), FieldReg(f))
		}
		if FieldReg(arrow.Field{Name: "c", Type: Int64}) != nil {
			t.Error("a bigint field is an object identifier")
		}
		back, err := Parse(Format(tc.t))
		if err != nil || back != tc.t {
			t.Errorf("Parse(Format(%s)) = %v, %v", tc.name, back, err)
		}
		if Name(tc.t) != tc.name || InternalName(tc.t) != tc.name || RegByName(tc.name) != tc.t || RegOf(tc.oid) != tc.t {
			t.Errorf("names of %s", tc.name)
		}
	}
	for oid, want := range map[uint32]string{OIDBpchar: "character", 1014: "character[]", OIDRegClass: "regclass", OIDRegTypeArray: "regtype[]"} {
		if got, ok := RegtypeName(oid); !ok || got != want {
			t.Errorf("RegtypeName(%d) = %q, want %q", oid, got, want)
		}
	}
	if _, ok := RegtypeName(OIDInt4); ok {
		t.Error("RegtypeName of int4: format_type's name is regtype's")
	}
}
