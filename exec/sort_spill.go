package exec

import (
	"context"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// maxMergeFanIn is the most runs one merge reads at once; more runs are first merged in
// intermediate passes over consecutive runs.
const maxMergeFanIn = 32

// externalSort is the spilled part of a Sort: sorted runs on disk, each an Arrow IPC stream
// of the input columns followed by the evaluated sort keys, in input order; then their merge.
type externalSort struct {
	keys   []SortKey
	schema *arrow.Schema // run schema: input columns, then keys
	ncols  int           // input columns
	rows   int           // rows per batch of a run: the merge holds a batch of every run
	runs   []*spillFile
	merge  *runMerger
}

// spillRun sorts the rows the stream holds and writes them to a new run.
func (s *sortStream) spillRun(ctx context.Context) error {
	mem := Allocator(ctx)
	if s.ext == nil {
		fields := append([]arrow.Field(nil), s.schema.Fields()...)
		for i, k := range s.keys {
			fields = append(fields, arrow.Field{Name: fmt.Sprintf("key%d", i), Type: k.Expr.DataType(), Nullable: true})
		}
		s.ext = &externalSort{keys: s.keys, schema: arrow.NewSchema(fields, nil), ncols: s.schema.NumFields()}
		// The merge holds a batch of each of up to maxMergeFanIn runs in a quarter of the
		// budget.
		rowBytes := max(s.buf.bytes/int64(max(s.buf.rows, 1)), 1)
		s.ext.rows = int(min(max(Budget(ctx).Limit()/4/maxMergeFanIn/rowBytes, 16), BatchRows))
	}
	data, keys, err := s.buf.concat(mem)
	if err != nil {
		return err
	}
	defer data.Release()
	defer releaseAll(keys)
	perm := sortPerm(s.keys, keys, int(data.NumRows()))
	cols := append(append([]arrow.Array(nil), data.Columns()...), keys...)
	all := array.NewRecordBatch(s.ext.schema, cols, data.NumRows())
	defer all.Release()
	f, err := newSpillFile(ctx, s.ext.schema)
	if err != nil {
		return err
	}
	s.ext.runs = append(s.ext.runs, f)
	for lo := 0; lo < len(perm); lo += s.ext.rows {
		if err := ctx.Err(); err != nil {
			return context.Cause(ctx)
		}
		b := takeBatch(mem, all, perm[lo:min(lo+s.ext.rows, len(perm))])
		err := f.write(b)
		b.Release()
		if err != nil {
			return err
		}
	}
	return f.finish()
}

// startMerge merges runs in passes until at most maxMergeFanIn are left, and opens the
// final merge.
func (e *externalSort) startMerge(ctx context.Context) error {
	for len(e.runs) > maxMergeFanIn {
		runs := e.runs
		e.runs = nil
		var next []*spillFile
		for lo := 0; lo < len(runs); lo += maxMergeFanIn {
			group := runs[lo:min(lo+maxMergeFanIn, len(runs))]
			if len(group) == 1 {
				next = append(next, group[0])
				continue
			}
			out, err := e.mergeInto(ctx, group)
			if err != nil {
				e.runs = append(next, runs[lo+len(group):]...) // for close to remove
				return err
			}
			next = append(next, out)
		}
		e.runs = next
	}
	m, err := openMerger(ctx, e.keys, e.ncols, e.runs, BatchRows)
	e.runs = nil
	if err != nil {
		return err
	}
	e.merge = m
	return nil
}

// mergeInto merges runs into one new run. The runs' files are removed either way.
func (e *externalSort) mergeInto(ctx context.Context, runs []*spillFile) (*spillFile, error) {
	m, err := openMerger(ctx, e.keys, e.ncols, runs, e.rows)
	if err != nil {
		return nil, err
	}
	defer m.close()
	out, err := newSpillFile(ctx, e.schema)
	if err != nil {
		return nil, err
	}
	for {
		b, err := m.next(ctx)
		if err == io.EOF {
			break
		}
		if err == nil {
			err = out.write(b)
			b.Release()
		}
		if err != nil {
			out.remove()
			return nil, err
		}
	}
	if err := out.finish(); err != nil {
		out.remove()
		return nil, err
	}
	return out, nil
}

// next returns the next batch of the merged output in the input schema.
func (e *externalSort) next(ctx context.Context, schema *arrow.Schema) (arrow.RecordBatch, error) {
	if e.merge == nil {
		return nil, io.EOF
	}
	b, err := e.merge.next(ctx)
	if err != nil {
		return nil, err
	}
	defer b.Release()
	return array.NewRecordBatch(schema, b.Columns()[:e.ncols], b.NumRows()), nil
}

func (e *externalSort) close() {
	if e.merge != nil {
		e.merge.close()
		e.merge = nil
	}
	for _, f := range e.runs {
		f.remove()
	}
	e.runs = nil
}

// runCursor is a position in one sorted run.
type runCursor struct {
	run  int // index of the run, for ties: earlier runs hold earlier input
	s    *spillStream
	b    arrow.RecordBatch
	keys []arrow.Array
	row  int
	gen  int // batches read so far
	seg  int // the output segment reading from b, or -1
}

// runMerger merges sorted runs into batches of a given number of rows, stably.
type runMerger struct {
	keys  []SortKey
	ncols int
	rows  int // rows per output batch
	heap  []*runCursor
	all   []*runCursor
	cache map[[2]int]*pairCmp
	segs  []mergeSeg
}

type pairCmp struct {
	gx, gy int
	cmps   []rowComparer
}

// mergeSeg is the rows of one run batch going into the output batch being built.
type mergeSeg struct {
	b        arrow.RecordBatch
	src, dst []int32
}

// openMerger opens runs for merging; the merger owns their files from then on, even when it
// fails.
func openMerger(ctx context.Context, keys []SortKey, ncols int, runs []*spillFile, rows int) (*runMerger, error) {
	m := &runMerger{keys: keys, ncols: ncols, rows: rows, cache: map[[2]int]*pairCmp{}}
	var err error
	for i, f := range runs {
		if err != nil {
			f.remove()
			continue
		}
		var s *spillStream
		s, err = f.open(ctx)
		if err != nil {
			continue
		}
		c := &runCursor{run: i, s: s, seg: -1}
		m.all = append(m.all, c)
		var ok bool
		ok, err = m.load(ctx, c)
		if err == nil && ok {
			m.heap = append(m.heap, c)
		}
	}
	if err != nil {
		m.close()
		return nil, err
	}
	for i := len(m.heap)/2 - 1; i >= 0; i-- {
		m.down(i)
	}
	return m, nil
}

// load reads c's next non-empty batch; false at the end of its run.
func (m *runMerger) load(ctx context.Context, c *runCursor) (bool, error) {
	if c.b != nil {
		c.b.Release()
		c.b, c.keys = nil, nil
	}
	c.seg = -1
	for {
		b, err := nextRows(ctx, c.s)
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		c.b, c.keys, c.row = b, b.Columns()[m.ncols:], 0
		c.gen++
		return true, nil
	}
}

func (m *runMerger) less(x, y *runCursor) bool {
	pc := m.cache[[2]int{x.run, y.run}]
	if pc == nil || pc.gx != x.gen || pc.gy != y.gen {
		if pc == nil {
			pc = &pairCmp{}
			m.cache[[2]int{x.run, y.run}] = pc
		}
		pc.gx, pc.gy = x.gen, y.gen
		pc.cmps = pc.cmps[:0]
		for k := range m.keys {
			pc.cmps = append(pc.cmps, comparer(x.keys[k], y.keys[k]))
		}
	}
	for k, key := range m.keys {
		a, b := x.keys[k], y.keys[k]
		na, nb := a.IsNull(x.row), b.IsNull(y.row)
		if na || nb {
			if na && nb {
				continue
			}
			r := 1
			if key.NullsFirst {
				r = -1
			}
			if nb {
				r = -r
			}
			return r < 0
		}
		r := pc.cmps[k](x.row, y.row)
		if key.Desc {
			r = -r
		}
		if r != 0 {
			return r < 0
		}
	}
	return x.run < y.run
}

func (m *runMerger) down(i int) {
	h := m.heap
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		j := l
		if r := l + 1; r < len(h) && m.less(h[r], h[l]) {
			j = r
		}
		if !m.less(h[j], h[i]) {
			return
		}
		h[i], h[j] = h[j], h[i]
		i = j
	}
}

