package trino

import (
	"encoding/hex"
	"math"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sleeperd/sleeperd/connectors/trino/trinothrift"
	"github.com/sleeperd/sleeperd/format/pgvalue"
	"github.com/sleeperd/sleeperd/types"
)

// This file is the one place that maps Arrow types to Trino's: the type a column is shown
// as, how its values are written into column blocks, and how values in Trino's predicates
// are read back into the values the engine prunes with.
//
//	Arrow                                   Trino          values
//	bool                                    boolean
//	int8 int16 int32 uint8 uint16           integer
//	int64 uint32                            bigint
//	float32 float64                         double
//	string large_string varchar(n)          varchar        as stored
//	date32 date64                           date           days since 1970-01-01
//	timestamp[any unit] (with or without    timestamp(3)   epoch milliseconds (UTC); finer
//	  a time zone)                                         units are truncated toward -inf
//	list<int8|int16|int32|int64>            array(bigint)  (not time[]: its text)
//	json, jsonb, maps (by PostgreSQL type)  json           PostgreSQL's text (a map's as jsonb)
//	everything else: binary, decimal,       varchar        PostgreSQL's text output, as psql
//	  uint64, time, interval, uuid, bpchar,                shows it (bytea as \x..., decimals
//	  other lists, structs                                 exactly, arrays as {..}, records
//	                                                       as (..))
//
// Trino's HyperLogLog type is never produced. Columns whose names do not match
// [a-z][a-z0-9_]* are not exposed (Trino's rule for names).

// kind is the Trino representation of a column.
type kind int

const (
	kindInteger kind = iota
	kindBigint
	kindDouble
	kindVarchar // stored strings
	kindBoolean
	kindDate
	kindTimestamp
	kindJSON       // PostgreSQL's text of json/jsonb
	kindBigintList // array(bigint)
	kindText       // PostgreSQL's text output, as varchar
	// kindHyperLogLog is Trino's HyperLogLog: never produced, known to the validator.
	kindHyperLogLog
)

// trinoType is the type name Trino's Thrift connector reads for k.
func (k kind) trinoType() string {
	switch k {
	case kindInteger:
		return "integer"
	case kindBigint:
		return "bigint"
	case kindDouble:
		return "double"
	case kindBoolean:
		return "boolean"
	case kindDate:
		return "date"
	case kindTimestamp:
		return "timestamp(3)"
	case kindJSON:
		return "json"
	case kindBigintList:
		return "array(bigint)"
	case kindHyperLogLog:
		return "HyperLogLog"
	}
	return "varchar"
}

// kindOf maps an Arrow field to its Trino representation.
func kindOf(f arrow.Field) kind {
	switch types.FieldPGType(f).OID {
	case types.OIDJSON, types.OIDJSONB:
		return kindJSON
	case types.OIDBpchar:
		return kindText // character(n): padded to n on output
	case types.OIDTime, types.OIDTimeArray, types.OIDTimeTZ, types.OIDTimeTZArray:
		return kindText // time and timetz over int64 storage: their text, not the integers
	}
	if _, ok := f.Type.(arrow.ExtensionType); ok {
		return kindText
	}
	switch t := f.Type.(type) {
	case *arrow.BooleanType:
		return kindBoolean
	case *arrow.Int8Type, *arrow.Int16Type, *arrow.Int32Type, *arrow.Uint8Type, *arrow.Uint16Type:
		return kindInteger
	case *arrow.Int64Type, *arrow.Uint32Type:
		return kindBigint
	case *arrow.Float32Type, *arrow.Float64Type:
		return kindDouble
	case *arrow.StringType, *arrow.LargeStringType:
		return kindVarchar
	case *arrow.Date32Type, *arrow.Date64Type:
		return kindDate
	case *arrow.TimestampType:
		return kindTimestamp
	case *arrow.ListType:
		switch t.Elem().ID() {
		case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
			return kindBigintList
		}
	}
	return kindText
}

