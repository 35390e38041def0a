package exec

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/types"
)

// BoundKind is the kind of a window frame bound.
type BoundKind int

// Frame bound kinds. DefaultBound marks a bound the query did not give.
const (
	DefaultBound BoundKind = iota
	UnboundedPreceding
	Preceding // Offset rows before the current row
	CurrentRow
	Following // Offset rows after the current row
	UnboundedFollowing
)

// FrameBound is one end of a window frame.
type FrameBound struct {
	Kind   BoundKind
	Offset int64 // for Preceding and Following of ROWS and GROUPS frames; not negative
	// Delta is the offset of Preceding and Following in a RANGE frame, added to or taken
	// from the ORDER BY column's value: an int64 for integer columns, a float64 for float
	// columns, a *big.Rat for numeric columns, an arrow.MonthDayNanoInterval for dates and
	// timestamps.
	Delta any
}

func (b FrameBound) String() string {
	switch b.Kind {
	case UnboundedPreceding:
		return "UNBOUNDED PRECEDING"
	case Preceding:
		if b.Delta != nil {
			return deltaString(b.Delta) + " PRECEDING"
		}
		return fmt.Sprintf("%d PRECEDING", b.Offset)
	case CurrentRow:
		return "CURRENT ROW"
	case Following:
		if b.Delta != nil {
			return deltaString(b.Delta) + " FOLLOWING"
		}
		return fmt.Sprintf("%d FOLLOWING", b.Offset)
	case UnboundedFollowing:
		return "UNBOUNDED FOLLOWING"
	}
	return "DEFAULT"
}

// Frame is a window frame. The zero Frame is PostgreSQL's default: with ORDER BY, RANGE
// BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW (the current row's peers included); without,
// the whole partition. A Start without an End ends at the current row. Offsets of RANGE
// frames (Rows and Groups false) are in the bounds' Delta and need exactly one ORDER BY key.
type Frame struct {
	Rows bool
	// Groups is GROUPS mode (Rows false): offsets count peer groups.
	Groups     bool
	Start, End FrameBound
	// Exclude leaves rows out of the frame (EXCLUDE CURRENT ROW, GROUP or TIES).
	Exclude Exclusion
}

// Exclusion is a frame's EXCLUDE clause.
type Exclusion int

// The EXCLUDE options; ExcludeNone is EXCLUDE NO OTHERS, the default.
const (
	ExcludeNone Exclusion = iota
	ExcludeCurrentRow
	ExcludeGroup
	ExcludeTies
)

// excluded reports whether sorted position q is left out of the frame of position p.
func (lay layout) excluded(e Exclusion, p, q int) bool {
	switch e {
	case ExcludeCurrentRow:
		return q == p
	case ExcludeGroup:
		return q >= int(lay.qs[p]) && q < int(lay.qe[p])
	case ExcludeTies:
		return q != p && q >= int(lay.qs[p]) && q < int(lay.qe[p])
	}
	return false
}

func (f Frame) String() string {
	mode := "RANGE"
	if f.Rows {
		mode = "ROWS"
	} else if f.Groups {
		mode = "GROUPS"
	}
	excl := map[Exclusion]string{ExcludeCurrentRow: " EXCLUDE CURRENT ROW", ExcludeGroup: " EXCLUDE GROUP", ExcludeTies: " EXCLUDE TIES"}[f.Exclude]
	return fmt.Sprintf("%s BETWEEN %s AND %s%s", mode, f.Start, f.End, excl)
}

// WindowFunc is one window function call of a Window.
type WindowFunc struct {
	// Func is row_number, rank, dense_rank, percent_rank, cume_dist, ntile, lag, lead,
	// first_value, last_value, nth_value, or one of the aggregates count, sum, avg, min,
	// max, stddev, stddev_samp, stddev_pop, variance, var_samp, var_pop, bool_and, bool_or,
	// every, string_agg and array_agg. string_agg and array_agg take their values in the
	// window's order.
	Func string
	// Args holds the arguments: none for row_number, rank, dense_rank, percent_rank,
	// cume_dist and count(*); the value and the (integer) position for nth_value; the
	// value and the delimiter (of the value's type, read at each value's row) for
	// string_agg; Y and X for the two-argument aggregates (IsPairAggregate); one otherwise. ntile's bucket count is evaluated at the first row of each
	// partition, nth_value's position at every row.
	Args []Expr
	// Offset is lag's and lead's offset; 0 means the default, 1. A negative offset looks
	// the other way, as in PostgreSQL.
	Offset int64
	// Default is lag's and lead's value where the offset row is outside the partition,
	// evaluated at the current row, of the argument's type; nil means NULL.
	Default Expr
	// Frame applies to first_value, last_value and the aggregates.
	Frame Frame
	Name  string // output column name
}

