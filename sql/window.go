package sql

import (
	"context"
	"fmt"
	"math/big"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// windowContext collects the window function calls of a select list and ORDER BY, grouped by
// their PARTITION BY and ORDER BY (each group becomes one Window node).
type windowContext struct {
	specs []*planner.Window
	keys  []string
}

// Frame option bits of PostgreSQL's WindowDef.FrameOptions.
const (
	frameNonDefault            = 0x1
	frameRows                  = 0x4
	frameGroups                = 0x8
	frameStartUnboundedPreced  = 0x20
	frameEndUnboundedFollowing = 0x100
	frameStartCurrentRow       = 0x200
	frameEndCurrentRow         = 0x400
	frameStartOffsetPreceding  = 0x800
	frameEndOffsetPreceding    = 0x1000
	frameStartOffsetFollowing  = 0x2000
	frameEndOffsetFollowing    = 0x4000
	frameStartUnboundedFollow  = 0x80
	frameEndUnboundedPreceding = 0x40
	frameExclude               = 0x8000 | 0x10000 | 0x20000 // EXCLUDE CURRENT ROW, GROUP, TIES
)

func (b *binder) windowCall(fc *pg_query.FuncCall, name string, sc *scope, agg *aggContext) (planner.Expr, error) {
	if b.win == nil {
		clause := b.clause
		if clause == "" {
			clause = "this context"
		}
		return nil, &errs.Error{Kind: errs.Windowing, Msg: fmt.Sprintf("window functions are not allowed in %s", clause), Position: int(fc.Location) + 1}
	}
	w, err := b.resolveWindow(fc.Over)
	if err != nil {
		return nil, err
	}
	if fc.AggDistinct || len(fc.AggOrder) > 0 {
		return nil, errs.New(errs.NotImplemented, "DISTINCT and ORDER BY in window function calls are not supported yet")
	}
	filter, err := b.windowFilter(fc, name, sc, agg)
	if err != nil {
		return nil, err
	}
	var args []planner.Expr
	var argTypes []arrow.DataType
	// The value and the default of lag and lead resolve to one type together, as anycompatible.
	withDefault := (name == "lag" || name == "lead") && len(fc.Args) == 3
	for i, a := range fc.Args {
		e, err := b.expr(a, sc, agg)
		if err != nil {
			return nil, err
		}
		if withDefault && i != 1 {
			args = append(args, e)
			argTypes = append(argTypes, e.Type())
			continue
		}
		if types.IsUnknown(e.Type()) || e.Type().ID() == arrow.NULL {
			e = b.coerce(e, types.Text)
		}
		if !varNumericAggregates[name] && !varNumericWindows[name] && !exec.IsPairAggregate(name) {
			e = fixedNumeric(e)
		}
		args = append(args, e)
		argTypes = append(argTypes, e.Type())
	}
	if name == "string_agg" {
		// string_agg takes text: varchar and character(n) values are read as text.
		for i := range args {
			if types.IsVarchar(argTypes[i]) || types.IsBpchar(argTypes[i]) {
				args[i], argTypes[i] = b.coerce(args[i], types.Text), types.Text
			}
		}
	}
	if exec.IsPairAggregate(name) {
		// f(double precision Y, double precision X): numbers convert implicitly.
		for i := range args {
			if types.IsNumeric(argTypes[i]) {
				args[i], argTypes[i] = b.coerce(args[i], types.Float64), types.Float64
			}
		}
	}
	call := planner.WindowCall{Func: name}
	switch name {
	case "lag", "lead":
		if len(args) == 0 || len(args) > 3 {
			return nil, errs.New(errs.UndefinedFunction, "function %s with %d arguments does not exist", name, len(args))
		}
		if len(args) >= 2 {
			l, ok := args[1].(*planner.Literal)
			n, isInt := toInt64(l)
			if !ok || !isInt {
				return nil, errs.New(errs.NotImplemented, "the offset of %s must be an integer constant", name)
			}
			if n == 0 {
				// lag(x, 0) is the row's own value.
				call.Func = "first_value"
				call.Frame = exec.Frame{Rows: true, Start: exec.FrameBound{Kind: exec.CurrentRow}, End: exec.FrameBound{Kind: exec.CurrentRow}}
			}
			call.Offset = n
		}
		if len(args) == 3 {
			t, err := types.SelectCommon(args[0].Type(), args[2].Type())
			if err != nil {
				return nil, &errs.Error{Kind: errs.UndefinedFunction, Msg: fmt.Sprintf("function %s(%s, bigint, %s) does not exist", name, types.Name(args[0].Type()), types.Name(args[2].Type())), Position: int(fc.Location) + 1}
			}
			if types.IsUnknown(t) || t.ID() == arrow.NULL {
				t = types.Text
			}
			args[0], argTypes[0] = b.coerce(args[0], t), t
			call.Default = b.coerce(args[2], t)
		}
		args, argTypes = args[:1], argTypes[:1]
	case "count":
		if fc.AggStar {
			args, argTypes = nil, nil
		}
	}
	if filter != nil {
		args, argTypes = filterArgs(fc, name, filter, args, argTypes)
	}
	call.Args = args
	t, err := exec.WindowResultType(call.Func, argTypes)
	if err != nil {
		return nil, &errs.Error{Kind: errs.UndefinedFunction, Msg: fmt.Sprintf("window function %s does not exist for these arguments: %v", name, err), Position: int(fc.Location) + 1}
	}
	if (name == "min" || name == "max") && types.IsVarchar(t) {
		t = types.Text // as the aggregate
	}
	if call.Frame == (exec.Frame{}) {
		if call.Frame, err = b.frame(w); err != nil {
			return nil, err
		}
	}
	var order []planner.SortKey
	for _, o := range w.OrderClause {
		sb := o.GetSortBy()
		e, err := b.expr(sb.Node, sc, agg)
		if err != nil {
			return nil, err
		}
		desc, nullsFirst, err := sortDirection(sb)
		if err != nil {
			return nil, err
		}
		order = append(order, planner.SortKey{E: e, Desc: desc, NullsFirst: nullsFirst})
	}
	if err := b.rangeOffsets(&call.Frame, w, order, sc, agg); err != nil {
		return nil, err
	}
	var part []planner.Expr
	for _, p := range w.PartitionClause {
		e, err := b.expr(p, sc, agg)
		if err != nil {
			return nil, err
		}
		part = append(part, e)
	}
	key := ""
	for _, p := range part {
		key += planner.ExprKey(p) + ";"
	}
	key += "|"
	for _, o := range order {
		key += fmt.Sprintf("%s %v %v;", planner.ExprKey(o.E), o.Desc, o.NullsFirst)
	}
	var spec *planner.Window
	for i, k := range b.win.keys {
		if k == key {
			spec = b.win.specs[i]
		}
	}
	if spec == nil {
		spec = &planner.Window{Partition: part, Order: order}
		b.win.specs = append(b.win.specs, spec)
		b.win.keys = append(b.win.keys, key)
	}
	col := b.newColumn(name, t)
	if b.windowCols == nil {
		b.windowCols = map[planner.ColumnID]bool{}
	}
	b.windowCols[col.ID] = true
	spec.Calls = append(spec.Calls, call)
	spec.Cols = append(spec.Cols, col)
	return ref(col), nil
}

func toInt64(l *planner.Literal) (int64, bool) {
	if l == nil {
		return 0, false
	}
	switch v := l.Value.(type) {
	case int32:
		return int64(v), true
	case int64:
		return v, true
	case int16:
		return int64(v), true
	}
	return 0, false
}

// frame reads a window definition's frame clause.
func (b *binder) frame(w *pg_query.WindowDef) (exec.Frame, error) {
	o := w.FrameOptions
	if o&frameNonDefault == 0 {
		return exec.Frame{}, nil
	}
	f := exec.Frame{Rows: o&frameRows != 0, Groups: o&frameGroups != 0}
	offset := func(n *pg_query.Node) (int64, error) {
		if !f.Rows && !f.Groups {
			return 0, nil // a RANGE offset: bound with the ORDER BY column, by rangeOffsets
		}
		if c := n.GetAConst(); c != nil && c.GetIval() != nil && c.GetIval().Ival >= 0 {
			return int64(c.GetIval().Ival), nil
		}
		if c := n.GetAConst(); c != nil && c.GetIval() != nil && c.GetIval().Ival < 0 {
			return 0, errs.New(errs.InvalidFrameOffset, "frame starting offset must not be negative")
		}
		return 0, errs.New(errs.NotImplemented, "frame offsets must be non-negative integer constants")
	}
	var err error
	switch {
	case o&frameStartUnboundedPreced != 0:
		f.Start.Kind = exec.UnboundedPreceding
	case o&frameStartCurrentRow != 0:
		f.Start.Kind = exec.CurrentRow
	case o&frameStartOffsetPreceding != 0:
		f.Start.Kind = exec.Preceding
		f.Start.Offset, err = offset(w.StartOffset)
	case o&frameStartOffsetFollowing != 0:
		f.Start.Kind = exec.Following
		f.Start.Offset, err = offset(w.StartOffset)
	case o&frameStartUnboundedFollow != 0:
		f.Start.Kind = exec.UnboundedFollowing
	}
	if err != nil {
		return f, err
	}
	switch {
	case o&frameEndUnboundedFollowing != 0:
		f.End.Kind = exec.UnboundedFollowing
	case o&frameEndCurrentRow != 0:
		f.End.Kind = exec.CurrentRow
	case o&frameEndOffsetPreceding != 0:
		f.End.Kind = exec.Preceding
		f.End.Offset, err = offset(w.EndOffset)
	case o&frameEndOffsetFollowing != 0:
		f.End.Kind = exec.Following
		f.End.Offset, err = offset(w.EndOffset)
	case o&frameEndUnboundedPreceding != 0:
		f.End.Kind = exec.UnboundedPreceding
	}
	switch {
	case o&0x8000 != 0:
		f.Exclude = exec.ExcludeCurrentRow
	case o&0x10000 != 0:
		f.Exclude = exec.ExcludeGroup
	case o&0x20000 != 0:
		f.Exclude = exec.ExcludeTies
	}
	return f, err
}

// rangeOffsets binds the offsets of a RANGE frame: constants of the type PostgreSQL's
// in_range takes for the one ORDER BY column, a bigint for integers, a double precision for
// floats, an interval for dates and timestamps.
func (b *binder) rangeOffsets(f *exec.Frame, w *pg_query.WindowDef, order []planner.SortKey, sc *scope, agg *aggContext) error {
	if f.Rows || f.Groups {
		return nil
	}
	for _, x := range []struct {
		b *exec.FrameBound
		n *pg_query.Node
	}{{&f.Start, w.StartOffset}, {&f.End, w.EndOffset}} {
		if x.b.Kind != exec.Preceding && x.b.Kind != exec.Following {
			continue
		}
		if len(order) != 1 {
			return &errs.Error{Kind: errs.Windowing, Msg: "RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column", Position: int(w.Location) + 1}
		}
		kt := order[0].E.Type()
		e, err := b.expr(x.n, sc, agg)
		if err != nil {
			return err
		}
		et := e.Type()
		unknown := types.IsUnknown(et) || et.ID() == arrow.NULL
		var want arrow.DataType
		ok := unknown
		switch kt.ID() {
		case arrow.INT16, arrow.INT32, arrow.INT64:
			want = arrow.PrimitiveTypes.Int64
			ok = ok || et.ID() == arrow.INT16 || et.ID() == arrow.INT32 || et.ID() == arrow.INT64
		case arrow.FLOAT32, arrow.FLOAT64:
			want = arrow.PrimitiveTypes.Float64
			ok = ok || arrow.IsInteger(et.ID()) || arrow.IsFloating(et.ID()) || arrow.IsDecimal(et.ID()) || types.IsVarNumeric(et)
		case arrow.DATE32, arrow.TIMESTAMP:
			want = types.Interval
			ok = ok || arrow.TypeEqual(et, types.Interval)
		case arrow.DECIMAL128, arrow.EXTENSION:
			if !types.IsDecimal(kt) {
				return errs.New(errs.NotImplemented, "RANGE with offset PRECEDING/FOLLOWING is not supported for column type %s", types.Name(kt))
			}
			want = types.VarNumeric
			ok = ok || arrow.IsInteger(et.ID()) || types.IsDecimal(et)
		default:
			return errs.New(errs.NotImplemented, "RANGE with offset PRECEDING/FOLLOWING is not supported for column type %s", types.Name(kt))
		}
		if !ok {
			name := types.Name(et)
			if arrow.IsDecimal(et.ID()) || types.IsVarNumeric(et) {
				name = "numeric"
			}
			kname := types.Name(kt)
			if types.IsDecimal(kt) {
				kname = "numeric"
			}
			return errs.New(errs.NotImplemented, "RANGE with offset PRECEDING/FOLLOWING is not supported for column type %s and offset type %s", kname, name)
		}
		l, err := planner.Eval(context.Background(), b.coerce(e, want))
		if err != nil {
			return err
		}
		if l.Value == nil {
			return errs.New(errs.NullNotAllowed, "frame starting offset must not be null")
		}
		x.b.Delta = l.Value
		if types.IsVarNumeric(want) {
			v, scale := types.UnpackNumeric(l.Value.(decimal128.Num))
			x.b.Delta = new(big.Rat).SetFrac(v.BigInt(), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil))
		}
	}
	return nil
}