// next returns the next batch of merged rows (run schema), or io.EOF.
func (m *runMerger) next(ctx context.Context) (arrow.RecordBatch, error) {
	if len(m.heap) == 0 {
		return nil, io.EOF
	}
	if err := ctx.Err(); err != nil {
		return nil, context.Cause(ctx)
	}
	mem := Allocator(ctx)
	defer func() {
		for _, s := range m.segs {
			s.b.Release()
		}
		m.segs = m.segs[:0]
		for _, c := range m.all {
			c.seg = -1
		}
	}()
	n := 0
	for n < m.rows && len(m.heap) > 0 {
		c := m.heap[0]
		if c.seg < 0 {
			c.b.Retain()
			m.segs = append(m.segs, mergeSeg{b: c.b})
			c.seg = len(m.segs) - 1
		}
		sg := &m.segs[c.seg]
		sg.src = append(sg.src, int32(c.row))
		sg.dst = append(sg.dst, int32(n))
		n++
		c.row++
		if c.row >= int(c.b.NumRows()) {
			ok, err := m.load(ctx, c)
			if err != nil {
				return nil, err
			}
			if !ok {
				last := len(m.heap) - 1
				m.heap[0] = m.heap[last]
				m.heap = m.heap[:last]
			}
		}
		if len(m.heap) > 0 {
			m.down(0)
		}
	}
	schema := m.segs[0].b.Schema()
	cols := make([]arrow.Array, schema.NumFields())
	defer releaseAll(cols)
	for i, f := range schema.Fields() {
		parts := make([]part, len(m.segs))
		for j, sg := range m.segs {
			parts[j] = part{rows: sg.dst, arr: take(mem, sg.b.Column(i), sg.src)}
		}
		cols[i] = scatter(mem, f.Type, n, parts)
		for _, p := range parts {
			p.arr.Release()
		}
	}
	return array.NewRecordBatch(schema, cols, int64(n)), nil
}

func (m *runMerger) close() {
	for _, c := range m.all {
		if c.b != nil {
			c.b.Release()
			c.b = nil
		}
		c.s.Close()
	}
	m.all, m.heap = nil, nil
}