func (w WindowFunc) String() string {
	args := joinExprs(w.Args)
	if w.Func == "count" && len(w.Args) == 0 {
		args = "*"
	}
	switch w.Func {
	case "lag", "lead":
		args += fmt.Sprintf(", %d", w.offset())
		if w.Default != nil {
			args += ", " + w.Default.String()
		}
	}
	return w.Func + "(" + args + ")"
}

func (w WindowFunc) offset() int64 {
	if w.Offset == 0 {
		return 1
	}
	return w.Offset
}

// WindowResultType is the result type of window function fn over arguments of types args:
// bigint for row_number, rank, dense_rank and count; integer for ntile; double precision
// for percent_rank and cume_dist; AggregateResultType for the aggregates; the
// argument's type for lag, lead, first_value, last_value and nth_value.
func WindowResultType(fn string, args []arrow.DataType) (arrow.DataType, error) {
	undefined := func() error {
		names := make([]string, len(args))
		for i, a := range args {
			names[i] = types.BaseName(a)
		}
		return errs.New(errs.UndefinedFunction, "function %s(%s) does not exist", fn, strings.Join(names, ", "))
	}
	switch fn {
	case "row_number", "rank", "dense_rank":
		if len(args) != 0 {
			return nil, undefined()
		}
		return arrow.PrimitiveTypes.Int64, nil
	case "percent_rank", "cume_dist":
		if len(args) != 0 {
			return nil, undefined()
		}
		return arrow.PrimitiveTypes.Float64, nil
	case "ntile":
		if len(args) != 1 || args[0] == nil || !isInteger(args[0]) {
			return nil, undefined()
		}
		return arrow.PrimitiveTypes.Int32, nil
	case "nth_value":
		if len(args) != 2 || args[0] == nil || !supported(args[0]) || args[1] == nil || !isInteger(args[1]) {
			return nil, undefined()
		}
		return args[0], nil
	case "count":
		if len(args) > 1 || (len(args) == 1 && !supported(args[0])) {
			return nil, undefined()
		}
		return arrow.PrimitiveTypes.Int64, nil
	case "sum", "avg", "min", "max", "array_agg",
		"stddev", "stddev_samp", "stddev_pop", "variance", "var_samp", "var_pop",
		"bool_and", "bool_or", "every", "bit_and", "bit_or", "bit_xor":
		if len(args) != 1 {
			return nil, undefined()
		}
		return AggregateResultType(fn, args[0])
	case "string_agg":
		if len(args) != 2 || args[0] == nil || args[1] == nil || !arrow.TypeEqual(args[0], args[1]) {
			return nil, undefined()
		}
		return AggregateResultType(fn, args[0])
	case "lag", "lead", "first_value", "last_value":
		if len(args) != 1 || args[0] == nil || !supported(args[0]) {
			return nil, undefined()
		}
		return args[0], nil
	}
	if IsPairAggregate(fn) {
		if t, ok := pairWindowResultType(fn, args); ok {
			return t, nil
		}
		return nil, undefined()
	}
	return nil, errs.New(errs.UndefinedFunction, "window function %s does not exist", fn)
}

// Window computes window functions over partitions of its input. It reads its whole input
// into memory at the first Next, orders it by the partition expressions (ascending, NULLs
// last, NULLs forming one partition) and then by orderBy, and returns the input columns
// followed by one column per function, in that order. With PARTITION BY, an input past the
// memory budget is sorted by a spilling Sort instead and computed a chunk of partitions at a
// time (see window_spill.go), with the same output.
//
// Aggregates over a frame cost the sum of the frame sizes of the distinct frames of a
// partition: linear for the whole partition, quadratic in the partition size for running
// frames.
type Window struct {
	input       Operator
	partitionBy []Expr
	orderBy     []SortKey
	funcs       []WindowFunc
	types       []arrow.DataType
	schema      *arrow.Schema
}