// validName reports whether s is a name Trino accepts: [a-z][a-z0-9_]*.
func validName(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// blockBuilder accumulates the values of one column into a TrinoThriftBlock.
type blockBuilder struct {
	kind  kind
	field arrow.Field
	rows  int
	nulls []bool
	anyNull,
	anyValue bool
	ints    []int32
	longs   []int64
	doubles []float64
	bools   []bool
	sizes   []int32
	bytes   []byte

	textArr arrow.Array // the array textW writes
	textW   pgvalue.Writer
	textBuf []byte
}

func newBlockBuilder(f arrow.Field) *blockBuilder {
	return &blockBuilder{kind: kindOf(f), field: f}
}

// rowBytes estimates what row i of arr adds to the block in the binary protocol.
func (b *blockBuilder) rowBytes(arr arrow.Array, i int) int {
	n := 1 // the null flag
	if arr.IsNull(i) {
		return n + 8
	}
	switch b.kind {
	case kindInteger, kindDate:
		return n + 4
	case kindBigint, kindDouble, kindTimestamp:
		return n + 8
	case kindBoolean:
		return n + 1
	case kindVarchar:
		switch a := arr.(type) {
		case *array.String:
			return n + 4 + len(a.Value(i))
		case *array.LargeString:
			return n + 4 + len(a.Value(i))
		}
	case kindBigintList:
		l := arr.(*array.List)
		s, e := l.ValueOffsets(i)
		return n + 4 + 9*int(e-s)
	}
	return n + 4 + len(b.text(arr, i))
}

// text is PostgreSQL's text output of row i of arr. The writer of the last array is kept:
// rows are asked for array by array.
func (b *blockBuilder) text(arr arrow.Array, i int) []byte {
	if b.textArr != arr {
		b.textArr, b.textW = arr, pgvalue.NewWriter(b.field, arr, 0, time.UTC)
	}
	b.textBuf = b.textW(b.textBuf[:0], i)
	return b.textBuf
}

// append adds row i of arr.
func (b *blockBuilder) append(arr arrow.Array, i int) {
	b.rows++
	null := arr.IsNull(i)
	b.nulls = append(b.nulls, null)
	if null {
		b.anyNull = true
	} else {
		b.anyValue = true
	}
	switch b.kind {
	case kindInteger:
		var v int32
		if !null {
			switch a := arr.(type) {
			case *array.Int8:
				v = int32(a.Value(i))
			case *array.Int16:
				v = int32(a.Value(i))
			case *array.Int32:
				v = a.Value(i)
			case *array.Uint8:
				v = int32(a.Value(i))
			case *array.Uint16:
				v = int32(a.Value(i))
			}
		}
		b.ints = append(b.ints, v)
	case kindDate:
		var v int32
		if !null {
			switch a := arr.(type) {
			case *array.Date32:
				v = int32(a.Value(i))
			case *array.Date64:
				v = int32(floorDiv(int64(a.Value(i)), 86_400_000))
			}
		}
		b.ints = append(b.ints, v)
	case kindBigint:
		var v int64
		if !null {
			switch a := arr.(type) {
			case *array.Int64:
				v = a.Value(i)
			case *array.Uint32:
				v = int64(a.Value(i))
			}
		}
		b.longs = append(b.longs, v)
	case kindTimestamp:
		var v int64
		if !null {
			unit := arr.DataType().(*arrow.TimestampType).Unit
			v = toMillis(int64(arr.(*array.Timestamp).Value(i)), unit)
		}
		b.longs = append(b.longs, v)
	case kindDouble:
		var v float64
		if !null {
			switch a := arr.(type) {
			case *array.Float32:
				v = float64(a.Value(i))
			case *array.Float64:
				v = a.Value(i)
			}
		}
		b.doubles = append(b.doubles, v)
	case kindBoolean:
		b.bools = append(b.bools, !null && arr.(*array.Boolean).Value(i))
	case kindBigintList:
		if null {
			b.sizes = append(b.sizes, 0)
			return
		}
		l := arr.(*array.List)
		s, e := l.ValueOffsets(i)
		b.sizes = append(b.sizes, int32(e-s))
		vals := l.ListValues()
		for j := int(s); j < int(e); j++ {
			elemNull := vals.IsNull(j)
			var v int64
			if !elemNull {
				switch a := vals.(type) {
				case *array.Int8:
					v = int64(a.Value(j))
				case *array.Int16:
					v = int64(a.Value(j))
				case *array.Int32:
					v = int64(a.Value(j))
				case *array.Int64:
					v = a.Value(j)
				}
			}
			b.bools = append(b.bools, elemNull) // element nulls
			b.longs = append(b.longs, v)
		}
	default: // varchar, json, text
		if null {
			b.sizes = append(b.sizes, 0)
			return
		}
		var v []byte
		switch a := arr.(type) {
		case *array.String:
			if b.kind == kindVarchar {
				v = []byte(a.Value(i))
			}
		case *array.LargeString:
			if b.kind == kindVarchar {
				v = []byte(a.Value(i))
			}
		}
		if v == nil {
			v = b.text(arr, i)
		}
		b.sizes = append(b.sizes, int32(len(v)))
		b.bytes = append(b.bytes, v...)
	}
}

// block returns the column block of the rows appended. The null flags are sent when any
// row is NULL (so an all-NULL column sends them), and values are left out when every row
// is NULL.
func (b *blockBuilder) block() *trinothrift.TrinoThriftBlock {
	var nulls []bool
	if b.anyNull {
		nulls = b.nulls
	}
	values := b.anyValue || b.rows == 0
	blk := &trinothrift.TrinoThriftBlock{}
	switch b.kind {
	case kindInteger:
		d := &trinothrift.TrinoThriftInteger{Nulls: nulls}
		if values {
			d.Ints = nonNil(b.ints)
		}
		blk.IntegerData = d
	case kindDate:
		d := &trinothrift.TrinoThriftDate{Nulls: nulls}
		if values {
			d.Dates = nonNil(b.ints)
		}
		blk.DateData = d
	case kindBigint:
		d := &trinothrift.TrinoThriftBigint{Nulls: nulls}
		if values {
			d.Longs = nonNil(b.longs)
		}
		blk.BigintData = d
	case kindTimestamp:
		d := &trinothrift.TrinoThriftTimestamp{Nulls: nulls}
		if values {
			d.Timestamps = nonNil(b.longs)
		}
		blk.TimestampData = d
	case kindDouble:
		d := &trinothrift.TrinoThriftDouble{Nulls: nulls}
		if values {
			d.Doubles = nonNil(b.doubles)
		}
		blk.DoubleData = d
	case kindBoolean:
		d := &trinothrift.TrinoThriftBoolean{Nulls: nulls}
		if values {
			d.Booleans = nonNil(b.bools)
		}
		blk.BooleanData = d
	case kindBigintList:
		d := &trinothrift.TrinoThriftBigintArray{Nulls: nulls}
		if values {
			d.Sizes = nonNil(b.sizes)
			inner := &trinothrift.TrinoThriftBigint{Longs: nonNil(b.longs)}
			for _, n := range b.bools {
				if n {
					inner.Nulls = b.bools
					break
				}
			}
			d.Values = inner
		}
		blk.BigintArrayData = d
	case kindJSON:
		d := &trinothrift.TrinoThriftJson{Nulls: nulls}
		if values {
			d.Sizes, d.Bytes = nonNil(b.sizes), nonNil(b.bytes)
		}
		blk.JsonData = d
	default:
		d := &trinothrift.TrinoThriftVarchar{Nulls: nulls}
		if values {
			d.Sizes, d.Bytes = nonNil(b.sizes), nonNil(b.bytes)
		}
		blk.VarcharData = d
	}
	return blk
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// toMillis converts a timestamp in unit to epoch milliseconds, rounding toward -inf.
func toMillis(v int64, unit arrow.TimeUnit) int64 {
	switch unit {
	case arrow.Second:
		return v * 1000
	case arrow.Microsecond:
		return floorDiv(v, 1000)
	case arrow.Nanosecond:
		return floorDiv(v, 1_000_000)
	}
	return v
}

// perMilli is how many units of the timestamp type make a millisecond (0 for seconds).
func perMilli(unit arrow.TimeUnit) int64 {
	switch unit {
	case arrow.Microsecond:
		return 1000
	case arrow.Nanosecond:
		return 1_000_000
	case arrow.Millisecond:
		return 1
	}
	return 0
}

// blockValue reads the single value of a one-row block of a predicate (a marker's value or
// an equatable set's element) as the engine's bound value for a column of field f: int64
// for integers, dates and timestamps (in milliseconds, as Trino sends them: constraints
// widen them to the column's unit), float64, string, []byte (for
// binary columns, decoded from PostgreSQL's \x hex text), bool. ok is false when the value
// is NULL or cannot be expressed so; the caller then does not prune on it.
func blockValue(f arrow.Field, k kind, blk *trinothrift.TrinoThriftBlock, row int) (any, bool) {
	if blk == nil {
		return nil, false
	}
	isNull := func(nulls []bool) bool { return row < len(nulls) && nulls[row] }
	switch k {
	case kindInteger:
		d := blk.IntegerData
		if d == nil || isNull(d.Nulls) || row >= len(d.Ints) {
			return nil, false
		}
		return int64(d.Ints[row]), true
	case kindBigint:
		d := blk.BigintData
		if d == nil || isNull(d.Nulls) || row >= len(d.Longs) {
			return nil, false
		}
		return d.Longs[row], true
	case kindDate:
		d := blk.DateData
		if d == nil || isNull(d.Nulls) || row >= len(d.Dates) {
			return nil, false
		}
		if f.Type.ID() != arrow.DATE32 {
			return nil, false
		}
		return int64(d.Dates[row]), true
	case kindTimestamp: // milliseconds: the caller converts to the column's unit
		d := blk.TimestampData
		if d == nil || isNull(d.Nulls) || row >= len(d.Timestamps) {
			return nil, false
		}
		return d.Timestamps[row], true
	case kindDouble:
		d := blk.DoubleData
		if d == nil || isNull(d.Nulls) || row >= len(d.Doubles) || math.IsNaN(d.Doubles[row]) {
			return nil, false
		}
		return d.Doubles[row], true
	case kindBoolean:
		d := blk.BooleanData
		if d == nil || isNull(d.Nulls) || row >= len(d.Booleans) {
			return nil, false
		}
		return d.Booleans[row], true
	case kindVarchar, kindText:
		d := blk.VarcharData
		if d == nil || isNull(d.Nulls) || row >= len(d.Sizes) {
			return nil, false
		}
		off := 0
		for _, n := range d.Sizes[:row] {
			off += int(n)
		}
		if off+int(d.Sizes[row]) > len(d.Bytes) {
			return nil, false
		}
		s := string(d.Bytes[off : off+int(d.Sizes[row])])
		if k == kindVarchar {
			return s, true
		}
		if f.Type.ID() == arrow.BINARY && strings.HasPrefix(s, `\x`) {
			b, err := hex.DecodeString(s[2:])
			if err != nil {
				return nil, false
			}
			return b, true
		}
		return nil, false
	}
	return nil, false
}
