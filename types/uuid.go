package types

import (
	"encoding/hex"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/errs"
)

// UUID is the type of PostgreSQL's uuid values: an Arrow binary type whose values are the 16
// bytes of the uuid, so that binary kernels (comparison, hashing, sorting, Parquet, spill
// files, row key encoding) handle them, and bytewise order is uuid's order, as in PostgreSQL.
// Like Char, it is a SQL type over plain storage: catalog columns of it are stored as binary
// (Storage) and result fields carry it in their metadata (SQLMetadata).
type UUID struct{ arrow.BinaryType }

// UUIDType is the type uuid.
var UUIDType = &UUID{}

// Name is uuid.
func (*UUID) Name() string { return "uuid" }

// String is uuid.
func (*UUID) String() string { return "uuid" }

// IsUUID reports whether t is uuid.
func IsUUID(t arrow.DataType) bool { _, ok := t.(*UUID); return ok }

// PostgreSQL's OIDs of uuid and uuid[].
const (
	OIDUUID      uint32 = 2950
	OIDUUIDArray uint32 = 2951
)

func init() {
	arrayOIDs[OIDUUID] = OIDUUIDArray
	elemOIDs[OIDUUIDArray] = OIDUUID
}

// ParseUUID reads a uuid as PostgreSQL's uuid_in does: 32 hex digits, optionally in braces,
// with a hyphen allowed after any group of four digits.
func ParseUUID(s string) ([]byte, error) {
	bad := func() error { return errs.New(errs.InvalidText, "invalid input syntax for type uuid: \"%s\"", s) }
	in := s
	if len(in) >= 2 && in[0] == '{' && in[len(in)-1] == '}' {
		in = in[1 : len(in)-1]
	}
	digits := make([]byte, 0, 32)
	for i := 0; i < len(in); i++ {
		c := in[i]
		if c == '-' {
			if len(digits) == 0 || len(digits)%4 != 0 || len(digits) == 32 || i+1 < len(in) && in[i+1] == '-' {
				return nil, bad()
			}
			continue
		}
		if len(digits) == 32 {
			return nil, bad()
		}
		digits = append(digits, c)
	}
	if len(digits) != 32 || in[len(in)-1] == '-' {
		return nil, bad()
	}
	out := make([]byte, 16)
	if _, err := hex.Decode(out, digits); err != nil {
		return nil, bad()
	}
	return out, nil
}

// AppendUUID appends the 16 bytes b as uuid_out writes them: 8-4-4-4-12 lower-case hex.
func AppendUUID(dst, b []byte) []byte {
	var buf [36]byte
	hex.Encode(buf[0:8], b[0:4])
	buf[8] = '-'
	hex.Encode(buf[9:13], b[4:6])
	buf[13] = '-'
	hex.Encode(buf[14:18], b[6:8])
	buf[18] = '-'
	hex.Encode(buf[19:23], b[8:10])
	buf[23] = '-'
	hex.Encode(buf[24:], b[10:16])
	return append(dst, buf[:]...)
}