var _ Operator = (*Window)(nil)

// NewWindow returns the window functions funcs over input partitioned by partitionBy (none:
// one partition) and ordered by orderBy (none: all rows of a partition are peers).
func NewWindow(input Operator, partitionBy []Expr, orderBy []SortKey, funcs []WindowFunc) (*Window, error) {
	if input == nil {
		return nil, fmt.Errorf("window: nil input")
	}
	if len(funcs) == 0 {
		return nil, fmt.Errorf("window: %w: no functions", ErrArity)
	}
	for i, p := range partitionBy {
		if p == nil || !supported(p.DataType()) {
			return nil, typeErr("window partition key %d", i)
		}
	}
	if len(orderBy) > 0 {
		if err := checkKeys(orderBy); err != nil {
			return nil, fmt.Errorf("window: %w", err)
		}
	}
	fields := append([]arrow.Field(nil), input.Schema().Fields()...)
	w := &Window{input: input, partitionBy: partitionBy, orderBy: orderBy}
	for _, f := range funcs {
		f.Func = strings.ToLower(f.Func)
		var args []arrow.DataType
		for _, a := range f.Args {
			if a == nil {
				return nil, fmt.Errorf("window: %s: nil argument", f.Func)
			}
			args = append(args, a.DataType())
		}
		t, err := WindowResultType(f.Func, args)
		if err != nil {
			return nil, err
		}
		if f.Default != nil {
			if f.Func != "lag" && f.Func != "lead" {
				return nil, fmt.Errorf("window: %s takes no default", f.Func)
			}
			if !arrow.TypeEqual(f.Default.DataType(), t) {
				return nil, typeErr("window: %s default of type %s, argument %s", f.Func, f.Default.DataType(), t)
			}
		}
		if f.Frame, err = resolveFrame(f.Frame, orderBy); err != nil {
			return nil, err
		}
		if f.Frame.Exclude != ExcludeNone && (f.Func == "min" || f.Func == "max") && t.ID() == arrow.LIST {
			return nil, errs.New(errs.NotImplemented, "EXCLUDE in the frame of %s is not supported yet", f.Func)
		}
		w.funcs = append(w.funcs, f)
		w.types = append(w.types, t)
		fields = append(fields, arrow.Field{Name: f.Name, Type: t, Nullable: true})
	}
	w.schema = arrow.NewSchema(fields, nil)
	return w, nil
}

// resolveFrame fills in defaults and checks the bounds as PostgreSQL does.
func resolveFrame(f Frame, orderBy []SortKey) (Frame, error) {
	ordered := len(orderBy) > 0
	if f.Groups && !ordered {
		return f, errs.New(errs.Windowing, "GROUPS mode requires an ORDER BY clause")
	}
	if f.Start.Kind == DefaultBound {
		if f.End.Kind != DefaultBound {
			return f, fmt.Errorf("window: frame end without a start")
		}
		f = Frame{Start: FrameBound{Kind: UnboundedPreceding}, End: FrameBound{Kind: CurrentRow}}
		if !ordered {
			f.End.Kind = UnboundedFollowing
		}
		return f, nil
	}
	if f.End.Kind == DefaultBound {
		f.End = FrameBound{Kind: CurrentRow}
	}
	switch {
	case f.Start.Kind < DefaultBound || f.Start.Kind > UnboundedFollowing || f.End.Kind > UnboundedFollowing:
		return f, fmt.Errorf("window: unknown frame bound")
	case f.Start.Kind == UnboundedFollowing:
		return f, errs.New(errs.Windowing, "frame start cannot be UNBOUNDED FOLLOWING")
	case f.End.Kind == UnboundedPreceding:
		return f, errs.New(errs.Windowing, "frame end cannot be UNBOUNDED PRECEDING")
	case f.Start.Kind == CurrentRow && f.End.Kind == Preceding:
		return f, errs.New(errs.Windowing, "frame starting from current row cannot have preceding rows")
	case f.Start.Kind == Following && (f.End.Kind == Preceding || f.End.Kind == CurrentRow):
		return f, errs.New(errs.Windowing, "frame starting from following row cannot have preceding rows")
	}
	for _, b := range []FrameBound{f.Start, f.End} {
		if b.Kind != Preceding && b.Kind != Following {
			continue
		}
		if !f.Rows && !f.Groups {
			if len(orderBy) != 1 {
				return f, errs.New(errs.Windowing, "RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column")
			}
			if err := checkRangeOffset(orderBy[0].Expr.DataType(), b.Delta); err != nil {
				return f, err
			}
			continue
		}
		if b.Offset < 0 {
			return f, errs.New(errs.InvalidParameter, "frame starting or ending offset must not be negative")
		}
	}
	return f, nil
}

