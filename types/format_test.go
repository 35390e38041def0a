package types

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

func TestTypeRoundTrip(t *testing.T) {
	dec, _ := arrow.NewDecimalType(arrow.DECIMAL128, 10, 2)
	dec256, _ := arrow.NewDecimalType(arrow.DECIMAL256, 40, 5)
	notNullMap := arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64)
	notNullMap.SetItemNullable(false)
	sortedMap := arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64)
	sortedMap.KeysSorted = true
	tests := []struct {
		t    arrow.DataType
		text string
	}{
		{arrow.FixedWidthTypes.Boolean, "bool"},
		{arrow.PrimitiveTypes.Int32, "int32"},
		{arrow.PrimitiveTypes.Int64, "int64"},
		{arrow.PrimitiveTypes.Uint16, "uint16"},
		{arrow.PrimitiveTypes.Float64, "float64"},
		{arrow.BinaryTypes.String, "string"},
		{arrow.BinaryTypes.Binary, "binary"},
		{arrow.BinaryTypes.LargeString, "large_string"},
		{&arrow.FixedSizeBinaryType{ByteWidth: 16}, "fixed_size_binary(16)"},
		{arrow.FixedWidthTypes.Date32, "date32"},
		{&arrow.Time64Type{Unit: arrow.Microsecond}, "time64[us]"},
		{&arrow.Time32Type{Unit: arrow.Millisecond}, "time32[ms]"},
		{&arrow.TimestampType{Unit: arrow.Microsecond}, "timestamp[us]"},
		{&arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, "timestamp[us, tz=UTC]"},
		{&arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: "Europe/London"}, "timestamp[ns, tz=Europe/London]"},
		{&arrow.DurationType{Unit: arrow.Second}, "duration[s]"},
		{arrow.FixedWidthTypes.MonthDayNanoInterval, "interval_month_day_nano"},
		{dec, "decimal128(10,2)"},
		{dec256, "decimal256(40,5)"},
		{arrow.ListOf(arrow.PrimitiveTypes.Int64), "list<int64>"},
		{arrow.ListOfNonNullable(arrow.BinaryTypes.String), `list<"item": string not null>`},
		{arrow.LargeListOf(arrow.ListOf(arrow.PrimitiveTypes.Float64)), "large_list<list<float64>>"},
		{arrow.FixedSizeListOf(3, arrow.PrimitiveTypes.Float32), "fixed_size_list(3)<float32>"},
		{arrow.StructOf(arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int64, Nullable: true}, arrow.Field{Name: "b c, \"d\"", Type: arrow.BinaryTypes.String}), `struct<"a": int64, "b c, \"d\"": string not null>`},
		{arrow.StructOf(), "struct<>"},
		{arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64), "map<string, int64>"},
		{notNullMap, "map<string, int64 not null>"},
		{sortedMap, "map<string, int64, sorted>"},
		{Varchar(10), "varchar(10)"},
		{Varchar(-1), "varchar"},
		{Bpchar(3), "bpchar(3)"},
		{Bpchar(-1), "bpchar"},
		{arrow.ListOf(Varchar(2)), "list<varchar(2)>"},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			if got := Format(tc.t); got != tc.text {
				t.Errorf("Format = %q, want %q", got, tc.text)
			}
			back, err := Parse(tc.text)
			if err != nil {
				t.Fatal(err)
			}
			if !arrow.TypeEqual(back, tc.t, arrow.CheckMetadata()) {
				t.Errorf("Parse = %s, want %s", back, tc.t)
			}
		})
	}
	for _, bad := range []string{"", "int", "int64 x", "decimal128(10)", "timestamp[xs]", "time32[us]", "list<", `struct<a: int64>`, "map<string>", "varchar(0)", "bpchar(x)"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) succeeded", bad)
		}
	}
}
