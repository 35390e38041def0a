package exec

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sleeperd/sleeperd/errs"
)

// MaxRecursion is how many times a recursive query's recursive term may run before the
// query fails: a guard against queries that never stop producing rows.
const MaxRecursion = 100000

// WorkTable holds the rows of the previous iteration of a recursive query, which its
// recursive term reads through WorkTableScan.
type WorkTable struct {
	schema *arrow.Schema
	mu     sync.Mutex
	rows   []arrow.RecordBatch
}

// NewWorkTable returns an empty work table with the given schema.
func NewWorkTable(schema *arrow.Schema) *WorkTable { return &WorkTable{schema: schema} }

// set replaces the rows (the table takes the references).
func (w *WorkTable) set(rows []arrow.RecordBatch) {
	w.mu.Lock()
	old := w.rows
	w.rows = rows
	w.mu.Unlock()
	for _, b := range old {
		b.Release()
	}
}

// WorkTableScan reads the work table of a recursive query.
type WorkTableScan struct {
	table *WorkTable
}

var _ Operator = (*WorkTableScan)(nil)

// NewWorkTableScan returns a scan of w.
func NewWorkTableScan(w *WorkTable) *WorkTableScan { return &WorkTableScan{table: w} }

func (s *WorkTableScan) Schema() *arrow.Schema { return s.table.schema }
func (s *WorkTableScan) Children() []Operator  { return nil }
func (s *WorkTableScan) String() string        { return "WorkTableScan" }

func (s *WorkTableScan) Execute(ctx context.Context) (Stream, error) {
	s.table.mu.Lock()
	rows := make([]arrow.RecordBatch, len(s.table.rows))
	for i, b := range s.table.rows {
		b.Retain()
		rows[i] = b
	}
	s.table.mu.Unlock()
	return &batchesStream{rows: rows}, nil
}

// batchesStream returns batches it holds references to.
type batchesStream struct {
	rows []arrow.RecordBatch
}

func (s *batchesStream) Next(context.Context) (arrow.RecordBatch, error) {
	if len(s.rows) == 0 {
		return nil, io.EOF
	}
	b := s.rows[0]
	s.rows = s.rows[1:]
	return b, nil
}

func (s *batchesStream) Close() error {
	for _, b := range s.rows {
		b.Release()
	}
	s.rows = nil
	return nil
}

// RecursiveUnion evaluates WITH RECURSIVE: it returns the rows of the base term, then runs
// the recursive term over the rows the previous iteration returned (the work table) until an
// iteration returns none. With distinct (UNION), rows already returned are dropped, so
// a query over a cyclic graph ends.
type RecursiveUnion struct {
	base, step Operator
	work       *WorkTable
	distinct   bool
	schema     *arrow.Schema
}

var _ Operator = (*RecursiveUnion)(nil)

// NewRecursiveUnion returns the recursive union of base and step; step reads work.
func NewRecursiveUnion(base, step Operator, work *WorkTable, distinct bool) (*RecursiveUnion, error) {
	if base.Schema().NumFields() != step.Schema().NumFields() {
		return nil, fmt.Errorf("recursive union: base has %d columns, recursive term %d", base.Schema().NumFields(), step.Schema().NumFields())
	}
	return &RecursiveUnion{base: base, step: step, work: work, distinct: distinct, schema: work.schema}, nil
}

func (o *RecursiveUnion) Schema() *arrow.Schema { return o.schema }
func (o *RecursiveUnion) Children() []Operator  { return []Operator{o.base, o.step} }
func (o *RecursiveUnion) String() string {
	if o.distinct {
		return "RecursiveUnion"
	}
	return "RecursiveUnion: all"
}

func (o *RecursiveUnion) Execute(ctx context.Context) (Stream, error) {
	in, err := o.base.Execute(ctx)
	if err != nil {
		return nil, err
	}
	s := &recursiveStream{o: o, in: in}
	if o.distinct {
		s.seen = map[string]struct{}{}
	}
	return s, nil
}

type recursiveStream struct {
	o    *RecursiveUnion
	in   Stream
	next []arrow.RecordBatch // this iteration's rows: the next work table
	iter int
	seen map[string]struct{}
	key  []byte
	done bool
}

func (s *recursiveStream) Next(ctx context.Context) (arrow.RecordBatch, error) {
	for {
		if s.done {
			return nil, io.EOF
		}
		b, err := s.in.Next(ctx)
		if err == io.EOF {
			if err := s.iterate(ctx); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		if s.seen != nil {
			b, err = s.dedup(ctx, b)
			if err != nil {
				return nil, err
			}
			if b == nil {
				continue
			}
		}
		b = s.relabel(b)
		b.Retain()
		s.next = append(s.next, b)
		return b, nil
	}
}

// iterate starts the next iteration over the rows of the last, or ends the stream.
func (s *recursiveStream) iterate(ctx context.Context) error {
	s.in.Close()
	s.in = nil
	if len(s.next) == 0 {
		s.done = true
		s.o.work.set(nil)
		return nil
	}
	s.iter++
	if s.iter > MaxRecursion {
		s.done = true
		return errs.New(errs.NotImplemented, "recursive query ran its recursive term %d times without finishing; at most %d iterations are allowed", MaxRecursion, MaxRecursion)
	}
	s.o.work.set(s.next)
	s.next = nil
	in, err := s.o.step.Execute(ctx)
	if err != nil {
		s.done = true
		return err
	}
	s.in = in
	return nil
}

// relabel gives b (whose reference it takes) the operator's schema.
func (s *recursiveStream) relabel(b arrow.RecordBatch) arrow.RecordBatch {
	if b.Schema().Equal(s.o.schema) {
		return b
	}
	defer b.Release()
	return array.NewRecordBatch(s.o.schema, b.Columns(), b.NumRows())
}

// dedup returns the rows of b (whose reference it takes) not returned before, or nil.
func (s *recursiveStream) dedup(ctx context.Context, b arrow.RecordBatch) (arrow.RecordBatch, error) {
	defer b.Release()
	encs := make([]rowEncoder, b.NumCols())
	for i, c := range b.Columns() {
		encs[i] = encoder(c)
	}
	var sel []int32
	for r := range int(b.NumRows()) {
		s.key = s.key[:0]
		for _, e := range encs {
			s.key = e(s.key, r)
		}
		if _, dup := s.seen[string(s.key)]; dup {
			continue
		}
		s.seen[string(s.key)] = struct{}{}
		sel = append(sel, int32(r))
	}
	if len(sel) == 0 {
		return nil, nil
	}
	if len(sel) == int(b.NumRows()) {
		b.Retain()
		return b, nil
	}
	return takeBatch(Allocator(ctx), b, sel), nil
}

func (s *recursiveStream) Close() error {
	if s.in != nil {
		s.in.Close()
		s.in = nil
	}
	for _, b := range s.next {
		b.Release()
	}
	s.next = nil
	s.o.work.set(nil)
	s.done = true
	return nil
}
