package pgvalue

import (
	"encoding/hex"
	"math"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/format/pgvalue/pgvaluetest"
	"github.com/sleeperd/sleeperd/types"
)

var floatCases = pgvaluetest.FloatCases

func TestAppendFloat(t *testing.T) {
	for _, c := range floatCases {
		if got := string(appendFloat(nil, c.F8, 64)); got != c.F8Text {
			t.Errorf("float8 %v: got %q, want %q", c.F8, got, c.F8Text)
		}
		if got := string(appendFloat(nil, float64(float32(c.F4)), 32)); got != c.F4Text {
			t.Errorf("float4 %v: got %q, want %q", c.F4, got, c.F4Text)
		}
	}
}

// Cases checked against PostgreSQL 15: select '4713-01-01 BC'::date, ... and date_send(...).
func TestDates(t *testing.T) {
	for _, c := range []struct {
		t    time.Time
		text string
		send string // date_send, hex
	}{
		{date(2024, 1, 2), "2024-01-02", "0000223f"},
		{date(-43, 3, 15), "0044-03-15 BC", "fff49d7b"},
		{date(0, 1, 1), "0001-01-01 BC", ""},
		{date(-4712, 1, 1), "4713-01-01 BC", ""},
		{date(2000, 2, 29), "2000-02-29", ""},
		{date(9999, 12, 31), "9999-12-31", ""},
		{date(10000, 1, 1), "10000-01-01", ""},
	} {
		days := floorDiv(c.t.Unix(), 86400)
		if got := string(appendDate(nil, days)); got != c.text {
			t.Errorf("%v: text %q, want %q", c.t, got, c.text)
		}
		got, err := decodeText(arrow.FixedWidthTypes.Date32, types.OIDDate, c.text)
		if err != nil || !got.(time.Time).Equal(c.t) {
			t.Errorf("parsing %q: %v, %v", c.text, got, err)
		}
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		b := array.NewDate32Builder(mem)
		b.Append(arrow.Date32(days))
		arr := b.NewArray()
		enc := binaryWriter(arr)(nil, 0)
		arr.Release()
		b.Release()
		mem.AssertSize(t, 0)
		if c.send != "" && hex.EncodeToString(enc) != c.send {
			t.Errorf("%v: binary %x, want %s", c.t, enc, c.send)
		}
		back, err := decodeBinary(arrow.FixedWidthTypes.Date32, types.OIDDate, enc)
		if err != nil || !back.(time.Time).Equal(c.t) {
			t.Errorf("decoding %x: %v, %v", enc, back, err)
		}
	}
}

// Cases checked against PostgreSQL 15: select '1969-12-31 23:59:59.999999'::timestamp, ...
// and timestamp_send / timestamptz_send.
func TestTimestamps(t *testing.T) {
	for _, c := range []struct {
		t    time.Time
		tz   bool
		text string
		send string
	}{
		{time.Date(2024, 1, 2, 3, 4, 5, 120000000, time.UTC), false, "2024-01-02 03:04:05.12", "0002b0ec8517c800"},
		{time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), false, "1970-01-01 00:00:00", ""},
		{time.Date(1969, 12, 31, 23, 59, 59, 999999000, time.UTC), false, "1969-12-31 23:59:59.999999", ""},
		{time.Date(-43, 3, 15, 12, 0, 0, 500000000, time.UTC), false, "0044-03-15 12:00:00.5 BC", ""},
		{time.Date(1999, 12, 31, 23, 59, 59, 500000000, time.UTC), true, "1999-12-31 23:59:59.5+00", ""},
		{time.Date(-43, 3, 15, 12, 0, 0, 0, time.UTC), true, "0044-03-15 12:00:00+00 BC", "ff1af9e8fb46d000"},
	} {
		dt := &arrow.TimestampType{Unit: arrow.Microsecond}
		oid := uint32(types.OIDTimestamp)
		if c.tz {
			dt.TimeZone, oid = "UTC", types.OIDTimestamptz
		}
		if got := string(appendTimestamp(nil, c.t.UnixMicro(), c.tz)); got != c.text {
			t.Errorf("%v: text %q, want %q", c.t, got, c.text)
		}
		got, err := decodeText(dt, oid, c.text)
		if err != nil || !got.(time.Time).Equal(c.t) {
			t.Errorf("parsing %q: %v, %v", c.text, got, err)
		}
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		b := array.NewTimestampBuilder(mem, dt)
		b.Append(arrow.Timestamp(c.t.UnixMicro()))
		arr := b.NewArray()
		enc := binaryWriter(arr)(nil, 0)
		arr.Release()
		b.Release()
		mem.AssertSize(t, 0)
		if c.send != "" && hex.EncodeToString(enc) != c.send {
			t.Errorf("%v: binary %x, want %s", c.t, enc, c.send)
		}
		back, err := decodeBinary(dt, oid, enc)
		if err != nil || !back.(time.Time).Equal(c.t) {
			t.Errorf("decoding %x: %v, %v", enc, back, err)
		}
	}
}

