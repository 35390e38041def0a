package flightsql

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/types"
)

// wireTimeTZ is the Arrow type timetz values are sent as: the time of day, and the zone's
// offset in seconds east of UTC, as PostgreSQL shows it (+05:30 is 19800).
var wireTimeTZ = arrow.StructOf(
	arrow.Field{Name: "time", Type: arrow.FixedWidthTypes.Time64us},
	arrow.Field{Name: "offset", Type: arrow.PrimitiveTypes.Int32},
)

// wireTimeTZArray converts a, a column of packed timetz values (types.PackTimeTZ), to
// wireTimeTZ; ok is false if a is not int64.
func wireTimeTZArray(mem memory.Allocator, a arrow.Array) (arrow.Array, bool) {
	src, ok := a.(*array.Int64)
	if !ok {
		return nil, false
	}
	b := array.NewStructBuilder(mem, wireTimeTZ)
	defer b.Release()
	tb := b.FieldBuilder(0).(*array.Time64Builder)
	ob := b.FieldBuilder(1).(*array.Int32Builder)
	b.Reserve(src.Len())
	for i := 0; i < src.Len(); i++ {
		if src.IsNull(i) {
			b.AppendNull()
			continue
		}
		b.Append(true)
		us, zone := types.UnpackTimeTZ(src.Value(i))
		tb.Append(arrow.Time64(us))
		ob.Append(-zone)
	}
	return b.NewArray(), true
}

// ingestTimeTZ converts an uploaded column of wireTimeTZ structs to packed timetz values,
// checking that times lie within a day and offsets within PostgreSQL's ±15:59:59.
func ingestTimeTZ(mem memory.Allocator, a arrow.Array) (arrow.Array, error) {
	st, ok := a.(*array.Struct)
	if !ok {
		return nil, errs.New(errs.DatatypeMismatch, "time with time zone values must be %s, not %s", wireTimeTZ, a.DataType())
	}
	tm, tok := st.Field(0).(*array.Time64)
	off, ook := st.Field(1).(*array.Int32)
	if !tok || !ook {
		return nil, errs.New(errs.DatatypeMismatch, "time with time zone values must be %s, not %s", wireTimeTZ, a.DataType())
	}
	b := array.NewInt64Builder(mem)
	defer b.Release()
	b.Reserve(st.Len())
	for i := 0; i < st.Len(); i++ {
		if st.IsNull(i) || tm.IsNull(i) || off.IsNull(i) {
			b.AppendNull()
			continue
		}
		us, east := int64(tm.Value(i)), off.Value(i)
		if us < 0 || us > types.MicrosPerDay {
			return nil, errs.New(errs.DatetimeOverflow, "time out of range: %d microseconds", us)
		}
		if east < -types.TZDispLimit || east > types.TZDispLimit {
			return nil, errs.New(errs.InvalidTimeZoneDisplacement, "time zone displacement out of range: %d seconds", east)
		}
		b.Append(types.PackTimeTZ(us, -east))
	}
	return b.NewArray(), nil
}
