package parquet

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"reflect"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/format"
)

// arrowSchemaKey is the footer key holding the base64 IPC-serialized Arrow schema, the same key
// arrow-go, Arrow C++ and pyarrow use, so they also restore the exact Arrow types.
const arrowSchemaKey = "ARROW:schema"

// column is how one Arrow field is stored: a flat Parquet leaf of a physical kind.
type column struct {
	field arrow.Field
	kind  pq.Kind
	size  int // byte length of FIXED_LEN_BYTE_ARRAY decimals
	// list, when set, says the field is a list of a flat element type, stored as a LIST group
	// whose one leaf holds the elements (see nested.go).
	list *listLevels
	// nested, when set, says the field is a struct or a map, stored as a group of leaves
	// starting at leaf (see struct.go).
	nested *nestedCol
	leaf   int // the index of the column's (first) leaf in the file
	dict   bool
	// pageBytes is the page size of a column whose writer cuts its pages itself (smaller
	// than the writer's page size), or 0.
	pageBytes int
}

// columnOf maps an Arrow field to its Parquet storage and leaf node (without repetition).
func columnOf(f arrow.Field) (column, pq.Node, error) {
	c := column{field: f}
	var n pq.Node
	if e, ok := f.Type.(arrow.ExtensionType); ok {
		// An extension type is stored as its storage type; the ARROW:schema footer keeps
		// its name.
		sf := f
		sf.Type = e.StorageType()
		sc, n, err := columnOf(sf)
		sc.field = f
		return sc, n, err
	}
	if lc, n, ok := logicalColumn(f); ok {
		return lc, n, nil
	}
	switch t := f.Type.(type) {
	case *arrow.BooleanType:
		c.kind, n = pq.Boolean, pq.Leaf(pq.BooleanType)
	case *arrow.Int8Type:
		c.kind, n = pq.Int32, pq.Int(8)
	case *arrow.Int16Type:
		c.kind, n = pq.Int32, pq.Int(16)
	case *arrow.Int32Type:
		c.kind, n = pq.Int32, pq.Int(32)
	case *arrow.Int64Type:
		c.kind, n = pq.Int64, pq.Int(64)
	case *arrow.Float32Type:
		c.kind, n = pq.Float, pq.Leaf(pq.FloatType)
	case *arrow.Float64Type:
		c.kind, n = pq.Double, pq.Leaf(pq.DoubleType)
	case *arrow.StringType:
		c.kind, n = pq.ByteArray, pq.String()
	case *arrow.BinaryType:
		c.kind, n = pq.ByteArray, pq.Leaf(pq.ByteArrayType)
	case *arrow.Date32Type:
		c.kind, n = pq.Int32, pq.Date()
	case *arrow.TimestampType:
		var unit pq.TimeUnit
		switch t.Unit {
		case arrow.Millisecond:
			unit = pq.Millisecond
		case arrow.Microsecond:
			unit = pq.Microsecond
		case arrow.Nanosecond:
			unit = pq.Nanosecond
		default:
			return c, nil, fmt.Errorf("%w: column %q: timestamp unit %s", ErrUnsupportedType, f.Name, t.Unit)
		}
		c.kind, n = pq.Int64, pq.TimestampAdjusted(unit, t.TimeZone != "")
	case *arrow.MonthDayNanoIntervalType:
		// Parquet's INTERVAL holds milliseconds only: the 16 bytes of Arrow's layout (months,
		// days, nanoseconds, little-endian) are stored as they are; the ARROW:schema footer
		// names the type.
		c.size = intervalBytes
		c.kind, n = pq.FixedLenByteArray, pq.Leaf(pq.FixedLenByteArrayType(intervalBytes))
	case *arrow.Decimal128Type:
		p, s := int(t.Precision), int(t.Scale)
		if p < 1 || p > 38 || s < 0 || s > p {
			return c, nil, fmt.Errorf("%w: column %q: decimal(%d,%d)", ErrUnsupportedType, f.Name, p, s)
		}
		switch {
		case p <= 9:
			c.kind, n = pq.Int32, pq.Decimal(s, p, pq.Int32Type)
		case p <= 18:
			c.kind, n = pq.Int64, pq.Decimal(s, p, pq.Int64Type)
		default:
			c.size = decimalBytes(p)
			c.kind, n = pq.FixedLenByteArray, pq.Decimal(s, p, pq.FixedLenByteArrayType(c.size))
		}
	default:
		return c, nil, fmt.Errorf("%w: column %q: %s", ErrUnsupportedType, f.Name, f.Type)
	}
	return c, n, nil
}

// intervalBytes is the size of a stored interval: Arrow's month_day_nano layout.
const intervalBytes = 16

