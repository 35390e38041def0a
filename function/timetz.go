package function

import (
	"context"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

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
			if name == "_timetz_out" {
				return text, nil, nil
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
}
