package function

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/types"
)

// function is one entry of the scalar function registry.
type function struct {
	// resolve returns the result type for the argument types and the types the arguments
	// are converted to first (nil: as they are), or an error.
	resolve func(args []arrow.DataType) (result arrow.DataType, convert []arrow.DataType, err error)
	// eval computes the result from arguments already converted; args are borrowed.
	eval func(mem memory.Allocator, typ arrow.DataType, args []arrow.Array) (arrow.Array, error)
	// evalCtx, when set, replaces eval for functions that need the context (now()) or take
	// no arguments; n is the number of rows.
	evalCtx func(ctx context.Context, n int, typ arrow.DataType, args []arrow.Array) (arrow.Array, error)
	// zoned, when set, replaces eval for functions that depend on the session time zone.
	zoned func(mem memory.Allocator, loc *time.Location, typ arrow.DataType, args []arrow.Array) (arrow.Array, error)
	// takes, when set, says which calls this overload answers: an overload with takes is
	// registered after the general one of its name and answers the calls takes accepts
	// (resolve's answer, result or error, is then final); the rest go on to the overloads
	// registered before it. The first overload of a name has none.
	takes func(args []arrow.DataType) bool
}

// registry holds the scalar functions by lower-case name: each name's overloads in the
// order they were registered.
var registry = map[string][]function{}

// The functions are registered in this order, by name. A name's later overloads (the bytea
// overloads of the text functions, the numeric overloads of the double precision ones,
// date_trunc of an interval, age of one timestamp, to_char of a number) answer the calls
// they take before the general one, so a file's functions are registered after those they
// extend.
func init() {
	registerBasic()
	registerArray()
	registerCatalog()
	registerDatetime()
	registerDatetimeInterval()
	registerDatetimeMore()
	registerJSON()
	registerJSONElements()
	registerJSONSortKey()
	registerJSONPath()
	registerJSONMap()
	registerMath()
	registerMathMore()
	registerMathNumeric()
	registerRegex()
	registerSequence()
	registerSettings()
	registerBackend()
	registerSize()
	registerString()
	registerStringHash()
	registerStringMore()
	registerToCharNumber()
	registerToNumber()
	registerUnistr()
	registerTime()
	registerUUID()
	registerRegtype()
	registerRegArrays()
	registerToReg()
	registerRegProcOper()
	registerRegArrayNames()
	registerStorageArrays()
	registerTimeArrayRound()
	registerStorageArraysOut()
	registerStorageArraysText()
}

// register adds fn to the overloads of each name. Only the first overload of a name may
// take every call.
func register(fn function, names ...string) {
	for _, n := range names {
		if len(registry[n]) > 0 && fn.takes == nil {
			panic("function: " + n + " registered twice without takes")
		}
		registry[n] = append(registry[n], fn)
	}
}

// overload returns the overload of name that answers a call over args: the newest whose
// takes accepts them, else the first. ok is false for an unknown name.
func overload(name string, args []arrow.DataType) (fn function, ok bool) {
	set := registry[name]
	for i := len(set) - 1; i > 0; i-- {
		if set[i].takes(args) {
			return set[i], true
		}
	}
	if len(set) == 0 {
		return function{}, false
	}
	return set[0], true
}

func undefinedFunc(name string, args []arrow.DataType) error {
	ts := make([]string, len(args))
	for i, t := range args {
		ts[i] = types.BaseName(t)
	}
	return errs.New(errs.UndefinedFunction, "function %s(%s) does not exist", name, strings.Join(ts, ", "))
}

// FuncResultType is the result type of the scalar function name over arguments of the
// given types, or an errs.UndefinedFunction error.
func FuncResultType(name string, args []arrow.DataType) (arrow.DataType, error) {
	for _, t := range args {
		if t == nil {
			return nil, undefinedFunc(name, args)
		}
	}
	fn, ok := overload(strings.ToLower(name), args)
	if !ok {
		return nil, undefinedFunc(name, args)
	}
	for _, t := range args {
		if t == nil || !exec.Supported(t) {
			return nil, undefinedFunc(name, args)
		}
	}
	t, _, err := fn.resolve(args)
	if err != nil {
		return nil, err
	}
	return t, nil
}

