package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/storage/ingest"
	"github.com/sleeperd/sleeperd/storage/keys"
	"github.com/sleeperd/sleeperd/storage/statestore"
	"github.com/sleeperd/sleeperd/types"
)

// An INSERT into a table with a PRIMARY KEY refuses a key that exists or repeats within the
// statement (23505), unless ON CONFLICT says what to do with it. The rows are written into
// files first; then the keys are looked up in the table's newest state, by a scan of the
// table restricted to the keys' leading row key values (an IN list of them, or their range
// when there are many), which pruning turns into reads of the leaves, row groups and pages
// that may hold them. The files are committed in one batch with statestore.UnchangedSince
// over the keys' range, so that a key another writer added after the lookup is not
// overwritten: the lookup runs again on the newer state (up to maxRewriteAttempts times,
// then 40001). Inside a transaction block the lookup reads the block's view, its own rows
// included, and the block's COMMIT checks for concurrent writes of the keys instead.
//
// ON CONFLICT holds the statement's rows in memory: which to write depends on the lookup.

// maxInList is the most distinct leading key values the lookup names one by one; above it
// the lookup reads the range between the least and the greatest.
const maxInList = 1024

// keySet is the primary keys of the rows an INSERT proposes, in order.
type keySet struct {
	t   *catalog.Table
	ord map[string]int // identity -> ordinal of the first row with it
	n   int            // rows added
	// dup is the ordinal of the first row whose key an earlier row has, or -1; dupKey its
	// key for the message.
	dup    int
	dupKey string
	// leads are the distinct leading row key values (nil once there are more than
	// maxInList); minLead and maxLead bound them (encoded, with their values).
	leads            map[string]any
	minLead, maxLead []byte
	minVal, maxVal   any
	// minKey and maxKey bound the encoded row keys.
	minKey, maxKey []byte
}

func newKeySet(t *catalog.Table) *keySet {
	return &keySet{t: t, ord: map[string]int{}, dup: -1, leads: map[string]any{}}
}

// identity returns the encoded primary key of row i of a table batch.
func (k *keySet) identity(cols []arrow.Array, i int) string {
	var b []byte
	for _, c := range k.t.RowKeys {
		b = keys.AppendValue(b, cols[c], i)
	}
	for _, c := range k.t.SortKeys {
		b = keys.AppendSortValue(b, cols[c], i)
	}
	return string(b)
}

// describe formats the primary key of row i as PostgreSQL's message detail does:
// (a, b)=(1, x).
func (k *keySet) describe(cols []arrow.Array, i int) string {
	names := make([]string, len(k.t.PrimaryKey))
	vals := make([]string, len(k.t.PrimaryKey))
	for j, c := range k.t.PrimaryKey {
		names[j] = k.t.Columns[c].Name
		vals[j] = cols[c].ValueStr(i)
	}
	return fmt.Sprintf("(%s)=(%s)", strings.Join(names, ", "), strings.Join(vals, ", "))
}

// add records the keys of the rows of a table batch.
func (k *keySet) add(rec arrow.RecordBatch) { k.addCols(rec.Columns(), int(rec.NumRows())) }

// addCols records the keys of rows rows of the table columns cols (only the key columns are
// read; the others may be nil).
func (k *keySet) addCols(cols []arrow.Array, rows int) {
	rk := make([]arrow.Array, len(k.t.RowKeys))
	for j, c := range k.t.RowKeys {
		rk[j] = cols[c]
	}
	lead := cols[k.t.RowKeys[0]]
	for i := 0; i < rows; i++ {
		id := k.identity(cols, i)
		if _, ok := k.ord[id]; ok {
			if k.dup < 0 {
				k.dup, k.dupKey = k.n, k.describe(cols, i)
			}
		} else {
			k.ord[id] = k.n
		}
		k.n++
		enc := keys.AppendValue(nil, lead, i)
		if k.minLead == nil || bytes.Compare(enc, k.minLead) < 0 {
			k.minLead, k.minVal = enc, planner.ValueAt(lead, i)
		}
		if k.maxLead == nil || bytes.Compare(enc, k.maxLead) > 0 {
			k.maxLead, k.maxVal = enc, planner.ValueAt(lead, i)
		}
		if k.leads != nil {
			if _, ok := k.leads[string(enc)]; !ok {
				if len(k.leads) >= maxInList {
					k.leads = nil
				} else {
					k.leads[string(enc)] = planner.ValueAt(lead, i)
				}
			}
		}
		key := keys.AppendRow(nil, rk, i)
		if k.minKey == nil || bytes.Compare(key, k.minKey) < 0 {
			k.minKey = key
		}
		if k.maxKey == nil || bytes.Compare(key, k.maxKey) > 0 {
			k.maxKey = key
		}
	}
}