// decimalBytes is the smallest byte length whose signed range holds every decimal of precision p.
func decimalBytes(p int) int {
	for n := 1; ; n++ {
		// 8n-1 bits of magnitude must hold 10^p - 1, i.e. (8n-1)*log10(2) >= p.
		if float64(8*n-1)*0.30102999566398120 >= float64(p) {
			return n
		}
	}
}

// buildSchema maps an Arrow schema to Parquet columns and an ordered root group.
func buildSchema(s *arrow.Schema, props Properties, codec compress.Codec) ([]column, *pq.Schema, error) {
	cols := make([]column, s.NumFields())
	fields := make(group, s.NumFields())
	seen := make(map[string]bool, s.NumFields())
	for i, f := range s.Fields() {
		if seen[f.Name] {
			return nil, nil, fmt.Errorf("%w: duplicate column name %q", ErrUnsupportedType, f.Name)
		}
		seen[f.Name] = true
		if lt, ok := f.Type.(*arrow.ListType); ok && !isNestedType(lt.Elem()) {
			c, n, err := listColumnOf(f, lt, props, codec)
			if err != nil {
				return nil, nil, err
			}
			cols[i] = c
			fields[i] = namedNode{Node: n, name: f.Name}
			continue
		}
		if id := f.Type.ID(); id == arrow.STRUCT || id == arrow.MAP || id == arrow.LIST {
			c, n, err := nestedColumnOf(f, props, codec)
			if err != nil {
				return nil, nil, err
			}
			cols[i] = c
			fields[i] = namedNode{Node: n, name: f.Name}
			continue
		}
		c, n, err := columnOf(f)
		if err != nil {
			return nil, nil, err
		}
		n = leafEncoding(n, c, props, codec)
		c.dict = props.Dictionary && c.kind != pq.Boolean
		if f.Nullable {
			n = pq.Optional(n)
		} else {
			n = pq.Required(n)
		}
		cols[i] = c
		fields[i] = namedNode{Node: n, name: f.Name}
	}
	setLeaves(cols)
	return cols, pq.NewSchema("schema", fields), nil
}

// leafEncoding sets the encoding and compression of a leaf node of column c.
func leafEncoding(n pq.Node, c column, props Properties, codec compress.Codec) pq.Node {
	if props.Dictionary && c.kind != pq.Boolean {
		n = pq.Encoded(n, &pq.RLEDictionary)
	}
	return pq.Compressed(n, codec)
}

// group is a Parquet group node that keeps its fields in the given order (parquet.Group sorts
// them by name).
type group []pq.Field

var _ pq.Node = group(nil)

func (g group) ID() int                     { return 0 }
func (g group) String() string              { return "group(" + strconv.Itoa(len(g)) + " fields)" }
func (g group) Type() pq.Type               { return pq.Group{}.Type() }
func (g group) Optional() bool              { return false }
func (g group) Repeated() bool              { return false }
func (g group) Required() bool              { return true }
func (g group) Leaf() bool                  { return false }
func (g group) Fields() []pq.Field          { return g }
func (g group) Encoding() encoding.Encoding { return nil }
func (g group) Compression() compress.Codec { return nil }
func (g group) GoType() reflect.Type {
	fs := make([]reflect.StructField, len(g))
	for i, f := range g {
		fs[i] = reflect.StructField{
			Name: "F" + strconv.Itoa(i),
			Type: f.GoType(),
			Tag:  reflect.StructTag(`parquet:` + strconv.Quote(f.Name())),
		}
	}
	return reflect.StructOf(fs)
}

// namedNode is a field of a group.
type namedNode struct {
	pq.Node
	name string
}

func (n namedNode) Name() string { return n.name }

// Value is only used by parquet-go's reflection paths, which this package never takes.
func (n namedNode) Value(base reflect.Value) reflect.Value {
	return base.FieldByName(n.name)
}

// encodeArrowSchema serializes s as an IPC stream holding only the schema, base64-encoded, as
// the ARROW:schema footer value.
func encodeArrowSchema(s *arrow.Schema) (string, error) {
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(s), ipc.WithAllocator(memory.DefaultAllocator))
	if err := w.Close(); err != nil {
		return "", fmt.Errorf("serializing arrow schema: %w", err)
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}

func decodeArrowSchema(v string) (*arrow.Schema, error) {
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		if b, err = base64.RawStdEncoding.DecodeString(v); err != nil {
			return nil, fmt.Errorf("decoding arrow schema: %w", err)
		}
	}
	r, err := ipc.NewReader(bytes.NewReader(b), ipc.WithAllocator(memory.DefaultAllocator))
	if err != nil {
		return nil, fmt.Errorf("decoding arrow schema: %w", err)
	}
	defer r.Release()
	return r.Schema(), nil
}

