package function

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/types"
)

// The timetz functions. timetz values (types.TimeTZ) reach exec as packed int64s
// (types.PackTimeTZ: the time of day and the zone offset); package sql binds casts, operators
// and AT TIME ZONE over timetz to these functions, so no integer kernel but comparison,
// hashing and sorting (which the packing keeps right) ever sees one.

func registerTimeTZ() {
	i64, text := arrow.PrimitiveTypes.Int64, arrow.BinaryTypes.String
	ids := func(name string, want ...arrow.Type) func([]arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		return func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
			if len(args) != len(want) {
				return nil, nil, undefinedFunc(name, args)
			}
			for i, id := range want {
				if args[i].ID() != id {
					return nil, nil, undefinedFunc(name, args)
				}
			}
			switch name {
			case "_timetz_out":
				return text, nil, nil
			case "_timetz_part":
				return arrow.PrimitiveTypes.Float64, nil, nil
			case "_timetz_extract":
				return &arrow.Decimal128Type{Precision: 38, Scale: 6}, nil, nil
			case "_date_pl_timetz":
				return tszType, nil, nil
			}
			return i64, nil, nil
		}
	}
	// inSession evaluates f row by row with the statement's time and the session's zone.
	inSession := func(f func(now time.Time, v []any) (any, error)) func(context.Context, int, arrow.DataType, []arrow.Array) (arrow.Array, error) {
		return func(ctx context.Context, _ int, typ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
			now := time.UnixMicro(exec.NowMicros(ctx)).In(exec.TimeZone(ctx))
			return rowwise(false, func(v []any) (any, error) { return f(now, v) })(exec.Allocator(ctx), typ, args)
		}
	}
	// text::timetz: a value without a zone takes the session zone's offset on the day it
	// names, or on the current day.
	register(function{resolve: ids("_timetz_in", arrow.STRING), evalCtx: inSession(func(now time.Time, v []any) (any, error) {
		return types.TimeTZIn(v[0].(string), now, exec.ParseZone)
	})}, "_timetz_in")
	register(function{resolve: ids("_timetz_out", arrow.INT64), eval: rowwise(false, func(v []any) (any, error) {
		return types.FormatTimeTZ(v[0].(int64)), nil
	})}, "_timetz_out")
	register(function{resolve: ids("_timetz_round", arrow.INT64, arrow.INT32), eval: rowwise(false, func(v []any) (any, error) {
		return types.RoundTimeTZ(v[0].(int64), v[1].(int32)), nil
	})}, "_timetz_round")
	// time::timetz takes the session zone's offset at that time of the current day, as
	// PostgreSQL's time_timetz does.
	register(function{resolve: ids("_timetz_from_time", arrow.INT64), evalCtx: inSession(func(now time.Time, v []any) (any, error) {
		us := v[0].(int64)
		return types.PackTimeTZ(us, types.ZoneAt(now.Location(), now.Year(), now.Month(), now.Day(), us)), nil
	})}, "_timetz_from_time")
	// timestamptz::timetz is the time of day in the session zone with the offset in force then.
	register(function{resolve: ids("_timetz_from_timestamptz", arrow.TIMESTAMP), evalCtx: inSession(func(now time.Time, v []any) (any, error) {
		ts := int64(v[0].(arrow.Timestamp))
		off := exec.OffsetAt(now.Location(), ts)
		return types.PackTimeTZ(timeOfDay(ts+off*1_000_000), int32(-off)), nil
	})}, "_timetz_from_timestamptz")
	register(function{resolve: ids("_timetz_to_time", arrow.INT64), eval: rowwise(false, func(v []any) (any, error) {
		us, _ := types.UnpackTimeTZ(v[0].(int64))
		return us, nil
	})}, "_timetz_to_time")
	// date + timetz is the instant of that day at that time in the value's offset, as
	// PostgreSQL's datetimetz_timestamptz makes it.
	register(function{resolve: ids("_date_pl_timetz", arrow.DATE32, arrow.INT64), eval: rowwise(false, func(v []any) (any, error) {
		us, zone := types.UnpackTimeTZ(v[1].(int64))
		return arrow.Timestamp(int64(v[0].(arrow.Date32))*exec.UsPerDay + us + int64(zone)*1_000_000), nil
	})}, "_date_pl_timetz")
	// timetz + interval and timetz - interval move the time part around the clock and keep
	// the offset; the interval's days and months are ignored, as PostgreSQL does.
	register(function{resolve: ids("_timetz_pl_interval", arrow.INT64, arrow.INTERVAL_MONTH_DAY_NANO), eval: rowwise(false, func(v []any) (any, error) {
		us, zone := types.UnpackTimeTZ(v[0].(int64))
		return types.PackTimeTZ(timeOfDay(us+v[1].(arrow.MonthDayNanoInterval).Nanoseconds/1000), zone), nil
	})}, "_timetz_pl_interval")
	register(function{resolve: ids("_timetz_mi_interval", arrow.INT64, arrow.INTERVAL_MONTH_DAY_NANO), eval: rowwise(false, func(v []any) (any, error) {
		us, zone := types.UnpackTimeTZ(v[0].(int64))
		return types.PackTimeTZ(timeOfDay(us-v[1].(arrow.MonthDayNanoInterval).Nanoseconds/1000), zone), nil
	})}, "_timetz_mi_interval")
	// timezone(zone, timetz), timetz AT TIME ZONE zone: the same instant in the zone's
	// offset, a named zone's offset being the one in force now (PostgreSQL's timetz_zone); an
	// interval zone is a fixed offset without months or days (timetz_izone).
	atZone := func(ctx context.Context, _ int, typ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
		var zones zoneCache
		wall := time.Now()
		return rowwise(false, func(v []any) (any, error) {
			var loc *time.Location
			var err error
			switch z := v[0].(type) {
			case string:
				loc, err = zones.get(z)
			case arrow.MonthDayNanoInterval:
				loc, err = intervalZone(z)
			}
			if err != nil {
				return nil, err
			}
			_, east := wall.In(loc).Zone()
			us, zone := types.UnpackTimeTZ(v[1].(int64))
			tz := int32(-east)
			return types.PackTimeTZ(timeOfDay(us+int64(zone-tz)*1_000_000), tz), nil
		})(exec.Allocator(ctx), typ, args)
	}
	register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) != 2 || args[0].ID() != arrow.STRING && args[0].ID() != arrow.INTERVAL_MONTH_DAY_NANO || args[1].ID() != arrow.INT64 {
			return nil, nil, undefinedFunc("_timetz_at_zone", args)
		}
		return i64, nil, nil
	}, evalCtx: atZone}, "_timetz_at_zone")
	// CURRENT_TIME: the statement's start as timetz in the session zone.
	register(function{resolve: ids("_timetz_now"), evalCtx: func(ctx context.Context, n int, typ arrow.DataType, _ []arrow.Array) (arrow.Array, error) {
		us := exec.NowMicros(ctx)
		off := exec.OffsetAt(exec.TimeZone(ctx), us)
		v := types.PackTimeTZ(timeOfDay(us+off*1_000_000), int32(-off))
		return exec.Broadcast(exec.Allocator(ctx), v, i64, n), nil
	}}, "_timetz_now")
	// _timetz_array_in(text, p) reads PostgreSQL's array text of timetz values into a list of
	// packed values rounded to p digits; _timetz_array_out(a) is the array text of one.
	register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) != 2 || args[0].ID() != arrow.STRING || args[1].ID() != arrow.INT32 {
			return nil, nil, undefinedFunc("_timetz_array_in", args)
		}
		return arrow.ListOf(i64), nil, nil
	}, evalCtx: inSession(func(now time.Time, v []any) (any, error) {
		in, err := exec.ParseArray(v[0].(string), arrow.ListOf(text), nil)
		if err != nil {
			return nil, err
		}
		for i, e := range in {
			if e == nil {
				continue
			}
			x, err := types.TimeTZIn(e.(string), now, exec.ParseZone)
			if err != nil {
				return nil, err
			}
			in[i] = types.RoundTimeTZ(x, v[1].(int32))
		}
		return in, nil
	})}, "_timetz_array_in")
	register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) != 1 || args[0].ID() != arrow.LIST || args[0].(*arrow.ListType).Elem().ID() != arrow.INT64 {
			return nil, nil, undefinedFunc("_timetz_array_out", args)
		}
		return text, nil, nil
	}, eval: rowwise(false, func(v []any) (any, error) {
		return exec.ArrayText(v[0].([]any), func(x any) string { return types.FormatTimeTZ(x.(int64)) }), nil
	})}, "_timetz_array_out")
	register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) != 2 || args[0].ID() != arrow.LIST || args[1].ID() != arrow.INT32 {
			return nil, nil, undefinedFunc("_timetz_array_round", args)
		}
		return arrow.ListOf(i64), nil, nil
	}, eval: rowwise(false, func(v []any) (any, error) {
		in := v[0].([]any)
		out := make([]any, len(in))
		for i, e := range in {
			if e != nil {
				out[i] = types.RoundTimeTZ(e.(int64), v[1].(int32))
			}
		}
		return out, nil
	})}, "_timetz_array_round")
	// date_part and extract over timetz: time's fields, the zone's (timezone in seconds east,
	// timezone_hour, timezone_minute), and the epoch of the time in UTC.
	register(function{resolve: ids("_timetz_part", arrow.STRING, arrow.INT64), eval: rowwise(false, func(v []any) (any, error) {
		f, err := timetzPart(v[0].(string), v[1].(int64))
		return f.flt, err
	})}, "_timetz_part")
	register(function{resolve: ids("_timetz_extract", arrow.STRING, arrow.INT64), eval: rowwise(false, func(v []any) (any, error) {
		f, err := timetzPart(v[0].(string), v[1].(int64))
		return f.exact, err
	})}, "_timetz_extract")
}