// guard is the check a commit of the rows makes: no file added in their key range since st.
func (k *keySet) guard(st *statestore.State) statestore.UnchangedSince {
	return statestore.UnchangedSince{Since: st.TxnNumber(), MinKey: k.minKey, MaxKey: k.maxKey}
}

// uniqueViolation is PostgreSQL's error for a key that exists.
func uniqueViolation(t *catalog.Table, key string) error {
	return &errs.Error{Kind: errs.UniqueViolation,
		Msg:    fmt.Sprintf("duplicate key value violates unique constraint %q", t.Name+"_pkey"),
		Detail: fmt.Sprintf("Key %s already exists.", key)}
}

// lookupKeys reads the rows of t at state st whose primary key is in k; found gets each
// batch read and the rows of it that are, with their identities. With whole set the
// batches hold every column of the table, else only the primary key columns, at their
// table column index (the others are nil).
func (e *Engine) lookupKeys(ctx context.Context, t *catalog.Table, st *statestore.State, k *keySet, whole bool, found func(cols []arrow.Array, rows []int32, ids []string) error) error {
	scan := &planner.Scan{Table: t}
	keyCols := append(append([]int{}, t.RowKeys...), t.SortKeys...)
	for i, c := range t.Columns {
		scan.Cols = append(scan.Cols, planner.Column{ID: planner.ColumnID(3_000_000 + i), Name: c.Name, Type: c.SQL(), Nullable: c.Nullable})
		if whole {
			scan.Projected = append(scan.Projected, i)
		}
	}
	if !whole {
		scan.Projected = keyCols
	}
	lc := scan.Cols[t.RowKeys[0]]
	ref := &planner.ColumnRef{ID: lc.ID, Name: lc.Name, Typ: lc.Type}
	var pred planner.Expr
	if k.leads != nil {
		in := &planner.InList{E: ref}
		for _, v := range k.leads {
			in.List = append(in.List, &planner.Literal{Value: v, Typ: lc.Type})
		}
		pred = in
	} else {
		pred = &planner.Binary{Op: planner.OpAnd, Typ: types.Bool,
			L: &planner.Binary{Op: planner.OpGtEq, L: ref, R: &planner.Literal{Value: k.minVal, Typ: lc.Type}, Typ: types.Bool},
			R: &planner.Binary{Op: planner.OpLtEq, L: ref, R: &planner.Literal{Value: k.maxVal, Typ: lc.Type}, Typ: types.Bool}}
	}
	op, release, err := e.planAt(ctx, &planner.Filter{Input: scan, Pred: pred}, nil, t, st)
	if err != nil {
		return err
	}
	defer release()
	return pump(ctx, op, func(ctx context.Context, b arrow.RecordBatch) error {
		var rows []int32
		var ids []string
		cols := b.Columns()
		if !whole {
			cols = keyColumns(len(t.Columns), keyCols, b)
		}
		for i := 0; i < int(b.NumRows()); i++ {
			id := k.identity(cols, i)
			if _, ok := k.ord[id]; ok {
				rows, ids = append(rows, int32(i)), append(ids, id)
			}
		}
		if len(rows) == 0 {
			return nil
		}
		return found(cols, rows, ids)
	})
}

