package pgwire

import (
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/format/pgvalue"
	"github.com/sleeperd/sleeperd/types"
)

// The value formats are pgvalue's, shared with COPY.
type writer = pgvalue.Writer

const (
	formatText   = pgvalue.FormatText
	formatBinary = pgvalue.FormatBinary
)

// decodeParam converts parameter n (1-based) of type dt, sent in format, to the Go value
// Statement.Execute takes: nil, bool, int64, float64, string, []byte, time.Time, or for an
// array []any of those. The result does not alias v, which the protocol reader reuses.
func decodeParam(n int, dt arrow.DataType, format int16, v []byte) (any, error) {
	if v == nil {
		return nil, nil
	}
	// A value of an object identifier type (regclass...) or an array of them is its text (a
	// name or an OID, regParamText): the statement reads it with the type's input function.
	if types.IsReg(dt) {
		dt = types.Text
	} else if types.IsArray(dt) && types.IsReg(types.Elem(dt)) {
		dt = types.ArrayOf(types.Text)
	}
	switch format {
	case formatBinary:
		x, err := pgvalue.DecodeBinary(dt, v)
		if err != nil {
			return nil, &pgError{code: "22P03", msg: fmt.Sprintf("incorrect binary data format in bind parameter %d: %v", n, err)}
		}
		return x, nil
	case formatText:
		return pgvalue.DecodeText(dt, string(v))
	}
	return nil, &pgError{code: "08P01", msg: fmt.Sprintf("unsupported format code: %d", format)}
}

// paramType is the type of a parameter the client declares of type oid: an object identifier
// alias type (regclass 2205...) or an array of one (regclass[] 2210...) as that type, which
// the statement reads from the value's text (decodeParam); others as types.FromOID.
func paramType(oid uint32) arrow.DataType {
	if r := types.RegOf(oid); r != nil {
		return r
	}
	if r := types.RegOfArray(oid); r != nil {
		return types.ArrayOf(r)
	}
	return types.FromOID(oid)
}

// regParamText is the text of a parameter declared as an object identifier alias type
// (regclass 2205...) or an array of one (regclass[] 2210, regtype[] 2211, ...) sent in the
// binary format, whose values are OIDs as uint32 (PostgreSQL's binary input of these types is
// oid's): the OID's number, or for an array the OIDs as an array literal ("{1259,1247}"), which
// the type's input reads as these OIDs. ok is false for other types.
func regParamText(n int, oid uint32, v []byte) ([]byte, bool, error) {
	bad := func(what string) error {
		return &pgError{code: "22P03", msg: fmt.Sprintf("incorrect binary data format in bind parameter %d: %s", n, what)}
	}
	if v == nil {
		return nil, false, nil
	}
	if types.RegOf(oid) != nil {
		// A scalar: the OID as uint32, as oidrecv reads it.
		switch {
		case len(v) < 4:
			// oidrecv reads past the value's end, as PostgreSQL reports it.
			return nil, true, &pgError{code: "08P01", msg: "insufficient data left in message"}
		case len(v) > 4:
			return nil, true, &pgError{code: "22P03", msg: fmt.Sprintf("incorrect binary data format in bind parameter %d", n)}
		}
		return strconv.AppendUint(nil, uint64(binary.BigEndian.Uint32(v)), 10), true, nil
	}
	if types.RegOfArray(oid) == nil {
		return nil, false, nil
	}
	if len(v) < 12 {
		return nil, true, bad("array header too short")
	}
	ndim := binary.BigEndian.Uint32(v)
	if ndim == 0 {
		return []byte("{}"), true, nil
	}
	if ndim != 1 {
		return nil, true, &pgError{code: "0A000", msg: "multidimensional arrays are not supported"}
	}
	if len(v) < 20 {
		return nil, true, bad("array header too short")
	}
	count := binary.BigEndian.Uint32(v[12:])
	rest := v[20:]
	out := []byte{'{'}
	for i := uint32(0); i < count; i++ {
		if len(rest) < 4 {
			return nil, true, bad("array element missing")
		}
		size := int32(binary.BigEndian.Uint32(rest))
		rest = rest[4:]
		if i > 0 {
			out = append(out, ',')
		}
		if size == -1 {
			out = append(out, "NULL"...)
			continue
		}
		if size != 4 || len(rest) < 4 {
			return nil, true, bad("an OID is 4 bytes")
		}
		out = strconv.AppendUint(out, uint64(binary.BigEndian.Uint32(rest)), 10)
		rest = rest[4:]
	}
	return append(out, '}'), true, nil
}
