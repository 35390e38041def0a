package exec

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// JoinKind is the kind of a join.
type JoinKind int

// Join kinds. Semi and anti joins return the left columns only.
const (
	Inner JoinKind = iota
	Left           // every left row; right columns NULL where no right row matches
	Right          // every right row; left columns NULL where no left row matches
	Full           // Left and Right together
	Semi           // left rows with at least one matching right row (EXISTS, IN)
	Anti           // left rows with no matching right row (NOT EXISTS)
	// NullAwareAnti is Anti with NOT IN semantics for a single key: when some right key is
	// NULL no row qualifies, and a left row with a NULL key qualifies only when the right
	// side is empty. It takes exactly one key pair and no residual.
	NullAwareAnti
)

func (k JoinKind) String() string {
	switch k {
	case Inner:
		return "inner"
	case Left:
		return "left"
	case Right:
		return "right"
	case Full:
		return "full"
	case Semi:
		return "semi"
	case Anti:
		return "anti"
	case NullAwareAnti:
		return "null-aware anti"
	}
	return fmt.Sprintf("JoinKind(%d)", int(k))
}

// leftOnly reports whether the join returns the left columns only.
func (k JoinKind) leftOnly() bool { return k == Semi || k == Anti || k == NullAwareAnti }

// keepsLeft reports whether unmatched left rows are returned padded with NULLs.
func (k JoinKind) keepsLeft() bool { return k == Left || k == Full }

// keepsRight reports whether unmatched right rows are returned padded with NULLs.
func (k JoinKind) keepsRight() bool { return k == Right || k == Full }

// joinSpec is what hash and nested-loop joins share: kind, inputs, residual and schemas.
type joinSpec struct {
	kind        JoinKind
	left, right Operator
	residual    Expr          // over pairSchema; nil for none
	pairSchema  *arrow.Schema // left fields then right fields, all nullable
	schema      *arrow.Schema // output schema
}

func newJoinSpec(name string, kind JoinKind, left, right Operator, residual Expr) (joinSpec, error) {
	if kind < Inner || kind > NullAwareAnti {
		return joinSpec{}, fmt.Errorf("%s: unknown join kind %d", name, int(kind))
	}
	if left == nil || right == nil {
		return joinSpec{}, fmt.Errorf("%s: nil input", name)
	}
	var pair, out []arrow.Field
	for _, f := range left.Schema().Fields() {
		p := f
		p.Nullable = true
		pair = append(pair, p)
		if kind.keepsRight() {
			f.Nullable = true
		}
		out = append(out, f)
	}
	for _, f := range right.Schema().Fields() {
		p := f
		p.Nullable = true
		pair = append(pair, p)
		if kind.keepsLeft() {
			f.Nullable = true
		}
		if !kind.leftOnly() {
			out = append(out, f)
		}
	}
	if residual != nil && residual.DataType().ID() != arrow.BOOL {
		return joinSpec{}, typeErr("%s: condition %s has type %s, not boolean", name, residual, residual.DataType())
	}
	return joinSpec{kind: kind, left: left, right: right, residual: residual,
		pairSchema: arrow.NewSchema(pair, nil), schema: arrow.NewSchema(out, nil)}, nil
}

// HashJoin joins two inputs on equality of key expressions, with an optional residual
// condition. It builds a hash table over the whole right input at the first Next (the right
// side should be the smaller one) and then streams the left input through it, batch by
// batch. Output rows come in left input order (for each left row, its matches in right
// input order); for Right and Full joins the unmatched right rows follow at the end. When
// the right input is over its memory budget, it partitions both inputs to disk by a hash
// of the key and joins each pair of partitions in turn (a grace hash join, see Spilling):
// the output then comes partition by partition, in that order within each.
//
// Keys compare with SQL equality: a NULL key never matches, floats match when equal with
// -0 = 0 and NaN = NaN (as in PostgreSQL). The residual is a boolean expression over the
// left columns followed by the right columns; it is applied to each key-matching pair before
// deciding whether a row matched, so a pair for which it is not true counts as no match
// (ON a.k = b.k AND b.x > 1 keeps unmatched left rows in a left join).
type HashJoin struct {
	joinSpec
	leftKeys, rightKeys []Expr
}

