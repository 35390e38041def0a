package types

import (
	"errors"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/errs"
)

func TestByName(t *testing.T) {
	tests := []struct {
		name     string
		mods     []int32
		want     string // Name of the type
		internal string // InternalName of the type
	}{
		{"int4", nil, "integer", "int4"},
		{"integer", nil, "integer", "int4"},
		{"float", []int32{24}, "real", "float4"},
		{"float", []int32{25}, "double precision", "float8"},
		{"decimal", []int32{10, 2}, "numeric(10,2)", "numeric"},
		{"numeric", []int32{5}, "numeric(5,0)", "numeric"},
		{"numeric", nil, "numeric", "numeric"},
		{"character varying", []int32{3}, "character varying(3)", "varchar"},
		{"char", nil, "bpchar", "bpchar"},
		{"character", []int32{1}, "character(1)", "bpchar"},
		{"name", nil, "text", "text"},
		{"timestamptz", nil, "timestamp with time zone", "timestamptz"},
		{"timestamp without time zone", nil, "timestamp without time zone", "timestamp"},
	}
	for _, tc := range tests {
		got, err := ByName(tc.name, tc.mods)
		if err != nil {
			t.Errorf("ByName(%s, %v): %v", tc.name, tc.mods, err)
			continue
		}
		if Name(got) != tc.want || InternalName(got) != tc.internal {
			t.Errorf("ByName(%s, %v) = %s (%s), want %s (%s)", tc.name, tc.mods, Name(got), InternalName(got), tc.want, tc.internal)
		}
	}
	bad := []struct {
		name string
		mods []int32
		kind error
	}{
		{"money", nil, errs.UndefinedObject},
		{"numeric", []int32{39}, errs.InvalidParameter},
		{"numeric", []int32{4, 5}, errs.InvalidParameter},
		{"varchar", []int32{0}, errs.InvalidParameter},
		{"varchar", []int32{MaxCharLength + 1}, errs.InvalidParameter},
		{"bpchar", []int32{1, 2}, errs.Syntax},
	}
	for _, tc := range bad {
		if _, err := ByName(tc.name, tc.mods); !errors.Is(err, tc.kind) {
			t.Errorf("ByName(%s, %v) = %v, want %v", tc.name, tc.mods, err, tc.kind)
		}
	}
	if got := InternalName(Interval); got != "?column?" {
		t.Errorf("InternalName(interval) = %q", got)
	}
	if !arrow.TypeEqual(Storage(ArrayOf(Bpchar(2))), ArrayOf(Text)) {
		t.Error("Storage of char(2)[]")
	}
}

func TestBaseName(t *testing.T) {
	for _, tc := range []struct {
		t    arrow.DataType
		want string
	}{
		{Numeric(10, 2), "numeric"},
		{Varchar(3), "text"},
		{TimestampTZ, "timestamp with time zone"},
		{ArrayOf(Int32), "integer[]"},
		{arrow.PrimitiveTypes.Uint8, "uint8"},
	} {
		if got := BaseName(tc.t); got != tc.want {
			t.Errorf("BaseName(%s) = %q, want %q", tc.t, got, tc.want)
		}
	}
}
