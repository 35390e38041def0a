package planner

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/function"
	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/statestore"
	"github.com/sleeperd/sleeperd/types"
)

// Env is what physical planning needs from the engine.
type Env struct {
	Store       objstore.Store
	Parallelism int
	Metrics     *catalog.Metrics
	// Files, if set, is the cache of Store's open data files that scans open files through.
	Files *catalog.FileCache
	// System computes the rows of a system table.
	System func(ctx context.Context, name string) (arrow.RecordBatch, error)
	// Analyze wraps every operator to count its rows and time (EXPLAIN ANALYZE).
	Analyze bool
	// Merge returns how to read a table whose rows must be merged (primary key,
	// iterators, deletes), or nil to read its files as they are.
	Merge func(ctx context.Context, t *catalog.Table, state *statestore.State) (*catalog.MergeSpec, error)
	// Scan, if set, plans every scan instead: a plan kept for many executions defers each
	// scan's pruning, and its filter's parameters, to the execution (engine/plancache.go).
	// The scan need not be pruned then.
	Scan func(ctx context.Context, n *Scan) (exec.Operator, error)
}

// Physical turns an optimised logical plan into an operator whose output columns are
// n.Columns(), in order. Scans must have been pruned (their State set).
func Physical(ctx context.Context, n Node, env Env) (exec.Operator, error) {
	op, err := physical(ctx, n, env)
	if err != nil || !env.Analyze {
		return op, err
	}
	return exec.NewAnalyzed(op), nil
}

