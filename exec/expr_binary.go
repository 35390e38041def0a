package exec

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/types"
)

// BinaryOp is an infix operator.
type BinaryOp int

// Binary operators.
const (
	Add BinaryOp = iota
	Sub
	Mul
	Div
	Mod
	Eq
	NotEq
	Lt
	LtEq
	Gt
	GtEq
	And
	Or
	Concat
)

var opText = [...]string{"+", "-", "*", "/", "%", "=", "<>", "<", "<=", ">", ">=", "AND", "OR", "||"}

func (o BinaryOp) String() string {
	if o >= 0 && int(o) < len(opText) {
		return opText[o]
	}
	return fmt.Sprintf("BinaryOp(%d)", int(o))
}

func (o BinaryOp) arithmetic() bool { return o <= Mod }
func (o BinaryOp) comparison() bool { return o >= Eq && o <= GtEq }

// DecimalDivScale is the minimum scale of a numeric division's result. PostgreSQL picks the
// scale of each quotient at run time (at least 16 significant digits); our decimals have a
// fixed scale, so a / b on decimal(p1,s1), decimal(p2,s2) is decimal(38, max(s1, s2, 16)),
// rounded half away from zero like PostgreSQL.
const DecimalDivScale = 16

// BinaryResultType is the type of l op r, or an error when the operator does not apply.
// Operands must have identical types except: decimals of any precision and scale combine
// (+, -, % at max(s1,s2), * at s1+s2, / as DecimalDivScale says, every result with precision
// 38); date +/- integer is a date; integer + date is a date; date - date is an integer;
// date or timestamp +/- interval (and interval + either) is a timestamp (a date becomes a
// timestamp without time zone); timestamp - timestamp, interval +/- interval and interval
// * or / any number (number * interval) are intervals.
func BinaryResultType(op BinaryOp, l, r arrow.DataType) (arrow.DataType, error) {
	if l == nil || r == nil || !supported(l) || !supported(r) {
		return nil, typeErr("operator %s on %v and %v", op, l, r)
	}
	undefined := func() (arrow.DataType, error) {
		return nil, errs.New(errs.UndefinedFunction, "operator does not exist: %s %s %s", types.BaseName(l), op, types.BaseName(r))
	}
	li, ri := l.ID(), r.ID()
	switch {
	case op.arithmetic():
		if li == arrow.INTERVAL_MONTH_DAY_NANO || ri == arrow.INTERVAL_MONTH_DAY_NANO || (li == arrow.TIMESTAMP && ri == arrow.TIMESTAMP) {
			if t, ok := intervalResultType(op, l, r); ok {
				return t, nil
			}
			return undefined()
		}
		if li == arrow.DATE32 || ri == arrow.DATE32 {
			switch {
			case li == arrow.DATE32 && ri == arrow.DATE32 && op == Sub:
				return arrow.PrimitiveTypes.Int32, nil
			case li == arrow.DATE32 && isInteger(r) && (op == Add || op == Sub):
				return arrow.FixedWidthTypes.Date32, nil
			case ri == arrow.DATE32 && isInteger(l) && op == Add:
				return arrow.FixedWidthTypes.Date32, nil
			}
			return undefined()
		}
		if types.IsVarNumeric(l) && types.IsVarNumeric(r) {
			return l, nil
		}
		if li == arrow.DECIMAL128 && ri == arrow.DECIMAL128 {
			ls, rs := l.(*arrow.Decimal128Type).Scale, r.(*arrow.Decimal128Type).Scale
			s := max(ls, rs)
			switch op {
			case Mul:
				s = ls + rs
			case Div:
				s = max(s, DecimalDivScale)
			}
			if s > 38 {
				return nil, errs.New(errs.NumericRange, "numeric scale %d of %s %s %s exceeds 38", s, l, op, r)
			}
			return &arrow.Decimal128Type{Precision: 38, Scale: s}, nil
		}
		if !arrow.TypeEqual(l, r) {
			return nil, typeErr("operator %s needs operands of one type, got %s and %s", op, l, r)
		}
		if !isNumeric(l) || (op == Mod && (li == arrow.FLOAT32 || li == arrow.FLOAT64)) {
			return undefined()
		}
		return l, nil
	case op.comparison():
		if li == arrow.DECIMAL128 && ri == arrow.DECIMAL128 {
			return arrow.FixedWidthTypes.Boolean, nil
		}
		if !arrow.TypeEqual(l, r) {
			return nil, typeErr("operator %s needs operands of one type, got %s and %s", op, l, r)
		}
		return arrow.FixedWidthTypes.Boolean, nil
	case op == And || op == Or:
		if li != arrow.BOOL || ri != arrow.BOOL {
			return nil, typeErr("%s needs boolean operands, got %s and %s", op, l, r)
		}
		return arrow.FixedWidthTypes.Boolean, nil
	case op == Concat:
		if li != arrow.STRING || ri != arrow.STRING {
			if li == arrow.BINARY && ri == arrow.BINARY {
				return l, nil
			}
			return nil, typeErr("|| needs text operands, got %s and %s", l, r)
		}
		return l, nil
	}
	return nil, fmt.Errorf("unknown binary operator %d", int(op))
}