// timetzPart is extract's and date_part's field of a packed timetz value, as PostgreSQL's
// timetz_part gives it.
func timetzPart(field string, v int64) (fieldVal, error) {
	us, zone := types.UnpackTimeTZ(v)
	east := -int64(zone)
	switch strings.ToLower(field) {
	case "timezone":
		return intPart(east), nil
	case "timezone_hour":
		return intPart(east / 3600), nil
	case "timezone_minute":
		return intPart(east / 60 % 60), nil
	case "epoch":
		utc := us + int64(zone)*1_000_000
		return fieldVal{decimal128.FromI64(utc), float64(utc) / 1_000_000}, nil
	case "day", "days", "d", "month", "months", "mon", "mons", "year", "years", "y", "yr", "yrs",
		"week", "weeks", "w", "quarter", "qtr", "decade", "decades", "century", "centuries",
		"millennium", "millennia", "dow", "doy", "isodow", "isoyear", "julian":
		return fieldVal{}, errs.New(errs.NotImplemented, "unit %q not supported for type time with time zone", strings.ToLower(field))
	}
	f, err := timePart(field, us)
	if err != nil && errors.Is(err, errs.InvalidParameter) {
		return fieldVal{}, errs.New(errs.InvalidParameter, "unit %q not recognized for type time with time zone", strings.ToLower(field))
	}
	return f, err
}

