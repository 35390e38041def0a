package exec

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// SortKey is one ORDER BY item.
type SortKey struct {
	Expr       Expr
	Desc       bool
	NullsFirst bool // PostgreSQL's default is NullsFirst == Desc
}

func (k SortKey) String() string {
	s := k.Expr.String()
	if k.Desc {
		s += " DESC"
	}
	if k.NullsFirst {
		s += " NULLS FIRST"
	} else {
		s += " NULLS LAST"
	}
	return s
}

func checkKeys(keys []SortKey) error {
	if len(keys) == 0 {
		return fmt.Errorf("sort: %w: no keys", ErrArity)
	}
	for i, k := range keys {
		if k.Expr == nil {
			return fmt.Errorf("sort: nil key %d", i)
		}
		if !supported(k.Expr.DataType()) {
			return typeErr("sort key %s of type %s", k.Expr, k.Expr.DataType())
		}
	}
	return nil
}

func keysString(keys []SortKey) string {
	s := make([]string, len(keys))
	for i, k := range keys {
		s[i] = k.String()
	}
	return strings.Join(s, ", ")
}

// Sort orders its input by keys, stably. Floats order as in PostgreSQL (NaN above every
// number), text and bytea bytewise (the C collation). Past its memory budget it sorts what it
// holds into a run, spills the run to disk and merges the runs at the end (see Spilling).
type Sort struct {
	keys  []SortKey
	input Operator
}

var _ Operator = (*Sort)(nil)

// NewSort returns input ordered by keys.
func NewSort(keys []SortKey, input Operator) (*Sort, error) {
	if input == nil {
		return nil, fmt.Errorf("sort: nil input")
	}
	if err := checkKeys(keys); err != nil {
		return nil, err
	}
	return &Sort{keys: keys, input: input}, nil
}

func (s *Sort) Schema() *arrow.Schema { return s.input.Schema() }
func (s *Sort) Children() []Operator  { return []Operator{s.input} }
func (s *Sort) String() string        { return "Sort: " + keysString(s.keys) }

func (s *Sort) Execute(ctx context.Context) (Stream, error) {
	in, err := s.input.Execute(ctx)
	if err != nil {
		return nil, err
	}
	return &sortStream{keys: s.keys, schema: s.Schema(), in: in, limit: -1}, nil
}

// sortStream buffers its input, sorts it at the first Next, and then returns the rows
// [offset, offset+limit) of the order in batches of BatchRows. With limit >= 0 it keeps only
// the best offset+limit rows while buffering (TopN).
type sortStream struct {
	keys          []SortKey
	schema        *arrow.Schema
	in            Stream
	offset, limit int64

	buf  *sortBuffer
	res  *Reservation      // memory budget (Sort only; nil without a budget)
	ext  *externalSort     // runs spilled, and their merge once consumed
	data arrow.RecordBatch // all rows, unsorted
	perm []int32           // output order, already cut to [offset, offset+limit)
	pos  int
	done bool

	// inOrder, when set, are the input's batches that were already in order one after
	// the other (sortBuffer.inOrder): they are returned as they are, in that order,
	// instead of data and perm. next is the next to return, from row off.
	inOrder []arrow.RecordBatch
	next    int
	off     int64
}

// minSliceRows is the fewest rows in order a sort returns as a slice of its data rather than
// gathering them with the rows that follow (see sortStream.Next).
const minSliceRows = 1024

func (s *sortStream) Next(ctx context.Context) (arrow.RecordBatch, error) {
	mem := Allocator(ctx)
	if !s.done {
		s.done = true // a failed sort is not retried; Close releases what it buffered
		if err := s.consume(ctx); err != nil {
			return nil, err
		}
	}
	if s.ext != nil {
		return s.ext.next(ctx, s.schema)
	}
	if s.inOrder != nil {
		for s.next < len(s.inOrder) {
			b := s.inOrder[s.next]
			if n := b.NumRows(); s.off < n {
				hi := min(s.off+BatchRows, n)
				out := b.NewSlice(s.off, hi)
				s.off = hi
				return out, nil
			}
			s.next, s.off = s.next+1, 0
		}
		return nil, io.EOF
	}
	if s.pos >= len(s.perm) {
		return nil, io.EOF
	}
	end := min(s.pos+BatchRows, len(s.perm))
	// Rows already in order (a run of consecutive rows) are a slice of the data, up to the
	// end of the run.
	p := s.perm[s.pos:end]
	run := 1
	for run < len(p) && p[run] == p[run-1]+1 {
		run++
	}
	if run >= min(len(p), minSliceRows) {
		out := s.data.NewSlice(int64(p[0]), int64(p[0])+int64(run))
		s.pos += run
		return out, nil
	}
	out := takeBatch(mem, s.data, p)
	s.pos = end
	return out, nil
}