// FuncNames lists the registered scalar functions.
func FuncNames() []string {
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Func is a call of a scalar function from the registry. It returns NULL for a row when any
// argument is NULL, except for concat, which skips NULLs.
type Func struct {
	name string
	fn   function
	args []exec.Expr
	typ  arrow.DataType
	// substrConst is set for substr whose start and count are literals: only the string is
	// evaluated per batch, the constants are not broadcast into arrays.
	substrConst *substrArgs
}

var _ exec.Expr = (*Func)(nil)

// NewFunc returns the call name(args...); the result type is FuncResultType's. Some
// functions convert their arguments first as PostgreSQL's implicit casts would (round(int)
// is round(double precision)). like and ilike (and "not like", "not ilike") compile a
// literal pattern once.
func NewFunc(name string, args []exec.Expr) (exec.Expr, error) {
	lname := strings.ToLower(name)
	types := make([]arrow.DataType, len(args))
	for i, a := range args {
		if a == nil {
			return nil, fmt.Errorf("%s: nil argument", name)
		}
		types[i] = a.DataType()
	}
	switch lname {
	case "like", "not like", "ilike", "not ilike":
		if len(args) != 2 {
			return nil, undefinedFunc(name, types)
		}
		return exec.NewLike(args[0], args[1], strings.HasPrefix(lname, "not"), strings.HasSuffix(lname, "ilike"))
	case "mod":
		return newMod(args, types)
	case "record_field":
		return exec.NewRecordField(args)
	case "row":
		return exec.NewRowExpr(args)
	case "record_retype":
		return exec.NewRecordRetype(args)
	}
	fn, ok := overload(lname, types)
	if !ok {
		return nil, undefinedFunc(name, types)
	}
	typ, conv, err := fn.resolve(types)
	if err != nil {
		return nil, err
	}
	if lname == "extract" {
		if l, ok := args[0].(*exec.Literal); ok && l.Value() != nil {
			// extract's numeric scale depends on the field.
			typ = &arrow.Decimal128Type{Precision: 38, Scale: ExtractScale(l.Value().(string), types[1])}
		}
	}
	args = append([]exec.Expr(nil), args...)
	for i, t := range conv {
		if t != nil && !arrow.TypeEqual(t, args[i].DataType()) {
			if l, ok := foldWidening(args[i], t); ok {
				// A constant converted once here, not an array cast per batch.
				args[i] = l
				continue
			}
			if args[i], err = exec.NewCast(args[i], t); err != nil {
				return nil, err
			}
		}
	}
	f := &Func{name: lname, fn: fn, args: args, typ: typ}
	if (lname == "substr" || lname == "substring") && args[0].DataType().ID() == arrow.STRING && len(args) > 1 && exec.IsInteger(args[1].DataType()) {
		f.substrConst = constSubstrArgs(args[1:])
	}
	return f, nil
}

// constSubstrArgs returns substr's start and count when they are non-NULL literals.
func constSubstrArgs(args []exec.Expr) *substrArgs {
	c := &substrArgs{}
	for i, a := range args {
		l, ok := a.(*exec.Literal)
		if !ok || l.Value() == nil {
			return nil
		}
		v, ok := l.Value().(int64)
		if !ok {
			return nil
		}
		if i == 0 {
			c.from = []int64{v}
		} else {
			c.count = []int64{v}
		}
	}
	return c
}

// foldWidening returns e converted to t when e is a literal (or NULL) and the conversion is
// a lossless widening of an integer, the implicit conversions that function arguments get.
func foldWidening(e exec.Expr, t arrow.DataType) (*exec.Literal, bool) {
	l, ok := e.(*exec.Literal)
	if !ok || t.ID() != arrow.INT64 {
		return nil, false
	}
	var v any
	switch x := l.Value().(type) {
	case nil:
	case int16:
		v = int64(x)
	case int32:
		v = int64(x)
	case int64:
		v = x
	default:
		return nil, false
	}
	out, err := exec.NewLiteral(v, t)
	return out, err == nil
}

func (f *Func) DataType() arrow.DataType { return f.typ }

func (f *Func) String() string { return f.name + "(" + exec.JoinExprs(f.args) + ")" }

func (f *Func) Eval(ctx context.Context, batch arrow.RecordBatch) (arrow.Array, error) {
	if f.substrConst != nil {
		a, err := f.args[0].Eval(ctx, batch)
		if err != nil {
			return nil, err
		}
		defer a.Release()
		return substr(exec.Allocator(ctx), a, exec.CopyValidity(exec.Allocator(ctx), a), *f.substrConst)
	}
	args, err := exec.EvalAll(ctx, f.args, batch)
	if err != nil {
		return nil, err
	}
	defer exec.ReleaseAll(args)
	if f.fn.evalCtx != nil {
		return f.fn.evalCtx(ctx, int(batch.NumRows()), f.typ, args)
	}
	if f.fn.zoned != nil {
		return f.fn.zoned(exec.Allocator(ctx), exec.TimeZone(ctx), f.typ, args)
	}
	return f.fn.eval(exec.Allocator(ctx), f.typ, args)
}

func registerBasic() {
	register(function{resolve: oneArg(func(t arrow.DataType) arrow.DataType {
		if t.ID() == arrow.STRING || t.ID() == arrow.BINARY {
			return arrow.PrimitiveTypes.Int32
		}
		return nil
	}), eval: evalLength}, "length", "char_length", "character_length")
	register(function{resolve: oneArg(func(t arrow.DataType) arrow.DataType {
		if t.ID() == arrow.STRING || t.ID() == arrow.BINARY {
			return arrow.PrimitiveTypes.Int32
		}
		return nil
	}), eval: evalOctetLength}, "octet_length")
	register(function{resolve: oneArg(textOnly), eval: mapText(strings.ToLower)}, "lower")
	register(function{resolve: oneArg(textOnly), eval: mapText(strings.ToUpper)}, "upper")
	register(function{resolve: resolveSubstr, eval: evalSubstr}, "substr")
	register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) >= 2 && args[1].ID() == arrow.STRING {
			return registry[regexSubstringFunc(len(args))][0].resolve(args)
		}
		return resolveSubstr(args)
	}, eval: func(mem memory.Allocator, typ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
		if args[1].DataType().ID() == arrow.STRING {
			return registry[regexSubstringFunc(len(args))][0].eval(mem, typ, args)
		}
		return evalSubstr(mem, typ, args)
	}}, "substring")
	register(function{resolve: oneArg(func(t arrow.DataType) arrow.DataType {
		if exec.IsNumeric(t) || types.IsVarNumeric(t) {
			return t
		}
		return nil
	}), eval: evalAbs}, "abs")
	register(function{resolve: resolveRounding(true), eval: evalRounding(roundHalfAway, math.RoundToEven)}, "round")
	register(function{resolve: resolveRounding(false), eval: evalRounding(ceilBig, math.Ceil)}, "ceil", "ceiling")
	register(function{resolve: resolveRounding(false), eval: evalRounding(floorBig, math.Floor)}, "floor")
	// NewFunc builds a Like for these; the entries give FuncResultType its answer.
	register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) != 2 || args[0].ID() != arrow.STRING || args[1].ID() != arrow.STRING {
			return nil, nil, undefinedFunc("like", args)
		}
		return arrow.FixedWidthTypes.Boolean, nil, nil
	}}, "like", "not like", "ilike", "not ilike")
	register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) == 0 {
			return nil, nil, undefinedFunc("concat", args)
		}
		return arrow.BinaryTypes.String, nil, nil
	}, zoned: evalConcat}, "concat")
	// NewFunc builds a Binary for mod; the entry gives FuncResultType its answer.
	register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) != 2 || !exec.IsNumeric(args[0]) || !exec.IsNumeric(args[1]) {
			return nil, nil, undefinedFunc("mod", args)
		}
		if exec.IsInteger(args[0]) && exec.IsInteger(args[1]) {
			if args[1].ID() > args[0].ID() {
				return args[1], nil, nil
			}
			return args[0], nil, nil
		}
		if a, b := modDecimal(args[0]), modDecimal(args[1]); a != nil && b != nil {
			t, err := exec.BinaryResultType(exec.Mod, a, b)
			return t, nil, err
		}
		return nil, nil, undefinedFunc("mod", args)
	}}, "mod")
}