func physical(ctx context.Context, n Node, env Env) (exec.Operator, error) {
	switch n := n.(type) {
	case *Scan:
		if env.Scan != nil {
			return env.Scan(ctx, n)
		}
		if n.State == nil {
			return nil, errs.New(errs.Internal, "scan of %s planned without a snapshot", n.Table.Name)
		}
		cols := n.Projected
		if cols == nil {
			cols = n.visible()
		}
		leaves := n.Leaves
		if !n.Pruned {
			leaves = n.State.Leaves()
		}
		var merge *catalog.MergeSpec
		if env.Merge != nil {
			var err error
			if merge, err = env.Merge(ctx, n.Table, n.State); err != nil {
				return nil, err
			}
		}
		var op exec.Operator
		op, err := catalog.NewScan(env.Store, catalog.ScanSpec{
			Table: n.Table, State: n.State, Leaves: leaves, Columns: cols, NullOnly: n.NullOnly,
			Ranges: n.Ranges, Bounds: n.Bounds, Parallelism: env.Parallelism, Metrics: env.Metrics,
			Merge: merge, Files: env.Files,
		})
		if err != nil {
			return nil, err
		}
		if len(n.Filter) > 0 && !n.KeyExact {
			// The conjuncts from the WHERE, JOIN ... ON and derived tables' WHERE over the
			// table, in PostgreSQL's order for a scan's (OrderQuals).
			var quals []Qual
			for _, e := range n.Filter {
				for _, c := range Conjuncts(e) {
					quals = append(quals, Qual{Expr: c})
				}
			}
			pred, err := CompileExpr(And(OrderQuals(quals)), layoutOf(n.Columns()))
			if err != nil {
				return nil, err
			}
			if op, err = exec.NewFilter(exec.Qual(pred), op); err != nil {
				return nil, err
			}
		}
		return op, nil

	case *Filter:
		in, pred, err := inputWith(ctx, n.Input, []Expr{n.Pred}, env)
		if err != nil {
			return nil, err
		}
		return exec.NewFilter(exec.Qual(pred[0]), in)

	case *Project:
		in, exprs, err := inputWith(ctx, n.Input, n.Exprs, env)
		if err != nil {
			return nil, err
		}
		return exec.NewProject(exprs, names(n.Cols), in)

	case *Aggregate:
		in, err := Physical(ctx, n.Input, env)
		if err != nil {
			return nil, err
		}
		layout := layoutOf(n.Input.Columns())
		groups, err := compileAll(n.Groups, layout)
		if err != nil {
			return nil, err
		}
		jsonbKeys(n.Groups, groups)
		aggs := make([]exec.Aggregate, len(n.Aggs))
		for i, a := range n.Aggs {
			aggs[i] = exec.Aggregate{Func: a.Func, Distinct: a.Distinct, Name: n.Cols[len(n.Groups)+i].Name}
			aggs[i].DistinctJSONB = a.Distinct && a.Arg != nil && types.IsJSONB(a.Arg.Type())
			if a.Arg != nil {
				if aggs[i].Arg, err = CompileExpr(a.Arg, layout); err != nil {
					return nil, err
				}
			}
			if a.Filter != nil {
				if aggs[i].Filter, err = CompileExpr(a.Filter, layout); err != nil {
					return nil, err
				}
			}
			if aggs[i].Extra, err = compileAll(a.Extra, layout); err != nil {
				return nil, err
			}
			for _, k := range a.OrderBy {
				e, err := CompileExpr(SortExpr(k.E), layout)
				if err != nil {
					return nil, err
				}
				aggs[i].OrderBy = append(aggs[i].OrderBy, exec.SortKey{Expr: e, Desc: k.Desc, NullsFirst: k.NullsFirst})
			}
		}
		return exec.NewHashAggregate(groups, names(n.Cols[:len(n.Groups)]), aggs, in)

	case *Unnest:
		in, lists, err := inputWith(ctx, n.Input, n.Lists, env)
		if err != nil {
			return nil, err
		}
		ord := ""
		if n.Ordinality != nil {
			ord = n.Ordinality.Name
		}
		return exec.NewUnnest(in, lists, names(n.Cols), ord)

	case *Sort:
		in, err := Physical(ctx, n.Input, env)
		if err != nil {
			return nil, err
		}
		keys, err := sortKeys(n, layoutOf(n.Input.Columns()))
		if err != nil {
			return nil, err
		}
		return exec.NewSort(keys, in)

	case *Limit:
		n, err := evalLimit(ctx, n)
		if err != nil {
			return nil, err
		}
		if s, ok := n.Input.(*Sort); ok && n.Count >= 0 {
			// ORDER BY ... LIMIT keeps only the best rows in a bounded heap.
			in, err := Physical(ctx, s.Input, env)
			if err != nil {
				return nil, err
			}
			keys, err := sortKeys(s, layoutOf(s.Input.Columns()))
			if err != nil {
				return nil, err
			}
			return exec.NewTopN(keys, n.Count, n.Offset, in)
		}
		in, err := Physical(ctx, n.Input, env)
		if err != nil {
			return nil, err
		}
		return exec.NewLimit(n.Offset, n.Count, in)

	case *Values:
		return valuesOperator(ctx, n)

	case *Join:
		return physicalJoin(ctx, n, env)

	case *SetOp:
		return physicalSetOp(ctx, n, env)

	case *RecursiveCTE:
		return physicalRecursive(ctx, n, env)

	case *Apply:
		return physicalApply(ctx, n, env)

	case *WorkTable:
		return physicalWorkTable(ctx, n)

	case *Window:
		return physicalWindow(ctx, n, env)

	case *Series:
		return physicalSeries(ctx, n)

	case *System:
		if env.System == nil {
			return nil, errs.New(errs.Internal, "no system tables here")
		}
		b, err := env.System(ctx, n.Name)
		if err != nil {
			return nil, err
		}
		defer b.Release()
		return exec.NewValues(b.Schema(), []arrow.RecordBatch{b})
	}
	return nil, errs.New(errs.Internal, "no physical plan for %T", n)
}

func sortKeys(n *Sort, layout map[ColumnID]int) ([]exec.SortKey, error) {
	keys := make([]exec.SortKey, len(n.Keys))
	for i, k := range n.Keys {
		e, err := CompileExpr(SortExpr(k.E), layout)
		if err != nil {
			return nil, err
		}
		keys[i] = exec.SortKey{Expr: e, Desc: k.Desc, NullsFirst: k.NullsFirst}
	}
	return keys, nil
}

