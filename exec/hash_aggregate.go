package exec

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/types"
)

// Aggregate is one aggregate call of a HashAggregate.
//
// Func is one of count_star, count, sum, min, max, avg, stddev, stddev_samp, stddev_pop,
// variance, var_samp, var_pop, bool_and, bool_or, every, string_agg, array_agg and the
// ordered-set aggregates percentile_cont, percentile_disc and mode.
type Aggregate struct {
	Func     string // lower-case aggregate name, see above
	Arg      Expr   // nil for count_star
	Distinct bool   // aggregate over the distinct non-NULL values of Arg in each group
	Name     string // output column name
	// Filter, when set, is a boolean expression: rows where it is not true are skipped
	// (FILTER (WHERE ...)).
	Filter Expr
	// Extra are further arguments: string_agg's delimiter, the fraction of percentile_cont
	// and percentile_disc (double precision, read from the first row each group folds), X
	// of the two-argument aggregates f(Y, X) (IsPairAggregate; Arg is Y).
	Extra []Expr
	// OrderBy is the ORDER BY inside the call; the values a group folds are ordered by it.
	// For the ordered-set aggregates (WITHIN GROUP (ORDER BY e)) Arg is e and OrderBy is
	// [{e, desc, nullsFirst}].
	OrderBy []SortKey
	// DistinctJSONB: Arg holds jsonb values as strings, which DISTINCT compares as jsonb's =
	// does (numbers by value).
	DistinctJSONB bool
}

func (a Aggregate) String() string {
	var s string
	switch {
	case a.Func == "count_star":
		s = "count(*)"
	case IsOrderedSetAggregate(a.Func):
		s = a.Func + "(" + joinExprs(a.Extra) + ") WITHIN GROUP (ORDER BY " + keysString(a.OrderBy) + ")"
	default:
		d := ""
		if a.Distinct {
			d = "DISTINCT "
		}
		s = a.Func + "(" + d + joinExprs(append([]Expr{a.Arg}, a.Extra...))
		if len(a.OrderBy) > 0 {
			s += " ORDER BY " + keysString(a.OrderBy)
		}
		s += ")"
	}
	if a.Filter != nil {
		s += " FILTER (WHERE " + a.Filter.String() + ")"
	}
	return s
}

// collects reports whether the aggregate is computed from its collected rows.
func (a Aggregate) collects() bool {
	return needsRows(a.Func) || ((a.Func == "min" || a.Func == "max") && a.Arg.DataType().ID() == arrow.LIST)
}

// check validates the aggregate's Filter, Extra and OrderBy.
func (a Aggregate) check() error {
	if a.Filter != nil && a.Filter.DataType().ID() != arrow.BOOL {
		return errs.New(errs.DatatypeMismatch, "argument of FILTER must be type boolean, not type %s", types.BaseName(a.Filter.DataType()))
	}
	if len(a.Extra) != extraArgs(a.Func) {
		return fmt.Errorf("hash aggregate: %s: %w: %d extra arguments", a.Func, ErrArity, len(a.Extra))
	}
	for i, e := range a.Extra {
		if e == nil {
			return fmt.Errorf("hash aggregate: %s: nil extra argument %d", a.Func, i)
		}
	}
	switch a.Func {
	case "string_agg":
		if !arrow.TypeEqual(a.Extra[0].DataType(), a.Arg.DataType()) {
			return errs.New(errs.UndefinedFunction, "function string_agg(%s, %s) does not exist", types.BaseName(a.Arg.DataType()), types.BaseName(a.Extra[0].DataType()))
		}
	case "corr", "covar_pop", "covar_samp", "regr_avgx", "regr_avgy", "regr_count", "regr_intercept", "regr_r2",
		"regr_slope", "regr_sxx", "regr_sxy", "regr_syy":
		if err := checkPair(a); err != nil {
			return err
		}
	case "percentile_cont", "percentile_disc":
		if a.Extra[0].DataType().ID() != arrow.FLOAT64 {
			return errs.New(errs.UndefinedFunction, "function %s(%s) does not exist", a.Func, types.BaseName(a.Extra[0].DataType()))
		}
	}
	if IsOrderedSetAggregate(a.Func) && len(a.OrderBy) != 1 {
		return fmt.Errorf("hash aggregate: %s: %w: WITHIN GROUP needs one key", a.Func, ErrArity)
	}
	for i, k := range a.OrderBy {
		if k.Expr == nil || !supported(k.Expr.DataType()) {
			return typeErr("%s: ORDER BY key %d", a.Func, i)
		}
	}
	return nil
}