func (w *Window) Schema() *arrow.Schema { return w.schema }
func (w *Window) Children() []Operator  { return []Operator{w.input} }

func (w *Window) String() string {
	fs := make([]string, len(w.funcs))
	for i, f := range w.funcs {
		fs[i] = f.String() + " AS " + f.Name
	}
	s := "Window:"
	if len(w.partitionBy) > 0 {
		s += " partition=[" + joinExprs(w.partitionBy) + "]"
	}
	if len(w.orderBy) > 0 {
		s += " order=[" + keysString(w.orderBy) + "]"
	}
	return s + " funcs=[" + strings.Join(fs, ", ") + "]"
}

func (w *Window) Execute(ctx context.Context) (Stream, error) {
	in, err := w.input.Execute(ctx)
	if err != nil {
		return nil, err
	}
	return &windowStream{w: w, in: in}, nil
}

type windowStream struct {
	w  *Window
	in Stream

	done  bool
	data  arrow.RecordBatch // the rows being returned: the input, or a chunk of partitions
	perm  []int32           // output order: rows of data
	funcs []arrow.Array     // function results, in output order
	pos   int

	res   *Reservation // what the input held in memory takes of the budget
	spill *windowSpill // the input sorted by partition, once it is past the budget
}

func (s *windowStream) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if !s.done {
		s.done = true
		if err := s.run(ctx); err != nil {
			return nil, err
		}
	}
	for s.pos >= len(s.perm) {
		if s.spill == nil {
			return nil, io.EOF
		}
		if err := s.nextChunk(ctx); err != nil {
			return nil, err
		}
	}
	mem := Allocator(ctx)
	end := min(s.pos+BatchRows, len(s.perm))
	cols := make([]arrow.Array, 0, s.w.schema.NumFields())
	defer func() { releaseAll(cols) }()
	for _, c := range s.data.Columns() {
		cols = append(cols, take(mem, c, s.perm[s.pos:end]))
	}
	for _, f := range s.funcs {
		cols = append(cols, array.NewSlice(f, int64(s.pos), int64(end)))
	}
	out := array.NewRecordBatch(s.w.schema, cols, int64(end-s.pos))
	s.pos = end
	return out, nil
}

// reset releases the rows being returned.
func (s *windowStream) reset() {
	if s.data != nil {
		s.data.Release()
		s.data = nil
	}
	releaseAll(s.funcs)
	s.funcs, s.perm, s.pos = nil, nil, 0
}

func (s *windowStream) Close() error {
	s.reset()
	s.done = true
	s.res.release()
	if s.spill != nil {
		err := s.spill.close() // closes the input
		s.spill = nil
		return err
	}
	if s.in == nil {
		return nil
	}
	err := s.in.Close()
	s.in = nil
	return err
}

// layout is the partition and peer structure of the sorted rows: for sorted position p,
// its partition is [ps[p], pe[p]) and its peers [qs[p], qe[p]).
type layout struct {
	ps, pe, qs, qe []int32
	rk             *rangeKey // the ORDER BY column, for RANGE offsets
}

// run reads the input and computes the functions over it, or, past the memory budget,
// starts the spilled path that computes them a chunk of partitions at a time.
func (s *windowStream) run(ctx context.Context) error {
	data, err := s.read(ctx)
	if err != nil || data == nil {
		return err
	}
	return s.computeAll(ctx, data)
}