// insertKeyed runs an INSERT into a table with a primary key.
// RETURNING rows go to ret.
func (e *Engine) insertKeyed(ctx context.Context, ins *planner.Insert, params []any, ret *returner) (int64, error) {
	if ins.OnConflict != nil {
		return e.upsert(ctx, ins, params, ret)
	}
	t := ins.Table
	w, err := e.newRowWriter(ctx, t, ins.Targets)
	if err != nil {
		return 0, err
	}
	defer w.Abort()
	k := newKeySet(t)
	op, release, err := e.plan(ctx, ins.Source, params)
	if err != nil {
		return 0, err
	}
	defer release()
	err = pump(ctx, op, func(ctx context.Context, b arrow.RecordBatch) error {
		if b.NumRows() == 0 {
			return nil
		}
		rec, err := e.tableBatch(ctx, t, w.schema, w.targets, b, w.rules)
		if err != nil {
			return err
		}
		defer rec.Release()
		if err := w.rules.check(ctx, t, rec); err != nil {
			return err
		}
		k.add(rec)
		if err := ret.add(ctx, rec); err != nil {
			return err
		}
		return w.w.Append(rec)
	})
	if err != nil {
		return 0, err
	}
	streamEvent("commit")
	p, err := w.Prepare(ctx)
	if err != nil {
		return 0, err
	}
	if p.Rows() == 0 {
		return 0, nil
	}
	return e.commitKeyed(ctx, t, k, func(st *statestore.State) (*ingest.Prepared, int64, error) {
		first, key := k.dup, k.dupKey
		err := e.lookupKeys(ctx, t, st, k, false, func(cols []arrow.Array, rows []int32, ids []string) error {
			for j, id := range ids {
				if o := k.ord[id]; first < 0 || o < first {
					first, key = o, k.describe(cols, int(rows[j]))
				}
			}
			return nil
		})
		if err != nil {
			return p, 0, err
		}
		if first >= 0 {
			return p, 0, uniqueViolation(t, key)
		}
		return p, p.Rows(), nil
	})
}

// commitKeyed commits the rows prepare writes (or has written) for the table's state st,
// guarded by k's key range (commitGuarded); when another write got in between, it reads
// the newer state and prepares again. prepare may return the Prepared of an earlier
// attempt again, with an error too: the files of a Prepared are discarded unless
// committed, once it is no longer returned.
func (e *Engine) commitKeyed(ctx context.Context, t *catalog.Table, k *keySet, prepare func(st *statestore.State) (*ingest.Prepared, int64, error)) (int64, error) {
	var last *ingest.Prepared
	defer func() {
		if last != nil {
			last.Discard(context.WithoutCancel(ctx))
		}
	}()
	for attempt := 1; ; attempt++ {
		st, hold, err := e.readState(ctx, t)
		if err != nil {
			return 0, err
		}
		p, n, err := prepare(st)
		e.readers.release([]readHold{hold})
		if p != last && last != nil {
			last.Discard(context.WithoutCancel(ctx))
		}
		last = p
		if err != nil {
			return 0, err
		}
		if p == nil || p.Rows() == 0 {
			return n, nil
		}
		err = e.commitGuarded(ctx, t, k.guard(st), nil, p)
		if err == nil {
			last = nil // committed, or the transaction block's
			return n, nil
		}
		if !errors.Is(err, statestore.ErrRowsChanged) || ctx.Err() != nil {
			return 0, err
		}
		if attempt >= maxRewriteAttempts {
			return 0, errs.Wrap(errs.Conflict, err, "could not serialize access due to concurrent insert into table %q", t.Name)
		}
	}
}