// modDecimal is the numeric type a mod argument of type t is read as when the other argument
// is numeric (integers convert implicitly, floats do not), or nil.
func modDecimal(t arrow.DataType) arrow.DataType {
	switch {
	case t.ID() == arrow.DECIMAL128:
		return t
	case exec.IsInteger(t):
		return &arrow.Decimal128Type{Precision: 38, Scale: 0}
	}
	return nil
}

// newMod is mod(a, b): a % b on integers (of the wider type) or numerics; with one numeric
// argument an integer one is converted to numeric, as PostgreSQL's mod(numeric, numeric) is
// chosen for mod(numeric, integer).
func newMod(args []exec.Expr, types []arrow.DataType) (exec.Expr, error) {
	if len(args) != 2 {
		return nil, undefinedFunc("mod", types)
	}
	a, b := args[0], args[1]
	if (types[0].ID() == arrow.DECIMAL128) != (types[1].ID() == arrow.DECIMAL128) {
		da, db := modDecimal(types[0]), modDecimal(types[1])
		if da == nil || db == nil {
			return nil, undefinedFunc("mod", types)
		}
		var err error
		if exec.IsInteger(types[0]) {
			a, err = exec.NewCast(a, da)
		} else {
			b, err = exec.NewCast(b, db)
		}
		if err != nil {
			return nil, err
		}
	}
	if exec.IsInteger(types[0]) && exec.IsInteger(types[1]) && types[0].ID() != types[1].ID() {
		wide := types[0]
		if types[1].ID() > wide.ID() {
			wide = types[1]
		}
		var err error
		if a, err = exec.NewCast(a, wide); err != nil {
			return nil, err
		}
		if b, err = exec.NewCast(b, wide); err != nil {
			return nil, err
		}
	}
	t, err := exec.BinaryResultType(exec.Mod, a.DataType(), b.DataType())
	if err != nil || !(exec.IsInteger(t) || t.ID() == arrow.DECIMAL128) {
		return nil, undefinedFunc("mod", types)
	}
	return exec.NewBinary(exec.Mod, a, b)
}