func (s *sortStream) consume(ctx context.Context) error {
	mem := Allocator(ctx)
	s.buf = &sortBuffer{keys: s.keys, schema: s.schema}
	keep := int64(-1)
	if s.limit >= 0 {
		keep = s.offset + s.limit
	} else {
		s.res = Budget(ctx).reserve()
	}
	for {
		b, err := s.in.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		err = s.buf.add(ctx, b)
		b.Release()
		if err != nil {
			return err
		}
		if keep >= 0 && int64(s.buf.rows) > max(2*keep, BatchRows) {
			if err := s.buf.compact(mem, int(keep)); err != nil {
				return err
			}
		}
		// What the sort holds: the rows and their keys, and the permutation and sorted
		// copy it makes of them.
		if !s.res.resize(2*s.buf.bytes+8*int64(s.buf.rows)) && s.buf.rows > 0 {
			if err := s.spillRun(ctx); err != nil {
				return err
			}
			s.res.resize(0)
		}
	}
	if s.ext != nil {
		if s.buf.rows > 0 {
			if err := s.spillRun(ctx); err != nil {
				return err
			}
		}
		s.res.resize(0)
		return s.ext.startMerge(ctx)
	}
	if s.limit < 0 && s.offset == 0 {
		if order, ok := s.buf.inOrder(); ok {
			// The rows are in order already, batch after batch (the ranges of a table's
			// partitions, read in parallel): return the batches as they are.
			s.inOrder = make([]arrow.RecordBatch, len(order))
			for i, j := range order {
				s.inOrder[i] = s.buf.batches[j]
				s.inOrder[i].Retain()
			}
			s.buf.release()
			return nil
		}
	}
	data, keys, err := s.buf.concat(mem)
	if err != nil {
		return err
	}
	s.data = data
	defer releaseAll(keys)
	perm := sortPerm(s.keys, keys, int(data.NumRows()))
	lo := min(int(s.offset), len(perm))
	hi := len(perm)
	if s.limit >= 0 {
		hi = min(hi, lo+int(s.limit))
	}
	s.perm = perm[lo:hi]
	return nil
}

func (s *sortStream) Close() error {
	if s.ext != nil {
		s.ext.close()
		s.ext = nil
	}
	s.res.release()
	if s.buf != nil {
		s.buf.release()
		s.buf = nil
	}
	if s.data != nil {
		s.data.Release()
		s.data = nil
	}
	for _, b := range s.inOrder {
		b.Release()
	}
	s.inOrder = nil
	s.perm, s.done = nil, true
	return s.in.Close()
}

// sortBuffer holds batches and their evaluated sort keys.
type sortBuffer struct {
	keys    []SortKey
	schema  *arrow.Schema
	batches []arrow.RecordBatch
	keyArrs [][]arrow.Array // per key, one array per batch
	rows    int
	bytes   int64 // estimated size of the batches and keys held
	// unordered is set once a batch's rows are found out of key order (see inOrder).
	unordered bool
}

func (b *sortBuffer) add(ctx context.Context, batch arrow.RecordBatch) error {
	if batch.NumRows() == 0 {
		return nil
	}
	if b.keyArrs == nil {
		b.keyArrs = make([][]arrow.Array, len(b.keys))
	}
	exprs := make([]Expr, len(b.keys))
	for i, k := range b.keys {
		exprs[i] = k.Expr
	}
	arrs, err := evalAll(ctx, exprs, batch)
	if err != nil {
		return err
	}
	for i, a := range arrs {
		b.keyArrs[i] = append(b.keyArrs[i], a)
	}
	if !b.unordered && !rowsInOrder(b.keys, arrs) {
		b.unordered = true
	}
	batch.Retain()
	b.batches = append(b.batches, batch)
	b.rows += int(batch.NumRows())
	b.bytes += batchSize(batch) + arraysSize(arrs)
	return nil
}