// AggregateResultType is PostgreSQL's result type of fn over arg (nil for count_star):
// count is bigint; sum of smallint and integer is bigint, of bigint numeric(38,0), of a float
// the float, of numeric(p,s) numeric(38,s); avg of integers is numeric(38,16), of floats
// double precision, of numeric(p,s) numeric(38,max(s,16)); min and max keep the type.
// PostgreSQL's numeric results have a variable scale; ours have the fixed scales above.
func AggregateResultType(fn string, arg arrow.DataType) (arrow.DataType, error) {
	switch fn {
	case "count_star":
		return arrow.PrimitiveTypes.Int64, nil
	}
	if arg == nil || !supported(arg) {
		return nil, errs.New(errs.UndefinedFunction, "function %s(%v) does not exist", fn, arg)
	}
	undefined := errs.New(errs.UndefinedFunction, "function %s(%s) does not exist", fn, types.BaseName(arg))
	switch fn {
	case "count":
		return arrow.PrimitiveTypes.Int64, nil
	case "min", "max":
		return arg, nil
	}
	if isIntervalSumAvg(fn, arg) {
		return arg, nil
	}
	switch fn {
	case "sum":
		if types.IsVarNumeric(arg) {
			return arg, nil
		}
		switch arg.ID() {
		case arrow.INT16, arrow.INT32:
			return arrow.PrimitiveTypes.Int64, nil
		case arrow.INT64:
			return &arrow.Decimal128Type{Precision: 38, Scale: 0}, nil
		case arrow.FLOAT32, arrow.FLOAT64:
			return arg, nil
		case arrow.DECIMAL128:
			return &arrow.Decimal128Type{Precision: 38, Scale: scaleOf(arg)}, nil
		}
		return nil, undefined
	case "avg":
		if types.IsVarNumeric(arg) {
			return arg, nil
		}
		switch arg.ID() {
		case arrow.INT16, arrow.INT32, arrow.INT64, arrow.DECIMAL128:
			// PostgreSQL divides the numeric sum by the count, each group's quotient at
			// its own scale (numeric_avg).
			return types.VarNumeric, nil
		case arrow.FLOAT32, arrow.FLOAT64:
			return arrow.PrimitiveTypes.Float64, nil
		}
		return nil, undefined
	}
	if t, err, ok := extraResultType(fn, arg); ok {
		return t, err
	}
	return nil, errs.New(errs.UndefinedFunction, "aggregate %s does not exist", fn)
}

// HashAggregate groups its input by the group expressions and computes the aggregates of
// each group. Output columns are the groups, then the aggregates, in batches of at most
// BatchRows, in no particular order. Without groups it returns exactly one row, even for
// no input. NULL group keys form one group. Past its memory budget it adds no more groups
// and spills the rows of new groups to disk, partitioned by group key, then aggregates
// each partition in turn (see Spilling).
type HashAggregate struct {
	groups []Expr
	aggs   []Aggregate
	types  []arrow.DataType // aggregate result types
	schema *arrow.Schema
	input  Operator
	// prefixArg is set when the only group is a text prefix of at most 7 characters
	// (substr(s, 1, n)): the table is keyed on the first prefixChars characters of
	// prefixArg's values, read from the string's buffers, without building the substrings.
	prefixArg   Expr
	prefixChars int
}

var _ Operator = (*HashAggregate)(nil)