// computeAll computes the functions over data, whose reference it takes, in whole partitions.
func (s *windowStream) computeAll(ctx context.Context, data arrow.RecordBatch) error {
	w := s.w
	mem := Allocator(ctx)
	s.data = data
	n := int(data.NumRows())
	keys := make([]SortKey, 0, len(w.partitionBy)+len(w.orderBy))
	exprs := make([]Expr, 0, cap(keys))
	for _, p := range w.partitionBy {
		keys = append(keys, SortKey{Expr: p})
		exprs = append(exprs, p)
	}
	for _, k := range w.orderBy {
		keys = append(keys, k)
		exprs = append(exprs, k.Expr)
	}
	arrs, err := evalAll(ctx, exprs, data)
	if err != nil {
		return err
	}
	defer releaseAll(arrs)
	if len(keys) > 0 {
		s.perm = sortPerm(keys, arrs, n)
	} else {
		s.perm = make([]int32, n)
		for i := range s.perm {
			s.perm[i] = int32(i)
		}
	}
	lay := s.layout(keys, arrs)
	if len(w.orderBy) == 1 {
		k := w.orderBy[0]
		lay.rk = &rangeKey{arr: arrs[len(arrs)-1], perm: s.perm, desc: k.Desc, nullsFirst: k.NullsFirst, loc: TimeZone(ctx)}
	}
	for i, f := range w.funcs {
		a, err := s.compute(ctx, mem, f, w.types[i], lay)
		if err != nil {
			return err
		}
		s.funcs = append(s.funcs, a)
	}
	return nil
}

func (s *windowStream) layout(keys []SortKey, arrs []arrow.Array) layout {
	n := len(s.perm)
	np := len(s.w.partitionBy)
	cmps := make([]rowComparer, len(keys))
	for i, a := range arrs {
		cmps[i] = keyComparer(a, keys[i].Desc, keys[i].NullsFirst)
	}
	same := func(cs []rowComparer, p int) bool {
		for _, c := range cs {
			if c(int(s.perm[p-1]), int(s.perm[p])) != 0 {
				return false
			}
		}
		return true
	}
	lay := layout{ps: make([]int32, n), pe: make([]int32, n), qs: make([]int32, n), qe: make([]int32, n)}
	for p := range n {
		switch {
		case p > 0 && same(cmps[:np], p):
			lay.ps[p] = lay.ps[p-1]
			if same(cmps[np:], p) {
				lay.qs[p] = lay.qs[p-1]
			} else {
				lay.qs[p] = int32(p)
			}
		default:
			lay.ps[p], lay.qs[p] = int32(p), int32(p)
		}
	}
	for p := n - 1; p >= 0; p-- {
		if p < n-1 && lay.ps[p+1] == lay.ps[p] {
			lay.pe[p] = lay.pe[p+1]
		} else {
			lay.pe[p] = int32(p + 1)
		}
		if p < n-1 && lay.qs[p+1] == lay.qs[p] {
			lay.qe[p] = lay.qe[p+1]
		} else {
			lay.qe[p] = int32(p + 1)
		}
	}
	return lay
}

// frame returns the frame [start, end) of sorted position p.
func (lay layout) frame(f Frame, p int) (int, int) {
	ps, pe := int64(lay.ps[p]), int64(lay.pe[p])
	clamp := func(x int64) int64 { return min(max(x, ps), pe) }
	at := func(b FrameBound, end bool) int64 {
		if f.Groups && (b.Kind == Preceding || b.Kind == Following) {
			return lay.groupBound(p, b, end)
		}
		if !f.Rows && (b.Kind == Preceding || b.Kind == Following) {
			return lay.rangeBound(p, b, end)
		}
		switch b.Kind {
		case UnboundedPreceding:
			return ps
		case UnboundedFollowing:
			return pe
		case Preceding:
			x := int64(p) - min(b.Offset, int64(p)+1)
			if end {
				x++
			}
			return clamp(x)
		case Following:
			x := int64(p) + min(b.Offset, pe)
			if end {
				x++
			}
			return clamp(x)
		}
		// CurrentRow
		switch {
		case !f.Rows && end:
			return int64(lay.qe[p])
		case !f.Rows:
			return int64(lay.qs[p])
		case end:
			return int64(p) + 1
		}
		return int64(p)
	}
	start, end := at(f.Start, false), at(f.End, true)
	return int(start), int(max(start, end))
}