var _ Operator = (*HashJoin)(nil)

// NewHashJoin returns the join of left and right on leftKeys[i] = rightKeys[i] for every i.
// leftKeys are evaluated over left batches, rightKeys over right batches; each pair must
// have equal types. residual (nil for none) is evaluated over the left columns followed by
// the right columns.
func NewHashJoin(kind JoinKind, left, right Operator, leftKeys, rightKeys []Expr, residual Expr) (*HashJoin, error) {
	spec, err := newJoinSpec("hash join", kind, left, right, residual)
	if err != nil {
		return nil, err
	}
	if len(leftKeys) == 0 || len(leftKeys) != len(rightKeys) {
		return nil, fmt.Errorf("hash join: %w: %d left keys, %d right keys", ErrArity, len(leftKeys), len(rightKeys))
	}
	for i := range leftKeys {
		l, r := leftKeys[i], rightKeys[i]
		if l == nil || r == nil {
			return nil, fmt.Errorf("hash join: nil key %d", i)
		}
		if !supported(l.DataType()) || !arrow.TypeEqual(l.DataType(), r.DataType()) {
			return nil, typeErr("hash join key %d: %s = %s", i, l.DataType(), r.DataType())
		}
	}
	if kind == NullAwareAnti && (len(leftKeys) != 1 || residual != nil) {
		return nil, fmt.Errorf("hash join: null-aware anti join takes one key and no residual")
	}
	return &HashJoin{joinSpec: spec, leftKeys: leftKeys, rightKeys: rightKeys}, nil
}

func (j *HashJoin) Schema() *arrow.Schema { return j.schema }
func (j *HashJoin) Children() []Operator  { return []Operator{j.left, j.right} }

func (j *HashJoin) String() string {
	keys := make([]string, len(j.leftKeys))
	for i := range keys {
		keys[i] = j.leftKeys[i].String() + " = " + j.rightKeys[i].String()
	}
	s := fmt.Sprintf("HashJoin: %s on [%s]", j.kind, strings.Join(keys, ", "))
	if j.residual != nil {
		s += " filter=" + j.residual.String()
	}
	return s
}

// Execute implements Operator. Past its first batch the join runs one batch ahead of its
// consumer, on a goroutine of its own (prefetch): probing and gathering the next batch
// while the consumer (an aggregation, say) works on this one.
func (j *HashJoin) Execute(ctx context.Context) (Stream, error) {
	st, err := executeJoin(ctx, &j.joinSpec, &hashProbe{j: j})
	if err != nil {
		return nil, err
	}
	return prefetch(st), nil
}

// prober finds candidate pairs for the rows of left batches.
type prober interface {
	// build is called once with the materialised right input.
	build(ctx context.Context, right arrow.RecordBatch) error
	// prepare is called for each left batch before next.
	prepare(ctx context.Context, left arrow.RecordBatch) error
	// next appends the candidate pairs of left rows from pos on to li and ri, grouped by left
	// row in increasing order, stopping after the left row that brings the pairs to
	// BatchRows. With first set it appends at most one pair per left row. It returns the
	// next left row to process.
	next(pos int, first bool, li, ri []int32) (int, []int32, []int32)
	// rejectAll reports whether no left row can qualify (null-aware anti join with a NULL
	// right key).
	rejectAll() bool
	release()
}

func executeJoin(ctx context.Context, spec *joinSpec, p prober) (Stream, error) {
	left, err := spec.left.Execute(ctx)
	if err != nil {
		return nil, err
	}
	right, err := spec.right.Execute(ctx)
	if err != nil {
		left.Close()
		return nil, err
	}
	return &joinStream{spec: spec, p: p, left: left, right: right}, nil
}

