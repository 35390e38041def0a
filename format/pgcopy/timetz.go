package pgcopy

import (
	"encoding/binary"
	"time"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/types"
)

// timetzText reads a timetz value of COPY's text format as timetz_in does, a value without
// a zone taking the session zone loc's offset, rounded to timetz(mod).
func timetzText(s string, loc *time.Location, mod int32) (any, error) {
	if loc == nil {
		loc = time.UTC
	}
	v, err := types.TimeTZIn(s, time.Now().In(loc), exec.ParseZone)
	if err != nil {
		return nil, err
	}
	return types.RoundTimeTZ(v, mod), nil
}

// timetzBinary reads timetz_recv's 12 bytes: int64 microseconds, int32 seconds west of UTC.
func timetzBinary(v []byte, mod int32) (any, error) {
	if len(v) != 12 {
		return nil, errs.New(errs.InvalidBinary, "incorrect binary data format")
	}
	us := int64(binary.BigEndian.Uint64(v))
	zone := int32(binary.BigEndian.Uint32(v[8:]))
	if us < 0 || us > types.MicrosPerDay {
		return nil, errs.New(errs.DatetimeOverflow, "time out of range")
	}
	if zone < -types.TZDispLimit || zone > types.TZDispLimit {
		return nil, errs.New(errs.InvalidTimeZoneDisplacement, "time zone displacement out of range")
	}
	return types.RoundTimeTZ(types.PackTimeTZ(us, zone), mod), nil
}