// groupBound is a GROUPS frame bound of sorted position p: the start (or, for end, the
// end) of the peer group b.Offset groups before or after p's, the partition's start or end
// when there is no such group.
func (lay layout) groupBound(p int, b FrameBound, end bool) int64 {
	ps, pe := int(lay.ps[p]), int(lay.pe[p])
	q := int(lay.qs[p]) // the start of the group reached so far
	for i := int64(0); i < b.Offset; i++ {
		if b.Kind == Preceding {
			if q == ps {
				return int64(ps) // before the partition: an empty frame end, a start at ps
			}
			q = int(lay.qs[q-1])
		} else {
			next := int(lay.qe[q])
			if next >= pe {
				return int64(pe)
			}
			q = next
		}
	}
	if end {
		return int64(lay.qe[q])
	}
	return int64(q)
}

// compute returns the values of f for every sorted position.
func (s *windowStream) compute(ctx context.Context, mem memory.Allocator, f WindowFunc, typ arrow.DataType, lay layout) (arrow.Array, error) {
	n := len(s.perm)
	switch f.Func {
	case "row_number", "rank", "dense_rank":
		buf, out := newValues[int64](mem, n)
		dense := int64(0)
		for p := range n {
			switch f.Func {
			case "row_number":
				out[p] = int64(p) - int64(lay.ps[p]) + 1
			case "rank":
				out[p] = int64(lay.qs[p]) - int64(lay.ps[p]) + 1
			default:
				if p == int(lay.ps[p]) {
					dense = 0
				}
				if p == int(lay.qs[p]) {
					dense++
				}
				out[p] = dense
			}
		}
		return makeArray(arrow.PrimitiveTypes.Int64, n, nil, buf), nil
	case "percent_rank", "cume_dist":
		buf, out := newValues[float64](mem, n)
		for p := range n {
			rows := float64(lay.pe[p] - lay.ps[p])
			if f.Func == "cume_dist" {
				out[p] = float64(lay.qe[p]-lay.ps[p]) / rows
			} else if rows > 1 {
				out[p] = float64(lay.qs[p]-lay.ps[p]) / (rows - 1)
			}
		}
		return makeArray(arrow.PrimitiveTypes.Float64, n, nil, buf), nil
	}
	var arg arrow.Array
	if len(f.Args) > 0 {
		a, err := f.Args[0].Eval(ctx, s.data)
		if err != nil {
			return nil, err
		}
		defer a.Release()
		arg = a
	}
	switch f.Func {
	case "lag", "lead":
		off := f.offset()
		if f.Func == "lag" {
			off = -off
		}
		off = min(max(off, -int64(n)-1), int64(n)+1) // no overflow below
		var hit, miss part
		var src []int32
		for p := range n {
			q := int64(p) + off
			if q >= int64(lay.ps[p]) && q < int64(lay.pe[p]) {
				hit.rows = append(hit.rows, int32(p))
				src = append(src, s.perm[q])
			} else {
				miss.rows = append(miss.rows, int32(p))
			}
		}
		hit.arr = take(mem, arg, src)
		defer hit.arr.Release()
		parts := []part{hit}
		if f.Default != nil && len(miss.rows) > 0 {
			def, err := f.Default.Eval(ctx, s.data)
			if err != nil {
				return nil, err
			}
			defer def.Release()
			rows := make([]int32, len(miss.rows))
			for i, p := range miss.rows {
				rows[i] = s.perm[p]
			}
			miss.arr = take(mem, def, rows)
			defer miss.arr.Release()
			parts = append(parts, miss)
		}
		return scatter(mem, typ, n, parts), nil
	case "first_value", "last_value":
		idx := make([]int32, n)
		for p := range n {
			idx[p] = -1
			if q := lay.nthKept(f.Frame, p, 1, f.Func == "last_value"); q >= 0 {
				idx[p] = s.perm[q]
			}
		}
		return takeOrNull(mem, arg, idx), nil
	case "min", "max":
		if arg.DataType().ID() == arrow.LIST {
			return s.extreme(mem, f, arg, lay), nil
		}
	case "string_agg", "array_agg":
		extra, err := evalAll(ctx, f.Args[1:], s.data)
		if err != nil {
			return nil, err
		}
		defer releaseAll(extra)
		return s.collect(mem, f, typ, arg, extra, lay)
	case "ntile":
		return ntile(mem, arg, s.perm, lay)
	case "nth_value":
		nth, err := f.Args[1].Eval(ctx, s.data)
		if err != nil {
			return nil, err
		}
		defer nth.Release()
		idx := make([]int32, n)
		for p := range n {
			r := int(s.perm[p])
			if nth.IsNull(r) {
				idx[p] = -1
				continue
			}
			k := intAt(nth, r)
			if k <= 0 {
				return nil, errs.New(errs.NthValueArgument, "argument of nth_value must be greater than zero")
			}
			idx[p] = -1
			if q := lay.nthKept(f.Frame, p, k, false); q >= 0 {
				idx[p] = s.perm[q]
			}
		}
		return takeOrNull(mem, arg, idx), nil
	}
	if IsPairAggregate(f.Func) {
		x, err := f.Args[1].Eval(ctx, s.data)
		if err != nil {
			return nil, err
		}
		defer x.Release()
		return s.aggregatePair(mem, f, typ, arg, x, lay)
	}
	return s.aggregate(mem, f, typ, arg, lay)
}