// castTimeTZ is CastSQL where from or to is timetz: text, time and timestamptz to timetz
// (in the session zone), timetz to timetz(p), time and text.
func castTimeTZ(ctx context.Context, a arrow.Array, from, to arrow.DataType) (arrow.Array, error) {
	mem, now := exec.Allocator(ctx), time.UnixMicro(exec.NowMicros(ctx)).In(exec.TimeZone(ctx))
	row := func(typ arrow.DataType, f func(v any) (any, error)) (arrow.Array, error) {
		return rowwise(false, func(v []any) (any, error) { return f(v[0]) })(mem, typ, []arrow.Array{a})
	}
	i64 := arrow.PrimitiveTypes.Int64
	p, toTZ := types.TimeTZPrecision(to)
	pack := func(f func(v any) (int64, error)) (arrow.Array, error) {
		return row(i64, func(v any) (any, error) {
			x, err := f(v)
			return types.RoundTimeTZ(x, p), err
		})
	}
	switch {
	case toTZ && types.IsTimeTZ(from):
		return pack(func(v any) (int64, error) { return v.(int64), nil })
	case toTZ && types.IsTime(from):
		return pack(func(v any) (int64, error) {
			us := v.(int64)
			return types.PackTimeTZ(us, types.ZoneAt(now.Location(), now.Year(), now.Month(), now.Day(), us)), nil
		})
	case toTZ && types.PGTypeOf(from).OID == types.OIDTimestamptz:
		return pack(func(v any) (int64, error) {
			ts := int64(v.(arrow.Timestamp))
			off := exec.OffsetAt(now.Location(), ts)
			return types.PackTimeTZ(timeOfDay(ts+off*1_000_000), int32(-off)), nil
		})
	case toTZ && from.ID() == arrow.STRING && !types.IsUUID(from) && !types.IsJSON(from):
		return pack(func(v any) (int64, error) { return types.TimeTZIn(v.(string), now, exec.ParseZone) })
	case types.IsTimeTZ(from) && types.IsTime(to):
		tp, _ := types.TimePrecision(to)
		return row(i64, func(v any) (any, error) {
			us, _ := types.UnpackTimeTZ(v.(int64))
			return types.RoundTime(us, tp), nil
		})
	case types.IsTimeTZ(from) && to.ID() == arrow.STRING && !types.IsUUID(to) && !types.IsJSON(to):
		return castText(ctx, row, to, func(v any) (any, error) { return types.FormatTimeTZ(v.(int64)), nil })
	}
	return nil, errs.New(errs.CannotCoerce, "cannot cast type %s to %s", types.Name(from), types.Name(to))
}