// upsert runs INSERT ... ON CONFLICT on a table with a primary key.
func (e *Engine) upsert(ctx context.Context, ins *planner.Insert, params []any, ret *returner) (int64, error) {
	t := ins.Table
	oc := ins.OnConflict
	mem := exec.Allocator(ctx)
	schema := t.Schema()
	// The rows proposed, as one table batch.
	var recs []arrow.RecordBatch
	defer func() { releaseAll(recs) }()
	k := newKeySet(t)
	rules, err := e.rulesFor(ctx, t)
	if err != nil {
		return 0, err
	}
	op, release, err := e.plan(ctx, ins.Source, params)
	if err != nil {
		return 0, err
	}
	err = pump(ctx, op, func(ctx context.Context, b arrow.RecordBatch) error {
		if b.NumRows() == 0 {
			return nil
		}
		rec, err := e.tableBatch(ctx, t, schema, ins.Targets, b, rules)
		if err != nil {
			return err
		}
		recs = append(recs, rec)
		if err := rules.check(ctx, t, rec); err != nil {
			return err
		}
		k.add(rec)
		return nil
	})
	release()
	if err != nil || k.n == 0 {
		return 0, err
	}
	proposed, err := concatBatches(mem, schema, recs)
	if err != nil {
		return 0, err
	}
	defer proposed.Release()
	var set map[int]exec.Expr
	var where exec.Expr
	if !oc.DoNothing {
		if set, where, err = compileOnConflict(ctx, t, oc, params); err != nil {
			return 0, err
		}
	}
	streamEvent("commit")
	return e.commitKeyed(ctx, t, k, func(st *statestore.State) (*ingest.Prepared, int64, error) {
		ret.reset()
		// The existing rows of the keys proposed, as one batch, and where each key's is.
		var found []arrow.RecordBatch
		defer func() { releaseAll(found) }()
		at := map[string]int32{}
		var n int32
		err := e.lookupKeys(ctx, t, st, k, !oc.DoNothing, func(cols []arrow.Array, rows []int32, ids []string) error {
			if !oc.DoNothing {
				b := array.NewRecordBatch(schema, cols, int64(cols[0].Len()))
				found = append(found, exec.TakeBatch(mem, b, rows))
				b.Release()
			}
			for _, id := range ids {
				at[id] = n
				n++
			}
			return nil
		})
		if err != nil {
			return nil, 0, err
		}
		existing, err := concatBatches(mem, schema, found)
		if err != nil {
			return nil, 0, err
		}
		defer existing.Release()
		var insert, exIdx, propIdx []int32
		affected := map[string]bool{}
		cols := proposed.Columns()
		for i := 0; i < int(proposed.NumRows()); i++ {
			id := k.identity(cols, i)
			if affected[id] {
				if oc.DoNothing {
					continue
				}
				return nil, 0, &errs.Error{Kind: errs.TooManyRows, Msg: "ON CONFLICT DO UPDATE command cannot affect row a second time",
					Hint: "Ensure that no rows proposed for insertion within the same command have duplicate constrained values."}
			}
			affected[id] = true
			if j, ok := at[id]; ok {
				if !oc.DoNothing {
					exIdx, propIdx = append(exIdx, j), append(propIdx, int32(i))
				}
				continue
			}
			insert = append(insert, int32(i))
		}
		targets := make([]int, len(t.Columns))
		for i := range targets {
			targets[i] = i
		}
		w, err := e.newRowWriter(ctx, t, targets)
		if err != nil {
			return nil, 0, err
		}
		defer w.Abort()
		count := int64(len(insert))
		if len(insert) > 0 {
			rows := exec.TakeBatch(mem, proposed, insert)
			err := ret.add(ctx, rows)
			if err == nil {
				err = w.w.Append(rows)
			}
			rows.Release()
			if err != nil {
				return nil, 0, err
			}
		}
		if len(exIdx) > 0 {
			rows, err := updatedRows(ctx, t, existing, exIdx, proposed, propIdx, set, where)
			if err != nil {
				return nil, 0, err
			}
			count += rows.NumRows()
			err = w.rules.check(ctx, t, rows)
			if err == nil {
				err = ret.add(ctx, rows)
			}
			if err == nil {
				err = w.w.Append(rows)
			}
			rows.Release()
			if err != nil {
				return nil, 0, err
			}
		}
		p, err := w.Prepare(ctx)
		return p, count, err
	})
}

// compileOnConflict compiles the SET and WHERE expressions of ON CONFLICT DO UPDATE over a
// batch of the existing row's columns followed by the proposed row's.
func compileOnConflict(ctx context.Context, t *catalog.Table, oc *planner.OnConflict, params []any) (map[int]exec.Expr, exec.Expr, error) {
	layout := map[planner.ColumnID]int{}
	for i := range t.Columns {
		layout[oc.Existing[i].ID] = i
		layout[oc.Excluded[i].ID] = len(t.Columns) + i
	}
	bind := func(x planner.Expr) (exec.Expr, error) {
		n, err := planner.BindParams(&planner.Filter{Input: &planner.Values{}, Pred: x}, params)
		if err != nil {
			return nil, err
		}
		return planner.CompileExpr(n.(*planner.Filter).Pred, layout)
	}
	set := map[int]exec.Expr{}
	for i, x := range oc.Set {
		c, err := bind(x)
		if err != nil {
			return nil, nil, err
		}
		set[i] = c
	}
	var where exec.Expr
	if oc.Where != nil {
		var err error
		if where, err = bind(oc.Where); err != nil {
			return nil, nil, err
		}
	}
	return set, where, nil
}