// extreme computes min or max of types without a folding state (lists) by scanning each
// row's frame for its extreme non-NULL value.
func (s *windowStream) extreme(mem memory.Allocator, f WindowFunc, arg arrow.Array, lay layout) arrow.Array {
	n := len(s.perm)
	c := comparer(arg, arg)
	idx := make([]int32, n)
	lastS, lastE := -1, -1
	for p := range n {
		fs, fe := lay.frame(f.Frame, p)
		if fs == lastS && fe == lastE && p > 0 && lay.ps[p] == lay.ps[p-1] {
			idx[p] = idx[p-1]
			continue
		}
		lastS, lastE = fs, fe
		best := int32(-1)
		for q := fs; q < fe; q++ {
			r := s.perm[q]
			if arg.IsNull(int(r)) {
				continue
			}
			if best < 0 {
				best = r
				continue
			}
			if d := c(int(r), int(best)); (f.Func == "max" && d > 0) || (f.Func == "min" && d < 0) {
				best = r
			}
		}
		idx[p] = best
	}
	return takeOrNull(mem, arg, idx)
}

// ntile divides each partition into buckets numbered from 1 as evenly as possible, the
// first buckets one row larger when the rows do not divide evenly, as PostgreSQL does.
// The bucket count is buckets' value at the partition's first row; NULL gives NULL.
func ntile(mem memory.Allocator, buckets arrow.Array, perm []int32, lay layout) (arrow.Array, error) {
	n := len(perm)
	validity := newBitmap(mem, n, true)
	v := validity.Bytes()
	buf, out := newValues[int32](mem, n)
	for ps := 0; ps < n; ps = int(lay.pe[ps]) {
		pe := int(lay.pe[ps])
		r := int(perm[ps])
		if buckets.IsNull(r) {
			for p := ps; p < pe; p++ {
				bitutil.ClearBit(v, p)
			}
			continue
		}
		nb := intAt(buckets, r)
		if nb <= 0 {
			validity.Release()
			buf.Release()
			return nil, errs.New(errs.NtileArgument, "argument of ntile must be greater than zero")
		}
		total := int64(pe - ps)
		size, rem := total/nb, total%nb
		for p := ps; p < pe; p++ {
			i := int64(p - ps)
			if i < rem*(size+1) {
				out[p] = int32(i/(size+1) + 1)
			} else {
				out[p] = int32(rem + (i-rem*(size+1))/size + 1)
			}
		}
	}
	return makeArray(arrow.PrimitiveTypes.Int32, n, validity, buf), nil
}

// intAt is row i of an integer array as an int64.
func intAt(a arrow.Array, i int) int64 {
	switch x := a.(type) {
	case *array.Int16:
		return int64(x.Value(i))
	case *array.Int32:
		return int64(x.Value(i))
	case *array.Int64:
		return x.Value(i)
	}
	panic("exec: intAt of " + a.DataType().String())
}

