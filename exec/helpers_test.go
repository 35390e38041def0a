package exec

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

var (
	tBool = arrow.FixedWidthTypes.Boolean
	tI16  = arrow.PrimitiveTypes.Int16
	tI32  = arrow.PrimitiveTypes.Int32
	tI64  = arrow.PrimitiveTypes.Int64
	tF32  = arrow.PrimitiveTypes.Float32
	tF64  = arrow.PrimitiveTypes.Float64
	tStr  = arrow.BinaryTypes.String
	tBin  = arrow.BinaryTypes.Binary
	tDate = arrow.FixedWidthTypes.Date32
	tTS   = &arrow.TimestampType{Unit: arrow.Microsecond}
	tTSZ  = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
)

func tDec(p, s int32) arrow.DataType { return &arrow.Decimal128Type{Precision: p, Scale: s} }

// dec parses a decimal literal at scale s.
func dec(t testing.TB, s string, scale int32) decimal128.Num {
	t.Helper()
	v, err := parseDecimal(s, &arrow.Decimal128Type{Precision: 38, Scale: scale})
	if err != nil {
		t.Fatal(err)
	}
	return v.(decimal128.Num)
}

func checkedCtx(t *testing.T) (context.Context, *memory.CheckedAllocator) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return WithAllocator(context.Background(), mem), mem
}

func schemaOf(types ...arrow.DataType) *arrow.Schema {
	fields := make([]arrow.Field, len(types))
	for i, t := range types {
		fields[i] = arrow.Field{Name: fmt.Sprintf("c%d", i), Type: t, Nullable: true}
	}
	return arrow.NewSchema(fields, nil)
}

// mkBatch builds a batch of schema from rows of Go values (nil = NULL).
func mkBatch(t testing.TB, mem memory.Allocator, schema *arrow.Schema, rows ...[]any) arrow.RecordBatch {
	t.Helper()
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for _, r := range rows {
		for i, v := range r {
			if v == nil {
				b.Field(i).AppendNull()
				continue
			}
			if iv, ok := v.(int); ok {
				l, err := NewLiteral(iv, schema.Field(i).Type)
				if err != nil {
					t.Fatal(err)
				}
				v = l.Value()
			}
			appendValue(b.Field(i), v)
		}
	}
	return b.NewRecordBatch()
}

// col is a column of a one-column batch: rows given as Go values.
func col(t testing.TB, mem memory.Allocator, typ arrow.DataType, vals ...any) arrow.RecordBatch {
	rows := make([][]any, len(vals))
	for i, v := range vals {
		rows[i] = []any{v}
	}
	return mkBatch(t, mem, schemaOf(typ), rows...)
}

func mustCol(t testing.TB, i int, typ arrow.DataType) *Column {
	c, err := NewColumn(i, typ, fmt.Sprintf("c%d", i))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func lit(t testing.TB, v any, typ arrow.DataType) *Literal {
	l, err := NewLiteral(v, typ)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// texts renders an array as PostgreSQL text values, "NULL" for NULL.
func texts(a arrow.Array) []string {
	out := make([]string, a.Len())
	for i := range out {
		v := valueAt(a, i)
		if v == nil {
			out[i] = "NULL"
			continue
		}
		out[i] = formatText(v, a.DataType())
	}
	return out
}

// rowsText renders batches as rows of text values joined by '|', like psql -At.
func rowsText(batches []arrow.RecordBatch) []string {
	var out []string
	for _, b := range batches {
		cols := make([][]string, b.NumCols())
		for i, c := range b.Columns() {
			cols[i] = texts(c)
		}
		for r := 0; r < int(b.NumRows()); r++ {
			s := ""
			for i := range cols {
				if i > 0 {
					s += "|"
				}
				s += cols[i][r]
			}
			out = append(out, s)
		}
	}
	return out
}

func releaseBatches(bs []arrow.RecordBatch) {
	for _, b := range bs {
		b.Release()
	}
}

// evalText evaluates e over batch and returns its values as text, or the error.
func evalText(ctx context.Context, e Expr, batch arrow.RecordBatch) ([]string, error) {
	a, err := e.Eval(ctx, batch)
	if err != nil {
		return nil, err
	}
	defer a.Release()
	if a.Len() != int(batch.NumRows()) {
		return nil, fmt.Errorf("eval returned %d rows for %d", a.Len(), batch.NumRows())
	}
	if !arrow.TypeEqual(a.DataType(), e.DataType()) {
		return nil, fmt.Errorf("eval returned %s, DataType says %s", a.DataType(), e.DataType())
	}
	return texts(a), nil
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func wantErrKind(t *testing.T, err, kind error) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %v", kind)
	}
	if !errors.Is(err, kind) {
		t.Fatalf("error %v, want kind %v", err, kind)
	}
}

func errorsIs(err, kind error) bool { return err != nil && errors.Is(err, kind) }

// compareEdgeValues are column values of bigint, integer, smallint and double precision for
// comparison tests: the types' extremes, negatives, zero (and -0, NaN and infinities for
// double precision) and NULL.
var compareEdgeValues = map[arrow.DataType][]any{
	tI64: {int64(math.MinInt64), int64(-1), int64(0), int64(1), int64(7), int64(math.MaxInt64), nil},
	tI32: {int32(math.MinInt32), int32(-5), int32(0), int32(3), int32(math.MaxInt32), nil},
	tI16: {int16(math.MinInt16), int16(-2), int16(0), int16(9), int16(math.MaxInt16), nil},
	tF64: {math.Inf(-1), -1.5, math.Copysign(0, -1), 0.0, 2.5, math.Inf(1), math.NaN(), nil},
}

// joinMatchesNestedLoop checks that the hash join of l and r on their first columns (BIGINT)
// returns the rows a nested loop join on l.0 = r.0 (column 2 of the joined row, l having two
// columns) returns, and returns the hash join.
func joinMatchesNestedLoop(t *testing.T, ctx context.Context, name string, kind JoinKind, l, r Operator) *HashJoin {
	t.Helper()
	hj, err := NewHashJoin(kind, l, r, []Expr{mustCol(t, 0, tI64)}, []Expr{mustCol(t, 0, tI64)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	nl, err := NewNestedLoopJoin(kind, l, r, mustBinary(t, Eq, mustCol(t, 0, tI64), mustCol(t, 2, tI64)))
	if err != nil {
		t.Fatal(err)
	}
	got, want := sortedText(t, ctx, hj), sortedText(t, ctx, nl)
	if !slices.Equal(got, want) {
		t.Errorf("%s: %d rows, nested loop %d:\n%v\n%v", name, len(got), len(want), head(got), head(want))
	}
	return hj
}

// head is the first few of s, for a message.
func head(s []string) []string {
	if len(s) > 8 {
		return s[:8]
	}
	return s
}