// NewHashAggregate returns the aggregation of input; groupNames name the group columns.
func NewHashAggregate(groups []Expr, groupNames []string, aggs []Aggregate, input Operator) (*HashAggregate, error) {
	if input == nil {
		return nil, fmt.Errorf("hash aggregate: nil input")
	}
	if len(groups) != len(groupNames) {
		return nil, fmt.Errorf("hash aggregate: %w: %d groups, %d names", ErrArity, len(groups), len(groupNames))
	}
	var fields []arrow.Field
	for i, g := range groups {
		if g == nil || !supported(g.DataType()) {
			return nil, typeErr("group %d", i)
		}
		fields = append(fields, arrow.Field{Name: groupNames[i], Type: g.DataType(), Nullable: true})
	}
	h := &HashAggregate{groups: groups, input: input}
	if len(groups) == 1 {
		h.prefixArg, h.prefixChars = textPrefix(groups[0])
	}
	aggs = append([]Aggregate(nil), aggs...)
	for i, a := range aggs {
		a.Func = strings.ToLower(a.Func)
		if (a.Func == "count_star") != (a.Arg == nil) {
			return nil, fmt.Errorf("hash aggregate: %s: %w", a.Func, ErrArity)
		}
		if a.Func == "count_star" && a.Distinct {
			return nil, fmt.Errorf("hash aggregate: count(DISTINCT *)")
		}
		if err := a.check(); err != nil {
			return nil, err
		}
		if a.Arg != nil && (a.Func == "min" || a.Func == "max") && a.Arg.DataType().ID() == arrow.LIST {
			// Lists have no folding min/max: order the group's rows by the value.
			a.OrderBy = []SortKey{{Expr: a.Arg, Desc: a.Func == "max", NullsFirst: false}}
		}
		var arg arrow.DataType
		if a.Arg != nil {
			arg = a.Arg.DataType()
		}
		t, err := AggregateResultType(a.Func, arg)
		if err != nil {
			return nil, err
		}
		aggs[i] = a
		h.types = append(h.types, t)
		fields = append(fields, arrow.Field{Name: a.Name, Type: t, Nullable: true})
	}
	if j, ok := input.(*HashJoin); ok && len(groups) == 0 {
		dictionaryArgs(j, aggs)
	}
	h.aggs = aggs
	h.schema = arrow.NewSchema(fields, nil)
	return h, nil
}

// dictionaryArgs has the join j, the input of an aggregation without groups, return as
// dictionary arrays its right text and bytea columns that aggregates read only as the
// argument of count(DISTINCT ...) (HashJoin.dictionaryRight), and retypes those arguments:
// the distinct values are then found by build row (valueSet.firstSeenDict) and the join
// gathers no string. It does nothing unless every argument is a column reference and no
// aggregate has a FILTER, extra arguments or an ORDER BY (then no other use can hide).
func dictionaryArgs(j *HashJoin, aggs []Aggregate) {
	other := map[int]bool{} // columns read other than by count(DISTINCT col)
	var cands []int
	for i, a := range aggs {
		if a.Filter != nil || len(a.Extra) > 0 || len(a.OrderBy) > 0 {
			return
		}
		if a.Arg == nil {
			continue
		}
		c, ok := a.Arg.(*Column)
		if !ok {
			return
		}
		if a.Func == "count" && a.Distinct && !a.DistinctJSONB && !types.IsJSONB(c.typ) {
			cands = append(cands, i)
		} else {
			other[c.index] = true
		}
	}
	nl := j.left.Schema().NumFields()
	for _, i := range cands {
		c := aggs[i].Arg.(*Column)
		if other[c.index] || c.index < nl || !j.dictionaryRight(c.index-nl) {
			continue
		}
		aggs[i].Arg = &Column{index: c.index, typ: j.schema.Field(c.index).Type, name: c.name}
	}
}

func (h *HashAggregate) Schema() *arrow.Schema { return h.schema }
func (h *HashAggregate) Children() []Operator  { return []Operator{h.input} }

func (h *HashAggregate) String() string {
	a := make([]string, len(h.aggs))
	for i, agg := range h.aggs {
		a[i] = agg.String()
	}
	return fmt.Sprintf("HashAggregate: groups=[%s] aggs=[%s]", joinExprs(h.groups), strings.Join(a, ", "))
}

func (h *HashAggregate) Execute(ctx context.Context) (Stream, error) {
	in, err := h.input.Execute(ctx)
	if err != nil {
		return nil, err
	}
	return &aggStream{h: h, in: in}, nil
}

type aggStream struct {
	h     *HashAggregate
	in    Stream
	depth int // 0, or how many times the rows were partitioned by spilling

	done bool
	out  arrow.RecordBatch // the whole result, handed out in slices
	pos  int64
	res  *Reservation

	spilled *partitionWriter // rows of groups not held, by partition
	part    int              // next partition to aggregate
	sub     *aggStream       // the aggregation of a partition
}

