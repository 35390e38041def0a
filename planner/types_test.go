package planner

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
		got, err := CommonType(tc.a, tc.b)
		if err != nil {
			t.Errorf("CommonType(%s, %s): %v", TypeName(tc.a), TypeName(tc.b), err)
			continue
		}
		if TypeName(got) != tc.want {
			t.Errorf("CommonType(%s, %s) = %s, want %s", TypeName(tc.a), TypeName(tc.b), TypeName(got), tc.want)
		}
	}
}
