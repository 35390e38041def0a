package exec

import (
	"context"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// SetOpKind is the kind of a set operation.
type SetOpKind int

// Set operation kinds.
const (
	SetUnion SetOpKind = iota
	SetIntersect
	SetExcept
)

func (k SetOpKind) String() string {
	switch k {
	case SetUnion:
		return "union"
	case SetIntersect:
		return "intersect"
	case SetExcept:
		return "except"
	}
	return fmt.Sprintf("SetOpKind(%d)", int(k))
}

// SetOp is UNION, INTERSECT or EXCEPT, with or without ALL, with PostgreSQL's semantics:
// rows compare as IS NOT DISTINCT FROM (NULLs equal, -0 = 0, NaN = NaN); without ALL the
// result has no duplicates; INTERSECT ALL returns a row min(m, n) times and EXCEPT ALL
// max(m-n, 0) times when it occurs m times on the left and n times on the right.
//
// UNION ALL streams the left input and then the right one. UNION keeps a set of the rows
// seen; INTERSECT and EXCEPT first count the right input's rows, then stream the left input
// and return left rows, so output rows come in left input order. Of equal rows the first is
// returned. Past the memory budget the set or the counts stop growing, and the rows they do
// not hold are spilled by a hash of the row and handled partition by partition at the end
// (see set_op_spill.go): output rows then come in input order within each partition.
type SetOp struct {
	kind        SetOpKind
	all         bool
	left, right Operator
	schema      *arrow.Schema
	jsonb       []bool // columns compared as jsonb (CompareJSONB)
}

var _ Operator = (*SetOp)(nil)

// NewSetOp returns left kind [ALL] right. The inputs must have the same number of columns
// with equal types; the output takes the left input's column names.
func NewSetOp(kind SetOpKind, all bool, left, right Operator) (*SetOp, error) {
	if kind < SetUnion || kind > SetExcept {
		return nil, fmt.Errorf("set operation: unknown kind %d", int(kind))
	}
	if left == nil || right == nil {
		return nil, fmt.Errorf("set operation: nil input")
	}
	ls, rs := left.Schema(), right.Schema()
	if ls.NumFields() != rs.NumFields() {
		return nil, fmt.Errorf("%s: %w: %d columns, %d columns", kind, ErrSchema, ls.NumFields(), rs.NumFields())
	}
	fields := make([]arrow.Field, ls.NumFields())
	for i, f := range ls.Fields() {
		rt := rs.Field(i).Type
		if !arrow.TypeEqual(f.Type, rt) {
			return nil, fmt.Errorf("%s: column %d: %w: %s, %s", kind, i, ErrSchema, f.Type, rt)
		}
		if !supported(f.Type) {
			return nil, typeErr("%s column %d of type %s", kind, i, f.Type)
		}
		f.Nullable = f.Nullable || rs.Field(i).Nullable
		fields[i] = f
	}
	return &SetOp{kind: kind, all: all, left: left, right: right, schema: arrow.NewSchema(fields, nil)}, nil
}

func (o *SetOp) Schema() *arrow.Schema { return o.schema }
func (o *SetOp) Children() []Operator  { return []Operator{o.left, o.right} }

func (o *SetOp) String() string {
	if o.all {
		return fmt.Sprintf("SetOp: %s all", o.kind)
	}
	return fmt.Sprintf("SetOp: %s", o.kind)
}

func (o *SetOp) Execute(ctx context.Context) (Stream, error) {
	left, err := o.left.Execute(ctx)
	if err != nil {
		return nil, err
	}
	right, err := o.right.Execute(ctx)
	if err != nil {
		left.Close()
		return nil, err
	}
	return &setOpStream{o: o, left: left, right: right}, nil
}

type setOpStream struct {
	o           *SetOp
	left, right Stream

	counted bool
	counts  map[string]int64 // right rows by encoded row, for INTERSECT and EXCEPT
	seen    map[string]struct{}
	leftEOF bool
	err     error
	closed  bool
	depth   int // of partitioning: 0 for the operation, more for a spilled partition

	key  []byte
	sel  []int32
	encs []rowEncoder

	spill setOpSpill
}

func (s *setOpStream) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if s.closed {
		return nil, io.EOF
	}
	if s.err != nil {
		return nil, s.err
	}
	o := s.o
	if s.spill.draining {
		return s.nextPartition(ctx)
	}
	if s.spill.res == nil {
		s.spill.res = Budget(ctx).reserve()
	}
	if o.kind != SetUnion && !s.counted {
		s.counted = true
		if err := s.count(ctx); err != nil {
			s.err = err
			return nil, err
		}
	}
	for {
		in := s.left
		if s.leftEOF {
			if o.kind != SetUnion {
				return s.drain(ctx)
			}
			in = s.right
		}
		b, err := in.Next(ctx)
		if err == io.EOF && !s.leftEOF {
			s.leftEOF = true
			continue
		}
		if err == io.EOF {
			return s.drain(ctx)
		}
		if err != nil {
			return nil, err
		}
		if o.kind == SetUnion && o.all {
			return s.relabel(b), nil
		}
		out, err := s.filter(ctx, b)
		b.Release()
		if err != nil {
			s.err = err
			return nil, err
		}
		if out != nil {
			return out, nil
		}
	}
}