func (s *aggStream) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if !s.done {
		s.done = true
		out, err := s.run(ctx)
		if err != nil {
			if s.spilled != nil {
				s.spilled.remove()
				s.spilled = nil
			}
			return nil, err
		}
		s.out = out
	}
	if s.out != nil && s.pos < s.out.NumRows() {
		end := min(s.pos+BatchRows, s.out.NumRows())
		b := s.out.NewSlice(s.pos, end)
		s.pos = end
		return b, nil
	}
	if s.out != nil {
		s.out.Release()
		s.out = nil
	}
	s.res.release()
	// The partitions spilled, each aggregated as an input of its own.
	for s.spilled != nil {
		if s.sub != nil {
			b, err := s.sub.Next(ctx)
			if err != io.EOF {
				return b, err
			}
			s.sub.Close()
			s.sub = nil
		}
		if s.part >= spillFanOut {
			s.spilled = nil
			break
		}
		f := s.spilled.files[s.part]
		s.spilled.files[s.part] = nil
		s.part++
		if f == nil {
			continue
		}
		in, err := f.open(ctx)
		if err != nil {
			return nil, err
		}
		s.sub = &aggStream{h: s.h, in: in, depth: s.depth + 1}
	}
	return nil, io.EOF
}

func (s *aggStream) Close() error {
	if s.out != nil {
		s.out.Release()
		s.out = nil
	}
	if s.sub != nil {
		s.sub.Close()
		s.sub = nil
	}
	if s.spilled != nil {
		s.spilled.remove()
		s.spilled = nil
	}
	s.res.release()
	s.done = true
	return s.in.Close()
}

// groupTable assigns dense ids to distinct group keys and keeps each group's key values.
// Keys are the rows' byte encodings (see encoder) in a keyTable; a single text or bytea key
// column is keyed on its bytes as they are, a single integer-like key column on its value in
// an intGroups table.
type groupTable struct {
	ids      keyTable  // the encoded keys, or the bytes of a single text or bytea key
	idOf     []int32   // group of each key of ids, when the NULL group has no key in ids
	ints     intGroups // a single integer-like key
	shorts   intGroups // a single text or bytea key's values of at most 7 bytes, packed
	nullID   int32     // group of the NULL key of a single key column, or -1
	builders []array.Builder
	key      []byte
	n        int
	frozen   bool  // add no more groups: rows of new ones get group -1
	bytes    int64 // estimated size of the keys held, in the maps and the builders
}

// size is the memory the table holds: its hash tables and the keys it keeps.
func (gt *groupTable) size() int64 {
	return gt.bytes + gt.ids.bytes() + int64(cap(gt.idOf))*4 + gt.ints.bytes() + gt.shorts.bytes()
}

// updateState folds the rows of arr into st, through updateOne when every row is in group 0
// (one) and st takes that.
func updateState(st aggState, one bool, gids []int32, arr arrow.Array) error {
	if o, ok := st.(oneGroupState); ok && one {
		return o.updateOne(gids, arr)
	}
	return st.update(gids, arr)
}

// aggStateBytes is the estimated size of the state of one aggregate of one group.
const aggStateBytes = 24

