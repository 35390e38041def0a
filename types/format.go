package types

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// Format renders an Arrow type, the SQL types of this package included, as the text Parse
// reads back, which the catalog and persisted expressions store:
//
//	bool int8 int16 int32 int64 uint8 uint16 uint32 uint64 float16 float32 float64
//	string large_string binary large_binary fixed_size_binary(16)
//	date32 date64 time32[ms] time64[us] timestamp[us] timestamp[us, tz=UTC] duration[ns]
//	interval_months interval_day_time interval_month_day_nano
//	decimal128(10,2) decimal256(40,5) null
//	varchar varchar(10) bpchar bpchar(3)                          strings with a SQL length (Char)
//	list<int64> large_list<string> fixed_size_list(3)<float64>   element "item", nullable
//	list<"e": int64 not null>                                     element with another name or not null
//	struct<"a": int64, "b": string not null>
//	map<string, int64>  map<string, int64 not null>  map<string, int64, sorted>
func Format(t arrow.DataType) string {
	var b strings.Builder
	formatType(&b, t)
	return b.String()
}

func formatType(b *strings.Builder, t arrow.DataType) {
	switch t := t.(type) {
	case *Char:
		b.WriteString(t.format())
	case *JSON:
		b.WriteString(t.Name())
	case *UUID:
		b.WriteString("uuid")
	case *Reg:
		b.WriteString(t.Name())
	case *Time:
		b.WriteString(t.format())
	case *TimeTZ:
		b.WriteString(t.format())
	case *arrow.FixedSizeBinaryType:
		fmt.Fprintf(b, "fixed_size_binary(%d)", t.ByteWidth)
	case *arrow.Time32Type:
		fmt.Fprintf(b, "time32[%s]", t.Unit)
	case *arrow.Time64Type:
		fmt.Fprintf(b, "time64[%s]", t.Unit)
	case *arrow.TimestampType:
		if t.TimeZone == "" {
			fmt.Fprintf(b, "timestamp[%s]", t.Unit)
		} else {
			fmt.Fprintf(b, "timestamp[%s, tz=%s]", t.Unit, t.TimeZone)
		}
	case *arrow.DurationType:
		fmt.Fprintf(b, "duration[%s]", t.Unit)
	case *VarNumericType:
		b.WriteString("numeric")
	case *arrow.Decimal128Type:
		fmt.Fprintf(b, "decimal128(%d,%d)", t.Precision, t.Scale)
	case *arrow.Decimal256Type:
		fmt.Fprintf(b, "decimal256(%d,%d)", t.Precision, t.Scale)
	case *arrow.ListType:
		b.WriteString("list<")
		formatElem(b, t.ElemField())
		b.WriteString(">")
	case *arrow.LargeListType:
		b.WriteString("large_list<")
		formatElem(b, t.ElemField())
		b.WriteString(">")
	case *arrow.FixedSizeListType:
		fmt.Fprintf(b, "fixed_size_list(%d)<", t.Len())
		formatElem(b, t.ElemField())
		b.WriteString(">")
	case *arrow.StructType:
		b.WriteString("struct<")
		for i, f := range t.Fields() {
			if i > 0 {
				b.WriteString(", ")
			}
			formatField(b, f)
		}
		b.WriteString(">")
	case *arrow.MapType:
		b.WriteString("map<")
		formatType(b, t.KeyType())
		b.WriteString(", ")
		formatType(b, t.ItemType())
		if !t.ItemField().Nullable {
			b.WriteString(" not null")
		}
		if t.KeysSorted {
			b.WriteString(", sorted")
		}
		b.WriteString(">")
	default:
		b.WriteString(simpleName(t))
	}
}

func formatElem(b *strings.Builder, f arrow.Field) {
	if f.Name == "item" && f.Nullable {
		formatType(b, f.Type)
		return
	}
	formatField(b, f)
}

func formatField(b *strings.Builder, f arrow.Field) {
	b.WriteString(strconv.Quote(f.Name))
	b.WriteString(": ")
	formatType(b, f.Type)
	if !f.Nullable {
		b.WriteString(" not null")
	}
}

// simple are the types without parameters, by name.
var simple = map[string]arrow.DataType{
	"null":                    arrow.Null,
	"bool":                    arrow.FixedWidthTypes.Boolean,
	"int8":                    arrow.PrimitiveTypes.Int8,
	"int16":                   arrow.PrimitiveTypes.Int16,
	"int32":                   arrow.PrimitiveTypes.Int32,
	"int64":                   arrow.PrimitiveTypes.Int64,
	"uint8":                   arrow.PrimitiveTypes.Uint8,
	"uint16":                  arrow.PrimitiveTypes.Uint16,
	"uint32":                  arrow.PrimitiveTypes.Uint32,
	"uint64":                  arrow.PrimitiveTypes.Uint64,
	"float16":                 arrow.FixedWidthTypes.Float16,
	"float32":                 arrow.PrimitiveTypes.Float32,
	"float64":                 arrow.PrimitiveTypes.Float64,
	"string":                  arrow.BinaryTypes.String,
	"large_string":            arrow.BinaryTypes.LargeString,
	"binary":                  arrow.BinaryTypes.Binary,
	"large_binary":            arrow.BinaryTypes.LargeBinary,
	"date32":                  arrow.FixedWidthTypes.Date32,
	"date64":                  arrow.FixedWidthTypes.Date64,
	"interval_months":         arrow.FixedWidthTypes.MonthInterval,
	"interval_day_time":       arrow.FixedWidthTypes.DayTimeInterval,
	"interval_month_day_nano": arrow.FixedWidthTypes.MonthDayNanoInterval,
}