// joinStream runs a join: it materialises the right input at the first Next, then turns each
// left batch into output batches of about BatchRows rows.
type joinStream struct {
	spec        *joinSpec
	p           prober
	left, right Stream

	built   bool
	build   arrow.RecordBatch // the right input
	matched []bool            // right rows that matched, for Right and Full joins
	cur     arrow.RecordBatch // left batch being probed
	pos     int               // next row of cur
	leftEOF bool
	tail    int   // next right row to consider for the unmatched tail
	err     error // a failure while building, returned by every later Next
	closed  bool

	depth int          // how many times the inputs were partitioned by spilling
	res   *Reservation // the memory budget of the build side (hash joins)
	grace *graceJoin   // the partitions, once the build side spilled

	li, ri, ol, or []int32
	idx            *indexPool // the index buffers of dictionary columns (see indexBuffers)

	fromLeft     []int // see keyFromLeft
	fromLeftDone bool
}

func (s *joinStream) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if s.closed {
		return nil, io.EOF
	}
	mem := Allocator(ctx)
	if s.err != nil {
		return nil, s.err
	}
	if s.grace != nil {
		return s.grace.next(ctx)
	}
	if !s.built {
		s.built = true
		var b arrow.RecordBatch
		var err error
		if _, ok := s.p.(*hashProbe); ok && Budget(ctx) != nil && s.depth < maxSpillDepth {
			b, err = s.buildOrSpill(ctx)
		} else {
			b, err = materialize(ctx, s.right, s.spec.right.Schema())
		}
		if err != nil {
			s.err = err
			return nil, err
		}
		if s.grace != nil {
			return s.grace.next(ctx)
		}
		s.build = b
		if err := s.p.build(ctx, b); err != nil {
			s.err = err
			return nil, err
		}
		if s.spec.kind.keepsRight() {
			s.matched = make([]bool, b.NumRows())
		}
		if s.p.rejectAll() {
			s.leftEOF = true
		}
	}
	for !s.leftEOF {
		if s.cur == nil {
			b, err := nextRows(ctx, s.left)
			if err == io.EOF {
				s.leftEOF = true
				break
			}
			if err != nil {
				return nil, err
			}
			if err := s.p.prepare(ctx, b); err != nil {
				b.Release()
				return nil, err
			}
			s.cur, s.pos = b, 0
		}
		out, err := s.step(ctx, mem)
		if err != nil {
			return nil, err
		}
		if s.pos >= int(s.cur.NumRows()) {
			s.cur.Release()
			s.cur = nil
		}
		if out != nil {
			return out, nil
		}
	}
	if s.spec.kind.keepsRight() {
		s.ol, s.or = s.ol[:0], s.or[:0]
		for ; s.tail < len(s.matched) && len(s.or) < BatchRows; s.tail++ {
			if !s.matched[s.tail] {
				s.ol = append(s.ol, -1)
				s.or = append(s.or, int32(s.tail))
			}
		}
		if len(s.or) > 0 {
			return s.pairs(mem, s.spec.schema, nil, s.ol, s.or), nil
		}
	}
	return nil, io.EOF
}