func TestTimestampUnits(t *testing.T) {
	for _, c := range []struct {
		v    int64
		unit arrow.TimeUnit
		text string
	}{
		{1, arrow.Second, "1970-01-01 00:00:01"},
		{-1, arrow.Millisecond, "1969-12-31 23:59:59.999"},
		{1500, arrow.Nanosecond, "1970-01-01 00:00:00.000001"},
		{-1, arrow.Nanosecond, "1969-12-31 23:59:59.999999"},
	} {
		if got := string(appendTimestamp(nil, toMicros(c.v, c.unit), false)); got != c.text {
			t.Errorf("%d %v: %q, want %q", c.v, c.unit, got, c.text)
		}
	}
}

func TestParseTimestampInputs(t *testing.T) {
	want := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, c := range []struct {
		in   string
		tz   bool
		want time.Time
	}{
		{"2024-01-02 03:04:05", false, want},
		{"2024-01-02T03:04:05Z", true, want},
		{"2024-01-02 05:04:05+02", true, want},
		{"2024-01-02 05:34:05+02:30", true, want},
		{"2024-01-02 00:04:05-0300", true, want},
		{"2024-01-02 05:04:05+02", false, time.Date(2024, 1, 2, 5, 4, 5, 0, time.UTC)},
		{"2024-01-02 03:04", false, time.Date(2024, 1, 2, 3, 4, 0, 0, time.UTC)},
		{"2024-01-02", false, time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)},
		{"2024-01-02 03:04:05.123456789", false, time.Date(2024, 1, 2, 3, 4, 5, 123456789, time.UTC)},
	} {
		got, err := parseTimestamp(c.in, c.tz, false)
		if err != nil || !got.Equal(c.want) {
			t.Errorf("parseTimestamp(%q, %v) = %v, %v; want %v", c.in, c.tz, got, err, c.want)
		}
	}
	for _, in := range []string{"", "2024-13-01", "2023-02-29", "2024-01-02 x", "yesterday", "2024-01-02 25:00:00"} {
		if got, err := parseTimestamp(in, true, false); err == nil {
			t.Errorf("parseTimestamp(%q) = %v, want an error", in, got)
		}
	}
}

