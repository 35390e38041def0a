package pgwire

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/format/pgvalue"
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