// step processes the next run of rows of the current left batch; it returns nil when they
// produce no row.
func (s *joinStream) step(ctx context.Context, mem memory.Allocator) (arrow.RecordBatch, error) {
	kind := s.spec.kind
	first := kind.leftOnly() && s.spec.residual == nil
	start := s.pos
	if p, ok := s.p.(*hashProbe); ok && p.unique && p.allMatch && (kind == Inner || kind == Left) &&
		s.spec.residual == nil && s.matched == nil {
		// Every left row of the batch pairs with its head and nothing else (a join on a
		// foreign key): the pairs are the next rows of the batch, a slice of it, and their
		// heads, without lists of left and right rows.
		k := min(len(p.heads)-start, BatchRows)
		if k <= 0 {
			return nil, nil
		}
		s.pos = start + k
		return s.assemble(mem, s.spec.schema, s.cur, nil, p.heads[start:start+k], true, start, false), nil
	}
	s.pos, s.li, s.ri = s.p.next(s.pos, first, s.li[:0], s.ri[:0])
	li, ri := s.li, s.ri
	if s.spec.residual != nil && len(li) > 0 {
		pb := s.pairs(mem, s.spec.pairSchema, s.cur, li, ri)
		ok, err := s.spec.residual.Eval(ctx, pb)
		pb.Release()
		if err != nil {
			return nil, err
		}
		bools := ok.(*array.Boolean)
		n := 0
		for i := range li {
			if bools.IsValid(i) && bools.Value(i) {
				li[n], ri[n] = li[i], ri[i]
				n++
			}
		}
		ok.Release()
		li, ri = li[:n], ri[:n]
	}
	if s.matched != nil {
		for _, r := range ri {
			s.matched[r] = true
		}
	}
	switch {
	case kind == Semi:
		s.ol = s.ol[:0]
		for i, l := range li {
			if i == 0 || li[i-1] != l {
				s.ol = append(s.ol, l)
			}
		}
		if len(s.ol) == 0 {
			return nil, nil
		}
		return sliceOrTake(mem, s.cur, s.ol), nil
	case kind.leftOnly():
		s.ol = s.ol[:0]
		j := 0
		for r := int32(start); r < int32(s.pos); r++ {
			if j < len(li) && li[j] == r {
				for j < len(li) && li[j] == r {
					j++
				}
				continue
			}
			s.ol = append(s.ol, r)
		}
		if len(s.ol) == 0 {
			return nil, nil
		}
		return sliceOrTake(mem, s.cur, s.ol), nil
	case kind.keepsLeft():
		s.ol, s.or = s.ol[:0], s.or[:0]
		j := 0
		for r := int32(start); r < int32(s.pos); r++ {
			if j < len(li) && li[j] == r {
				for j < len(li) && li[j] == r {
					s.ol = append(s.ol, r)
					s.or = append(s.or, ri[j])
					j++
				}
				continue
			}
			s.ol = append(s.ol, r)
			s.or = append(s.or, -1)
		}
		li, ri = s.ol, s.or
	}
	if len(li) == 0 {
		return nil, nil
	}
	return s.pairs(mem, s.spec.schema, s.cur, li, ri), nil
}

// pairs builds a batch of schema from left rows li of lb and right rows ri of the build
// side; an index of -1 (or a nil lb) gives NULLs.
func (s *joinStream) pairs(mem memory.Allocator, schema *arrow.Schema, lb arrow.RecordBatch, li, ri []int32) arrow.RecordBatch {
	// Left rows that each match once, in order (a join on a foreign key), are a slice of
	// the left batch: its columns are shared, not copied.
	run := lb != nil && len(li) > 0 && li[0] >= 0 && int(li[0])+len(li) <= int(lb.NumRows()) && s.consecutiveLeft(li)
	// Only a join that keeps unmatched left rows pairs a left row with no right row (-1).
	rneg := s.spec.kind.keepsLeft() && len(ri) > 0 && slices.Min(ri) < 0
	lo := 0
	if run {
		lo = int(li[0])
	}
	return s.assemble(mem, schema, lb, li, ri, run, lo, rneg)
}

// assemble is pairs told whether the left rows are the consecutive rows of lb from lo
// (run; li may then be nil: the pairs are the len(ri) rows from lo) and whether some pair
// has no right row (rneg).
func (s *joinStream) assemble(mem memory.Allocator, schema *arrow.Schema, lb arrow.RecordBatch, li, ri []int32, run bool, lo int, rneg bool) arrow.RecordBatch {
	n := len(ri)
	cols := make([]arrow.Array, 0, schema.NumFields())
	defer func() { releaseAll(cols) }()
	nl := s.spec.left.Schema().NumFields()
	for i := 0; i < nl; i++ {
		switch {
		case lb == nil:
			cols = append(cols, array.MakeArrayOfNull(mem, s.spec.left.Schema().Field(i).Type, n))
		case run:
			cols = append(cols, array.NewSlice(lb.Column(i), int64(lo), int64(lo+n)))
		default:
			cols = append(cols, takeOrNull(mem, lb.Column(i), li))
		}
	}
	for c, a := range s.build.Columns() {
		if dt, ok := schema.Field(nl + c).Type.(*arrow.DictionaryType); ok {
			cols = append(cols, buildDictionary(s.indexBuffers(mem), dt, a, ri, rneg))
			continue
		}
		if k := s.rightKeyFromLeft(mem, lb, c, li, ri, run, lo, rneg); k != nil {
			cols = append(cols, k)
			continue
		}
		cols = append(cols, takeOrNull(mem, a, ri))
	}
	return array.NewRecordBatch(schema, cols, int64(n))
}