func textOnly(t arrow.DataType) arrow.DataType {
	if t.ID() == arrow.STRING {
		return t
	}
	return nil
}

func oneArg(f func(arrow.DataType) arrow.DataType) func([]arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
	return func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) == 1 {
			if t := f(args[0]); t != nil {
				return t, nil, nil
			}
		}
		return nil, nil, undefinedFunc("function", args)
	}
}

func evalLength(mem memory.Allocator, _ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
	return lengths(mem, args[0], args[0].DataType().ID() == arrow.STRING)
}

// evalOctetLength counts bytes, of text and of bytea.
func evalOctetLength(mem memory.Allocator, _ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
	return lengths(mem, args[0], false)
}

// lengths is the length of each value of a, in characters when chars is set, else in bytes.
func lengths(mem memory.Allocator, a arrow.Array, chars bool) (arrow.Array, error) {
	offs := arrow.GetOffsets[int32](a.Data(), 1)
	d := exec.ByteData(a)
	buf, out := exec.AllocValues[int32](mem, a.Len())
	if chars && len(offs) > 0 && isASCII(d[offs[0]:offs[len(offs)-1]]) {
		chars = false // every character is a byte
	}
	for i := range out {
		s := d[offs[i]:offs[i+1]]
		if chars {
			out[i] = int32(utf8.RuneCount(s))
		} else {
			out[i] = int32(len(s))
		}
	}
	return exec.MakeArray(arrow.PrimitiveTypes.Int32, a.Len(), exec.CopyValidity(mem, a), buf), nil
}

// isASCII reports whether b holds only ASCII bytes, eight at a time.
func isASCII(b []byte) bool {
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b)&0x8080808080808080 != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func mapText(f func(string) string) func(memory.Allocator, arrow.DataType, []arrow.Array) (arrow.Array, error) {
	return func(mem memory.Allocator, typ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
		a := args[0].(*array.String)
		b := array.NewStringBuilder(mem)
		defer b.Release()
		b.Reserve(a.Len())
		for i := 0; i < a.Len(); i++ {
			if a.IsNull(i) {
				b.AppendNull()
				continue
			}
			b.Append(f(a.Value(i)))
		}
		return b.NewArray(), nil
	}
}

// regexSubstringFunc is the function substring(s FROM pattern) (two arguments) or
// substring(s SIMILAR pattern ESCAPE e) (three) is.
func regexSubstringFunc(n int) string {
	if n == 2 {
		return "_pg_regex_substring"
	}
	return "_pg_similar_substring"
}

func resolveSubstr(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
	if (len(args) != 2 && len(args) != 3) || args[0].ID() != arrow.STRING {
		return nil, nil, undefinedFunc("substr", args)
	}
	conv := []arrow.DataType{nil}
	for _, t := range args[1:] {
		if !exec.IsInteger(t) {
			return nil, nil, undefinedFunc("substr", args)
		}
		conv = append(conv, arrow.PrimitiveTypes.Int64)
	}
	return arrow.BinaryTypes.String, conv, nil
}