// concat returns all buffered rows as one batch and the key arrays over it, emptying the
// buffer. The caller releases both.
func (b *sortBuffer) concat(mem memory.Allocator) (arrow.RecordBatch, []arrow.Array, error) {
	defer b.release()
	cols := make([]arrow.Array, b.schema.NumFields())
	keys := make([]arrow.Array, len(b.keys))
	if len(b.batches) == 0 {
		for i, f := range b.schema.Fields() {
			cols[i] = array.MakeArrayOfNull(mem, f.Type, 0)
		}
		for i, k := range b.keys {
			keys[i] = array.MakeArrayOfNull(mem, k.Expr.DataType(), 0)
		}
		defer releaseAll(cols)
		return array.NewRecordBatch(b.schema, cols, 0), keys, nil
	}
	for i := range cols {
		parts := make([]arrow.Array, len(b.batches))
		for j, batch := range b.batches {
			parts[j] = batch.Column(i)
		}
		c, err := concatArrays1(mem, parts)
		if err != nil {
			releaseAll(cols)
			return nil, nil, err
		}
		cols[i] = c
	}
	defer releaseAll(cols)
	for i := range keys {
		k, err := concatArrays1(mem, b.keyArrs[i])
		if err != nil {
			releaseAll(keys)
			return nil, nil, err
		}
		keys[i] = k
	}
	return array.NewRecordBatch(b.schema, cols, int64(b.rows)), keys, nil
}

// concatArrays1 concatenates arrays; a single array is retained rather than copied.
func concatArrays1(mem memory.Allocator, arrs []arrow.Array) (arrow.Array, error) {
	if len(arrs) == 1 {
		arrs[0].Retain()
		return arrs[0], nil
	}
	return array.Concatenate(arrs, mem)
}

// compact keeps only the best keep rows (in order, ties in arrival order).
func (b *sortBuffer) compact(mem memory.Allocator, keep int) error {
	data, keys, err := b.concat(mem)
	if err != nil {
		return err
	}
	defer data.Release()
	defer releaseAll(keys)
	perm := sortPerm(b.keys, keys, int(data.NumRows()))
	perm = perm[:min(keep, len(perm))]
	// Restore arrival order among the survivors so later ties stay stable.
	slices.Sort(perm)
	kept := takeBatch(mem, data, perm)
	b.batches = []arrow.RecordBatch{kept}
	b.keyArrs = make([][]arrow.Array, len(keys))
	for i, k := range keys {
		b.keyArrs[i] = []arrow.Array{take(mem, k, perm)}
	}
	b.rows = len(perm)
	b.bytes = batchSize(kept) + arraysSize(keys)
	b.unordered = true // in arrival order, not checked
	return nil
}

func (b *sortBuffer) release() {
	for _, batch := range b.batches {
		batch.Release()
	}
	for _, ks := range b.keyArrs {
		releaseAll(ks)
	}
	b.batches, b.keyArrs, b.rows, b.bytes, b.unordered = nil, nil, 0, 0, false
}

// inOrder reports whether the rows held are in order when their batches are put in order by
// their first rows: each batch's rows are in key order (checked as they came, add), and each
// batch's last row comes before the next one's first, or ties with it and arrived before it.
// Then the stable sort of the rows is the batches' rows in that order, and order lists the
// batches so.
func (b *sortBuffer) inOrder() (order []int, ok bool) {
	if b.unordered || len(b.batches) == 0 {
		return nil, false
	}
	order = make([]int, len(b.batches))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int { return b.compareRows(x, 0, y, 0) })
	for i := 1; i < len(order); i++ {
		p, q := order[i-1], order[i]
		c := b.compareRows(p, int(b.batches[p].NumRows())-1, q, 0)
		if c > 0 || (c == 0 && p > q) {
			return nil, false
		}
	}
	return order, true
}

