package exec

import (
	"container/list"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sleeperd/sleeperd/errs"
	takerows "github.com/sleeperd/sleeperd/internal/take"
)

// ApplyMode is how an Apply combines a left row with the rows its inner plan yields.
type ApplyMode int

const (
	// ApplyScalar appends the first column of the inner plan's one row (NULL when it yields
	// none; more than one is an error): a scalar subquery.
	ApplyScalar ApplyMode = iota
	// ApplyInner pairs the left row with each inner row (CROSS JOIN LATERAL).
	ApplyInner
	// ApplyLeft is ApplyInner, with the left row kept once with NULLs when the inner plan
	// yields no row (LEFT JOIN LATERAL ... ON true).
	ApplyLeft
)

// ApplyCacheBytes bounds the memory an Apply keeps in its cache of inner results: past it,
// the results used least recently are dropped (and computed again when their binding
// comes back).
const ApplyCacheBytes = 32 << 20

// ApplyInnerFunc returns the inner plan for the binding of row row of the parameter
// columns params.
type ApplyInnerFunc func(ctx context.Context, params []arrow.Array, row int) (Operator, error)

// Apply is a dependent join: for each row of its left input it runs an inner plan that
// depends on the values of some of the row's columns (the parameters), once per distinct
// binding of them, keeping the inner results per binding in a cache bounded by
// ApplyCacheBytes.
type Apply struct {
	mode   ApplyMode
	left   Operator
	params []int
	inner  ApplyInnerFunc
	schema *arrow.Schema
	right  *arrow.Schema // the inner plan's columns appended (ApplyScalar: one)
	// cacheBytes bounds the cache of inner results (ApplyCacheBytes).
	cacheBytes int
}

var _ Operator = (*Apply)(nil)

// NewApply returns the dependent join of left with the inner plans inner builds for the
// values of left's columns params; right is the schema of the columns appended to left's.
func NewApply(mode ApplyMode, left Operator, params []int, right *arrow.Schema, inner ApplyInnerFunc) (*Apply, error) {
	if mode == ApplyScalar && right.NumFields() != 1 {
		return nil, fmt.Errorf("apply: a scalar apply appends one column, not %d", right.NumFields())
	}
	for _, p := range params {
		if p < 0 || p >= left.Schema().NumFields() {
			return nil, fmt.Errorf("apply: parameter column %d out of range", p)
		}
	}
	fields := append(append([]arrow.Field{}, left.Schema().Fields()...), right.Fields()...)
	return &Apply{mode: mode, left: left, params: params, inner: inner, schema: arrow.NewSchema(fields, nil), right: right, cacheBytes: ApplyCacheBytes}, nil
}

func (a *Apply) Schema() *arrow.Schema { return a.schema }
func (a *Apply) Children() []Operator  { return []Operator{a.left} }

func (a *Apply) String() string {
	return fmt.Sprintf("Apply: %s params=%v", [...]string{"scalar", "inner", "left"}[a.mode], a.params)
}

func (a *Apply) Execute(ctx context.Context) (Stream, error) {
	in, err := a.left.Execute(ctx)
	if err != nil {
		return nil, err
	}
	return &applyStream{a: a, in: in, cache: map[string]*list.Element{}, lru: list.New()}, nil
}

// applyResult is the inner result of one binding: its columns, concatenated.
type applyResult struct {
	key   string
	cols  []arrow.Array
	rows  int
	bytes int
}

func (r *applyResult) release() {
	for _, c := range r.cols {
		c.Release()
	}
}

type applyStream struct {
	a     *Apply
	in    Stream
	cache map[string]*list.Element
	lru   *list.List // of *applyResult, most recently used first
	bytes int
	// cur is the left batch being joined, from its row pos on.
	cur arrow.RecordBatch
	pos int
}

