package pgvalue

import (
	"encoding/binary"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/types"
)

// timetzWriter is the writer of a timetz column (packed int64s, types.PackTimeTZ) in format:
// timetz_out's text, or timetz_send's 12 bytes: the time of day in microseconds (int64), then
// the zone offset in seconds west of UTC (int32); or of a timetz[] column, PostgreSQL's array
// text or array_send's format of those. ok is false for other columns.
func timetzWriter(f arrow.Field, arr arrow.Array, format int16) (Writer, bool) {
	oid := types.FieldPGType(f).OID
	if l, isList := arr.(*array.List); isList && oid == types.OIDTimeTZArray {
		if _, ok := l.ListValues().(*array.Int64); !ok {
			return nil, false
		}
		elem, _ := timetzValueWriter(l.ListValues().(*array.Int64), format)
		if format == formatBinary {
			return timetzArrayBinary(l, elem), true
		}
		return arrayTextWriterOf(l, elem), true
	}
	a, ok := arr.(*array.Int64)
	if !ok || oid != types.OIDTimeTZ {
		return nil, false
	}
	return timetzValueWriter(a, format)
}

// timetzValueWriter writes the packed timetz values of a in format.
func timetzValueWriter(a *array.Int64, format int16) (Writer, bool) {
	if format == formatBinary {
		return func(dst []byte, i int) []byte {
			us, zone := types.UnpackTimeTZ(a.Value(i))
			dst = binary.BigEndian.AppendUint64(dst, uint64(us))
			return binary.BigEndian.AppendUint32(dst, uint32(zone))
		}, true
	}
	return func(dst []byte, i int) []byte { return types.AppendTimeTZ(dst, a.Value(i)) }, true
}

// decodeTimeTZText reads a timetz parameter sent as text. Without the session's zone at
// hand, its text must say its offset (04:05:06+02) or name a zone without daylight-saving
// time (UTC).
func decodeTimeTZText(s string) (any, error) {
	p, err := types.ParseTimeTZText(s)
	if err != nil {
		return nil, err
	}
	switch {
	case p.HasZone:
		return types.PackTimeTZ(p.Micros, p.Zone), nil
	case p.ZoneName == "utc" || p.ZoneName == "gmt" || p.ZoneName == "z" || p.ZoneName == "ut" || p.ZoneName == "zulu":
		return types.PackTimeTZ(p.Micros, 0), nil
	}
	return nil, errs.New(errs.NotImplemented, "a time with time zone parameter must give its zone offset: \"%s\"", s)
}

// decodeTimeTZBinary reads timetz_send's 12 bytes.
func decodeTimeTZBinary(v []byte) (any, error) {
	if len(v) != 12 {
		return nil, fmt.Errorf("time with time zone of %d bytes", len(v))
	}
	us := int64(binary.BigEndian.Uint64(v))
	zone := int32(binary.BigEndian.Uint32(v[8:]))
	if us < 0 || us > types.MicrosPerDay {
		return nil, errs.New(errs.DatetimeOverflow, "time out of range")
	}
	if zone < -types.TZDispLimit || zone > types.TZDispLimit {
		return nil, errs.New(errs.InvalidTimeZoneDisplacement, "time zone displacement out of range")
	}
	return types.PackTimeTZ(us, zone), nil
}

// timetzArrayBinary is array_send's format of a timetz[] column: one dimension from 1, the
// element OID 1266 and each element's 12 bytes (elem), as arrayBinaryWriterOf writes others.
func timetzArrayBinary(a *array.List, elem Writer) Writer {
	vals := a.ListValues()
	return func(dst []byte, i int) []byte {
		start, end := listRange(a, i)
		if start == end {
			dst = binary.BigEndian.AppendUint32(dst, 0)
			dst = binary.BigEndian.AppendUint32(dst, 0)
			return binary.BigEndian.AppendUint32(dst, types.OIDTimeTZ)
		}
		nulls := uint32(0)
		for j := start; j < end; j++ {
			if vals.IsNull(j) {
				nulls = 1
			}
		}
		dst = binary.BigEndian.AppendUint32(dst, 1)
		dst = binary.BigEndian.AppendUint32(dst, nulls)
		dst = binary.BigEndian.AppendUint32(dst, types.OIDTimeTZ)
		dst = binary.BigEndian.AppendUint32(dst, uint32(end-start))
		dst = binary.BigEndian.AppendUint32(dst, 1)
		for j := start; j < end; j++ {
			if vals.IsNull(j) {
				dst = binary.BigEndian.AppendUint32(dst, 0xFFFFFFFF)
				continue
			}
			dst = binary.BigEndian.AppendUint32(dst, 12)
			dst = elem(dst, j)
		}
		return dst
	}
}
