package planner

import (
	"reflect"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/types"
)

func TestParamLiteralArray(t *testing.T) {
	day := time.Date(2024, 3, 1, 12, 30, 0, 0, time.UTC)
	dec, _ := decimal128.FromString("1.50", 10, 2)
	for _, tc := range []struct {
		name string
		in   []any
		t    arrow.DataType
		want []any
		kind error
	}{
		{"integer", []any{int64(4), nil, int64(-5)}, types.ArrayOf(types.Int32), []any{int32(4), nil, int32(-5)}, nil},
		{"smallint", []any{int64(7)}, types.ArrayOf(types.Int16), []any{int16(7)}, nil},
		{"bigint", []any{int64(1) << 40}, types.ArrayOf(types.Int64), []any{int64(1) << 40}, nil},
		{"real", []any{float64(1.5)}, types.ArrayOf(types.Float32), []any{float32(1.5)}, nil},
		{"numeric from text", []any{"1.5"}, types.ArrayOf(types.Numeric(10, 2)), []any{dec}, nil},
		{"text", []any{"a", nil}, types.ArrayOf(types.Text), []any{"a", nil}, nil},
		{"boolean", []any{true}, types.ArrayOf(types.Bool), []any{true}, nil},
		{"date", []any{day}, types.ArrayOf(types.Date), []any{arrow.Date32FromTime(day)}, nil},
		{"timestamp", []any{day}, types.ArrayOf(types.Timestamp), []any{arrow.Timestamp(day.UnixMicro())}, nil},
		{"integer out of range", []any{int64(1) << 40}, types.ArrayOf(types.Int32), nil, errs.NumericRange},
		{"smallint out of range", []any{int64(40000)}, types.ArrayOf(types.Int16), nil, errs.NumericRange},
		{"bad numeric", []any{"x"}, types.ArrayOf(types.Numeric(10, 2)), nil, errs.InvalidText},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := ParamLiteral(tc.in, tc.t)
			if tc.kind != nil {
				if errs.KindOf(err) != tc.kind {
					t.Fatalf("got %v, %v; want an error of kind %v", e, err, tc.kind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			l, ok := e.(*Literal)
			if !ok || !reflect.DeepEqual(l.Value, tc.want) {
				t.Fatalf("got %#v, want %#v", e, tc.want)
			}
		})
	}
}