func (s *applyStream) Next(ctx context.Context) (arrow.RecordBatch, error) {
	for {
		if s.cur == nil {
			b, err := s.in.Next(ctx)
			if err != nil {
				return nil, err
			}
			s.cur, s.pos = b, 0
		}
		out, err := s.apply(ctx, s.cur)
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
}

// apply joins the rows of the left batch b from s.pos on with their inner results, up to
// about BatchRows rows out, and advances s.pos; nil when no row results.
func (s *applyStream) apply(ctx context.Context, b arrow.RecordBatch) (arrow.RecordBatch, error) {
	mem := Allocator(ctx)
	first := s.pos
	n := int(b.NumRows())
	params := make([]arrow.Array, len(s.a.params))
	for i, p := range s.a.params {
		params[i] = b.Column(p)
	}
	// Each row's result, held (retained) until the batch is built: the cache may drop it.
	var held []*applyResult
	defer func() {
		for _, r := range held {
			r.release()
		}
	}()
	index := map[*applyResult]int32{}
	var leftIdx []int32
	var refs []takerows.Ref
	// Rows without an inner row take a one-row source of NULLs (Src -1 until it exists).
	needNull := false
	row := first
	for ; row < n && len(leftIdx) < BatchRows; row++ {
		r, err := s.result(ctx, params, row)
		if err != nil {
			return nil, err
		}
		src, ok := index[r]
		if !ok {
			for _, c := range r.cols {
				c.Retain()
			}
			held = append(held, r)
			src = int32(len(held) - 1)
			index[r] = src
		}
		if r.rows == 0 {
			if s.a.mode == ApplyInner {
				continue
			}
			needNull = true
			leftIdx = append(leftIdx, int32(row))
			refs = append(refs, takerows.Ref{Src: -1, Row: 0})
			continue
		}
		if s.a.mode == ApplyScalar && r.rows > 1 {
			return nil, errs.New(errs.TooManyRows, "more than one row returned by a subquery used as an expression")
		}
		for j := 0; j < r.rows; j++ {
			leftIdx = append(leftIdx, int32(row))
			refs = append(refs, takerows.Ref{Src: src, Row: int32(j)})
		}
	}
	s.pos = row
	if len(leftIdx) == 0 {
		return nil, nil
	}
	var cols []arrow.Array
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	identity := first == 0 && len(leftIdx) == n
	for i, v := range leftIdx {
		if int(v) != i {
			identity = false
			break
		}
	}
	if identity {
		for _, c := range b.Columns() {
			c.Retain()
			cols = append(cols, c)
		}
	} else {
		lb := TakeBatch(mem, b, leftIdx)
		for _, c := range lb.Columns() {
			c.Retain()
			cols = append(cols, c)
		}
		lb.Release()
	}
	for ci, f := range s.a.right.Fields() {
		srcs := make([]arrow.Array, len(held), len(held)+1)
		for i, r := range held {
			srcs[i] = r.cols[ci]
		}
		rr := refs
		if needNull {
			null := array.MakeArrayOfNull(mem, f.Type, 1)
			defer null.Release()
			srcs = append(srcs, null)
			rr = make([]takerows.Ref, len(refs))
			for i, ref := range refs {
				if ref.Src < 0 {
					ref.Src = int32(len(held))
				}
				rr[i] = ref
			}
		}
		c, err := takerows.Rows(mem, f.Type, srcs, rr)
		if err != nil {
			return nil, err
		}
		cols = append(cols, c)
	}
	out := array.NewRecordBatch(s.a.schema, cols, int64(len(leftIdx)))
	return out, nil
}

// result returns the inner result for the binding of row, from the cache or computed.
func (s *applyStream) result(ctx context.Context, params []arrow.Array, row int) (*applyResult, error) {
	key := bindingKey(params, row)
	if e, ok := s.cache[key]; ok {
		s.lru.MoveToFront(e)
		return e.Value.(*applyResult), nil
	}
	r, err := s.run(ctx, params, row)
	if err != nil {
		return nil, err
	}
	r.key = key
	s.cache[key] = s.lru.PushFront(r)
	s.bytes += r.bytes
	// Keep the newest result whatever its size; drop the least recently used past the bound.
	for s.bytes > s.a.cacheBytes && s.lru.Len() > 1 {
		old := s.lru.Back()
		or := old.Value.(*applyResult)
		s.lru.Remove(old)
		delete(s.cache, or.key)
		s.bytes -= or.bytes
		or.release()
	}
	return r, nil
}

// run executes the inner plan for one binding and concatenates its rows.
func (s *applyStream) run(ctx context.Context, params []arrow.Array, row int) (*applyResult, error) {
	op, err := s.a.inner(ctx, params, row)
	if err != nil {
		return nil, err
	}
	if got := op.Schema().NumFields(); got < s.a.right.NumFields() {
		return nil, errs.New(errs.Internal, "apply: inner plan has %d columns, want %d", got, s.a.right.NumFields())
	}
	st, err := op.Execute(ctx)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	var batches []arrow.RecordBatch
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	rows := 0
	for {
		b, err := st.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if b.NumRows() == 0 {
			b.Release()
			continue
		}
		batches = append(batches, b)
		rows += int(b.NumRows())
		if s.a.mode == ApplyScalar && rows > 1 {
			break // an error if a row needs it
		}
	}
	mem := Allocator(ctx)
	r := &applyResult{rows: rows}
	for ci, f := range s.a.right.Fields() {
		var c arrow.Array
		switch len(batches) {
		case 0:
			c = array.MakeArrayOfNull(mem, f.Type, 0)
		case 1:
			c = batches[0].Column(ci)
			c.Retain()
		default:
			parts := make([]arrow.Array, len(batches))
			for i, b := range batches {
				parts[i] = b.Column(ci)
			}
			if c, err = array.Concatenate(parts, mem); err != nil {
				r.release()
				return nil, err
			}
		}
		r.cols = append(r.cols, c)
		r.bytes += int(arraySize(c))
	}
	r.bytes += 64 // the entry itself
	return r, nil
}

// bindingKey encodes the values of row of params as a map key; NULL is one value.
func bindingKey(params []arrow.Array, row int) string {
	var sb strings.Builder
	for _, p := range params {
		if p.IsNull(row) {
			sb.WriteString("N\x00")
			continue
		}
		sb.WriteString("V")
		sb.WriteString(p.ValueStr(row))
		sb.WriteByte(0)
	}
	return sb.String()
}

func (s *applyStream) Close() error {
	if s.cur != nil {
		s.cur.Release()
		s.cur = nil
	}
	for e := s.lru.Front(); e != nil; e = e.Next() {
		e.Value.(*applyResult).release()
	}
	s.lru.Init()
	s.cache = map[string]*list.Element{}
	return s.in.Close()
}