// frames gives each sorted position a group, positions of one partition with the same
// frame sharing one, and passes emit the rows of every group's frame (input row numbers, in
// the window's order) with their groups, in chunks, and the number of groups so far. It
// returns each position's group and the number of groups.
func (s *windowStream) frames(f Frame, lay layout, emit func(src, gids []int32, groups int) error) ([]int32, int, error) {
	n := len(s.perm)
	gidOf := make([]int32, n)
	var src, gids []int32
	groups := 0
	lastS, lastE := -1, -1
	for p := range n {
		fs, fe := lay.frame(f, p)
		if f.Exclude == ExcludeNone && fs == lastS && fe == lastE && p > 0 && lay.ps[p] == lay.ps[p-1] {
			gidOf[p] = int32(groups - 1)
			continue
		}
		lastS, lastE = fs, fe
		g := int32(groups)
		groups++
		gidOf[p] = g
		for q := fs; q < fe; q++ {
			if f.Exclude != ExcludeNone && lay.excluded(f.Exclude, p, q) {
				continue
			}
			src = append(src, s.perm[q])
			gids = append(gids, g)
		}
		if len(gids) >= 4*BatchRows {
			if err := emit(src, gids, groups); err != nil {
				return nil, 0, err
			}
			src, gids = src[:0], gids[:0]
		}
	}
	if len(gids) > 0 {
		if err := emit(src, gids, groups); err != nil {
			return nil, 0, err
		}
	}
	return gidOf, groups, nil
}

// aggregate computes a folding aggregate over each row's frame: rows with the same frame
// share a group, and each group is fed the rows of its frame.
func (s *windowStream) aggregate(mem memory.Allocator, f WindowFunc, typ arrow.DataType, arg arrow.Array, lay layout) (arrow.Array, error) {
	fn := f.Func
	var argType arrow.DataType
	if arg == nil {
		fn = "count_star"
	} else {
		argType = arg.DataType()
	}
	st := newAggState(fn, argType, typ)
	return s.foldFrames(mem, f.Frame, lay, st, func(src, gids []int32) error {
		if arg == nil {
			return st.update(gids, nil)
		}
		a := take(mem, arg, src)
		defer a.Release()
		return st.update(gids, a)
	})
}

// foldFrames feeds each row's frame to a grouped folding state st, rows with the same frame
// sharing a group (update folds the frame rows src into groups gids), and returns each row's
// group result.
func (s *windowStream) foldFrames(mem memory.Allocator, fr Frame, lay layout, st interface {
	grow(n int)
	finish(mem memory.Allocator) (arrow.Array, error)
}, update func(src, gids []int32) error) (arrow.Array, error) {
	gidOf, groups, err := s.frames(fr, lay, func(src, gids []int32, groups int) error {
		st.grow(groups)
		return update(src, gids)
	})
	if err != nil {
		return nil, err
	}
	st.grow(groups)
	res, err := st.finish(mem)
	if err != nil {
		return nil, err
	}
	defer res.Release()
	return take(mem, res, gidOf), nil
}

// collect computes string_agg or array_agg over each row's frame, the values in the
// window's order (as PostgreSQL feeds a window aggregate), with the collecting state of
// HashAggregate. extra holds string_agg's delimiters; arrays are borrowed.
func (s *windowStream) collect(mem memory.Allocator, f WindowFunc, typ arrow.DataType, arg arrow.Array, extra []arrow.Array, lay layout) (arrow.Array, error) {
	st := newRowsState(Aggregate{Func: f.Func, Arg: f.Args[0], Extra: f.Args[1:]}, typ)
	gidOf, groups, err := s.frames(f.Frame, lay, func(src, gids []int32, _ int) error {
		a := take(mem, arg, src)
		defer a.Release()
		ex := make([]arrow.Array, len(extra))
		defer releaseAll(ex)
		for i, e := range extra {
			ex[i] = take(mem, e, src)
		}
		st.add(mem, gids, a, ex, nil)
		return nil
	})
	if err != nil {
		st.release()
		return nil, err
	}
	res, err := st.finish(mem, groups)
	if err != nil {
		return nil, err
	}
	defer res.Release()
	return take(mem, res, gidOf), nil
}