// arrowTypeOf maps a Parquet leaf to the Arrow type this package reads it as, for files without
// an ARROW:schema key (written elsewhere).
func arrowTypeOf(col *pq.Column) (arrow.DataType, error) {
	typ := col.Type()
	lt := typ.LogicalType()
	var ltv format.LogicalTypeValue
	if lt != nil {
		ltv = lt.Value
	}
	kind := typ.Kind()
	if isParquetInterval(typ) {
		return arrow.FixedWidthTypes.MonthDayNanoInterval, nil
	}
	switch v := ltv.(type) {
	case *format.StringType, *format.EnumType, *format.JsonType:
		if kind == pq.ByteArray {
			return arrow.BinaryTypes.String, nil
		}
	case *format.IntType:
		if v.IsSigned {
			switch {
			case v.BitWidth == 8 && kind == pq.Int32:
				return arrow.PrimitiveTypes.Int8, nil
			case v.BitWidth == 16 && kind == pq.Int32:
				return arrow.PrimitiveTypes.Int16, nil
			case v.BitWidth == 32 && kind == pq.Int32:
				return arrow.PrimitiveTypes.Int32, nil
			case v.BitWidth == 64 && kind == pq.Int64:
				return arrow.PrimitiveTypes.Int64, nil
			}
		}
	case *format.DateType:
		if kind == pq.Int32 {
			return arrow.FixedWidthTypes.Date32, nil
		}
	case *format.UUIDType:
		if kind == pq.FixedLenByteArray && typ.Length() == uuidBytes {
			return arrow.BinaryTypes.Binary, nil
		}
	case *format.TimeType:
		if kind == pq.Int64 && isUnit[*format.MicroSeconds](v.Unit) {
			return arrow.PrimitiveTypes.Int64, nil
		}
	case *format.TimestampType:
		if kind == pq.Int64 {
			tz := ""
			if v.IsAdjustedToUTC {
				tz = "UTC"
			}
			switch {
			case v.Unit.Value == nil:
			case isUnit[*format.MilliSeconds](v.Unit):
				return &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: tz}, nil
			case isUnit[*format.MicroSeconds](v.Unit):
				return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: tz}, nil
			case isUnit[*format.NanoSeconds](v.Unit):
				return &arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: tz}, nil
			}
		}
	case *format.DecimalType:
		if v.Precision >= 1 && v.Precision <= 38 && (kind == pq.Int32 || kind == pq.Int64 ||
			(kind == pq.FixedLenByteArray && typ.Length() <= 16)) {
			return &arrow.Decimal128Type{Precision: v.Precision, Scale: v.Scale}, nil
		}
	case nil:
		switch kind {
		case pq.Boolean:
			return arrow.FixedWidthTypes.Boolean, nil
		case pq.Int32:
			return arrow.PrimitiveTypes.Int32, nil
		case pq.Int64:
			return arrow.PrimitiveTypes.Int64, nil
		case pq.Float:
			return arrow.PrimitiveTypes.Float32, nil
		case pq.Double:
			return arrow.PrimitiveTypes.Float64, nil
		case pq.ByteArray:
			return arrow.BinaryTypes.Binary, nil
		}
	}
	return nil, fmt.Errorf("%w: parquet column %q: %s", ErrUnsupportedType, col.Name(), typ)
}

func isUnit[T any](u format.TimeUnit) bool {
	_, ok := u.Value.(T)
	return ok
}

// compatible reports whether Arrow type t can be read from a Parquet leaf of the given kind
// (and FIXED_LEN_BYTE_ARRAY length).
func compatible(t arrow.DataType, kind pq.Kind, length int) bool {
	if e, ok := t.(arrow.ExtensionType); ok {
		return compatible(e.StorageType(), kind, length)
	}
	switch t.ID() {
	case arrow.BOOL:
		return kind == pq.Boolean
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.DATE32:
		return kind == pq.Int32
	case arrow.INT64:
		return kind == pq.Int64
	case arrow.TIMESTAMP:
		u := t.(*arrow.TimestampType).Unit
		return kind == pq.Int64 && u != arrow.Second
	case arrow.FLOAT32:
		return kind == pq.Float
	case arrow.FLOAT64:
		return kind == pq.Double
	case arrow.STRING:
		return kind == pq.ByteArray
	case arrow.BINARY:
		return kind == pq.ByteArray || (kind == pq.FixedLenByteArray && length > 0)
	case arrow.DECIMAL128:
		return kind == pq.Int32 || kind == pq.Int64 || (kind == pq.FixedLenByteArray && length >= 1 && length <= 16)
	case arrow.INTERVAL_MONTH_DAY_NANO:
		return kind == pq.FixedLenByteArray && (length == intervalBytes || length == parquetIntervalBytes)
	}
	return false
}
