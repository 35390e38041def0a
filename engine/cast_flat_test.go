package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/decimal256"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/types"
)

// TestCastFlatValues casts arrays of Arrow types SQL lacks, and of SQL types, to column
// types: the values PostgreSQL's casts give, or the SQLSTATE it fails with.
func TestCastFlatValues(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := exec.WithAllocator(context.Background(), mem)
	build := func(dt arrow.DataType, fill func(b array.Builder)) arrow.Array {
		b := array.NewBuilder(mem, dt)
		defer b.Release()
		fill(b)
		return b.NewArray()
	}
	d256 := &arrow.Decimal256Type{Precision: 40, Scale: 0}
	for _, c := range []struct {
		name string
		a    func() arrow.Array
		to   arrow.DataType
		want string // values joined by "|", or the error's kind
		err  error
	}{
		{"uint64 max to numeric", func() arrow.Array {
			return build(arrow.PrimitiveTypes.Uint64, func(b array.Builder) {
				b.(*array.Uint64Builder).AppendValues([]uint64{math.MaxUint64, 0}, []bool{true, false})
			})
		}, types.VarNumeric, "18446744073709551615|(null)", nil},
		{"uint64 max to bigint", func() arrow.Array {
			return build(arrow.PrimitiveTypes.Uint64, func(b array.Builder) { b.(*array.Uint64Builder).Append(math.MaxUint64) })
		}, arrow.PrimitiveTypes.Int64, "", errs.NumericRange},
		{"int8 to smallint", func() arrow.Array {
			return build(arrow.PrimitiveTypes.Int8, func(b array.Builder) { b.(*array.Int8Builder).AppendValues([]int8{-128, 127}, nil) })
		}, arrow.PrimitiveTypes.Int16, "-128|127", nil},
		{"bigint to smallint", func() arrow.Array {
			return build(arrow.PrimitiveTypes.Int64, func(b array.Builder) { b.(*array.Int64Builder).Append(40000) })
		}, arrow.PrimitiveTypes.Int16, "", errs.NumericRange},
		{"text to integer", func() arrow.Array {
			return build(arrow.BinaryTypes.LargeString, func(b array.Builder) { b.(*array.LargeStringBuilder).AppendValues([]string{"12", "x"}, nil) })
		}, arrow.PrimitiveTypes.Int32, "", errs.InvalidText},
		{"bytes not UTF-8 to text", func() arrow.Array {
			return build(arrow.BinaryTypes.Binary, func(b array.Builder) { b.(*array.BinaryBuilder).Append([]byte{0xff}) })
		}, arrow.BinaryTypes.String, "", errs.InvalidText},
		{"bytes to text", func() arrow.Array {
			return build(arrow.BinaryTypes.BinaryView, func(b array.Builder) { b.(*array.BinaryViewBuilder).Append([]byte("héllo")) })
		}, arrow.BinaryTypes.String, "héllo", nil},
		{"decimal256 beyond 38 digits", func() arrow.Array {
			return build(d256, func(b array.Builder) {
				b.(*array.Decimal256Builder).Append(decimal256.New(0, 1, 0, 0)) // 2^128
			})
		}, types.VarNumeric, "", errs.NumericRange},
		{"decimal256 to numeric(10,2)", func() arrow.Array {
			return build(d256, func(b array.Builder) { b.(*array.Decimal256Builder).Append(decimal256.FromI64(-42)) })
		}, &arrow.Decimal128Type{Precision: 10, Scale: 2}, "-42", nil},
		{"timestamp ns to timestamptz", func() arrow.Array {
			return build(&arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: "Europe/Paris"}, func(b array.Builder) {
				b.(*array.TimestampBuilder).Append(-1_500) // 1.5 microseconds before 1970
			})
		}, &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, "1969-12-31T23:59:59.999998Z", nil},
		{"timestamp s out of range", func() arrow.Array {
			return build(arrow.FixedWidthTypes.Timestamp_s, func(b array.Builder) { b.(*array.TimestampBuilder).Append(math.MaxInt64 / 10) })
		}, &arrow.TimestampType{Unit: arrow.Microsecond}, "", errs.DatetimeOverflow},
		{"date64 to date", func() arrow.Array {
			return build(arrow.FixedWidthTypes.Date64, func(b array.Builder) { b.(*array.Date64Builder).Append(-1) })
		}, arrow.FixedWidthTypes.Date32, "1969-12-31", nil},
		{"time to text", func() arrow.Array {
			return build(arrow.FixedWidthTypes.Time64ns, func(b array.Builder) { b.(*array.Time64Builder).Append(45_296_500_000_000) })
		}, arrow.BinaryTypes.String, "12:34:56.5", nil},
		{"time32 of milliseconds to time", func() arrow.Array {
			return build(arrow.FixedWidthTypes.Time32ms, func(b array.Builder) {
				b.(*array.Time32Builder).Append(45_296_500)
				b.AppendNull()
			})
		}, types.TimeType, "45296500000|(null)", nil},
		{"time32 of seconds to time", func() arrow.Array {
			return build(arrow.FixedWidthTypes.Time32s, func(b array.Builder) { b.(*array.Time32Builder).Append(1) })
		}, types.TimeType, "1000000", nil},
		{"time64 of nanoseconds to time, rounded", func() arrow.Array {
			return build(arrow.FixedWidthTypes.Time64ns, func(b array.Builder) {
				b.(*array.Time64Builder).Append(1_000_000_500)
				b.(*array.Time64Builder).Append(86_399_999_999_600)
			})
		}, types.TimeType, "1000001|86400000000", nil},
		{"time64 of microseconds to time", func() arrow.Array {
			return build(arrow.FixedWidthTypes.Time64us, func(b array.Builder) { b.(*array.Time64Builder).Append(7) })
		}, types.TimeType, "7", nil},
		{"duration to interval", func() arrow.Array {
			return build(arrow.FixedWidthTypes.Duration_ms, func(b array.Builder) { b.(*array.DurationBuilder).Append(1500) })
		}, arrow.FixedWidthTypes.MonthDayNanoInterval, `{"months":0,"days":0,"nanoseconds":1500000000}`, nil},
		{"dictionary of text to date", func() arrow.Array {
			return build(&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.BinaryTypes.String}, func(b array.Builder) {
				db := b.(*array.BinaryDictionaryBuilder)
				_ = db.AppendString("2024-02-29")
				db.AppendNull()
				_ = db.AppendString("2024-02-29")
			})
		}, arrow.FixedWidthTypes.Date32, "2024-02-29|(null)|2024-02-29", nil},
		{"bytes to integer", func() arrow.Array {
			return build(arrow.BinaryTypes.Binary, func(b array.Builder) { b.(*array.BinaryBuilder).Append([]byte("1")) })
		}, arrow.PrimitiveTypes.Int64, "", errs.CannotCoerce},
	} {
		a := c.a()
		out, err := castColumn(ctx, a, c.to)
		a.Release()
		if c.err != nil {
			if !errors.Is(err, c.err) {
				t.Errorf("%s: error %v, want %v", c.name, err, c.err)
			}
			if out != nil {
				out.Release()
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		vals := make([]string, out.Len())
		for i := range vals {
			switch {
			case out.IsNull(i):
				vals[i] = "(null)"
			case types.IsVarNumeric(out.DataType()):
				vals[i] = exec.FormatText(exec.ValueAt(out, i), out.DataType())
			default:
				vals[i] = out.ValueStr(i)
			}
		}
		if got := strings.Join(vals, "|"); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
		out.Release()
	}
}

// TestCopyParquetIntoNumeric copies integer, float and decimal Parquet columns into
// numeric columns: the values keep their numbers.
func TestCopyParquetIntoNumeric(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	_, c := open(t, objstore.NewMem(), mem)
	run(t, c, "CREATE TABLE n (i numeric, f numeric, d numeric)")
	gm := memory.NewGoAllocator()
	ib := array.NewInt32Builder(gm)
	ib.AppendValues([]int32{7, -3, 0}, []bool{true, true, false})
	fb := array.NewFloat64Builder(gm)
	fb.AppendValues([]float64{1.5, -0.25, 2}, nil)
	db := array.NewDecimal128Builder(gm, &arrow.Decimal128Type{Precision: 10, Scale: 2})
	db.AppendValues([]decimal128.Num{decimal128.FromI64(1234), decimal128.FromI64(-5), decimal128.FromI64(0)}, nil)
	cols := []arrow.Array{ib.NewArray(), fb.NewArray(), db.NewArray()}
	ib.Release()
	fb.Release()
	db.Release()
	b := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{
		{Name: "i", Type: cols[0].DataType(), Nullable: true},
		{Name: "f", Type: cols[1].DataType()},
		{Name: "d", Type: cols[2].DataType()},
	}, nil), cols, 3)
	exec.ReleaseAll(cols)
	f := filepath.Join(t.TempDir(), "n.parquet")
	writePqarrow(t, f, b)
	b.Release()
	run(t, c, fmt.Sprintf("COPY n FROM '%s' (FORMAT parquet)", f))
	rows, _ := run(t, c, "SELECT i, f, d FROM n ORDER BY f")
	if got, want := fmt.Sprint(rows), "[[-3 -0.25 -0.05] [7 1.5 12.34] [(null) 2 0.00]]"; got != want {
		t.Errorf("rows %s, want %s", got, want)
	}
}