func simpleName(t arrow.DataType) string {
	for name, s := range simple {
		if arrow.TypeEqual(s, t) {
			return name
		}
	}
	return "unsupported:" + t.String()
}

// Parse parses the text Format writes. Its errors say where the text went wrong.
func Parse(s string) (arrow.DataType, error) {
	p := &typeParser{s: s}
	t, err := p.typ()
	if err == nil {
		p.space()
		if p.i < len(p.s) {
			err = p.errorf("trailing text")
		}
	}
	if err != nil {
		return nil, fmt.Errorf("parse type %q: %w", s, err)
	}
	return t, nil
}

type typeParser struct {
	s string
	i int
}

func (p *typeParser) errorf(format string, args ...any) error {
	return fmt.Errorf("at offset %d: %s", p.i, fmt.Sprintf(format, args...))
}

func (p *typeParser) space() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

// accept consumes tok (after spaces) if it is next.
func (p *typeParser) accept(tok string) bool {
	p.space()
	if strings.HasPrefix(p.s[p.i:], tok) {
		p.i += len(tok)
		return true
	}
	return false
}

func (p *typeParser) expect(tok string) error {
	if !p.accept(tok) {
		return p.errorf("want %q", tok)
	}
	return nil
}

func (p *typeParser) ident() string {
	p.space()
	j := p.i
	for j < len(p.s) && (p.s[j] == '_' || p.s[j] >= 'a' && p.s[j] <= 'z' || p.s[j] >= '0' && p.s[j] <= '9') {
		j++
	}
	id := p.s[p.i:j]
	p.i = j
	return id
}

func (p *typeParser) int() (int, error) {
	p.space()
	j := p.i
	for j < len(p.s) && (p.s[j] >= '0' && p.s[j] <= '9' || j == p.i && p.s[j] == '-') {
		j++
	}
	n, err := strconv.Atoi(p.s[p.i:j])
	if err != nil {
		return 0, p.errorf("want a number")
	}
	p.i = j
	return n, nil
}