func evalSubstr(mem memory.Allocator, _ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
	sa := substrArgs{from: exec.ValuesOf[int64](args[1])}
	if len(args) == 3 {
		sa.count = exec.ValuesOf[int64](args[2])
	}
	return substr(mem, args[0], exec.AndValidity(mem, args...), sa)
}

// substrArgs are the start and count of substr per row, or one value for every row when
// they have length 1; count is nil when absent.
type substrArgs struct{ from, count []int64 }

// substr is PostgreSQL's substr of the text array s: characters [from, from+count) of the
// 1-based string, clipped. validity (owned; nil when no row is NULL) is the result's. The
// result is built straight into Arrow buffers in two passes (sizes, then bytes) so that
// nothing is allocated per row; byteRange takes the bytes of an ASCII prefix without
// decoding runes.
func substr(mem memory.Allocator, s arrow.Array, validity *memory.Buffer, sa substrArgs) (arrow.Array, error) {
	n := s.Len()
	offs := arrow.GetOffsets[int32](s.Data(), 1)
	data := exec.ByteData(s)
	var valid []byte
	if validity != nil {
		valid = validity.Bytes()
	}
	constant := len(sa.from) == 1 && (sa.count == nil || len(sa.count) == 1)
	if constant && sa.count != nil && sa.count[0] >= 0 && sa.count[0] <= 1<<20 && sa.from[0] > -1<<40 && sa.from[0] < 1<<40 {
		return substrConst(mem, s, validity, sa.from[0], sa.count[0])
	}
	span := func(i int) (int, int, error) {
		j := i
		if constant {
			j = 0
		}
		start := sa.from[j]
		end := int64(math.MaxInt64)
		if sa.count != nil {
			c := sa.count[j]
			if c < 0 {
				return 0, 0, errs.New(errs.DataException, "negative substring length not allowed")
			}
			if start > math.MaxInt64-c {
				end = math.MaxInt64
			} else {
				end = start + c
			}
		}
		return exec.ByteRange(data[offs[i]:offs[i+1]], max(start, 1)-1, end-1)
	}
	offBuf, outOffs := exec.AllocValues[int32](mem, n+1)
	total := 0
	for i := range n {
		outOffs[i] = int32(total)
		if valid != nil && !bitutil.BitIsSet(valid, i) {
			continue
		}
		bs, be, err := span(i)
		if err != nil {
			offBuf.Release()
			if validity != nil {
				validity.Release()
			}
			return nil, err
		}
		total += be - bs
	}
	outOffs[n] = int32(total)
	dataBuf := memory.NewResizableBuffer(mem)
	dataBuf.Resize(total)
	out := dataBuf.Bytes()
	for i := range n {
		if valid != nil && !bitutil.BitIsSet(valid, i) {
			continue
		}
		bs, be, _ := span(i)
		copy(out[outOffs[i]:], data[int(offs[i])+bs:int(offs[i])+be])
	}
	return exec.MakeArray(arrow.BinaryTypes.String, n, validity, offBuf, dataBuf), nil
}

// substrConst is substr with one start and one non-negative count for every row, in one pass:
// a result holds at most 4*count bytes (count characters of UTF-8) and at most the bytes of
// its input, so the output is sized for that up front.
func substrConst(mem memory.Allocator, s arrow.Array, validity *memory.Buffer, from, count int64) (arrow.Array, error) {
	n := s.Len()
	offs := arrow.GetOffsets[int32](s.Data(), 1)
	data := exec.ByteData(s)
	var valid []byte
	if validity != nil {
		valid = validity.Bytes()
	}
	// Characters [lo, hi) of the 0-based string; an empty range when hi <= lo.
	lo, hi := max(from, 1)-1, from+count-1
	offBuf, outOffs := exec.AllocValues[int32](mem, n+1)
	limit := int64(offs[n]) - int64(offs[0])
	if hi > lo {
		limit = min(limit, int64(n)*4*(hi-lo))
	} else {
		limit = 0
	}
	dataBuf := memory.NewResizableBuffer(mem)
	dataBuf.Resize(int(limit))
	out := dataBuf.Bytes()
	total := 0
	for i := range n {
		outOffs[i] = int32(total)
		if hi <= lo || (valid != nil && !bitutil.BitIsSet(valid, i)) {
			continue
		}
		v := data[offs[i]:offs[i+1]]
		if lo >= int64(len(v)) {
			continue
		}
		lim := len(v)
		if hi < int64(lim) {
			lim = int(hi)
		}
		bs, be := int(lo), lim
		for _, c := range v[:lim] {
			if c >= utf8.RuneSelf {
				bs, be, _ = exec.ByteRange(v, lo, hi)
				break
			}
		}
		total += copy(out[total:], v[bs:be])
	}
	outOffs[n] = int32(total)
	dataBuf.ResizeNoShrink(total)
	return exec.MakeArray(arrow.BinaryTypes.String, n, validity, offBuf, dataBuf), nil
}