func (s *aggStream) run(ctx context.Context) (arrow.RecordBatch, error) {
	h := s.h
	mem := Allocator(ctx)
	gt := &groupTable{nullID: -1}
	for _, g := range h.groups {
		gt.builders = append(gt.builders, array.NewBuilder(mem, g.DataType()))
	}
	defer func() {
		for _, b := range gt.builders {
			b.Release()
		}
	}()
	states := make([]aggState, len(h.aggs))
	rows := make([]*rowsState, len(h.aggs))
	defer func() {
		for _, r := range rows {
			if r != nil {
				r.release()
			}
		}
	}()
	distinct := make([]*keyTable, len(h.aggs)) // (group, value) pairs seen, for DISTINCT
	sets := make([]*valueSet, len(h.aggs))     // values seen, for DISTINCT without groups
	for i, a := range h.aggs {
		var arg arrow.DataType
		if a.Arg != nil {
			arg = a.Arg.DataType()
		}
		if a.Distinct {
			distinct[i] = &keyTable{}
		}
		if a.collects() {
			rows[i] = newRowsState(a, h.types[i])
			continue
		}
		states[i] = newAggState(a.Func, arg, h.types[i])
		if a.Distinct {
			distinct[i] = &keyTable{}
		}
	}
	for i, a := range h.aggs {
		if a.Distinct && len(h.groups) == 0 && valueSetType(a.Arg.DataType()) && !a.DistinctJSONB && (rows[i] == nil || rows[i].skipNull) {
			sets[i] = &valueSet{}
		}
	}
	if len(h.groups) == 0 {
		gt.n = 1
	}
	grow := func() {
		for _, st := range states {
			if st != nil {
				st.grow(gt.n)
			}
		}
	}
	grow()
	var gids, fgids, dgids, part []int32
	var key []byte
	if len(h.groups) > 0 {
		s.res = Budget(ctx).reserve()
	}
	var distinctBytes int64
	for {
		b, err := s.in.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		err = func() error {
			defer b.Release()
			n := int(b.NumRows())
			gids = resized(gids, n)
			if len(h.groups) == 0 {
				clear(gids)
			} else if h.prefixArg != nil && !gt.frozen {
				str, err := h.prefixArg.Eval(ctx, b)
				if err != nil {
					return err
				}
				defer str.Release()
				assignBytes(gt, str, gids, h.prefixChars)
			} else {
				keys, err := evalAll(ctx, h.groups, b)
				if err != nil {
					return err
				}
				defer releaseAll(keys)
				gt.assign(keys, gids)
				if gt.frozen {
					// Spill the rows of groups not held, by a hash of the key.
					part = resized(part, n)
					partitionsOf(keys, s.depth, part)
					any := false
					for r, g := range gids {
						if g >= 0 {
							part[r] = -1
						} else {
							any = true
						}
					}
					if any {
						if s.spilled == nil {
							s.spilled = &partitionWriter{schema: h.input.Schema()}
						}
						if err := s.spilled.write(ctx, mem, b, part); err != nil {
							return err
						}
					}
				}
			}
			grow()
			for i, a := range h.aggs {
				use := gids
				// one: every row is in group 0 (no GROUP BY, and use is gids).
				one := len(h.groups) == 0 && a.Filter == nil && !a.Distinct
				if a.Filter != nil {
					// Rows whose filter is not true are skipped.
					f, err := a.Filter.Eval(ctx, b)
					if err != nil {
						return err
					}
					fb := f.(*array.Boolean)
					fgids = resized(fgids, n)
					for r, g := range gids {
						fgids[r] = g
						if fb.IsNull(r) || !fb.Value(r) {
							fgids[r] = -1
						}
					}
					f.Release()
					use = fgids
				}
				if a.Arg == nil {
					if err := updateState(states[i], one, use, nil); err != nil {
						return err
					}
					continue
				}
				arg, err := a.Arg.Eval(ctx, b)
				if err != nil {
					return err
				}
				if d, ok := arg.(*array.Dictionary); ok && a.Distinct && sets[i] != nil {
					// count(DISTINCT col) of a join's dictionary column (dictionaryArgs):
					// count the rows of its first-seen non-NULL values, if any.
					dgids = resized(dgids, n)
					before := sets[i].bytes()
					first := sets[i].firstSeenDict(d, use, dgids)
					distinctBytes += sets[i].bytes() - before
					if first > 0 {
						err = states[i].update(dgids, nil)
					}
					arg.Release()
					if err != nil {
						return err
					}
					continue
				} else if a.Distinct && sets[i] != nil {
					// Without groups: keep only the first occurrence of each value.
					dgids = resized(dgids, n)
					before := sets[i].bytes()
					sets[i].firstSeen(arg, use, dgids)
					distinctBytes += sets[i].bytes() - before
					use = dgids
				} else if a.Distinct {
					// Keep only the first occurrence of each (group, value).
					dgids = resized(dgids, n)
					enc := encoder(arg)
					if a.DistinctJSONB {
						enc = jsonbKeyEncoder(arg)
					}
					for r, g := range use {
						dgids[r] = -1
						if g < 0 || (arg.IsNull(r) && !(rows[i] != nil && !rows[i].skipNull)) {
							continue
						}
						key = binary.LittleEndian.AppendUint32(key[:0], uint32(g))
						key = enc(key, r)
						kh := hashKey(key)
						if _, slot, ok := distinct[i].find(key, kh); !ok {
							before := distinct[i].bytes()
							distinct[i].insert(key, kh, slot)
							distinctBytes += distinct[i].bytes() - before
							dgids[r] = g
						}
					}
					use = dgids
				}
				if rows[i] != nil {
					err = h.collect(ctx, mem, rows[i], a, b, use, arg)
				} else if ps, ok := states[i].(pairState); ok {
					err = updatePair(ctx, ps, a, b, use, arg)
				} else {
					err = updateState(states[i], one, use, arg)
				}
				arg.Release()
				if err != nil {
					return err
				}
			}
			return nil
		}()
		if err != nil {
			return nil, err
		}
		if s.res != nil && !gt.frozen {
			est := gt.size() + int64(gt.n)*aggStateBytes*int64(len(h.aggs)) + distinctBytes
			for _, r := range rows {
				if r != nil {
					est += r.bytes
				}
			}
			if !s.res.resize(est) {
				gt.frozen = true
			}
		}
	}
	cols := make([]arrow.Array, 0, len(h.groups)+len(h.aggs))
	for _, bld := range gt.builders {
		cols = append(cols, bld.NewArray())
	}
	for i, st := range states {
		var a arrow.Array
		var err error
		if rows[i] != nil {
			a, err = rows[i].finish(mem, gt.n)
		} else {
			a, err = st.finish(mem)
		}
		if err != nil {
			releaseAll(cols)
			return nil, err
		}
		cols = append(cols, a)
	}
	defer releaseAll(cols)
	return array.NewRecordBatch(h.schema, cols, int64(gt.n)), nil
}

