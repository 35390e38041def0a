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
// the zone offset in seconds west of UTC (int32). ok is false for other columns.
func timetzWriter(f arrow.Field, arr arrow.Array, format int16) (Writer, bool) {
	a, ok := arr.(*array.Int64)
	if !ok || types.FieldPGType(f).OID != types.OIDTimeTZ {
		return nil, false
	}
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
