package merge

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/errs"
)

var parseSchema = arrow.NewSchema([]arrow.Field{
	{Name: "k", Type: arrow.PrimitiveTypes.Int64},
	{Name: "s", Type: arrow.BinaryTypes.String},
	{Name: "a", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "b", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Millisecond}, Nullable: true},
	{Name: "odd, name", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Int32), Nullable: true},
}, nil)

func TestParseFilters(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		spec    string
		want    []AgeOffSpec
		wantErr bool
	}{
		{spec: "", want: nil},
		{spec: "ageOff(ts, 7d)", want: []AgeOffSpec{{Column: 5, Age: 7 * day, Type: parseSchema.Field(5).Type}}},
		{spec: " ageoff( d ,30s ) , AGEOFF(ts,2h)", want: []AgeOffSpec{
			{Column: 4, Age: 30 * time.Second, Type: arrow.FixedWidthTypes.Date32},
			{Column: 5, Age: 2 * time.Hour, Type: parseSchema.Field(5).Type},
		}},
		{spec: "ageOff(ts, 15m)", want: []AgeOffSpec{{Column: 5, Age: 15 * time.Minute, Type: parseSchema.Field(5).Type}}},
		{spec: "ageOff(nope, 7d)", wantErr: true},
		{spec: "ageOff(a, 7d)", wantErr: true},
		{spec: "ageOff(ts, 7w)", wantErr: true},
		{spec: "ageOff(ts, -7d)", wantErr: true},
		{spec: "ageOff(ts, 0d)", wantErr: true},
		{spec: "ageOff(ts, d)", wantErr: true},
		{spec: "ageOff(ts, 99999999999999d)", wantErr: true},
		{spec: "ageOff(ts)", wantErr: true},
		{spec: "ageOff(ts, 7d", wantErr: true},
		{spec: "ageOff(ts, 7d),", wantErr: true},
		{spec: "ageOff(ts, 7d) ageOff(d, 1d)", wantErr: true},
		{spec: "keep(ts, 7d)", wantErr: true},
		{spec: "ageOff", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			got, err := ParseFilters(tt.spec, parseSchema)
			if tt.wantErr {
				if !errors.Is(err, errs.InvalidParameter) {
					t.Fatalf("got %v, %v; want an InvalidParameter error", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestAgeOffAt(t *testing.T) {
	now := time.Date(2024, 3, 10, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		spec AgeOffSpec
		want int64
	}{
		{"date", AgeOffSpec{Column: 1, Age: 2 * 24 * time.Hour, Type: arrow.FixedWidthTypes.Date32},
			time.Date(2024, 3, 8, 0, 0, 0, 0, time.UTC).Unix() / 86400},
		{"date, part of a day", AgeOffSpec{Age: 13 * time.Hour, Type: arrow.FixedWidthTypes.Date32},
			time.Date(2024, 3, 9, 0, 0, 0, 0, time.UTC).Unix() / 86400},
		{"seconds", AgeOffSpec{Age: time.Hour, Type: &arrow.TimestampType{Unit: arrow.Second}}, now.Add(-time.Hour).Unix()},
		{"millis", AgeOffSpec{Age: time.Hour, Type: &arrow.TimestampType{Unit: arrow.Millisecond}}, now.Add(-time.Hour).UnixMilli()},
		{"micros", AgeOffSpec{Age: time.Hour, Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}}, now.Add(-time.Hour).UnixMicro()},
		{"nanos", AgeOffSpec{Age: time.Hour, Type: &arrow.TimestampType{Unit: arrow.Nanosecond}}, now.Add(-time.Hour).UnixNano()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.spec.At(now)
			if got.Before != tt.want || got.Column != tt.spec.Column {
				t.Fatalf("got %+v, want before %d", got, tt.want)
			}
		})
	}
}

func TestParseAggregations(t *testing.T) {
	keys := []int{0, 1}
	tests := []struct {
		spec    string
		want    []Aggregation
		wantErr bool
	}{
		{spec: "", want: nil},
		{spec: "sum(a), max(b), min(ts), last(d)", want: []Aggregation{
			{Column: 2, Func: Sum}, {Column: 3, Func: Max}, {Column: 5, Func: Min}, {Column: 4, Func: Last}}},
		{spec: `SUM("odd, name")`, want: []Aggregation{{Column: 6, Func: Sum}}},
		{spec: "last(l)", want: []Aggregation{{Column: 7, Func: Last}}},
		{spec: "sum(b)", wantErr: true},
		{spec: "sum(ts)", wantErr: true},
		{spec: "max(l)", wantErr: true},
		{spec: "sum(k)", wantErr: true},
		{spec: "min(s)", wantErr: true},
		{spec: "avg(a)", wantErr: true},
		{spec: "sum(zz)", wantErr: true},
		{spec: "sum(a), max(a)", wantErr: true},
		{spec: "sum(a, b)", wantErr: true},
		{spec: "sum(_version)", wantErr: true},
		{spec: "sum()", wantErr: true},
		{spec: `sum("a)`, wantErr: true},
		{spec: "sum(a) max(b)", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			got, err := ParseAggregations(tt.spec, parseSchema, keys)
			if tt.wantErr {
				if !errors.Is(err, errs.InvalidParameter) {
					t.Fatalf("got %v, %v; want an InvalidParameter error", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