func names(cols []Column) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Name
	}
	return out
}

// inputWith builds the operator of input and compiles exprs over its columns.
func inputWith(ctx context.Context, input Node, exprs []Expr, env Env) (exec.Operator, []exec.Expr, error) {
	in, err := Physical(ctx, input, env)
	if err != nil {
		return nil, nil, err
	}
	compiled, err := compileAll(exprs, layoutOf(input.Columns()))
	return in, compiled, err
}

func layoutOf(cols []Column) map[ColumnID]int {
	m := make(map[ColumnID]int, len(cols))
	for i, c := range cols {
		m[c.ID] = i
	}
	return m
}

// Schema is the Arrow schema of a node's output, with names.
func Schema(cols []Column, names []string) *arrow.Schema {
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		name := c.Name
		if names != nil {
			name = names[i]
		}
		fields[i] = arrow.Field{Name: name, Type: types.Storage(c.Type), Nullable: true}
	}
	return arrow.NewSchema(fields, nil)
}

// ResultSchema is Schema for the rows a statement returns: a field of a character type keeps
// its SQL type in its metadata (types.SQLMetadata), which frontends describe.
func ResultSchema(cols []Column, names []string) *arrow.Schema {
	s := Schema(cols, names)
	fields := s.Fields()
	for i, c := range cols {
		if md, ok := types.SQLMetadata(c.Type); ok {
			fields[i].Metadata = md
		}
	}
	return arrow.NewSchema(fields, nil)
}

// valuesOperator evaluates each row's expressions once and serves the result as one batch.
// The batch belongs to the plan, which has no end of life of its own, so it lives in Go
// memory that the garbage collector frees with the plan, not in the query's allocator.
func valuesOperator(ctx context.Context, n *Values) (exec.Operator, error) {
	schema := Schema(n.Cols, nil)
	mem := memory.DefaultAllocator
	one := array.NewRecordBatch(arrow.NewSchema(nil, nil), nil, 1)
	defer one.Release()
	cols := make([]arrow.Array, len(n.Cols))
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	ectx := exec.WithAllocator(ctx, mem)
	for j := range n.Cols {
		parts := make([]arrow.Array, 0, len(n.Rows))
		release := func() {
			for _, p := range parts {
				p.Release()
			}
		}
		for _, row := range n.Rows {
			e, err := CompileExpr(row[j], nil)
			if err != nil {
				release()
				return nil, err
			}
			a, err := e.Eval(ectx, one)
			if err != nil {
				release()
				return nil, err
			}
			parts = append(parts, a)
		}
		c, err := array.Concatenate(parts, mem)
		release()
		if err != nil {
			return nil, err
		}
		cols[j] = c
	}
	batch := array.NewRecordBatch(schema, cols, int64(len(n.Rows)))
	defer batch.Release()
	return exec.NewValues(schema, []arrow.RecordBatch{batch})
}

func compileAll(es []Expr, layout map[ColumnID]int) ([]exec.Expr, error) {
	out := make([]exec.Expr, len(es))
	for i, e := range es {
		var err error
		if out[i], err = CompileExpr(e, layout); err != nil {
			return nil, err
		}
	}
	return out, nil
}

var execOps = map[Op]exec.BinaryOp{
	OpAdd: exec.Add, OpSub: exec.Sub, OpMul: exec.Mul, OpDiv: exec.Div, OpMod: exec.Mod,
	OpEq: exec.Eq, OpNotEq: exec.NotEq, OpLt: exec.Lt, OpLtEq: exec.LtEq, OpGt: exec.Gt, OpGtEq: exec.GtEq,
	OpAnd: exec.And, OpOr: exec.Or, OpConcat: exec.Concat,
}

var anyOps = map[Op]string{
	OpEq: "=", OpNotEq: "<>", OpLt: "<", OpLtEq: "<=", OpGt: ">", OpGtEq: ">=",
	OpLike: "~~", OpNotLike: "!~~", OpILike: "~~*", OpNotILike: "!~~*",
}

