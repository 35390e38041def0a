package types

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

func TestCommonType(t *testing.T) {
	tests := []struct {
		a, b arrow.DataType
		want string
	}{
		{Numeric(4, 2), Int32, "numeric(12,2)"},
		{Int64, Numeric(4, 2), "numeric(21,2)"},
		{Numeric(4, 2), Int16, "numeric(7,2)"},
		{Numeric(30, 5), Int32, "numeric(30,5)"},
		{Numeric(38, 30), Int64, "numeric(38,30)"},
		{Numeric(4, 4), Int32, "numeric(14,4)"},
		{Numeric(4, 2), Numeric(10, 1), "numeric(38,2)"},
		{Numeric(4, 2), Float64, "double precision"},
		{Bpchar(4), Varchar(6), "bpchar"},
		{Varchar(-1), Bpchar(2), "bpchar"},
		{Bpchar(4), Text, "text"},
		{Bpchar(4), Bpchar(4), "character(4)"},
	}
	for _, tc := range tests {
		got, err := Common(tc.a, tc.b)
		if err != nil {
			t.Errorf("Common(%s, %s): %v", Name(tc.a), Name(tc.b), err)
			continue
		}
		if Name(got) != tc.want {
			t.Errorf("Common(%s, %s) = %s, want %s", Name(tc.a), Name(tc.b), Name(got), tc.want)
		}
	}
}

func TestArrayTypes(t *testing.T) {
	tests := []struct {
		a, b arrow.DataType
		name string // Name(a)
		want arrow.DataType
	}{
		{ArrayOf(Int32), ArrayOf(Int32), "integer[]", ArrayOf(Int32)},
		{ArrayOf(Int32), ArrayOf(Int64), "integer[]", ArrayOf(Int64)},
		{ArrayOf(Text), Unknown, "text[]", ArrayOf(Text)},
		{ArrayOf(TimestampTZ), ArrayOf(TimestampTZ), "timestamp with time zone[]", ArrayOf(TimestampTZ)},
		{ArrayOf(Text), ArrayOf(Int32), "text[]", nil},
		{ArrayOf(Int32), Int32, "integer[]", nil},
	}
	for _, tc := range tests {
		if got := Name(tc.a); got != tc.name {
			t.Errorf("Name(%s) = %q, want %q", tc.a, got, tc.name)
		}
		got, err := Common(tc.a, tc.b)
		if tc.want == nil {
			if err == nil {
				t.Errorf("Common(%s, %s) = %s, want an error", tc.a, tc.b, got)
			}
			continue
		}
		if err != nil || !arrow.TypeEqual(got, tc.want) {
			t.Errorf("Common(%s, %s) = %v, %v, want %s", tc.a, tc.b, got, err, tc.want)
		}
	}
	if Elem(Int32) != nil || IsArray(Text) || !IsArray(ArrayOf(Bool)) {
		t.Error("Elem/IsArray misclassify")
	}
}