// collect evaluates a's extra arguments and rs's ORDER BY keys over b and adds the rows of
// b with use[r] >= 0 to rs.
func (h *HashAggregate) collect(ctx context.Context, mem memory.Allocator, rs *rowsState, a Aggregate, b arrow.RecordBatch, use []int32, arg arrow.Array) error {
	extra, err := evalAll(ctx, a.Extra, b)
	if err != nil {
		return err
	}
	defer releaseAll(extra)
	if rs.byArg {
		rs.add(mem, use, arg, extra, []arrow.Array{arg})
		return nil
	}
	keys := make([]Expr, len(a.OrderBy))
	for i, k := range a.OrderBy {
		keys[i] = k.Expr
	}
	order, err := evalAll(ctx, keys, b)
	if err != nil {
		return err
	}
	defer releaseAll(order)
	rs.add(mem, use, arg, extra, order)
	return nil
}

// assign sets gids[i] to the group of row i of the key columns, adding new groups.
func (gt *groupTable) assign(keys []arrow.Array, gids []int32) {
	if len(keys) == 1 {
		switch keys[0].DataType().ID() {
		case arrow.INT16:
			assignInts(gt, keys[0], values[int16](keys[0]), gids)
			return
		case arrow.INT32, arrow.DATE32:
			assignInts(gt, keys[0], values[int32](keys[0]), gids)
			return
		case arrow.INT64, arrow.TIMESTAMP:
			assignInts(gt, keys[0], values[int64](keys[0]), gids)
			return
		}
	}
	if len(keys) == 1 && (keys[0].DataType().ID() == arrow.STRING || keys[0].DataType().ID() == arrow.BINARY) && !types.IsJSONB(keys[0].DataType()) {
		assignBytes(gt, keys[0], gids, -1)
		return
	}
	encs := make([]rowEncoder, len(keys))
	apps := make([]rowAppender, len(keys))
	for i, k := range keys {
		encs[i] = encoder(k)
		apps[i] = appender(k, gt.builders[i])
	}
	for r := range gids {
		gt.key = gt.key[:0]
		for _, e := range encs {
			gt.key = e(gt.key, r)
		}
		h := hashKey(gt.key)
		id, slot, ok := gt.ids.find(gt.key, h)
		if !ok {
			if gt.frozen {
				gids[r] = -1
				continue
			}
			id = gt.ids.insert(gt.key, h, slot)
			gt.bytes += int64(len(gt.key)) // the builders' copy
			gt.n++
			for _, app := range apps {
				app(r)
			}
		}
		gids[r] = id
	}
}