// CompileExpr compiles a bound expression into a physical one over an input whose column
// with ID id is at index layout[id]. The result has exactly e's type.
func CompileExpr(e Expr, layout map[ColumnID]int) (exec.Expr, error) {
	out, err := compile(e, layout)
	if err != nil {
		return nil, err
	}
	if want := types.Storage(e.Type()); !types.IsUnknown(want) && want.ID() != arrow.NULL && !arrow.TypeEqual(out.DataType(), want) {
		return exec.NewCast(out, want)
	}
	return out, nil
}

// Volatile reports whether e calls a volatile function (nextval, random, set_config).
func Volatile(e Expr) bool { return calls(e, function.Volatile) }

// calls reports whether e calls a function whose name is one of is.
func calls(e Expr, is func(name string) bool) bool {
	found := false
	Walk(e, func(x Expr) bool {
		if f, ok := x.(*Func); ok && is(f.Name) {
			found = true
		}
		return !found
	})
	return found
}

func compile(e Expr, layout map[ColumnID]int) (exec.Expr, error) {
	switch x := e.(type) {
	case *ColumnRef:
		idx, ok := layout[x.ID]
		if !ok {
			return nil, errs.New(errs.Internal, "column %s (#%d) is not in the input", x.Name, x.ID)
		}
		return exec.NewColumn(idx, types.Storage(x.Typ), x.Name)
	case *Literal:
		t := types.Storage(x.Typ)
		if types.IsUnknown(t) || t.ID() == arrow.NULL {
			t = types.Text
		}
		return exec.NewLiteral(x.Value, t)
	case *Param:
		return nil, errs.New(errs.Internal, "parameter $%d was not bound", x.Index)
	case *Binary:
		lr, err := compileAll([]Expr{x.L, x.R}, layout)
		if err != nil {
			return nil, err
		}
		l, r := lr[0], lr[1]
		switch x.Op {
		case OpLike, OpNotLike, OpILike, OpNotILike:
			return exec.NewLike(l, r, x.Op == OpNotLike || x.Op == OpNotILike, x.Op == OpILike || x.Op == OpNotILike)
		}
		op, ok := execOps[x.Op]
		if !ok {
			return nil, errs.New(errs.Internal, "operator %s has no kernel", x.Op)
		}
		if d, ok := x.Typ.(*arrow.Decimal128Type); ok && x.Op == OpDiv {
			return exec.NewDecimalDiv(l, r, d.Scale)
		}
		if (op == exec.And || op == exec.Or) && Volatile(x.R) {
			// As in PostgreSQL, a volatile right operand runs only on the rows the left
			// operand leaves undecided.
			return exec.NewLazyLogic(op, l, r)
		}
		return exec.NewBinary(op, l, r)
	case *Not:
		in, err := CompileExpr(x.E, layout)
		if err != nil {
			return nil, err
		}
		return exec.NewNot(in)
	case *IsNull:
		in, err := CompileExpr(x.E, layout)
		if err != nil {
			return nil, err
		}
		return exec.NewIsNull(in, x.Negate)
	case *InList:
		in, err := CompileExpr(x.E, layout)
		if err != nil {
			return nil, err
		}
		list, err := compileAll(x.List, layout)
		if err != nil {
			return nil, err
		}
		return exec.NewInList(in, list, x.Negate)
	case *Cast:
		in, err := CompileExpr(x.E, layout)
		if err != nil {
			return nil, err
		}
		to := types.Storage(x.To)
		if arrow.TypeEqual(in.DataType(), to) {
			return in, nil
		}
		return exec.NewCast(in, to)
	case *Func:
		args, err := compileAll(x.Args, layout)
		if err != nil {
			return nil, err
		}
		if x.Name == "generate_series" && types.IsArray(x.Typ) {
			if len(args) < 2 || len(args) > 3 {
				return nil, errs.New(errs.UndefinedFunction, "function generate_series with %d arguments does not exist", len(args))
			}
			return &seriesList{args: args, typ: types.Storage(x.Typ)}, nil
		}
		f, err := function.NewFunc(x.Name, args)
		if err != nil {
			return nil, err
		}
		return withRecordType(f, x.Typ)
	case *Coalesce:
		args, err := compileAll(x.Args, layout)
		if err != nil {
			return nil, err
		}
		return exec.NewCoalesce(args)
	case *Array:
		elems, err := compileAll(x.Elems, layout)
		if err != nil {
			return nil, err
		}
		return exec.NewArrayExpr(elems, types.Storage(x.Typ))
	case *AnyOp:
		lr, err := compileAll([]Expr{x.L, x.R}, layout)
		if err != nil {
			return nil, err
		}
		l, r := lr[0], lr[1]
		op, ok := anyOps[x.Op]
		if !ok {
			return nil, errs.New(errs.Internal, "operator %s has no ANY kernel", x.Op)
		}
		return exec.NewAnyExpr(op, l, r, x.All)
	case *Check:
		in, err := CompileExpr(x.E, layout)
		if err != nil {
			return nil, err
		}
		fail, err := CompileExpr(x.Fail, layout)
		if err != nil {
			return nil, err
		}
		return newCheck(in, fail, x.Kind, x.Msg)
	case *Case:
		whens, err := compileAll(x.Whens, layout)
		if err != nil {
			return nil, err
		}
		thens, err := compileAll(x.Thens, layout)
		if err != nil {
			return nil, err
		}
		var els exec.Expr
		if x.Else != nil {
			if els, err = CompileExpr(x.Else, layout); err != nil {
				return nil, err
			}
		} else if els, err = exec.NewLiteral(nil, types.Storage(x.Typ)); err != nil {
			return nil, err
		}
		return exec.NewCase(whens, thens, els)
	}
	return nil, errs.New(errs.Internal, "cannot compile %s", fmt.Sprintf("%T", e))
}