// Binary is l op r.
type Binary struct {
	op   BinaryOp
	l, r Expr
	typ  arrow.DataType
	// lazy (AND and OR only) evaluates r only over the rows l leaves undecided.
	lazy bool
	// qual (lazy only) counts a NULL left operand as deciding, as a WHERE or join
	// condition's list of conjuncts does (see Qual).
	qual bool
}

var _ Expr = (*Binary)(nil)

// NewBinary returns l op r; see BinaryResultType for the operand types each operator accepts.
func NewBinary(op BinaryOp, l, r Expr) (*Binary, error) {
	if l == nil || r == nil {
		return nil, fmt.Errorf("operator %s: nil operand", op)
	}
	t, err := BinaryResultType(op, l.DataType(), r.DataType())
	if err != nil {
		return nil, err
	}
	return &Binary{op: op, l: l, r: r, typ: t}, nil
}

// NewDecimalDiv is NewBinary(Div, l, r) for numeric operands, its quotient rounded once, at
// scale places rather than BinaryResultType's: the binder picks PostgreSQL's scale of a
// quotient of constants (select_div_scale, which keeps 20 places for 1/3 where
// DecimalDivScale keeps 16, and 1 for 12345678901234567890 / 0.5).
func NewDecimalDiv(l, r Expr, scale int32) (*Binary, error) {
	b, err := NewBinary(Div, l, r)
	if err != nil {
		return nil, err
	}
	if d, ok := b.typ.(*arrow.Decimal128Type); ok && scale != d.Scale && scale >= 0 && scale <= 38 {
		b.typ = &arrow.Decimal128Type{Precision: 38, Scale: scale}
	}
	return b, nil
}

// NewLazyLogic returns l AND r (op And) or l OR r (op Or) evaluated as PostgreSQL does row
// by row: r only over the rows where l is not false (AND) or not true (OR), never over the
// rows l decides. It is for a right operand whose evaluation has effects (nextval, random),
// which must not run on those rows; NewBinary evaluates both operands over every row.
func NewLazyLogic(op BinaryOp, l, r Expr) (*Binary, error) {
	if op != And && op != Or {
		return nil, fmt.Errorf("operator %s: only AND and OR evaluate their right operand lazily", op)
	}
	b, err := NewBinary(op, l, r)
	if err != nil {
		return nil, err
	}
	b.lazy = true
	return b, nil
}

// Qual marks the lazy ANDs of e's chain of conjuncts as a condition's: a filter's or a
// join's, which keeps only the rows where it is true. There, as PostgreSQL stops at a
// conjunct that is false or NULL, a volatile conjunct is not evaluated on the rows where an
// earlier one is NULL either; such rows give NULL where a value AND could give false, which
// selects the same rows. So also the lazy ORs under a NOT, which PostgreSQL turns into
// conjuncts (NOT (a OR b) is NOT a AND NOT b). It returns e.
func Qual(e Expr) Expr {
	qual(e, true)
	return e
}

// qual marks the lazy ANDs of e (the lazy ORs when e is negated, positive false).
func qual(e Expr, positive bool) {
	switch x := e.(type) {
	case *Not:
		qual(x.e, !positive)
	case *Binary:
		if positive && x.op == And || !positive && x.op == Or {
			x.qual = x.lazy
			qual(x.l, positive)
			qual(x.r, positive)
		}
	}
}

