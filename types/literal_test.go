package types

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

func TestFormatLiteral(t *testing.T) {
	tests := []struct {
		v    any
		t    arrow.DataType
		want string
	}{
		{nil, Int32, "NULL"},
		{true, Bool, "true"},
		{"it's", Text, "'it''s'"},
		{[]byte{0, 255}, Bytea, `'\x00ff'::bytea`},
		{0.1, Float64, "0.1"},
		{decimal128.FromI64(-1234), Numeric(10, 2), "-12.34"},
		{arrow.Date32(0), Date, "'1970-01-01'::date"},
		{arrow.Timestamp(1_500_000), TimestampTZ, "'1970-01-01 00:00:01.5'::timestamp with time zone"},
		{arrow.MonthDayNanoInterval{Months: 1, Days: 2, Nanoseconds: 3000}, Interval, "'1 mons 2 days 3 us'::interval"},
		{[]any{int32(1), nil}, ArrayOf(Int32), "ARRAY[1, NULL]::integer[]"},
	}
	for _, tc := range tests {
		if got := FormatLiteral(tc.v, tc.t); got != tc.want {
			t.Errorf("FormatLiteral(%#v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}
