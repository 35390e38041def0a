package types

import (
	"github.com/apache/arrow-go/v18/arrow"
)

// JSON is the type of PostgreSQL's json and jsonb (Binary) values: an Arrow string type, so
// that string kernels, builders, Parquet and spill files handle its values as text. A json
// value is held as the text it was given (validated); a jsonb value is held normalised as
// PostgreSQL prints jsonb (JSONBNormalize): keys sorted, duplicates dropped, one space after
// ':' and ','. Equal jsonb values therefore have equal text, so grouping, DISTINCT and joins
// compare them as strings.
//
// Like Char, it is a SQL type over string storage: catalog columns of it are stored as
// strings (Storage) and result fields carry it in their metadata (SQLMetadata).
type JSON struct {
	arrow.StringType
	binary bool
}

// JSONType and JSONBType are the types json and jsonb.
var (
	JSONType  = &JSON{}
	JSONBType = &JSON{binary: true}
)

// Binary reports whether t is jsonb rather than json.
func (t *JSON) Binary() bool { return t.binary }

// Name is json or jsonb.
func (t *JSON) Name() string {
	if t.binary {
		return "jsonb"
	}
	return "json"
}

// String is the PostgreSQL name of the type.
func (t *JSON) String() string { return t.Name() }

// IsJSON reports whether t is json or jsonb.
func IsJSON(t arrow.DataType) bool { _, ok := t.(*JSON); return ok }

// IsJSONB reports whether t is jsonb.
func IsJSONB(t arrow.DataType) bool { j, ok := t.(*JSON); return ok && j.binary }

// IsPlainJSON reports whether t is json (not jsonb).
func IsPlainJSON(t arrow.DataType) bool { j, ok := t.(*JSON); return ok && !j.binary }

// OIDs of the array types of json and jsonb (pg_type.typarray).
const (
	OIDJSONArray  uint32 = 199
	OIDJSONBArray uint32 = 3807
)

func init() {
	arrayOIDs[OIDJSON] = OIDJSONArray
	arrayOIDs[OIDJSONB] = OIDJSONBArray
	elemOIDs[OIDJSONArray] = OIDJSON
	elemOIDs[OIDJSONBArray] = OIDJSONB
}

// jsonPGType is the PostgreSQL type of t.
func jsonPGType(t *JSON) PGType {
	if t.binary {
		return PGType{OIDJSONB, -1, -1}
	}
	return PGType{OIDJSON, -1, -1}
}