// assignBytes is assign for one text or bytea key column: the table is keyed on the bytes
// of the Arrow buffer, NULL is a group of its own. With prefix >= 0 the key is the first
// prefix characters (at most 7) of each text value instead, as substr(value, 1, prefix)
// would return them.
func assignBytes(gt *groupTable, a arrow.Array, gids []int32, prefix int) {
	app := appender(a, gt.builders[0])
	var keyBuilder *array.BinaryBuilder
	if prefix >= 0 {
		keyBuilder = storageBuilder(gt.builders[0]).(*array.StringBuilder).BinaryBuilder
	}
	offs := arrow.GetOffsets[int32](a.Data(), 1)
	d := byteData(a)
	nulls := a.NullN() > 0
	for r := range gids {
		if nulls && a.IsNull(r) {
			if gt.nullID < 0 && gt.frozen {
				gids[r] = -1
				continue
			}
			if gt.nullID < 0 {
				gt.nullID = int32(gt.n)
				gt.n++
				app(r)
			}
			gids[r] = gt.nullID
			continue
		}
		off := int(offs[r])
		k := d[off:offs[r+1]]
		var p int64
		short := false
		if prefix >= 0 {
			n := min(len(k), prefix)
			if off+8 <= len(d) {
				// One load: the prefix's bytes, checked for ASCII (then characters are
				// bytes) and packed at once.
				w := binary.LittleEndian.Uint64(d[off:]) & (1<<(8*n) - 1)
				if w&0x8080808080808080 == 0 {
					k, p, short = k[:n], int64(w|uint64(n)<<56), true
				}
			}
			if !short {
				_, be, _ := ByteRange(k, 0, int64(prefix))
				k = k[:be]
			}
		}
		if !short && len(k) <= 7 {
			p, short = packShort(d, off, len(k)), true
		}
		if short {
			// A short value is its own key: its bytes and its length packed in an integer.
			id, slot, ok := gt.shorts.find(p)
			if !ok {
				if gt.frozen {
					gids[r] = -1
					continue
				}
				id = int32(gt.n)
				gt.shorts.insert(p, id, slot)
				gt.bytes += int64(len(k))
				gt.n++
				if keyBuilder != nil {
					keyBuilder.Append(k)
				} else {
					app(r)
				}
			}
			gids[r] = id
			continue
		}
		h := hashKey(k)
		id, slot, ok := gt.ids.find(k, h)
		if !ok {
			if gt.frozen {
				gids[r] = -1
				continue
			}
			id = int32(gt.n)
			gt.idOf = append(gt.idOf, id)
			gt.ids.insert(k, h, slot)
			gt.bytes += int64(len(k))
			gt.n++
			if keyBuilder != nil {
				keyBuilder.Append(k)
			} else {
				app(r)
			}
		} else {
			id = gt.idOf[id]
		}
		gids[r] = id
	}
}

// TextPrefixer is an expression that may return the first n (at most 7) characters of a
// text expression s, such as substr(s, 1, n): a group key the group table can read from s's
// buffers without building the substrings. ok is false when it does not.
type TextPrefixer interface {
	TextPrefix() (s Expr, n int, ok bool)
}

// textPrefix returns s and n when g is a TextPrefixer returning the first n characters of s,
// or nil.
func textPrefix(g Expr) (Expr, int) {
	f, ok := g.(TextPrefixer)
	if !ok {
		return nil, 0
	}
	s, n, ok := f.TextPrefix()
	if !ok || n > 7 {
		return nil, 0
	}
	return s, n
}

// packShort packs the n <= 7 bytes of d at off into an integer, n in the top byte: distinct
// values give distinct integers.
func packShort(d []byte, off, n int) int64 {
	var w uint64
	if off+8 <= len(d) {
		w = binary.LittleEndian.Uint64(d[off:]) & (1<<(8*n) - 1)
	} else {
		for i, c := range d[off : off+n] {
			w |= uint64(c) << (8 * i)
		}
	}
	return int64(w | uint64(n)<<56)
}

// assignInts is assign for one integer-like key column.
func assignInts[T integer](gt *groupTable, a arrow.Array, vals []T, gids []int32) {
	app := appender(a, gt.builders[0])
	nulls := a.NullN() > 0
	for r, v := range vals {
		if nulls && a.IsNull(r) {
			if gt.nullID < 0 && gt.frozen {
				gids[r] = -1
				continue
			}
			if gt.nullID < 0 {
				gt.nullID = int32(gt.n)
				gt.n++
				app(r)
			}
			gids[r] = gt.nullID
			continue
		}
		id, slot, ok := gt.ints.find(int64(v))
		if !ok {
			if gt.frozen {
				gids[r] = -1
				continue
			}
			id = int32(gt.n)
			gt.ints.insert(int64(v), id, slot)
			gt.bytes += int64(unsafe.Sizeof(v)) // the builder's copy
			gt.n++
			app(r)
		}
		gids[r] = id
	}
}

// resized returns s with length n, reusing its storage when it is large enough.
func resized(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n)
	}
	return s[:n]
}