func (s *joinStream) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	if s.grace != nil {
		s.grace.close()
		s.grace = nil
	}
	s.res.release()
	if s.cur != nil {
		s.cur.Release()
		s.cur = nil
	}
	if s.build != nil {
		s.build.Release()
		s.build = nil
	}
	s.p.release()
	s.idx.close()
	err := s.left.Close()
	if rerr := s.right.Close(); err == nil {
		err = rerr
	}
	return err
}

// dictionaryRight makes the join return its right column c (a text or bytea column) as a
// dictionary array, Int32 indices into the build side's column (its dictionary) instead of
// the values gathered from it: a right row index per output row, and NULL where no right row
// matched. The dictionary may hold a value more than once, and NULLs. It changes the join's
// output schema, so only the operator that consumes the join and accepts such a column asks
// for it (HashAggregate for count(DISTINCT c), see dictionaryArgs). It reports whether the
// column can be returned so.
func (j *HashJoin) dictionaryRight(c int) bool {
	nl := j.left.Schema().NumFields()
	if j.kind.leftOnly() || c < 0 || c >= j.right.Schema().NumFields() {
		return false
	}
	i := nl + c
	f := j.schema.Field(i)
	switch f.Type.(type) {
	case *arrow.DictionaryType:
		return true
	case *arrow.StringType, *arrow.BinaryType:
	default:
		return false
	}
	fields := slices.Clone(j.schema.Fields())
	fields[i].Type = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: f.Type}
	md := j.schema.Metadata()
	j.schema = arrow.NewSchema(fields, &md)
	return true
}

// buildDictionary returns rows ri of the build side's column a as a dictionary array of type
// dt over a: the indices are ri, NULL where ri is -1.
func buildDictionary(mem memory.Allocator, dt *arrow.DictionaryType, a arrow.Array, ri []int32, rneg bool) arrow.Array {
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(4 * len(ri))
	var validity *memory.Buffer
	if len(ri) > 0 {
		idx := arrow.GetData[int32](buf.Bytes())[:len(ri)]
		copy(idx, ri)
		if rneg {
			// No right row: a NULL index (its slot 0, a valid entry).
			validity = newBitmap(mem, len(ri), true)
			for j, r := range ri {
				if r < 0 {
					bitutil.ClearBit(validity.Bytes(), j)
					idx[j] = 0
				}
			}
		}
	}
	indices := makeArray(arrow.PrimitiveTypes.Int32, len(ri), validity, buf)
	defer indices.Release()
	return array.NewDictionaryArray(dt, indices, a)
}

// sliceOrTake returns rows idx of b: a slice of b when they are consecutive.
func sliceOrTake(mem memory.Allocator, b arrow.RecordBatch, idx []int32) arrow.RecordBatch {
	if len(idx) > 0 && idx[0] >= 0 && int(idx[0])+len(idx) <= int(b.NumRows()) && consecutive(idx) {
		return b.NewSlice(int64(idx[0]), int64(idx[0])+int64(len(idx)))
	}
	return takeBatch(mem, b, idx)
}

// consecutiveLeft reports whether the left rows li of pairs are consecutive. A hash join
// whose right keys are unique pairs each left row with at most one right row, so its li
// increase strictly and are consecutive when they span as many rows as they are.
func (s *joinStream) consecutiveLeft(li []int32) bool {
	if p, ok := s.p.(*hashProbe); ok && p.unique && p.j.kind != NullAwareAnti {
		return int(li[len(li)-1]-li[0]) == len(li)-1
	}
	return consecutive(li)
}

// consecutive reports whether idx is idx[0], idx[0]+1, ...
func consecutive(idx []int32) bool {
	for j := 1; j < len(idx); j++ {
		if idx[j] != idx[j-1]+1 {
			return false
		}
	}
	return true
}

// takeOrNull is take where an index of -1 gives NULL.
func takeOrNull(mem memory.Allocator, a arrow.Array, idx []int32) arrow.Array {
	neg := 0
	for _, i := range idx {
		if i < 0 {
			neg++
		}
	}
	if neg == 0 {
		return take(mem, a, idx)
	}
	if neg == len(idx) || a.Len() == 0 {
		return array.MakeArrayOfNull(mem, a.DataType(), len(idx))
	}
	clamped := make([]int32, len(idx))
	for j, i := range idx {
		clamped[j] = max(i, 0)
	}
	t := take(mem, a, clamped)
	defer t.Release()
	validity := newBitmap(mem, len(idx), false)
	v := validity.Bytes()
	for j, i := range idx {
		if i >= 0 && (t.NullN() == 0 || t.IsValid(j)) {
			bitutil.SetBit(v, j)
		}
	}
	return replaceValidity(t, validity)
}

// materialize drains a stream into one batch of schema (the caller releases it).
func materialize(ctx context.Context, in Stream, schema *arrow.Schema) (arrow.RecordBatch, error) {
	var batches []arrow.RecordBatch
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	rows := int64(0)
	for {
		b, err := nextRows(ctx, in)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		batches = append(batches, b)
		rows += b.NumRows()
	}
	return concatBatches(Allocator(ctx), schema, batches, rows)
}

// concatBatches returns batches, of rows rows in all, as one batch of schema; the caller
// keeps batches and releases the result.
func concatBatches(mem memory.Allocator, schema *arrow.Schema, batches []arrow.RecordBatch, rows int64) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, schema.NumFields())
	defer func() { releaseAll(cols) }()
	for i, f := range schema.Fields() {
		if len(batches) == 0 {
			cols[i] = array.MakeArrayOfNull(mem, f.Type, 0)
			continue
		}
		parts := make([]arrow.Array, len(batches))
		for j, b := range batches {
			parts[j] = b.Column(i)
		}
		c, err := concatArrays1(mem, parts)
		if err != nil {
			return nil, err
		}
		cols[i] = c
	}
	return array.NewRecordBatch(schema, cols, rows), nil
}

// hashProbe is the prober of a HashJoin: a chained hash table over the right keys.
type hashProbe struct {
	j *HashJoin

	ints *intTable // single integer-like key
	// dense, for a single integer-like key whose values span a range not much wider than
	// the right side (a key of a dimension table, say), maps key base+i to the first right
	// row with it at dense[i] (-1: none), instead of ints: a lookup is an index.
	dense   []int32
	base    int64
	strs    map[string]int32 // otherwise: encoded key -> first row
	chain   []int32          // next right row with the same key, or -1
	nullKey bool             // some right row has a NULL key
	unique  bool             // no two right rows have the same key: every chain ends at once
	// allMatch is set when every row of the current left batch has a head (integer keys,
	// none NULL): with unique, each pairs with its head.
	allMatch bool
	empty    bool    // the right side has no rows
	heads    []int32 // per row of the current left batch: first candidate or -1
	vals     []int64
	key      []byte
}

// intKey reports whether keys of type t use the integer table.
func intKey(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT16, arrow.INT32, arrow.DATE32, arrow.INT64, arrow.TIMESTAMP:
		return true
	}
	return false
}

// int64s widens an integer-like array to int64 values (validity ignored).
func int64s(a arrow.Array, dst []int64) []int64 {
	dst = dst[:0]
	switch a.DataType().ID() {
	case arrow.INT16:
		for _, v := range values[int16](a) {
			dst = append(dst, int64(v))
		}
	case arrow.INT32, arrow.DATE32:
		for _, v := range values[int32](a) {
			dst = append(dst, int64(v))
		}
	default:
		dst = append(dst, values[int64](a)...)
	}
	return dst
}

func (p *hashProbe) build(ctx context.Context, right arrow.RecordBatch) error {
	keys, err := evalAll(ctx, p.j.rightKeys, right)
	if err != nil {
		return err
	}
	defer releaseAll(keys)
	n := int(right.NumRows())
	p.empty = n == 0
	p.chain = make([]int32, n)
	valid := func(r int) bool {
		for _, k := range keys {
			if k.IsNull(r) {
				return false
			}
		}
		return true
	}
	// Insert in reverse so that chains list rows in input order.
	if len(keys) == 1 && intKey(keys[0].DataType()) {
		vals := int64s(keys[0], nil)
		if lo, hi, ok := keySpan(keys[0], vals); ok && uint64(hi)-uint64(lo) < uint64(max(denseJoinFactor*n, denseJoinMin)) {
			p.base = lo
			p.dense = make([]int32, uint64(hi)-uint64(lo)+1)
			for i := range p.dense {
				p.dense[i] = -1
			}
		} else {
			p.ints = newIntTable(n)
		}
		p.unique = true
		for r := n - 1; r >= 0; r-- {
			if keys[0].IsNull(r) {
				p.nullKey = true
				p.chain[r] = -1
				continue
			}
			if p.dense != nil {
				d := uint64(vals[r]) - uint64(p.base)
				p.chain[r], p.dense[d] = p.dense[d], int32(r)
			} else {
				p.chain[r] = p.ints.insert(vals[r], int32(r))
			}
			p.unique = p.unique && p.chain[r] < 0
		}
		return nil
	}
	p.strs = make(map[string]int32, n)
	encs := make([]rowEncoder, len(keys))
	for i, k := range keys {
		encs[i] = encoder(k)
	}
	for r := n - 1; r >= 0; r-- {
		if !valid(r) {
			p.nullKey = true
			continue
		}
		p.key = p.key[:0]
		for _, e := range encs {
			p.key = e(p.key, r)
		}
		head, ok := p.strs[string(p.key)]
		if !ok {
			head = -1
		}
		p.chain[r] = head
		p.strs[string(p.key)] = int32(r)
	}
	return nil
}

func (p *hashProbe) rejectAll() bool { return p.j.kind == NullAwareAnti && p.nullKey }

func (p *hashProbe) prepare(ctx context.Context, left arrow.RecordBatch) error {
	keys, err := evalAll(ctx, p.j.leftKeys, left)
	if err != nil {
		return err
	}
	defer releaseAll(keys)
	n := int(left.NumRows())
	p.heads = resized(p.heads, n)
	hasNulls := false
	for _, k := range keys {
		hasNulls = hasNulls || k.NullN() > 0
	}
	if p.ints != nil || p.dense != nil {
		var vals []int64 // bigint keys as they are, others widened
		if id := keys[0].DataType().ID(); id == arrow.INT64 || id == arrow.TIMESTAMP {
			vals = values[int64](keys[0])
		} else {
			p.vals = int64s(keys[0], p.vals)
			vals = p.vals
		}
		heads := p.heads[:len(vals)]
		miss := int32(0) // negative when some row has no head
		if dense := p.dense; dense != nil {
			base := uint64(p.base)
			for r, v := range vals {
				h := int32(-1)
				if d := uint64(v) - base; d < uint64(len(dense)) {
					h = dense[d]
				}
				heads[r] = h
				miss |= h
			}
		} else {
			for r, v := range vals {
				h := p.ints.lookup(v)
				heads[r] = h
				miss |= h
			}
		}
		p.allMatch = miss >= 0 && !hasNulls
	} else {
		p.allMatch = false
		encs := make([]rowEncoder, len(keys))
		for i, k := range keys {
			encs[i] = encoder(k)
		}
		for r := range n {
			p.key = p.key[:0]
			for _, e := range encs {
				p.key = e(p.key, r)
			}
			head, ok := p.strs[string(p.key)]
			if !ok {
				head = -1
			}
			p.heads[r] = head
		}
	}
	if hasNulls {
		for r := range n {
			for _, k := range keys {
				if k.IsNull(r) {
					p.heads[r] = -1
					// NOT IN: a NULL left key qualifies only against an empty right side.
					if p.j.kind == NullAwareAnti && !p.empty {
						p.heads[r] = -2
					}
					break
				}
			}
		}
	}
	return nil
}

