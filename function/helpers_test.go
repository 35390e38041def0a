package function

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/exec"
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
	v, err := exec.ParseDecimal(s, &arrow.Decimal128Type{Precision: 38, Scale: scale})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func checkedCtx(t *testing.T) (context.Context, *memory.CheckedAllocator) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return exec.WithAllocator(context.Background(), mem), mem
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
				l, err := exec.NewLiteral(iv, schema.Field(i).Type)
				if err != nil {
					t.Fatal(err)
				}
				v = l.Value()
			}
			exec.AppendValue(b.Field(i), v)
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

func mustCol(t testing.TB, i int, typ arrow.DataType) *exec.Column {
	c, err := exec.NewColumn(i, typ, fmt.Sprintf("c%d", i))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func lit(t testing.TB, v any, typ arrow.DataType) *exec.Literal {
	l, err := exec.NewLiteral(v, typ)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// texts renders an array as PostgreSQL text values, "NULL" for NULL.
func texts(a arrow.Array) []string {
	out := make([]string, a.Len())
	for i := range out {
		v := exec.ValueAt(a, i)
		if v == nil {
			out[i] = "NULL"
			continue
		}
		out[i] = exec.FormatText(v, a.DataType())
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
func evalText(ctx context.Context, e exec.Expr, batch arrow.RecordBatch) ([]string, error) {
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

// exprCase evaluates an expression over a batch of the given column types and rows. Where
// a case follows PostgreSQL, the expected text is what PostgreSQL 15 prints for it.
type exprCase struct {
	name    string
	types   []arrow.DataType
	rows    [][]any
	build   func(t *testing.T) (exec.Expr, error)
	want    []string
	wantErr error // error kind from Eval
}

func runExprCases(t *testing.T, cases []exprCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, mem := checkedCtx(t)
			b := mkBatch(t, mem, schemaOf(c.types...), c.rows...)
			defer b.Release()
			e, err := c.build(t)
			if err != nil {
				t.Fatalf("build: %v", err)
			}
			got, err := evalText(ctx, e, b)
			if c.wantErr != nil {
				wantErrKind(t, err, c.wantErr)
				return
			}
			if err != nil {
				t.Fatalf("eval %s: %v", e, err)
			}
			if !equalStrings(got, c.want) {
				t.Fatalf("%s = %q, want %q", e, got, c.want)
			}
		})
	}
}

// textAs is the expression 'v'::typ.
func textAs(t testing.TB, v string, typ arrow.DataType) exec.Expr {
	t.Helper()
	c, err := exec.NewCast(lit(t, v, tStr), typ)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// ints is a list value of integers; nil elements are NULL.
func ints(vs ...any) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		if v != nil {
			out[i] = int32(v.(int))
		}
	}
	return out
}

// values returns a Values operator over batches (released at the end of the test) and
// releases the caller's references to the batches.
func mkValues(t *testing.T, schema *arrow.Schema, batches ...arrow.RecordBatch) *exec.Values {
	t.Helper()
	v, err := exec.NewValues(schema, batches)
	if err != nil {
		t.Fatal(err)
	}
	releaseBatches(batches)
	t.Cleanup(v.Release)
	return v
}

func collectText(t *testing.T, ctx context.Context, op exec.Operator) []string {
	t.Helper()
	bs, err := exec.Collect(ctx, op)
	if err != nil {
		t.Fatalf("collect %s: %v", op, err)
	}
	defer releaseBatches(bs)
	for _, b := range bs {
		if !b.Schema().Equal(op.Schema()) {
			t.Fatalf("batch schema %s, operator schema %s", b.Schema(), op.Schema())
		}
	}
	return rowsText(bs)
}

var tI32s = arrow.ListOf(tI32)