// ints parses "(n)" or "(n,m)".
func (p *typeParser) ints(count int) ([]int, error) {
	if err := p.expect("("); err != nil {
		return nil, err
	}
	var out []int
	for i := range count {
		if i > 0 {
			if err := p.expect(","); err != nil {
				return nil, err
			}
		}
		n, err := p.int()
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, p.expect(")")
}

func (p *typeParser) unit() (arrow.TimeUnit, error) {
	p.space()
	for _, u := range []arrow.TimeUnit{arrow.Second, arrow.Millisecond, arrow.Microsecond, arrow.Nanosecond} {
		if p.accept(u.String()) {
			return u, nil
		}
	}
	return 0, p.errorf("want a time unit")
}

func (p *typeParser) typ() (arrow.DataType, error) {
	name := p.ident()
	switch name {
	case "fixed_size_binary":
		n, err := p.ints(1)
		if err != nil {
			return nil, err
		}
		return &arrow.FixedSizeBinaryType{ByteWidth: n[0]}, nil
	case "numeric":
		return VarNumeric, nil
	case "json":
		return JSONType, nil
	case "jsonb":
		return JSONBType, nil
	case "uuid":
		return UUIDType, nil
	case "regclass", "regtype", "regproc", "regnamespace", "regrole", "regprocedure", "regoper", "regoperator":
		return RegByName(name), nil
	case "time":
		p.space()
		if p.i < len(p.s) && p.s[p.i] == '(' {
			ns, err := p.ints(1)
			if err != nil {
				return nil, err
			}
			return TimeOf(int32(ns[0])), nil
		}
		return TimeType, nil
	case "timetz":
		p.space()
		if p.i < len(p.s) && p.s[p.i] == '(' {
			ns, err := p.ints(1)
			if err != nil {
				return nil, err
			}
			return TimeTZOf(int32(ns[0])), nil
		}
		return TimeTZType, nil
	case "decimal128", "decimal256":
		n, err := p.ints(2)
		if err != nil {
			return nil, err
		}
		id := arrow.DECIMAL128
		if name == "decimal256" {
			id = arrow.DECIMAL256
		}
		t, err := arrow.NewDecimalType(id, int32(n[0]), int32(n[1]))
		if err != nil {
			return nil, p.errorf("%v", err)
		}
		return t, nil
	case "time32", "time64", "timestamp", "duration":
		if err := p.expect("["); err != nil {
			return nil, err
		}
		u, err := p.unit()
		if err != nil {
			return nil, err
		}
		tz := ""
		if name == "timestamp" && p.accept(",") {
			if err := p.expect("tz="); err != nil {
				return nil, err
			}
			j := strings.IndexByte(p.s[p.i:], ']')
			if j < 0 {
				return nil, p.errorf("want ]")
			}
			tz = p.s[p.i : p.i+j]
			p.i += j
		}
		if err := p.expect("]"); err != nil {
			return nil, err
		}
		switch name {
		case "time32":
			if u != arrow.Second && u != arrow.Millisecond {
				return nil, p.errorf("time32 unit must be s or ms")
			}
			return &arrow.Time32Type{Unit: u}, nil
		case "time64":
			if u != arrow.Microsecond && u != arrow.Nanosecond {
				return nil, p.errorf("time64 unit must be us or ns")
			}
			return &arrow.Time64Type{Unit: u}, nil
		case "timestamp":
			return &arrow.TimestampType{Unit: u, TimeZone: tz}, nil
		}
		return &arrow.DurationType{Unit: u}, nil
	case "varchar", "bpchar":
		n := -1
		p.space()
		if p.i < len(p.s) && p.s[p.i] == '(' {
			ns, err := p.ints(1)
			if err != nil {
				return nil, err
			}
			if ns[0] < 1 {
				return nil, p.errorf("%s length must be positive", name)
			}
			n = ns[0]
		}
		if name == "varchar" {
			return Varchar(int32(n)), nil
		}
		return Bpchar(int32(n)), nil
	case "list", "large_list":
		if err := p.expect("<"); err != nil {
			return nil, err
		}
		f, err := p.elem()
		if err != nil {
			return nil, err
		}
		if err := p.expect(">"); err != nil {
			return nil, err
		}
		if name == "list" {
			return arrow.ListOfField(f), nil
		}
		return arrow.LargeListOfField(f), nil
	case "fixed_size_list":
		n, err := p.ints(1)
		if err != nil {
			return nil, err
		}
		if err := p.expect("<"); err != nil {
			return nil, err
		}
		f, err := p.elem()
		if err != nil {
			return nil, err
		}
		if err := p.expect(">"); err != nil {
			return nil, err
		}
		return arrow.FixedSizeListOfField(int32(n[0]), f), nil
	case "struct":
		if err := p.expect("<"); err != nil {
			return nil, err
		}
		var fields []arrow.Field
		if !p.accept(">") {
			for {
				f, err := p.field()
				if err != nil {
					return nil, err
				}
				fields = append(fields, f)
				if p.accept(">") {
					break
				}
				if err := p.expect(","); err != nil {
					return nil, err
				}
			}
		}
		return arrow.StructOf(fields...), nil
	case "map":
		if err := p.expect("<"); err != nil {
			return nil, err
		}
		k, err := p.typ()
		if err != nil {
			return nil, err
		}
		if err := p.expect(","); err != nil {
			return nil, err
		}
		v, err := p.typ()
		if err != nil {
			return nil, err
		}
		nullable := !p.accept("not null")
		sorted := false
		if p.accept(",") {
			if err := p.expect("sorted"); err != nil {
				return nil, err
			}
			sorted = true
		}
		if err := p.expect(">"); err != nil {
			return nil, err
		}
		m := arrow.MapOfWithMetadata(k, arrow.Metadata{}, v, arrow.Metadata{})
		if !nullable {
			m.SetItemNullable(false)
		}
		m.KeysSorted = sorted
		return m, nil
	}
	if t, ok := simple[name]; ok {
		return t, nil
	}
	return nil, p.errorf("unknown type %q", name)
}

// elem parses a list element: a bare type (named "item", nullable) or a field.
func (p *typeParser) elem() (arrow.Field, error) {
	p.space()
	if p.i < len(p.s) && p.s[p.i] == '"' {
		return p.field()
	}
	t, err := p.typ()
	if err != nil {
		return arrow.Field{}, err
	}
	return arrow.Field{Name: "item", Type: t, Nullable: true}, nil
}

// field parses `"name": type [not null]`.
func (p *typeParser) field() (arrow.Field, error) {
	p.space()
	name, err := strconv.QuotedPrefix(p.s[p.i:])
	if err != nil {
		return arrow.Field{}, p.errorf("want a quoted field name")
	}
	p.i += len(name)
	name, _ = strconv.Unquote(name)
	if err := p.expect(":"); err != nil {
		return arrow.Field{}, err
	}
	t, err := p.typ()
	if err != nil {
		return arrow.Field{}, err
	}
	return arrow.Field{Name: name, Type: t, Nullable: !p.accept("not null")}, nil
}