// updatedRows returns the new values of the existing rows exIdx of existing updated from the
// proposed rows propIdx of proposed, those where is true (all without a where).
func updatedRows(ctx context.Context, t *catalog.Table, existing arrow.RecordBatch, exIdx []int32, proposed arrow.RecordBatch, propIdx []int32, set map[int]exec.Expr, where exec.Expr) (arrow.RecordBatch, error) {
	mem := exec.Allocator(ctx)
	ex := exec.TakeBatch(mem, existing, exIdx)
	defer ex.Release()
	pr := exec.TakeBatch(mem, proposed, propIdx)
	defer pr.Release()
	n := len(t.Columns)
	pairCols := append(append([]arrow.Array{}, ex.Columns()...), pr.Columns()...)
	fields := append(append([]arrow.Field{}, ex.Schema().Fields()...), pr.Schema().Fields()...)
	for i := range fields[n:] {
		fields[n+i].Name = "excluded." + fields[n+i].Name
	}
	pair := array.NewRecordBatch(arrow.NewSchema(fields, nil), pairCols, ex.NumRows())
	defer pair.Release()
	cols := make([]arrow.Array, n)
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i := range t.Columns {
		x, ok := set[i]
		if !ok {
			cols[i] = ex.Column(i)
			cols[i].Retain()
			continue
		}
		v, err := x.Eval(ctx, pair)
		if err != nil {
			return nil, err
		}
		cols[i] = v
		if !arrow.TypeEqual(v.DataType(), t.Columns[i].Type) {
			return nil, errs.New(errs.Internal, "column %q: value type %s, table type %s", t.Columns[i].Name, v.DataType(), t.Columns[i].Type)
		}
		if !t.Columns[i].Nullable && v.NullN() > 0 {
			return nil, errs.New(errs.NotNullViolation, "null value in column %q of relation %q violates not-null constraint", t.Columns[i].Name, t.Name)
		}
	}
	out := array.NewRecordBatch(t.Schema(), cols, ex.NumRows())
	if where == nil {
		return out, nil
	}
	defer out.Release()
	m, err := where.Eval(ctx, pair)
	if err != nil {
		return nil, err
	}
	defer m.Release()
	mask, ok := m.(*array.Boolean)
	if !ok {
		return nil, errs.New(errs.Internal, "ON CONFLICT WHERE of type %s", m.DataType())
	}
	var keep []int32
	for i := 0; i < mask.Len(); i++ {
		if mask.IsValid(i) && mask.Value(i) {
			keep = append(keep, int32(i))
		}
	}
	return exec.TakeBatch(mem, out, keep), nil
}

// concatBatches returns the rows of bs, of the given schema, as one batch.
func concatBatches(mem memory.Allocator, schema *arrow.Schema, bs []arrow.RecordBatch) (arrow.RecordBatch, error) {
	if len(bs) == 1 {
		bs[0].Retain()
		return bs[0], nil
	}
	cols := make([]arrow.Array, schema.NumFields())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	var rows int64
	for _, b := range bs {
		rows += b.NumRows()
	}
	for i := range cols {
		if len(bs) == 0 {
			cols[i] = array.MakeArrayOfNull(mem, schema.Field(i).Type, 0)
			continue
		}
		parts := make([]arrow.Array, len(bs))
		for j, b := range bs {
			parts[j] = b.Column(i)
		}
		c, err := array.Concatenate(parts, mem)
		if err != nil {
			return nil, errs.Wrap(errs.Internal, err, "concatenating rows: %v", err)
		}
		cols[i] = c
	}
	return array.NewRecordBatch(schema, cols, rows), nil
}
