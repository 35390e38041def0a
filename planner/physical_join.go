package planner

import (
	"context"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/types"
)

var execJoinKinds = map[JoinKind]exec.JoinKind{
	JoinInner: exec.Inner, JoinLeft: exec.Left, JoinRight: exec.Right, JoinFull: exec.Full,
	JoinCross: exec.Inner, JoinSemi: exec.Semi, JoinAnti: exec.Anti, JoinNullAwareAnti: exec.NullAwareAnti,
}

// physicalJoin plans a join: a hash join on the conjuncts of the condition that equate an
// expression of the left side with one of the right side (the rest is the residual), or a
// nested loop join when there are none.
func physicalJoin(ctx context.Context, n *Join, env Env) (exec.Operator, error) {
	left, err := Physical(ctx, n.Left, env)
	if err != nil {
		return nil, err
	}
	right, err := Physical(ctx, n.Right, env)
	if err != nil {
		return nil, err
	}
	kind, ok := execJoinKinds[n.Kind]
	if !ok {
		return nil, errs.New(errs.Internal, "join kind %s has no operator", n.Kind)
	}
	lcols, rcols := n.Left.Columns(), n.Right.Columns()
	llayout, rlayout := layoutOf(lcols), layoutOf(rcols)
	both := layoutOf(append(append([]Column{}, lcols...), rcols...))
	var lkeys, rkeys []exec.Expr
	var residual []Expr
	for _, c := range condConjuncts(n.Cond) {
		if l, r, ok := equiKey(c, llayout, rlayout); ok {
			lk, err := CompileExpr(l, llayout)
			if err != nil {
				return nil, err
			}
			rk, err := CompileExpr(r, rlayout)
			if err != nil {
				return nil, err
			}
			if types.IsJSONB(l.Type()) && types.IsJSONB(r.Type()) {
				lk, rk = exec.JSONBKey(lk), exec.JSONBKey(rk)
			}
			lkeys, rkeys = append(lkeys, lk), append(rkeys, rk)
			continue
		}
		residual = append(residual, c)
	}
	var res exec.Expr
	if len(residual) > 0 {
		if res, err = CompileExpr(And(residual), both); err != nil {
			return nil, err
		}
		res = exec.Qual(res)
	}
	if n.Kind == JoinNullAwareAnti && (len(lkeys) != 1 || res != nil) {
		return nil, errs.New(errs.NotImplemented, "NOT IN with a subquery of several columns or a correlated condition is not supported yet")
	}
	if len(lkeys) == 0 {
		return exec.NewNestedLoopJoin(kind, left, right, res)
	}
	return exec.NewHashJoin(kind, left, right, lkeys, rkeys, res)
}

func condConjuncts(e Expr) []Expr {
	if e == nil {
		return nil
	}
	return Conjuncts(e)
}

// equiKey splits l = r into the expression over the left side and the one over the right.
func equiKey(e Expr, left, right map[ColumnID]int) (Expr, Expr, bool) {
	b, ok := e.(*Binary)
	if !ok || b.Op != OpEq {
		return nil, nil, false
	}
	side := func(x Expr) int { // 1 left, 2 right, 0 neither or both
		used := map[ColumnID]bool{}
		ColumnsUsed(x, used)
		if len(used) == 0 {
			return 0
		}
		l, r := true, true
		for id := range used {
			_, inL := left[id]
			_, inR := right[id]
			l, r = l && inL, r && inR
		}
		switch {
		case l:
			return 1
		case r:
			return 2
		}
		return 0
	}
	switch sl, sr := side(b.L), side(b.R); {
	case sl == 1 && sr == 2:
		return b.L, b.R, true
	case sl == 2 && sr == 1:
		return b.R, b.L, true
	}
	return nil, nil, false
}

// physicalSetOp plans UNION, INTERSECT and EXCEPT; the inputs' columns are renamed to the
// set operation's.
func physicalSetOp(ctx context.Context, n *SetOp, env Env) (exec.Operator, error) {
	left, err := Physical(ctx, n.Left, env)
	if err != nil {
		return nil, err
	}
	right, err := Physical(ctx, n.Right, env)
	if err != nil {
		return nil, err
	}
	kinds := map[SetOpKind]exec.SetOpKind{SetUnion: exec.SetUnion, SetIntersect: exec.SetIntersect, SetExcept: exec.SetExcept}
	if left, err = renameTo(left, n.Left.Columns(), n.Cols); err != nil {
		return nil, err
	}
	if right, err = renameTo(right, n.Right.Columns(), n.Cols); err != nil {
		return nil, err
	}
	op, err := exec.NewSetOp(kinds[n.Kind], n.All, left, right)
	if err != nil {
		return nil, err
	}
	for i, c := range n.Cols {
		if types.IsJSONB(c.Type) {
			op.CompareJSONB(i)
		}
	}
	return op, nil
}

// renameTo projects op's columns (from) under the names of to.
func renameTo(op exec.Operator, from, to []Column) (exec.Operator, error) {
	exprs := make([]exec.Expr, len(from))
	for i, c := range from {
		e, err := exec.NewColumn(i, types.Storage(c.Type), c.Name)
		if err != nil {
			return nil, err
		}
		exprs[i] = e
	}
	return exec.NewProject(exprs, names(to), op)
}

// physicalWindow plans a Window node.
func physicalWindow(ctx context.Context, n *Window, env Env) (exec.Operator, error) {
	in, err := Physical(ctx, n.Input, env)
	if err != nil {
		return nil, err
	}
	layout := layoutOf(n.Input.Columns())
	// Partitions are rows of equal partition keys as the type's = finds them: jsonb by value.
	keys := make([]Expr, len(n.Partition))
	for i, p := range n.Partition {
		keys[i] = SortExpr(p)
	}
	part, err := compileAll(keys, layout)
	if err != nil {
		return nil, err
	}
	order := make([]exec.SortKey, len(n.Order))
	for i, k := range n.Order {
		e, err := CompileExpr(SortExpr(k.E), layout)
		if err != nil {
			return nil, err
		}
		order[i] = exec.SortKey{Expr: e, Desc: k.Desc, NullsFirst: k.NullsFirst}
	}
	funcs := make([]exec.WindowFunc, len(n.Calls))
	for i, c := range n.Calls {
		args, err := compileAll(c.Args, layout)
		if err != nil {
			return nil, err
		}
		f := exec.WindowFunc{Func: c.Func, Args: args, Offset: c.Offset, Frame: c.Frame, Name: n.Cols[i].Name}
		if c.Default != nil {
			if f.Default, err = CompileExpr(c.Default, layout); err != nil {
				return nil, err
			}
		}
		funcs[i] = f
	}
	return exec.NewWindow(in, part, order, funcs)
}
