package function

import (
	"context"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/types"
)

// CastSQL converts a, stored values of SQL type from, to SQL type to, with PostgreSQL's casts,
// and returns an array of to's stored type. Unlike exec.CastArray, it knows the types whose stored
// form is another type's (time is int64 microseconds, uuid 16-byte binary): text ↔ time,
// time ↔ interval, timestamp and timestamptz → time, time → time(p), text ↔ uuid. A cast
// PostgreSQL does not have from or to time or uuid is 42846. It does not release a.
func CastSQL(ctx context.Context, a arrow.Array, from, to arrow.DataType) (arrow.Array, error) {
	if types.IsTimeTZ(from) || types.IsTimeTZ(to) {
		return castTimeTZ(ctx, a, from, to)
	}
	mem, loc := exec.Allocator(ctx), exec.TimeZone(ctx)
	p, toTime := types.TimePrecision(to)
	_, fromTime := types.TimePrecision(from)
	toUUID, fromUUID := types.IsUUID(to), types.IsUUID(from)
	if !toTime && !fromTime && !toUUID && !fromUUID {
		return exec.CastArray(ctx, a, to)
	}
	row := func(typ arrow.DataType, f func(v any) (any, error)) (arrow.Array, error) {
		return rowwise(false, func(v []any) (any, error) { return f(v[0]) })(mem, typ, []arrow.Array{a})
	}
	i64 := arrow.PrimitiveTypes.Int64
	round := func(out arrow.Array, err error) (arrow.Array, error) {
		if err != nil || p < 0 || p >= 6 {
			return out, err
		}
		defer out.Release()
		return rowwise(false, func(v []any) (any, error) { return types.RoundTime(v[0].(int64), p), nil })(mem, i64, []arrow.Array{out})
	}
	switch {
	case toTime && fromTime:
		return round(row(i64, func(v any) (any, error) { return v, nil }))
	case toTime && from.ID() == arrow.STRING && !fromUUID:
		return round(row(i64, func(v any) (any, error) { return types.ParseTime(v.(string)) }))
	case toTime && from.ID() == arrow.INTERVAL_MONTH_DAY_NANO:
		return round(row(i64, func(v any) (any, error) {
			return timeOfDay(v.(arrow.MonthDayNanoInterval).Nanoseconds / 1000), nil
		}))
	case toTime && from.ID() == arrow.TIMESTAMP:
		zoned := from.(*arrow.TimestampType).TimeZone != ""
		return round(row(i64, func(v any) (any, error) {
			us := int64(v.(arrow.Timestamp))
			if zoned {
				_, off := time.UnixMicro(us).In(loc).Zone()
				us += int64(off) * 1_000_000
			}
			return timeOfDay(us), nil
		}))
	case fromTime && to.ID() == arrow.STRING && !toUUID:
		return castText(ctx, row, to, func(v any) (any, error) { return types.FormatTime(v.(int64)), nil })
	case fromTime && to.ID() == arrow.INTERVAL_MONTH_DAY_NANO:
		return row(arrow.FixedWidthTypes.MonthDayNanoInterval, func(v any) (any, error) {
			return arrow.MonthDayNanoInterval{Nanoseconds: v.(int64) * 1000}, nil
		})
	case toUUID && fromUUID:
		a.Retain()
		return a, nil
	case toUUID && from.ID() == arrow.STRING && !fromTime:
		return row(arrow.BinaryTypes.Binary, func(v any) (any, error) { return types.ParseUUID(v.(string)) })
	case fromUUID && to.ID() == arrow.STRING && !toTime:
		return castText(ctx, row, to, func(v any) (any, error) { return string(types.AppendUUID(nil, v.([]byte))), nil })
	}
	return nil, errs.New(errs.CannotCoerce, "cannot cast type %s to %s", types.Name(from), types.Name(to))
}

// castText makes text of each value with f, then casts it on to to (a character type, whose
// stored form is text).
func castText(ctx context.Context, row func(arrow.DataType, func(any) (any, error)) (arrow.Array, error), to arrow.DataType, f func(any) (any, error)) (arrow.Array, error) {
	out, err := row(arrow.BinaryTypes.String, f)
	if err != nil {
		return nil, err
	}
	defer out.Release()
	return exec.CastArray(ctx, out, to)
}