func evalAbs(mem memory.Allocator, typ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
	a := args[0]
	if types.IsVarNumeric(typ) {
		return exec.VarUnary(mem, a, true)
	}
	validity := exec.CopyValidity(mem, a)
	var valid []byte
	if validity != nil {
		valid = validity.Bytes()
	}
	switch typ.ID() {
	case arrow.INT16:
		return absInts[int16](mem, typ, a, validity, valid, math.MinInt16)
	case arrow.INT32:
		return absInts[int32](mem, typ, a, validity, valid, math.MinInt32)
	case arrow.INT64:
		return absInts[int64](mem, typ, a, validity, valid, math.MinInt64)
	case arrow.FLOAT32:
		buf, out := exec.AllocValues[float32](mem, a.Len())
		for i, v := range exec.ValuesOf[float32](a) {
			out[i] = float32(math.Abs(float64(v)))
		}
		return exec.MakeArray(typ, a.Len(), validity, buf), nil
	case arrow.FLOAT64:
		buf, out := exec.AllocValues[float64](mem, a.Len())
		for i, v := range exec.ValuesOf[float64](a) {
			out[i] = math.Abs(v)
		}
		return exec.MakeArray(typ, a.Len(), validity, buf), nil
	}
	buf, out := exec.AllocValues[decimal128.Num](mem, a.Len())
	for i, v := range exec.ValuesOf[decimal128.Num](a) {
		out[i] = v.Abs()
	}
	return exec.MakeArray(typ, a.Len(), validity, buf), nil
}

func absInts[T exec.Integer](mem memory.Allocator, typ arrow.DataType, a arrow.Array, validity *memory.Buffer, valid []byte, min int64) (arrow.Array, error) {
	buf, out := exec.AllocValues[T](mem, a.Len())
	for i, v := range exec.ValuesOf[T](a) {
		if int64(v) == min && !exec.Skip(valid, i) {
			buf.Release()
			if validity != nil {
				validity.Release()
			}
			return nil, exec.RangeErr(typ)
		}
		if v < 0 {
			v = -v
		}
		out[i] = v
	}
	return exec.MakeArray(typ, a.Len(), validity, buf), nil
}

// resolveRounding types round/ceil/floor: numeric stays numeric (round(numeric) and
// ceil/floor at scale 0; round(numeric, n) keeps the argument's scale, with the digits past
// n zero, since our decimals have a fixed scale), everything else is double precision.
func resolveRounding(places bool) func([]arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
	return func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) >= 1 && types.IsVarNumeric(args[0]) {
			// Each value is rounded at its own places, which it then shows.
			if len(args) == 1 {
				return args[0], nil, nil
			}
			if len(args) == 2 && places && exec.IsInteger(args[1]) {
				return args[0], []arrow.DataType{nil, arrow.PrimitiveTypes.Int32}, nil
			}
			return nil, nil, undefinedFunc("round", args)
		}
		if len(args) == 0 || len(args) > 2 || !exec.IsNumeric(args[0]) {
			return nil, nil, undefinedFunc("round", args)
		}
		if len(args) == 2 {
			if !places || args[0].ID() != arrow.DECIMAL128 || !exec.IsInteger(args[1]) {
				return nil, nil, undefinedFunc("round", args)
			}
			d := args[0].(*arrow.Decimal128Type) // rounding up may add a digit
			return &arrow.Decimal128Type{Precision: min(38, d.Precision+1), Scale: d.Scale}, []arrow.DataType{nil, arrow.PrimitiveTypes.Int32}, nil
		}
		if d, ok := args[0].(*arrow.Decimal128Type); ok {
			return &arrow.Decimal128Type{Precision: min(38, d.Precision-d.Scale+1), Scale: 0}, nil, nil
		}
		f := arrow.PrimitiveTypes.Float64
		return f, []arrow.DataType{f}, nil
	}
}