func (b *Binary) DataType() arrow.DataType { return b.typ }

func (b *Binary) String() string { return fmt.Sprintf("%s %s %s", paren(b.l), b.op, paren(b.r)) }

// paren wraps compound operands in parentheses.
func paren(e Expr) string {
	switch e.(type) {
	case *Binary:
		return "(" + e.String() + ")"
	}
	return e.String()
}

func (b *Binary) Eval(ctx context.Context, batch arrow.RecordBatch) (arrow.Array, error) {
	if b.lazy {
		return b.evalLazy(ctx, batch)
	}
	if b.op == And {
		if out, ok, err := compareRange(ctx, b, batch); ok || err != nil {
			return out, err
		}
	}
	l, err := b.l.Eval(ctx, batch)
	if err != nil {
		return nil, err
	}
	defer l.Release()
	if b.op.comparison() {
		if out, ok := compareLiteral(Allocator(ctx), b.op, l, b.r); ok {
			return out, nil
		}
	}
	r, err := b.r.Eval(ctx, batch)
	if err != nil && (b.op == And || b.op == Or) && ctx.Err() == nil {
		// Like PostgreSQL, which stops at a false AND operand (a true OR operand), raise the
		// right operand's error only if it occurs in a row the left operand does not decide.
		r, err = b.evalUndecided(ctx, batch, l, err)
	}
	if err != nil {
		return nil, err
	}
	defer r.Release()
	mem := Allocator(ctx)
	switch {
	case b.op.comparison():
		return compareArrays(mem, b.op, l, r), nil
	case b.op == And || b.op == Or:
		return logic(mem, b.op, l, r), nil
	case b.op == Concat:
		return concatArrays(mem, b.typ, l, r), nil
	}
	validity := andValidity(mem, l, r)
	if b.typ.ID() == arrow.INTERVAL_MONTH_DAY_NANO || (b.typ.ID() == arrow.TIMESTAMP && l.DataType().ID() != arrow.INT64) {
		return intervalArith(mem, TimeZone(ctx), b.op, b.typ, l, r, validity)
	}
	if l.DataType().ID() == arrow.DATE32 || r.DataType().ID() == arrow.DATE32 {
		return dateArith(mem, b.op, b.typ, l, r, validity)
	}
	switch b.typ.ID() {
	case arrow.INT16:
		return intArith[int16](mem, b.op, b.typ, l, r, validity)
	case arrow.INT32:
		return intArith[int32](mem, b.op, b.typ, l, r, validity)
	case arrow.INT64:
		return intArith[int64](mem, b.op, b.typ, l, r, validity)
	case arrow.FLOAT32:
		return floatArith[float32](mem, b.op, b.typ, l, r, validity)
	case arrow.FLOAT64:
		return floatArith[float64](mem, b.op, b.typ, l, r, validity)
	case arrow.DECIMAL128:
		return decimalArith(mem, b.op, b.typ, l, r, validity)
	case arrow.EXTENSION:
		return varArith(mem, b.op, l, r, validity)
	}
	if validity != nil {
		validity.Release()
	}
	return nil, fmt.Errorf("operator %s on %s: %w", b.op, b.typ, ErrType)
}

// evalUndecided evaluates the right operand only over the rows where the left operand l
// does not decide the result, returning failed when that is every row. The other rows of
// the result are NULL; the left operand decides them.
func (b *Binary) evalUndecided(ctx context.Context, batch arrow.RecordBatch, l arrow.Array, failed error) (arrow.Array, error) {
	lb := l.(*array.Boolean)
	rows := b.undecided(lb)
	if len(rows) == lb.Len() {
		return nil, failed
	}
	if len(rows) == 0 {
		// The left operand decides every row (lazyEval would take nil rows for all).
		return scatter(Allocator(ctx), arrow.FixedWidthTypes.Boolean, lb.Len(), nil), nil
	}
	r, err := lazyEval(ctx, b.r, batch, rows)
	if err != nil {
		return nil, err
	}
	defer r.Release()
	return scatter(Allocator(ctx), arrow.FixedWidthTypes.Boolean, lb.Len(), []part{{rows: rows, arr: r}}), nil
}