// Cases checked against PostgreSQL 15: select 1.50::numeric(10,2), numeric_send(1.50::numeric(10,2)), ...
func TestNumeric(t *testing.T) {
	for _, c := range []struct {
		text string
		send string
	}{
		{"1.50", "000200000000000200011388"},
		{"-0.05", "0001ffff4000000201f4"},
		{"0.00", "0000000000000002"},
		{"0.000050", "0001fffe000000061388"},
		{"12345678.9", "000300010000000104d2162e2328"},
		{"10000", "00010001000000000001"},
		{"-123456789.123", ""},
	} {
		enc := appendNumeric(nil, c.text)
		if c.send != "" && hex.EncodeToString(enc) != c.send {
			t.Errorf("%s: binary %x, want %s", c.text, enc, c.send)
		}
		back, err := decodeNumeric(enc)
		if err != nil || back != c.text {
			t.Errorf("decoding %x: %q, %v; want %q", enc, back, err, c.text)
		}
	}
	nan, _ := hex.DecodeString("00000000c0000000")
	if got, err := decodeNumeric(nan); err != nil || got != "NaN" {
		t.Errorf("NaN: %q, %v", got, err)
	}
	for in, want := range map[string]string{
		"1.5e3": "1500", "-2.5E-2": "-0.025", " 007.10 ": "7.10", "+1": "1", ".5": "0.5", "nan": "NaN", "-inf": "-Infinity",
	} {
		if got, ok := normalizeNumeric(in); !ok || got != want {
			t.Errorf("normalizeNumeric(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "1.2.3", "abc", "1e", "--1", "."} {
		if got, ok := normalizeNumeric(in); ok {
			t.Errorf("normalizeNumeric(%q) = %q, want failure", in, got)
		}
	}
}

func TestDecodeText(t *testing.T) {
	for _, c := range []struct {
		oid  uint32
		in   string
		want any
		code string // SQLSTATE of the error, if one is expected
	}{
		{types.OIDBool, "true", true, ""},
		{types.OIDBool, " off ", false, ""},
		{types.OIDBool, "maybe", nil, "22P02"},
		{types.OIDInt2, "32767", int64(32767), ""},
		{types.OIDInt2, "32768", nil, "22003"},
		{types.OIDInt4, "-2147483648", int64(-2147483648), ""},
		{types.OIDInt4, "1.5", nil, "22P02"},
		{types.OIDInt8, "9223372036854775807", int64(math.MaxInt64), ""},
		{types.OIDFloat8, "Infinity", math.Inf(1), ""},
		{types.OIDFloat8, "-1e-5", -1e-5, ""},
		{types.OIDFloat4, "1e39", nil, "22003"},
		{types.OIDFloat8, "x", nil, "22P02"},
		{types.OIDNumeric, "12.50", "12.50", ""},
		{types.OIDNumeric, "1,5", nil, "22P02"},
		{types.OIDBytea, `\x00ff`, []byte{0, 0xff}, ""},
		{types.OIDBytea, `a\\b\001`, []byte{'a', '\\', 'b', 1}, ""},
		{types.OIDBytea, `\xzz`, nil, "22P02"},
		{types.OIDText, "héllo", "héllo", ""},
		{types.OIDDate, "2024-02-30", nil, "22008"}, // date/time field value out of range, as PostgreSQL 15 reports it
		{types.OIDDate, "2024-02-3x", nil, "22007"},
	} {
		dt := types.FromOID(c.oid)
		got, err := decodeText(dt, c.oid, c.in)
		if c.code != "" {
			if err == nil || errs.KindOf(err) != kinds[c.code] {
				t.Errorf("%s %q: got %v, %v; want error %s", types.NameOfOID(c.oid), c.in, got, err, c.code)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %q: %v", types.NameOfOID(c.oid), c.in, err)
			continue
		}
		if b, ok := c.want.([]byte); ok {
			if string(got.([]byte)) != string(b) {
				t.Errorf("%s %q: %x, want %x", types.NameOfOID(c.oid), c.in, got, b)
			}
		} else if got != c.want {
			t.Errorf("%s %q: %#v, want %#v", types.NameOfOID(c.oid), c.in, got, c.want)
		}
	}
}

func TestDecodeBinaryWidths(t *testing.T) {
	for _, c := range []struct {
		oid  uint32
		in   string // hex
		want any
		ok   bool
	}{
		{types.OIDInt8, "0000002a", int64(42), true}, // int4 sent for an int8 parameter
		{types.OIDInt2, "0000000000007fff", int64(32767), true},
		{types.OIDInt2, "0000000000008000", nil, false}, // out of range
		{types.OIDInt4, "01", nil, false},
		{types.OIDFloat8, "3fc00000", 1.5, true}, // float4 sent for a float8 parameter
		{types.OIDBool, "01", true, true},
		{types.OIDBool, "0101", nil, false},
		{types.OIDDate, "7fffffff", nil, false}, // infinity
		{types.OIDText, "68c3a9", "hé", true},
	} {
		v, _ := hex.DecodeString(c.in)
		got, err := decodeBinary(types.FromOID(c.oid), c.oid, v)
		if c.ok != (err == nil) || (c.ok && got != c.want) {
			t.Errorf("%s %s: %#v, %v; want %#v", types.NameOfOID(c.oid), c.in, got, err, c.want)
		}
	}
}

// Other Arrow types map to the nearest PostgreSQL type; those without one are text.
func TestOtherArrowTypes(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	build := func(dt arrow.DataType, fill func(b array.Builder)) arrow.Array {
		b := array.NewBuilder(mem, dt)
		defer b.Release()
		fill(b)
		return b.NewArray()
	}
	for _, c := range []struct {
		arr  arrow.Array
		oid  uint32
		text string
		bin  string // hex
	}{
		{build(arrow.PrimitiveTypes.Int8, func(b array.Builder) { b.(*array.Int8Builder).Append(-5) }), types.OIDInt2, "-5", "fffb"},
		{build(arrow.PrimitiveTypes.Uint16, func(b array.Builder) { b.(*array.Uint16Builder).Append(65535) }), types.OIDInt4, "65535", "0000ffff"},
		{build(arrow.PrimitiveTypes.Uint32, func(b array.Builder) { b.(*array.Uint32Builder).Append(1 << 31) }), types.OIDInt8, "2147483648", "0000000080000000"},
		{build(arrow.PrimitiveTypes.Uint64, func(b array.Builder) { b.(*array.Uint64Builder).Append(math.MaxUint64) }), types.OIDNumeric, "18446744073709551615", ""},
		{build(arrow.BinaryTypes.LargeString, func(b array.Builder) { b.(*array.LargeStringBuilder).Append("big") }), types.OIDText, "big", "626967"},
		{build(arrow.BinaryTypes.StringView, func(b array.Builder) { b.(*array.StringViewBuilder).Append("view") }), types.OIDText, "view", "76696577"},
		{build(arrow.BinaryTypes.LargeBinary, func(b array.Builder) { b.(*array.BinaryBuilder).Append([]byte{0xab}) }), types.OIDBytea, `\xab`, "ab"},
		{build(arrow.FixedWidthTypes.Date64, func(b array.Builder) { b.(*array.Date64Builder).Append(-1) }), types.OIDDate, "1969-12-31", "ffffd532"},
		{build(&arrow.Decimal256Type{Precision: 40, Scale: 1}, func(b array.Builder) { _ = b.AppendValueFromString("-2.5") }), types.OIDNumeric, "-2.5", "000200004000000100021388"},
		{build(arrow.ListOf(arrow.PrimitiveTypes.Int32), func(b array.Builder) {
			lb := b.(*array.ListBuilder)
			lb.Append(true)
			lb.ValueBuilder().(*array.Int32Builder).AppendValues([]int32{1, 2}, nil)
		}), 1007, "{1,2}", "000000010000000000000017000000020000000100000004000000010000000400000002"},
	} {
		dt := c.arr.DataType()
		if got := types.PGTypeOf(dt).OID; got != c.oid {
			t.Errorf("%v: oid %d, want %d", dt, got, c.oid)
		}
		if got := string(textWriter(c.arr, nil)(nil, 0)); got != c.text {
			t.Errorf("%v: text %q, want %q", dt, got, c.text)
		}
		bin := binaryWriter(c.arr)(nil, 0)
		if c.bin != "" && hex.EncodeToString(bin) != c.bin {
			t.Errorf("%v: binary %x, want %s", dt, bin, c.bin)
		}
		if c.oid == types.OIDNumeric {
			if got, err := decodeNumeric(bin); err != nil || got != c.text {
				t.Errorf("%v: binary decodes to %q, %v", dt, got, err)
			}
		}
		c.arr.Release()
	}
}

// civil agrees with the time package's proleptic Gregorian calendar, including years <= 0.
func TestCivil(t *testing.T) {
	for days := int64(-2000000); days <= 3000000; days += 997 {
		y, m, d := civil(days)
		ty, tm, td := time.Unix(days*86400, 0).UTC().Date()
		if int64(ty) != y || int(tm) != m || td != d {
			t.Fatalf("day %d: civil %d-%d-%d, time %d-%d-%d", days, y, m, d, ty, tm, td)
		}
	}
}

// kinds are the error kinds of the SQLSTATEs the cases expect.
var kinds = map[string]error{"22P02": errs.InvalidText, "22007": errs.InvalidDatetime, "22003": errs.NumericRange, "22008": errs.DatetimeOverflow}

func date(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }
