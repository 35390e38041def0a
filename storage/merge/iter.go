package merge

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"math/bits"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/keys"
	"github.com/sleeperd/sleeperd/stream"
)

// Delete is an active delete predicate: it removes every row whose version is below Txn and
// for which Pred is true (NULL counts as false).
type Delete struct {
	Txn  int64
	Pred stream.Predicate // evaluated over batches of the stream's schema; must return bool
}

// Aggregation functions.
const (
	Sum  = "sum"
	Min  = "min"
	Max  = "max"
	Last = "last"
)

// Aggregation combines a column over rows with equal (row key, sort key).
type Aggregation struct {
	Column int    // index into the stream schema
	Func   string // Sum, Min, Max or Last
}

// AgeOff drops rows whose Column value is below Before: days since the epoch for date32,
// the column's unit since the epoch for timestamps. NULLs are kept.
type AgeOff struct {
	Column int
	Before int64
}

// Options configure the iterator stack Apply builds. Column indices are into the stream
// schema.
type Options struct {
	RowKeys, SortKeys []int
	VersionCol        int // int64, not null
	DeletedCol        int // bool; -1 if the stream has none
	Deletes           []Delete
	// LastWriteWins keeps, of rows with equal (row key, sort key), the one of the highest
	// version; of several such, the last in stream order.
	LastWriteWins bool
	// Aggregations combine rows with equal (row key, sort key) into one: named columns by
	// their function (sum, min and max ignore NULLs and are NULL when every value is; sum
	// keeps the column's type and fails with errs.NumericRange on overflow), every other
	// column, the version included, takes the value of the last row (the highest version).
	// It excludes LastWriteWins.
	Aggregations []Aggregation
	// DropTombstones drops rows that, after combining, have DeletedCol true.
	DropTombstones bool
	AgeOff         []AgeOff
	// Alloc allocates output batches; nil uses the allocator of the context given to Next.
	Alloc memory.Allocator
}

// column roles in the combined row
const (
	roleLast = iota
	roleMin
	roleMax
	roleSum
)

func (o *Options) validate(schema *arrow.Schema) ([]int, error) {
	if schema == nil {
		return nil, fmt.Errorf("%w: no schema", ErrInvalidSpec)
	}
	n := schema.NumFields()
	in := func(c int) bool { return c >= 0 && c < n }
	for _, c := range o.RowKeys {
		if !in(c) {
			return nil, fmt.Errorf("%w: row key column index %d", ErrInvalidSpec, c)
		}
	}
	for _, c := range o.SortKeys {
		if !in(c) || !keys.SortKeySupported(schema.Field(c).Type) {
			return nil, fmt.Errorf("%w: sort key column index %d", ErrInvalidSpec, c)
		}
	}
	if !in(o.VersionCol) || schema.Field(o.VersionCol).Type.ID() != arrow.INT64 {
		return nil, fmt.Errorf("%w: version column index %d", ErrInvalidSpec, o.VersionCol)
	}
	if o.DeletedCol != -1 && (!in(o.DeletedCol) || schema.Field(o.DeletedCol).Type.ID() != arrow.BOOL) {
		return nil, fmt.Errorf("%w: deleted column index %d", ErrInvalidSpec, o.DeletedCol)
	}
	if o.DropTombstones && o.DeletedCol == -1 {
		return nil, fmt.Errorf("%w: dropping tombstones needs a deleted column", ErrInvalidSpec)
	}
	if (o.LastWriteWins || len(o.Aggregations) > 0) && len(o.RowKeys) == 0 {
		return nil, fmt.Errorf("%w: combining rows needs row key columns", ErrInvalidSpec)
	}
	if o.LastWriteWins && len(o.Aggregations) > 0 {
		return nil, fmt.Errorf("%w: last-write-wins and aggregations exclude each other", ErrInvalidSpec)
	}
	for _, d := range o.Deletes {
		if d.Pred == nil || d.Pred.DataType().ID() != arrow.BOOL {
			return nil, fmt.Errorf("%w: delete predicate is not boolean", ErrInvalidSpec)
		}
	}
	roles := make([]int, n)
	for _, a := range o.Aggregations {
		key := slices.Contains(o.RowKeys, a.Column) || slices.Contains(o.SortKeys, a.Column)
		if !in(a.Column) || key || a.Column == o.VersionCol || a.Column == o.DeletedCol {
			return nil, fmt.Errorf("%w: aggregation of column index %d", ErrInvalidSpec, a.Column)
		}
		t := schema.Field(a.Column).Type
		if roles[a.Column] != roleLast {
			return nil, fmt.Errorf("%w: column %q aggregated twice", ErrInvalidSpec, schema.Field(a.Column).Name)
		}
		switch a.Func {
		case Sum:
			if !summable(t) {
				return nil, fmt.Errorf("%w: sum of column %q of type %s", ErrInvalidSpec, schema.Field(a.Column).Name, t)
			}
			roles[a.Column] = roleSum
		case Min, Max:
			if !keys.SortKeySupported(t) {
				return nil, fmt.Errorf("%w: %s of column %q of type %s", ErrInvalidSpec, a.Func, schema.Field(a.Column).Name, t)
			}
			roles[a.Column] = roleMin
			if a.Func == Max {
				roles[a.Column] = roleMax
			}
		case Last:
		default:
			return nil, fmt.Errorf("%w: unknown aggregation function %q", ErrInvalidSpec, a.Func)
		}
	}
	for _, a := range o.AgeOff {
		if !in(a.Column) || !ageable(schema.Field(a.Column).Type) {
			return nil, fmt.Errorf("%w: age-off of column index %d", ErrInvalidSpec, a.Column)
		}
	}
	return roles, nil
}

func summable(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.FLOAT32, arrow.FLOAT64, arrow.DECIMAL128:
		return true
	}
	return false
}

func ageable(t arrow.DataType) bool {
	return t.ID() == arrow.DATE32 || t.ID() == arrow.TIMESTAMP
}

// Apply returns input with the iterator stack applied, in this order: delete predicates,
// then last-write-wins or aggregation, then tombstone removal, then age-off. Rows of the
// input must be ordered by (row key, sort key, version), as Merge orders them; groups of
// equal keys may span batches. The output has the input's schema and order.
//
// Apply takes ownership of input: the returned stream closes it, and Apply closes it itself
// when it fails. With nothing to apply, it returns input.
func Apply(input stream.Stream, schema *arrow.Schema, opts Options) (stream.Stream, error) {
	roles, err := opts.validate(schema)
	if err != nil {
		input.Close()
		return nil, err
	}
	combine := opts.LastWriteWins || len(opts.Aggregations) > 0
	if !combine && len(opts.Deletes) == 0 && !opts.DropTombstones && len(opts.AgeOff) == 0 {
		return input, nil
	}
	s := &stack{in: input, schema: schema, opts: opts, roles: roles, combine: combine}
	n := schema.NumFields()
	s.carry = make([]arrow.Array, n)
	if len(opts.Aggregations) > 0 {
		// only aggregated columns have roles other than roleLast, which use these
		s.gref = make([]ref, n)
		s.acc = make([]sumAcc, n)
		s.outRefs = make([][]ref, n)
		s.outSums = make([][]sumAcc, n)
	}
	return s, nil
}

// sumAcc is a running sum: i for signed integers, u for unsigned, f for floats, d for
// decimals.
type sumAcc struct {
	valid bool
	i     int64
	u     uint64
	f     float64
	d     decimal128.Num
}

// stack is the stream Apply returns.
type stack struct {
	in      stream.Stream
	schema  *arrow.Schema
	opts    Options
	roles   []int
	combine bool
	mem     memory.Allocator
	closed  bool
	eof     bool
	err     error
	keys    keyBuf
	intRuns int // batches processRunInt took as runs
	// increasing says the input's current batch's row key (one bigint) is known to increase
	// strictly (fileStream.keysIncreasing), so that processRunInt need not look.
	increasing bool
	knownRuns  int // batches processRunInt took as runs without looking at their keys

	// A batch processRunInt took whole, whose last row may yet be followed by rows of its
	// key; pendLast is that row's key. It excludes an open group.
	pend     arrow.RecordBatch
	pendLast int64

	// The open group: rows of equal key seen so far, whose last row may be followed by more
	// in the next batch. Refs point into carry (src 0) or the current batch (src 1).
	open    bool
	openKey []byte
	last    ref
	gref    []ref    // per min/max column: the row of the best value so far
	acc     []sumAcc // per sum column
	carry   []arrow.Array

	// output being built for the current batch
	outLast []ref
	outRefs [][]ref    // per min/max column
	outSums [][]sumAcc // per sum column
	sel     []int32
	srcs    [2]arrow.Array
	queue   []arrow.RecordBatch // output batches to return before reading on
	scratch [2][]byte
}

var _ stream.Stream = (*stack)(nil)

// Next implements stream.Stream.
func (s *stack) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if s.closed {
		return nil, fmt.Errorf("merge: %w", ErrClosed)
	}
	if s.err != nil {
		return nil, s.err
	}
	if s.mem = s.opts.Alloc; s.mem == nil {
		s.mem = stream.Allocator(ctx)
	}
	if len(s.queue) > 0 {
		out := s.queue[0]
		s.queue = s.queue[1:]
		return out, nil
	}
	for !s.eof {
		b, err := s.in.Next(ctx)
		if err == io.EOF {
			s.eof = true
			break
		}
		if err != nil {
			return nil, err
		}
		s.increasing = false
		if f, ok := s.in.(*fileStream); ok && len(s.opts.RowKeys) == 1 {
			s.increasing = f.keysIncreasing(s.opts.RowKeys[0])
		}
		out, err := s.processRelease(ctx, b)
		if err != nil {
			s.err = err
			return nil, err
		}
		if out != nil {
			return out, nil
		}
	}
	if s.pend != nil {
		out := s.pend
		s.pend = nil
		return out, nil
	}
	if !s.open {
		return nil, io.EOF
	}
	// The last group ends with the input.
	s.resetOut()
	if err := s.emit(nil); err != nil {
		s.err = err
		return nil, err
	}
	s.open = false
	out, err := s.build(nil)
	s.releaseCarry()
	if err != nil {
		s.err = err
		return nil, err
	}
	if out == nil {
		return nil, io.EOF
	}
	return out, nil
}

func (s *stack) resetOut() {
	s.outLast = s.outLast[:0]
	for c, r := range s.roles {
		switch r {
		case roleMin, roleMax:
			s.outRefs[c] = s.outRefs[c][:0]
		case roleSum:
			s.outSums[c] = s.outSums[c][:0]
		}
	}
}

// processRelease is process that releases b when it returns, also when it panics (in a
// delete predicate, say), so the panic's recoverer finds nothing held.
func (s *stack) processRelease(ctx context.Context, b arrow.RecordBatch) (arrow.RecordBatch, error) {
	defer b.Release()
	return s.process(ctx, b)
}

// process returns the rows of b that are final, or nil when there are none.
func (s *stack) process(ctx context.Context, b arrow.RecordBatch) (arrow.RecordBatch, error) {
	if b.NumRows() == 0 {
		return nil, nil
	}
	if s.runnable() {
		ok, outs, err := s.processRunInt(b)
		if err != nil {
			releaseBatches(outs)
			return nil, err
		}
		if ok {
			if len(outs) == 0 {
				return nil, nil
			}
			s.queue = append(s.queue, outs[1:]...)
			return outs[0], nil
		}
		if len(outs) > 0 {
			// The rows of the batch processRunInt held go before b's.
			out, err := s.processRows(ctx, b)
			if err != nil {
				releaseBatches(outs)
				return nil, err
			}
			if out != nil {
				outs = append(outs, out)
			}
			s.queue = append(outs[1:], s.queue...)
			return outs[0], nil
		}
	}
	return s.processRows(ctx, b)
}

// processRows is process for a batch processRunInt did not take: row by row, or as a run of
// encoded keys.
func (s *stack) processRows(ctx context.Context, b arrow.RecordBatch) (arrow.RecordBatch, error) {
	n := int(b.NumRows())
	all, err := s.selectRows(ctx, b)
	if err != nil {
		return nil, err
	}
	s.resetOut()
	if !s.combine {
		for _, r := range s.sel {
			s.last = ref{1, r}
			if err := s.emit(b); err != nil {
				return nil, err
			}
		}
		if all && len(s.outLast) == n {
			b.Retain()
			return b, nil
		}
		return s.build(b)
	}
	s.keys.encode(b, s.opts.RowKeys, s.opts.SortKeys)
	defer s.keys.reset()
	if s.runnable() {
		ok, outs, err := s.processRun(b)
		if err != nil {
			releaseBatches(outs)
			return nil, err
		}
		if ok {
			if len(outs) > 1 {
				s.queue = append(s.queue, outs[1:]...)
			}
			return outs[0], nil
		}
	}
	for _, r := range s.sel {
		k := s.keys.key(int(r))
		if s.open && bytes.Equal(k, s.openKey) {
			if err := s.fold(b, r); err != nil {
				return nil, err
			}
			continue
		}
		if s.open {
			if err := s.emit(b); err != nil {
				return nil, err
			}
		}
		s.startGroup(b, r)
		s.openKey = append(s.openKey[:0], k...)
	}
	out, err := s.build(b)
	if err != nil {
		return nil, err
	}
	if s.open {
		s.carryOver(b)
	}
	return out, nil
}

// selectRows sets s.sel to the rows of b no delete removes; all reports that it is every row.
func (s *stack) selectRows(ctx context.Context, b arrow.RecordBatch) (bool, error) {
	n := int(b.NumRows())
	s.sel = s.sel[:0]
	if len(s.opts.Deletes) == 0 {
		s.sel = slices.Grow(s.sel, n)[:n]
		for i := range s.sel {
			s.sel[i] = int32(i)
		}
		return true, nil
	}
	ver := b.Column(s.opts.VersionCol).(*array.Int64).Int64Values()
	drop := make([]bool, n)
	for _, d := range s.opts.Deletes {
		arr, err := d.Pred.Eval(stream.WithAllocator(ctx, s.mem), b)
		if err != nil {
			return false, fmt.Errorf("merge: delete predicate %s: %w", d.Pred, err)
		}
		p, ok := arr.(*array.Boolean)
		if !ok {
			arr.Release()
			return false, fmt.Errorf("%w: delete predicate %s returned %s", ErrInvalidSpec, d.Pred, arr.DataType())
		}
		for i := range n {
			if ver[i] < d.Txn && p.IsValid(i) && p.Value(i) {
				drop[i] = true
			}
		}
		arr.Release()
	}
	for i, x := range drop {
		if !x {
			s.sel = append(s.sel, int32(i))
		}
	}
	return len(s.sel) == n, nil
}

// src returns the array a ref of column c points into; b is the current batch (nil at the end).
func (s *stack) src(b arrow.RecordBatch, c int, r ref) arrow.Array {
	if r.src == 0 {
		return s.carry[c]
	}
	return b.Column(c)
}

func (s *stack) startGroup(b arrow.RecordBatch, r int32) {
	s.open = true
	s.last = ref{1, r}
	for c, role := range s.roles {
		switch role {
		case roleMin, roleMax:
			s.gref[c] = ref{1, r}
		case roleSum:
			s.acc[c] = sumAcc{}
		}
	}
	for c, role := range s.roles {
		if role == roleSum {
			// cannot fail on the first value
			_ = s.add(c, b.Column(c), int(r))
		}
	}
}

func (s *stack) fold(b arrow.RecordBatch, r int32) error {
	s.last = ref{1, r}
	for c, role := range s.roles {
		switch role {
		case roleMin, roleMax:
			col := b.Column(c)
			if col.IsNull(int(r)) {
				continue
			}
			cur := s.gref[c]
			ca := s.src(b, c, cur)
			if ca.IsNull(int(cur.row)) {
				s.gref[c] = ref{1, r}
				continue
			}
			s.scratch[0] = keys.AppendSortValue(s.scratch[0][:0], col, int(r))
			s.scratch[1] = keys.AppendSortValue(s.scratch[1][:0], ca, int(cur.row))
			x := bytes.Compare(s.scratch[0], s.scratch[1])
			if (role == roleMin && x < 0) || (role == roleMax && x > 0) {
				s.gref[c] = ref{1, r}
			}
		case roleSum:
			if err := s.add(c, b.Column(c), int(r)); err != nil {
				return err
			}
		}
	}
	return nil
}

// add adds row i of a to the sum of column c.
func (s *stack) add(c int, a arrow.Array, i int) error {
	if a.IsNull(i) {
		return nil
	}
	acc := &s.acc[c]
	first := !acc.valid
	acc.valid = true
	overflow := func() error {
		return errs.New(errs.NumericRange, "%s out of range in sum of column %q", a.DataType(), s.schema.Field(c).Name)
	}
	signed := func(v, lo, hi int64) error {
		sum := acc.i + v
		if (v > 0 && sum < acc.i) || (v < 0 && sum > acc.i) || sum < lo || sum > hi {
			return overflow()
		}
		acc.i = sum
		return nil
	}
	unsigned := func(v, hi uint64) error {
		sum, carry := bits.Add64(acc.u, v, 0)
		if carry != 0 || sum > hi {
			return overflow()
		}
		acc.u = sum
		return nil
	}
	switch x := a.(type) {
	case *array.Int8:
		return signed(int64(x.Value(i)), math.MinInt8, math.MaxInt8)
	case *array.Int16:
		return signed(int64(x.Value(i)), math.MinInt16, math.MaxInt16)
	case *array.Int32:
		return signed(int64(x.Value(i)), math.MinInt32, math.MaxInt32)
	case *array.Int64:
		return signed(x.Value(i), math.MinInt64, math.MaxInt64)
	case *array.Uint8:
		return unsigned(uint64(x.Value(i)), math.MaxUint8)
	case *array.Uint16:
		return unsigned(uint64(x.Value(i)), math.MaxUint16)
	case *array.Uint32:
		return unsigned(uint64(x.Value(i)), math.MaxUint32)
	case *array.Uint64:
		return unsigned(x.Value(i), math.MaxUint64)
	case *array.Float32:
		acc.f += float64(x.Value(i))
	case *array.Float64:
		acc.f += x.Value(i)
	case *array.Decimal128:
		v := x.Value(i)
		if first {
			acc.d = v
			return nil
		}
		sum := acc.d.Add(v)
		p := x.DataType().(*arrow.Decimal128Type).Precision
		// Same signs and a result of the other sign: the 128-bit addition wrapped.
		if (acc.d.Sign() == v.Sign() && sum.Sign() != 0 && sum.Sign() != v.Sign()) || !sum.FitsInPrecision(p) {
			return overflow()
		}
		acc.d = sum
	}
	return nil
}

// emit appends the open group as an output row, unless tombstone removal or age-off drops it.
func (s *stack) emit(b arrow.RecordBatch) error {
	if s.opts.DropTombstones {
		d := s.src(b, s.opts.DeletedCol, s.last).(*array.Boolean)
		if d.IsValid(int(s.last.row)) && d.Value(int(s.last.row)) {
			return nil
		}
	}
	for _, a := range s.opts.AgeOff {
		r := s.last
		if role := s.roles[a.Column]; role == roleMin || role == roleMax {
			r = s.gref[a.Column]
		}
		arr := s.src(b, a.Column, r)
		i := int(r.row)
		if arr.IsNull(i) {
			continue
		}
		var v int64
		switch x := arr.(type) {
		case *array.Date32:
			v = int64(x.Value(i))
		case *array.Timestamp:
			v = int64(x.Value(i))
		}
		if v < a.Before {
			return nil
		}
	}
	s.outLast = append(s.outLast, s.last)
	for c, role := range s.roles {
		switch role {
		case roleMin, roleMax:
			s.outRefs[c] = append(s.outRefs[c], s.gref[c])
		case roleSum:
			s.outSums[c] = append(s.outSums[c], s.acc[c])
		}
	}
	return nil
}

// build returns the output rows gathered so far as a batch, or nil when there are none.
func (s *stack) build(b arrow.RecordBatch) (arrow.RecordBatch, error) {
	n := len(s.outLast)
	if n == 0 {
		return nil, nil
	}
	cols := make([]arrow.Array, 0, len(s.roles))
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	lastSrc, lastStart, lastRun := contiguous(s.outLast)
	for c, role := range s.roles {
		t := s.schema.Field(c).Type
		if role == roleLast && lastRun {
			var src arrow.Array
			switch {
			case lastSrc == 0:
				src = s.carry[c]
			case b != nil:
				src = b.Column(c)
			}
			if a := sliceOf(src, int(lastStart), n); a != nil {
				cols = append(cols, a)
				continue
			}
		}
		if role == roleSum {
			cols = append(cols, buildSum(s.mem, t, s.outSums[c]))
			continue
		}
		refs := s.outLast
		if role != roleLast {
			refs = s.outRefs[c]
		}
		s.srcs[0] = s.carry[c]
		s.srcs[1] = nil
		if b != nil {
			s.srcs[1] = b.Column(c)
		}
		a, err := gather(s.mem, t, s.srcs[:], refs)
		s.srcs = [2]arrow.Array{}
		if err != nil {
			return nil, fmt.Errorf("merge: column %q: %w", s.schema.Field(c).Name, err)
		}
		cols = append(cols, a)
	}
	return array.NewRecordBatch(s.schema, cols, int64(n)), nil
}

// carryOver moves the open group's refs into b into carry.
func (s *stack) carryOver(b arrow.RecordBatch) {
	move := func(c int, r *ref) {
		if r.src == 1 {
			if s.carry[c] != nil {
				s.carry[c].Release()
			}
			s.carry[c] = b.Column(c)
			s.carry[c].Retain()
			r.src = 0
		}
	}
	last := s.last
	for c, role := range s.roles {
		switch role {
		case roleLast:
			r := last
			move(c, &r)
			s.last = r
		case roleMin, roleMax:
			move(c, &s.gref[c])
		}
	}
}

func (s *stack) releaseCarry() {
	for c, a := range s.carry {
		if a != nil {
			a.Release()
			s.carry[c] = nil
		}
	}
}

// buildSum returns the sums as an array of type t.
func buildSum(mem memory.Allocator, t arrow.DataType, accs []sumAcc) arrow.Array {
	bld := array.NewBuilder(mem, t)
	defer bld.Release()
	bld.Reserve(len(accs))
	for _, a := range accs {
		if !a.valid {
			bld.AppendNull()
			continue
		}
		switch x := bld.(type) {
		case *array.Int8Builder:
			x.Append(int8(a.i))
		case *array.Int16Builder:
			x.Append(int16(a.i))
		case *array.Int32Builder:
			x.Append(int32(a.i))
		case *array.Int64Builder:
			x.Append(a.i)
		case *array.Uint8Builder:
			x.Append(uint8(a.u))
		case *array.Uint16Builder:
			x.Append(uint16(a.u))
		case *array.Uint32Builder:
			x.Append(uint32(a.u))
		case *array.Uint64Builder:
			x.Append(a.u)
		case *array.Float32Builder:
			x.Append(float32(a.f))
		case *array.Float64Builder:
			x.Append(a.f)
		case *array.Decimal128Builder:
			x.Append(a.d)
		}
	}
	return bld.NewArray()
}

// Close implements stream.Stream: it closes the input.
func (s *stack) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	s.releaseCarry()
	releaseBatches(s.queue)
	s.queue = nil
	if s.pend != nil {
		s.pend.Release()
		s.pend = nil
	}
	return s.in.Close()
}