// compareRows compares row i of batch x with row j of batch y by the sort keys, as sortPerm
// orders rows.
func (b *sortBuffer) compareRows(x, i, y, j int) int {
	for k, key := range b.keys {
		p, q := b.keyArrs[k][x], b.keyArrs[k][y]
		if r := compareKey(key, p, i, q, j); r != 0 {
			return r
		}
	}
	return 0
}

// compareKey compares row i of p with row j of q as the ORDER BY key k orders them
// (keyComparer).
func compareKey(k SortKey, p arrow.Array, i int, q arrow.Array, j int) int {
	if r, ok := nullOrder(p.IsNull(i), q.IsNull(j), k.NullsFirst); ok {
		return r
	}
	r := comparer(p, q)(i, j)
	if k.Desc {
		return -r
	}
	return r
}

// rowsInOrder reports whether the rows of the key arrays arrs are in the order of keys.
func rowsInOrder(keys []SortKey, arrs []arrow.Array) bool {
	n := arrs[0].Len()
	if len(keys) == 1 && arrs[0].NullN() == 0 {
		switch a, desc := arrs[0], keys[0].Desc; a.DataType().ID() {
		case arrow.INT64, arrow.TIMESTAMP:
			return monotone(values[int64](a), desc)
		case arrow.INT32, arrow.DATE32:
			return monotone(values[int32](a), desc)
		case arrow.INT16:
			return monotone(values[int16](a), desc)
		}
	}
	cmps := make([]rowComparer, len(keys))
	for i, a := range arrs {
		cmps[i] = keyComparer(a, keys[i].Desc, keys[i].NullsFirst)
	}
	for r := 1; r < n; r++ {
		for _, c := range cmps {
			x := c(r-1, r)
			if x > 0 {
				return false
			}
			if x < 0 {
				break
			}
		}
	}
	return true
}

// monotone reports whether vals never decrease (never increase, for desc).
func monotone[T integer](vals []T, desc bool) bool {
	for i := 1; i < len(vals); i++ {
		if desc && vals[i] > vals[i-1] || !desc && vals[i] < vals[i-1] {
			return false
		}
	}
	return true
}

// sortPerm returns the stable order of rows 0..n by keys evaluated as keyArrs.
func sortPerm(keys []SortKey, keyArrs []arrow.Array, n int) []int32 {
	if perm, ok := sortPermInts(keys, keyArrs, n); ok {
		return perm
	}
	return sortPermRows(keys, keyArrs, n)
}

// sortPermRows is sortPerm comparing rows through each key's comparer.
func sortPermRows(keys []SortKey, keyArrs []arrow.Array, n int) []int32 {
	perm := make([]int32, n)
	for i := range perm {
		perm[i] = int32(i)
	}
	cmps := make([]rowComparer, len(keys))
	for i, a := range keyArrs {
		cmps[i] = keyComparer(a, keys[i].Desc, keys[i].NullsFirst)
	}
	slices.SortStableFunc(perm, func(x, y int32) int {
		for _, c := range cmps {
			if r := c(int(x), int(y)); r != 0 {
				return r
			}
		}
		return 0
	})
	return perm
}

// keyComparer compares rows of a as an ORDER BY key.
func keyComparer(a arrow.Array, desc, nullsFirst bool) rowComparer {
	c := comparer(a, a)
	hasNulls := a.NullN() > 0
	return func(i, j int) int {
		if hasNulls {
			if r, ok := nullOrder(a.IsNull(i), a.IsNull(j), nullsFirst); ok {
				return r
			}
		}
		r := c(i, j)
		if desc {
			return -r
		}
		return r
	}
}

// nullOrder orders two key values by their nulls alone (NULLS FIRST or LAST, whatever the
// direction): ok is false when neither is null and the values themselves decide.
func nullOrder(ni, nj, nullsFirst bool) (r int, ok bool) {
	switch {
	case ni && nj:
		return 0, true
	case ni == nj:
		return 0, false
	case ni == nullsFirst:
		return -1, true
	default:
		return 1, true
	}
}