// Rounding of an unscaled decimal q = x / d to an integer.
func roundHalfAway(x, d *big.Int) *big.Int {
	q, _ := exec.DivRound(x, d, new(big.Int), new(big.Int))
	return q.BigInt()
}

func floorBig(x, d *big.Int) *big.Int {
	q, m := new(big.Int).DivMod(x, d, new(big.Int)) // Euclidean: m >= 0, so q is the floor for d > 0
	_ = m
	return q
}

func ceilBig(x, d *big.Int) *big.Int {
	q := floorBig(x, d)
	if new(big.Int).Mul(q, d).Cmp(x) != 0 {
		q.Add(q, big.NewInt(1))
	}
	return q
}

func evalRounding(dec func(x, d *big.Int) *big.Int, flt func(float64) float64) func(memory.Allocator, arrow.DataType, []arrow.Array) (arrow.Array, error) {
	return func(mem memory.Allocator, typ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
		a := args[0]
		n := a.Len()
		if types.IsVarNumeric(typ) {
			return exec.VarRounding(mem, dec, args)
		}
		if typ.ID() == arrow.FLOAT64 {
			buf, out := exec.AllocValues[float64](mem, n)
			for i, v := range exec.ValuesOf[float64](a) {
				out[i] = flt(v)
			}
			return exec.MakeArray(typ, n, exec.CopyValidity(mem, a), buf), nil
		}
		in := a.DataType().(*arrow.Decimal128Type).Scale
		out := typ.(*arrow.Decimal128Type).Scale
		var places []int32
		if len(args) == 2 {
			places = exec.ValuesOf[int32](args[1])
		}
		validity := exec.AndValidity(mem, args...)
		buf, res := exec.AllocValues[decimal128.Num](mem, n)
		src := exec.ValuesOf[decimal128.Num](a)
		for i := range res {
			if validity != nil && exec.Skip(validity.Bytes(), i) {
				continue
			}
			// Round to p places: divide by 10^(in-p), round, multiply back to scale out.
			p := out
			if places != nil {
				p = min(places[i], in)
			}
			if p >= in {
				res[i] = src[i]
				continue
			}
			x := src[i].BigInt()
			d := exec.Pow10(in - p)
			q := dec(x, d)
			if out > p {
				q.Mul(q, exec.Pow10(out-p))
			} else if out < p {
				q.Quo(q, exec.Pow10(p-out))
			}
			if q.BitLen() > 127 || !exec.Fits38(decimal128.FromBigInt(q)) {
				buf.Release()
				if validity != nil {
					validity.Release()
				}
				return nil, exec.RangeErr(typ)
			}
			res[i] = decimal128.FromBigInt(q)
		}
		return exec.MakeArray(typ, n, validity, buf), nil
	}
}

func evalConcat(mem memory.Allocator, loc *time.Location, _ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
	n := args[0].Len()
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.Reserve(n)
	var sb strings.Builder
	for i := 0; i < n; i++ {
		sb.Reset()
		for _, a := range args {
			if a.IsNull(i) {
				continue
			}
			switch a := a.(type) {
			case *array.String:
				sb.WriteString(a.Value(i))
				continue
			case *array.Boolean: // concat uses boolout: t or f
				if a.Value(i) {
					sb.WriteString("t")
				} else {
					sb.WriteString("f")
				}
				continue
			}
			sb.WriteString(exec.FormatTextIn(exec.ValueAt(a, i), a.DataType(), loc))
		}
		b.Append(sb.String())
	}
	return b.NewArray(), nil
}

// TextPrefix returns s and n when f is substr(s, from, count) (or substring) of a text s with
// literal from <= 1 and count >= 0, so that it returns the first n = from+count-1 (at most 7)
// characters of s: the group table keys such groups on s's bytes (exec.TextPrefixer).
func (f *Func) TextPrefix() (exec.Expr, int, bool) {
	if f.substrConst == nil || len(f.substrConst.from) != 1 || len(f.substrConst.count) != 1 || len(f.args) != 3 {
		return nil, 0, false
	}
	from, count := f.substrConst.from[0], f.substrConst.count[0]
	if from > 1 || count < 0 || from < -1<<40 || count > 1<<40 || f.args[0].DataType().ID() != arrow.STRING {
		return nil, 0, false
	}
	n := max(from+count-1, 0)
	if n > 7 {
		return nil, 0, false
	}
	return f.args[0], int(n), true
}
