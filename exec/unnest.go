package exec

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sleeperd/sleeperd/types"
)

// Unnest expands list expressions into rows. Its output columns are the input's, then one
// per list expression (of the element type), then, when ordinality is named, a bigint
// counting 1.. within each input row. Each input row yields as many rows as its longest
// list (a NULL or empty list counts as 0); shorter lists are padded with NULLs, as
// PostgreSQL zips several set-returning functions. Batches hold at most BatchRows rows.
type Unnest struct {
	input      Operator
	lists      []Expr
	ordinality string
	schema     *arrow.Schema
}

var _ Operator = (*Unnest)(nil)

// NewUnnest returns the expansion of lists (names[i] names list i's column) over input;
// ordinality, when not empty, names the ordinality column.
func NewUnnest(input Operator, lists []Expr, names []string, ordinality string) (*Unnest, error) {
	if input == nil {
		return nil, fmt.Errorf("unnest: nil input")
	}
	if len(lists) == 0 || len(lists) != len(names) {
		return nil, fmt.Errorf("unnest: %w: %d lists, %d names", ErrArity, len(lists), len(names))
	}
	fields := append([]arrow.Field(nil), input.Schema().Fields()...)
	for i, l := range lists {
		if l == nil {
			return nil, fmt.Errorf("unnest: nil list %d", i)
		}
		et := elemType(l.DataType())
		if et == nil || !supported(l.DataType()) {
			return nil, typeErr("unnest of %s", types.BaseName(l.DataType()))
		}
		fields = append(fields, arrow.Field{Name: names[i], Type: et, Nullable: true})
	}
	if ordinality != "" {
		fields = append(fields, arrow.Field{Name: ordinality, Type: arrow.PrimitiveTypes.Int64, Nullable: true})
	}
	return &Unnest{input: input, lists: append([]Expr(nil), lists...), ordinality: ordinality,
		schema: arrow.NewSchema(fields, nil)}, nil
}

func (u *Unnest) Schema() *arrow.Schema { return u.schema }
func (u *Unnest) Children() []Operator  { return []Operator{u.input} }

func (u *Unnest) String() string {
	s := "Unnest: " + joinExprs(u.lists)
	if u.ordinality != "" {
		s += " WITH ORDINALITY"
	}
	return s
}

func (u *Unnest) Execute(ctx context.Context) (Stream, error) {
	in, err := u.input.Execute(ctx)
	if err != nil {
		return nil, err
	}
	return &unnestStream{u: u, in: in}, nil
}

// unnestStream expands one input batch at a time: rows[j] is the input row of output row
// j, elems[i][j] the element of list i (-1: NULL) and ords[j] its ordinality.
type unnestStream struct {
	u  *Unnest
	in Stream

	batch arrow.RecordBatch
	lists []arrow.Array
	rows  []int32
	elems [][]int32
	ords  []int64
	pos   int
}

func (s *unnestStream) Next(ctx context.Context) (arrow.RecordBatch, error) {
	for s.batch == nil || s.pos >= len(s.rows) {
		s.drop()
		b, err := s.in.Next(ctx)
		if err != nil {
			return nil, err
		}
		if err := s.load(ctx, b); err != nil {
			return nil, err
		}
	}
	end := min(s.pos+BatchRows, len(s.rows))
	out := s.emit(ctx, s.pos, end)
	s.pos = end
	return out, nil
}

// load evaluates the lists over b and plans its output rows; it takes b over.
func (s *unnestStream) load(ctx context.Context, b arrow.RecordBatch) error {
	lists, err := evalAll(ctx, s.u.lists, b)
	if err != nil {
		b.Release()
		return err
	}
	s.batch, s.lists = b, lists
	s.rows, s.ords, s.pos = s.rows[:0], s.ords[:0], 0
	s.elems = make([][]int32, len(lists))
	for r := 0; r < int(b.NumRows()); r++ {
		m := 0
		for _, a := range lists {
			st, e := listSpan(a.(*array.List), r)
			m = max(m, e-st)
		}
		for k := 0; k < m; k++ {
			s.rows = append(s.rows, int32(r))
			s.ords = append(s.ords, int64(k+1))
			for i, a := range lists {
				st, e := listSpan(a.(*array.List), r)
				x := int32(-1)
				if k < e-st {
					x = int32(st + k)
				}
				s.elems[i] = append(s.elems[i], x)
			}
		}
	}
	return nil
}

// emit builds output rows [from, to) of the loaded batch.
func (s *unnestStream) emit(ctx context.Context, from, to int) arrow.RecordBatch {
	mem := Allocator(ctx)
	rows := s.rows[from:to]
	n := to - from
	cols := make([]arrow.Array, 0, len(s.u.schema.Fields()))
	for _, c := range s.batch.Columns() {
		cols = append(cols, take(mem, c, rows))
	}
	for i, a := range s.lists {
		child := a.(*array.List).ListValues()
		var src, dst []int32
		for j, x := range s.elems[i][from:to] {
			if x >= 0 {
				src = append(src, x)
				dst = append(dst, int32(j))
			}
		}
		vals := take(mem, child, src)
		cols = append(cols, scatter(mem, child.DataType(), n, []part{{rows: dst, arr: vals}}))
		vals.Release()
	}
	if s.u.ordinality != "" {
		buf, out := newValues[int64](mem, n)
		copy(out, s.ords[from:to])
		cols = append(cols, makeArray(arrow.PrimitiveTypes.Int64, n, nil, buf))
	}
	defer releaseAll(cols)
	return array.NewRecordBatch(s.u.schema, cols, int64(n))
}

func (s *unnestStream) drop() {
	if s.batch != nil {
		s.batch.Release()
		s.batch = nil
	}
	releaseAll(s.lists)
	s.lists = nil
}

func (s *unnestStream) Close() error {
	s.drop()
	s.rows = nil
	return s.in.Close()
}