// resolveWindow resolves a window that names another: OVER w is the window w of the WINDOW
// clause; OVER (w ORDER BY ...) and WINDOW x AS (w ...) copy w's PARTITION BY and ORDER BY and
// add their own ORDER BY and frame, as PostgreSQL allows.
func (b *binder) resolveWindow(w *pg_query.WindowDef) (*pg_query.WindowDef, error) {
	if w.Name == "" && w.Refname == "" {
		return w, nil
	}
	if w.Name != "" && w.Refname == "" && len(w.PartitionClause) == 0 && len(w.OrderClause) == 0 && w.FrameOptions&frameNonDefault == 0 {
		// OVER w.
		def, ok := b.windowDefs[w.Name]
		if !ok {
			return nil, &errs.Error{Kind: errs.UndefinedObject, Msg: fmt.Sprintf("window %q does not exist", w.Name), Position: int(w.Location) + 1}
		}
		return b.resolveWindow(unnamed(def))
	}
	if w.Refname == "" {
		return w, nil
	}
	def, ok := b.windowDefs[w.Refname]
	if !ok {
		return nil, &errs.Error{Kind: errs.UndefinedObject, Msg: fmt.Sprintf("window %q does not exist", w.Refname), Position: int(w.Location) + 1}
	}
	ref, err := b.resolveWindow(unnamed(def))
	if err != nil {
		return nil, err
	}
	if len(w.PartitionClause) > 0 {
		return nil, errs.New(errs.Windowing, "cannot override PARTITION BY clause of window %q", w.Refname)
	}
	if len(w.OrderClause) > 0 && len(ref.OrderClause) > 0 {
		return nil, errs.New(errs.Windowing, "cannot override ORDER BY clause of window %q", w.Refname)
	}
	if ref.FrameOptions&frameNonDefault != 0 {
		return nil, errs.New(errs.Windowing, "cannot copy window %q because it has a frame clause", w.Refname)
	}
	out := &pg_query.WindowDef{PartitionClause: ref.PartitionClause, OrderClause: ref.OrderClause,
		FrameOptions: w.FrameOptions, StartOffset: w.StartOffset, EndOffset: w.EndOffset, Location: w.Location}
	if len(w.OrderClause) > 0 {
		out.OrderClause = w.OrderClause
	}
	return out, nil
}

// windowClause records the windows of a WINDOW clause by name, checking them.
func (b *binder) windowClause(defs []*pg_query.Node) error {
	b.windowDefs = map[string]*pg_query.WindowDef{}
	for _, n := range defs {
		w := n.GetWindowDef()
		if _, dup := b.windowDefs[w.Name]; dup {
			return &errs.Error{Kind: errs.Windowing, Msg: fmt.Sprintf("window %q is already defined", w.Name), Position: int(w.Location) + 1}
		}
		if _, err := b.resolveWindow(unnamed(w)); err != nil {
			return err
		}
		b.windowDefs[w.Name] = w
	}
	return nil
}

// unnamed is a copy of a WINDOW clause entry without its own name.
func unnamed(w *pg_query.WindowDef) *pg_query.WindowDef {
	return &pg_query.WindowDef{Refname: w.Refname, PartitionClause: w.PartitionClause, OrderClause: w.OrderClause,
		FrameOptions: w.FrameOptions, StartOffset: w.StartOffset, EndOffset: w.EndOffset, Location: w.Location}
}
