package types

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// FormatLiteral renders v, a value of type t as plans hold it (bool, the Go integer and
// float types, string, []byte, decimal128.Num, arrow.Date32, arrow.Timestamp,
// arrow.MonthDayNanoInterval, []any for an array), as a SQL literal: the text a plan shows.
func FormatLiteral(v any, t arrow.DataType) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case bool:
		if x {
			return "true"
		}
		return "false"
	case string:
		return "'" + strings.ReplaceAll(x, "'", "''") + "'"
	case []byte:
		return `'\x` + hex.EncodeToString(x) + "'::bytea"
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case decimal128.Num:
		if d, ok := t.(*arrow.Decimal128Type); ok {
			return x.ToString(d.Scale)
		}
		if IsVarNumeric(t) {
			v, s := UnpackNumeric(x)
			return "'" + v.ToString(s) + "'::numeric"
		}
	case arrow.Date32:
		return "'" + x.FormattedString() + "'::date"
	case arrow.MonthDayNanoInterval:
		return fmt.Sprintf("'%d mons %d days %d us'::interval", x.Months, x.Days, x.Nanoseconds/1000)
	case []any:
		return formatArray(x, t)
	case int64:
		if IsTime(t) {
			return "'" + FormatTime(x) + "'::" + Name(t)
		}
		if IsTimeTZ(t) {
			return "'" + FormatTimeTZ(x) + "'::" + Name(t)
		}
	case arrow.Timestamp:
		unit := arrow.Microsecond
		if ts, ok := t.(*arrow.TimestampType); ok {
			unit = ts.Unit
		}
		return "'" + x.ToTime(unit).UTC().Format("2006-01-02 15:04:05.999999") + "'::" + Name(t)
	}
	return fmt.Sprint(v)
}

// formatArray renders a list literal as an ARRAY constructor.
func formatArray(v []any, t arrow.DataType) string {
	et := Elem(t)
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = FormatLiteral(x, et)
	}
	return "ARRAY[" + strings.Join(s, ", ") + "]::" + Name(t)
}