// withRecordType is e, a record made from its fields' storage (ROW(a, b)), given the
// record type t in storage: its fields keep the SQL types that storage does not say (time,
// timetz, uuid, character types) in their metadata, so the record's text and binary forms
// show them. e itself when t is no such record type.
func withRecordType(e exec.Expr, t arrow.DataType) (exec.Expr, error) {
	st, ok := types.Storage(t).(*arrow.StructType)
	if !ok || st == e.DataType() || !arrow.TypeEqual(st, e.DataType()) {
		return e, nil
	}
	carrier, err := exec.NewLiteral(nil, st)
	if err != nil {
		return nil, err
	}
	return exec.NewRecordRetype([]exec.Expr{e, carrier})
}

// evalLimit evaluates a Limit's CountExpr and OffsetExpr into Count and Offset.
func evalLimit(ctx context.Context, n *Limit) (*Limit, error) {
	if n.CountExpr == nil && n.OffsetExpr == nil {
		return n, nil
	}
	c := *n
	c.CountExpr, c.OffsetExpr = nil, nil
	if n.CountExpr != nil {
		v, err := limitValue(ctx, n.CountExpr)
		if err != nil {
			return nil, err
		}
		if v < -1 {
			return nil, errs.New(errs.InvalidRowCount, "LIMIT must not be negative")
		}
		c.Count = v
	}
	if n.OffsetExpr != nil {
		v, err := limitValue(ctx, n.OffsetExpr)
		if err != nil {
			return nil, err
		}
		if v < -1 {
			return nil, errs.New(errs.InvalidOffset, "OFFSET must not be negative")
		}
		c.Offset = max(v, 0)
	}
	return &c, nil
}

// limitValue evaluates a LIMIT or OFFSET expression: -1 for NULL, less than -1 for a
// negative value.
func limitValue(ctx context.Context, e Expr) (int64, error) {
	l, err := Eval(ctx, e)
	if err != nil {
		return 0, err
	}
	if l.Value == nil {
		return -1, nil
	}
	v, ok := l.Value.(int64)
	if !ok {
		return 0, errs.New(errs.Internal, "LIMIT value of type %T", l.Value)
	}
	if v < 0 {
		return min(v, -2), nil
	}
	return v, nil
}