// relabel returns b (whose reference it takes) with the operator's schema.
func (s *setOpStream) relabel(b arrow.RecordBatch) arrow.RecordBatch {
	if b.Schema().Equal(s.o.schema) {
		return b
	}
	defer b.Release()
	return array.NewRecordBatch(s.o.schema, b.Columns(), b.NumRows())
}

// rowKey encodes row r of the batch whose encoders are s.encs.
func (s *setOpStream) rowKey(r int) []byte {
	s.key = s.key[:0]
	for _, e := range s.encs {
		s.key = e(s.key, r)
	}
	return s.key
}

func (s *setOpStream) setEncoders(b arrow.RecordBatch) {
	s.encs = s.encs[:0]
	for i, c := range b.Columns() {
		if i < len(s.o.jsonb) && s.o.jsonb[i] {
			s.encs = append(s.encs, jsonbKeyEncoder(c))
			continue
		}
		s.encs = append(s.encs, encoder(c))
	}
}

func (s *setOpStream) count(ctx context.Context) error {
	s.counts = map[string]int64{}
	for {
		b, err := s.right.Next(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		s.setEncoders(b)
		s.sel = s.sel[:0]
		for r := range int(b.NumRows()) {
			k := s.rowKey(r)
			if n, ok := s.counts[string(k)]; ok {
				s.counts[string(k)] = n + 1
			} else if s.spill.full {
				s.sel = append(s.sel, int32(r)) // counted in its partition
			} else {
				s.counts[string(k)] = 1
				s.spill.add(len(k))
			}
		}
		err = s.spill.write(ctx, &s.spill.right, s.o.schema, s.o.jsonb, b, s.sel, s.depth)
		b.Release()
		if err != nil {
			return err
		}
		s.spill.check(s.depth)
	}
}

// filter returns the rows of b that the operation returns, or nil when there are none, and
// spills the rows that the set or the counts do not hold (see setOpSpill).
func (s *setOpStream) filter(ctx context.Context, b arrow.RecordBatch) (arrow.RecordBatch, error) {
	o := s.o
	if s.seen == nil {
		s.seen = map[string]struct{}{}
	}
	s.setEncoders(b)
	s.sel = s.sel[:0]
	spilled := s.spill.rows[:0]
	// A row whose key the counts do not hold may be among the right rows spilled.
	rightSpilled := s.spill.right.files != [spillFanOut]*spillFile{}
	for r := range int(b.NumRows()) {
		k := s.rowKey(r)
		keep := false
		if o.kind == SetUnion {
			if _, dup := s.seen[string(k)]; !dup {
				if s.spill.full {
					spilled = append(spilled, int32(r))
					continue
				}
				keep = true
				s.seen[string(k)] = struct{}{}
				s.spill.add(len(k))
			}
		} else if _, ok := s.counts[string(k)]; !ok && (rightSpilled || s.spill.full && o.kind == SetExcept && !o.all) {
			spilled = append(spilled, int32(r))
			continue
		}
		switch {
		case o.kind == SetUnion:
		case o.kind == SetIntersect:
			// Without ALL the count drops to 0 after the first match.
			if n := s.counts[string(k)]; n > 0 {
				keep = true
				if o.all {
					s.counts[string(k)] = n - 1
				} else {
					s.counts[string(k)] = 0
				}
			}
		case o.all: // EXCEPT ALL
			if n := s.counts[string(k)]; n > 0 {
				s.counts[string(k)] = n - 1
			} else {
				keep = true
			}
		default: // EXCEPT
			if _, ok := s.counts[string(k)]; !ok {
				keep = true
				s.counts[string(k)] = 0 // later duplicates are excluded
				s.spill.add(len(k))
			}
		}
		if keep {
			s.sel = append(s.sel, int32(r))
		}
	}
	s.spill.rows = spilled
	if err := s.spill.write(ctx, &s.spill.left, o.schema, o.jsonb, b, spilled, s.depth); err != nil {
		return nil, err
	}
	s.spill.check(s.depth)
	if len(s.sel) == 0 {
		return nil, nil
	}
	out := takeBatch(Allocator(ctx), b, s.sel)
	return s.relabel(out), nil
}

func (s *setOpStream) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	s.counts, s.seen = nil, nil
	s.spill.close()
	err := s.left.Close()
	if rerr := s.right.Close(); err == nil {
		err = rerr
	}
	return err
}