func (p *hashProbe) next(pos int, first bool, li, ri []int32) (int, []int32, []int32) {
	n := len(p.heads)
	if p.unique && p.j.kind != NullAwareAnti {
		// Each left row matches at most one right row (no -2 heads either): the pairs
		// are the rows with a head, written by position, BatchRows at most.
		m := len(li)
		li, ri = slices.Grow(li, BatchRows), slices.Grow(ri, BatchRows)
		li, ri = li[:m+BatchRows], ri[:m+BatchRows]
		if p.allMatch {
			// Every left row has its right row (a foreign key): the pairs are the rows
			// in order and their heads.
			k := max(min(n-pos, BatchRows-m), 0)
			for i := range k {
				li[m+i] = int32(pos + i)
			}
			copy(ri[m:m+k], p.heads[pos:pos+k])
			return pos + k, li[:m+k], ri[:m+k]
		}
		for ; pos < n && m < BatchRows; pos++ {
			h := p.heads[pos]
			li[m], ri[m] = int32(pos), h
			if h >= 0 {
				m++
			}
		}
		return pos, li[:m], ri[:m]
	}
	for ; pos < n; pos++ {
		h := p.heads[pos]
		if h == -2 { // matches "something": excluded from the anti join
			li, ri = append(li, int32(pos)), append(ri, -1)
			continue
		}
		if first {
			if h >= 0 {
				li, ri = append(li, int32(pos)), append(ri, h)
			}
			if len(li) >= BatchRows {
				return pos + 1, li, ri
			}
			continue
		}
		for r := h; r >= 0; r = p.chain[r] {
			li, ri = append(li, int32(pos)), append(ri, r)
		}
		if len(li) >= BatchRows {
			return pos + 1, li, ri
		}
	}
	return pos, li, ri
}

func (p *hashProbe) release() {
	p.ints, p.dense, p.strs, p.chain, p.heads = nil, nil, nil, nil, nil
}

// A join on one integer-like key indexes the right side's keys directly (hashProbe.dense)
// when they span fewer than denseJoinFactor values per right row, or denseJoinMin values.
const (
	denseJoinFactor = 4
	denseJoinMin    = 1 << 12
)

// keySpan returns the least and greatest of vals (the values of keys, widened) that are not
// NULL in keys; ok is false when every value is NULL.
func keySpan(keys arrow.Array, vals []int64) (lo, hi int64, ok bool) {
	nulls := keys.NullN() > 0
	for r, v := range vals {
		if nulls && keys.IsNull(r) {
			continue
		}
		if !ok {
			lo, hi, ok = v, v, true
			continue
		}
		lo, hi = min(lo, v), max(hi, v)
	}
	return lo, hi, ok
}

// intTable is an open-addressing hash table from int64 keys to the first right row with
// that key.
type intTable struct {
	shift uint
	mask  uint64
	keys  []int64
	heads []int32 // -1 for an empty slot
}

func newIntTable(n int) *intTable {
	size := 16
	bits := uint(4)
	for size < 2*n {
		size *= 2
		bits++
	}
	t := &intTable{shift: 64 - bits, mask: uint64(size - 1), keys: make([]int64, size), heads: make([]int32, size)}
	for i := range t.heads {
		t.heads[i] = -1
	}
	return t
}

func (t *intTable) slot(k int64) uint64 { return (uint64(k) * 0x9E3779B97F4A7C15) >> t.shift }

// insert makes row the first row of key k and returns the previous first row, or -1.
func (t *intTable) insert(k int64, row int32) int32 {
	for i := t.slot(k); ; i = (i + 1) & t.mask {
		h := t.heads[i]
		if h < 0 {
			t.keys[i], t.heads[i] = k, row
			return -1
		}
		if t.keys[i] == k {
			t.heads[i] = row
			return h
		}
	}
}

// lookup returns the first row with key k, or -1.
func (t *intTable) lookup(k int64) int32 {
	for i := t.slot(k); ; i = (i + 1) & t.mask {
		h := t.heads[i]
		if h < 0 || t.keys[i] == k {
			return h
		}
	}
}