// undecided returns the rows where the AND or OR's left operand value l does not decide
// the result: where it is NULL or not false (AND), not true (OR).
func (b *Binary) undecided(l *array.Boolean) []int32 {
	decides := b.op == Or // a false AND operand or a true OR operand decides
	var rows []int32
	for i := 0; i < l.Len(); i++ {
		if l.IsNull(i) && !b.qual || l.IsValid(i) && l.Value(i) != decides {
			rows = append(rows, int32(i))
		}
	}
	return rows
}

// evalLazy is a lazy AND or OR: the left operand over every row, the right one only over
// the rows the left leaves undecided.
func (b *Binary) evalLazy(ctx context.Context, batch arrow.RecordBatch) (arrow.Array, error) {
	l, err := b.l.Eval(ctx, batch)
	if err != nil {
		return nil, err
	}
	defer l.Release()
	lb := l.(*array.Boolean)
	rows := b.undecided(lb)
	if len(rows) == 0 {
		// The left operand decides every row: it is the result.
		l.Retain()
		return l, nil
	}
	if len(rows) == lb.Len() {
		rows = nil
	}
	r, err := lazyEval(ctx, b.r, batch, rows)
	if err != nil {
		return nil, err
	}
	if rows != nil {
		full := scatter(Allocator(ctx), arrow.FixedWidthTypes.Boolean, lb.Len(), []part{{rows: rows, arr: r}})
		r.Release()
		r = full
	}
	defer r.Release()
	return logic(Allocator(ctx), b.op, l, r), nil
}

// bitsAt0 returns a's value bitmap and validity bitmap copied to offset 0 (validity all set
// when a has no nulls).
func bitsAt0(a arrow.Array) (vals, valid []byte) {
	n := a.Len()
	nb := int(bitutil.BytesForBits(int64(n)))
	vals = make([]byte, nb)
	bitutil.CopyBitmap(boolBits(a), a.Data().Offset(), n, vals, 0)
	valid = make([]byte, nb)
	if a.NullN() == 0 {
		for i := range valid {
			valid[i] = 0xff
		}
	} else {
		bitutil.CopyBitmap(a.NullBitmapBytes(), a.Data().Offset(), n, valid, 0)
	}
	return vals, valid
}

// logic is SQL's three-valued AND / OR.
func logic(mem memory.Allocator, op BinaryOp, l, r arrow.Array) arrow.Array {
	n := l.Len()
	lv, lok := bitsAt0(l)
	rv, rok := bitsAt0(r)
	valBuf := newBitmap(mem, n, false)
	okBuf := newBitmap(mem, n, false)
	val, ok := valBuf.Bytes(), okBuf.Bytes()
	for i := range val {
		lt, lf := lok[i]&lv[i], lok[i]&^lv[i]
		rt, rf := rok[i]&rv[i], rok[i]&^rv[i]
		if op == And {
			ok[i] = (lok[i] & rok[i]) | lf | rf
			val[i] = lt & rt
		} else {
			ok[i] = (lok[i] & rok[i]) | lt | rt
			val[i] = lt | rt
		}
	}
	return makeArray(arrow.FixedWidthTypes.Boolean, n, okBuf, valBuf)
}

// concatArrays is l || r; NULL on either side gives NULL.
func concatArrays(mem memory.Allocator, t arrow.DataType, l, r arrow.Array) arrow.Array {
	n := l.Len()
	validity := andValidity(mem, l, r)
	lo, ro := arrow.GetOffsets[int32](l.Data(), 1), arrow.GetOffsets[int32](r.Data(), 1)
	ld, rd := byteData(l), byteData(r)
	offBuf, oo := newValues[int32](mem, n+1)
	total := int32(0)
	for i := 0; i < n; i++ {
		oo[i] = total
		if validity == nil || bitutil.BitIsSet(validity.Bytes(), i) {
			total += lo[i+1] - lo[i] + ro[i+1] - ro[i]
		}
	}
	oo[n] = total
	dbuf := memory.NewResizableBuffer(mem)
	dbuf.Resize(int(total))
	d := dbuf.Bytes()
	for i := 0; i < n; i++ {
		if oo[i+1] == oo[i] {
			continue
		}
		k := copy(d[oo[i]:], ld[lo[i]:lo[i+1]])
		copy(d[int(oo[i])+k:], rd[ro[i]:ro[i+1]])
	}
	return makeArray(t, n, validity, offBuf, dbuf)
}
