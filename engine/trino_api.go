package engine

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"sort"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/storage/keys"
	"github.com/sleeperd/sleeperd/storage/statestore"
	"github.com/sleeperd/sleeperd/types"
)

// This file is the engine's API for connectors that read tables split by leaf partition
// (connectors/trino): listing splits of a table pinned to one state, and scanning one split.
// Splits are opaque, self-contained descriptors: any engine over the same object store can
// scan any split, as long as the state it names can still be rebuilt from the log and its
// files have not been garbage collected.

// ColumnConstraint says which values of one column can match a connector's predicate. It
// may admit more rows than the predicate (the caller re-applies it) but never fewer. Values
// are Go values in the representation of Parquet statistics: int64 for every integer type,
// date32 (days) and timestamps (in the column's unit), float64 for floats, string, []byte,
// bool.
type ColumnConstraint struct {
	Column      int  // index into catalog.Table.Columns
	None        bool // no non-NULL value matches
	NullAllowed bool // NULL matches
	// Points, when non-nil, are the only non-NULL values that match.
	Points []any
	// Ranges, when non-nil, hold every non-NULL value that matches.
	Ranges []ValueRange
}

// ValueRange is a range of values; a nil bound leaves that side open.
type ValueRange struct {
	Lower, Upper                   any
	LowerInclusive, UpperInclusive bool
}

// Splits is a page of splits of a table, all at one state.
type Splits struct {
	Table *catalog.Table
	Txn   uint64   // the state the splits read
	Total int      // splits in the whole listing
	IDs   [][]byte // the descriptors of splits [offset, offset+len(IDs)) of the listing
}

// splitDesc is a split's descriptor: a table at a state, one leaf partition, the key ranges
// of the leaf to read (nil: all of it) and the row-group bounds to prune with.
type splitDesc struct {
	Table  string      `json:"t"`
	ID     string      `json:"i"`
	Txn    uint64      `json:"n"`
	Leaf   string      `json:"l"`
	All    bool        `json:"a,omitempty"` // no key ranges: the whole leaf
	Ranges [][2][]byte `json:"r,omitempty"`
	Bounds []boundDesc `json:"b,omitempty"`
}

type boundDesc struct {
	Column int    `json:"c"`
	Lower  *value `json:"lo,omitempty"`
	Upper  *value `json:"hi,omitempty"`
	LoIncl bool   `json:"li,omitempty"`
	HiIncl bool   `json:"hi_incl,omitempty"`
}

// value is a typed bound value that survives JSON.
type value struct {
	I *int64   `json:"i,omitempty"`
	F *float64 `json:"f,omitempty"`
	S *string  `json:"s,omitempty"`
	B []byte   `json:"b,omitempty"`
	T *bool    `json:"t,omitempty"`
}

func toValue(v any) *value {
	switch x := v.(type) {
	case int64:
		return &value{I: &x}
	case float64:
		return &value{F: &x}
	case string:
		return &value{S: &x}
	case []byte:
		return &value{B: x}
	case bool:
		return &value{T: &x}
	}
	return nil
}

func (v *value) goValue() any {
	switch {
	case v == nil:
		return nil
	case v.I != nil:
		return *v.I
	case v.F != nil:
		return *v.F
	case v.S != nil:
		return *v.S
	case v.T != nil:
		return *v.T
	case v.B != nil:
		return v.B
	}
	return nil
}

// ConnectorTable returns the named user table.
func (e *Engine) ConnectorTable(ctx context.Context, name string) (*catalog.Table, error) {
	return e.cat.Table(ctx, name)
}

// ConnectorTables lists the user tables.
func (e *Engine) ConnectorTables(ctx context.Context) ([]*catalog.Table, error) {
	return e.cat.Tables(ctx)
}

// SystemTable returns the rows of the named system table (schema sleeper) as one batch,
// which the caller releases.
func (e *Engine) SystemTable(ctx context.Context, name string) (b arrow.RecordBatch, err error) {
	defer e.recoverTo("system table", &err)
	return e.systemTable(ctx, name)
}

// LeafSplits lists the splits of table name that can hold rows matching the constraints:
// one per leaf partition overlapping the key ranges they give the row keys, in key order.
// txn 0 lists at the table's current state; another txn lists at that state (the state a
// first page was listed at), failing if the table was replaced since (its ID differs from
// tableID) or the state is gone. The page holds the splits [offset, offset+limit) of the
// listing; limit <= 0 means all.
func (e *Engine) LeafSplits(ctx context.Context, name, tableID string, txn uint64, cons []ColumnConstraint, offset, limit int) (sp *Splits, err error) {
	defer e.recoverTo("listing splits", &err)
	t, state, err := e.splitState(ctx, name, tableID, txn)
	if err != nil {
		return nil, err
	}
	ranges := connectorKeyRanges(t, cons)
	var leaves []*statestore.Partition
	if ranges == nil {
		leaves = state.Leaves()
	} else {
		seen := map[string]bool{}
		for _, r := range ranges {
			for _, p := range state.LeavesOverlapping(r) {
				if !seen[p.ID] {
					seen[p.ID] = true
					leaves = append(leaves, p)
				}
			}
		}
	}
	bounds := connectorBounds(t, cons)
	sp = &Splits{Table: t, Txn: state.TxnNumber(), Total: len(leaves)}
	page, err := splitPage(leaves, offset, limit)
	if err != nil {
		return nil, err
	}
	for _, leaf := range page {
		d := splitDesc{Table: t.Name, ID: t.ID, Txn: state.TxnNumber(), Leaf: leaf.ID, All: ranges == nil, Bounds: bounds}
		for _, r := range ranges {
			if in := r.Intersect(leaf.Range); !in.Empty() {
				d.Ranges = append(d.Ranges, [2][]byte{in.Min, in.Max})
			}
		}
		id, err := json.Marshal(d)
		if err != nil {
			return nil, err
		}
		sp.IDs = append(sp.IDs, id)
	}
	return sp, nil
}

// splitPage sorts leaves by their key ranges and returns the page [offset, offset+limit) of
// them (limit <= 0: to the end).
func splitPage(leaves []*statestore.Partition, offset, limit int) ([]*statestore.Partition, error) {
	sort.Slice(leaves, func(i, j int) bool { return bytes.Compare(leaves[i].Range.Min, leaves[j].Range.Min) < 0 })
	if offset < 0 || offset > len(leaves) {
		return nil, errs.New(errs.InvalidParameter, "split offset %d is outside the listing of %d splits", offset, len(leaves))
	}
	end := len(leaves)
	if limit > 0 && offset+limit < end {
		end = offset + limit
	}
	return leaves[offset:end], nil
}

// splitState is table name, which must still have the ID tableID unless that is empty, and
// its state at txn (0: current), for listing splits.
func (e *Engine) splitState(ctx context.Context, name, tableID string, txn uint64) (*catalog.Table, *statestore.State, error) {
	t, err := e.cat.Table(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	if tableID != "" && t.ID != tableID {
		return nil, nil, errs.New(errs.ObjectState, "table %q was dropped and created again since the splits were listed", name)
	}
	state, err := e.stateAt(ctx, t, txn)
	if err != nil {
		return nil, nil, err
	}
	return t, state, nil
}

// IndexSplits lists the splits that read the rows whose leading row key columns equal one
// of keys (each a row of Go values, as in ColumnConstraint, for the first len(row) row key
// columns): one split per leaf partition holding any of them, at the table's current state
// (txn 0) or at txn, paged as LeafSplits.
func (e *Engine) IndexSplits(ctx context.Context, name, tableID string, txn uint64, keyRows [][]any, cons []ColumnConstraint, offset, limit int) (sp *Splits, err error) {
	defer e.recoverTo("listing index splits", &err)
	t, state, err := e.splitState(ctx, name, tableID, txn)
	if err != nil {
		return nil, err
	}
	types := t.RowKeyTypes()
	byLeaf := map[string][]keys.Range{}
	var leaves []*statestore.Partition
	for _, row := range keyRows {
		if len(row) == 0 || len(row) > len(types) {
			return nil, errs.New(errs.InvalidParameter, "an index key has %d columns; table %q has %d row key columns", len(row), name, len(types))
		}
		var k []byte
		ok := true
		for i, v := range row {
			if v == nil {
				ok = false // row keys are never NULL: a NULL key matches nothing
				break
			}
			enc, err := keys.AppendGo(k, types[i], v)
			if err != nil {
				return nil, errs.New(errs.InvalidParameter, "index key column %s: %v", t.Columns[t.RowKeys[i]].Name, err)
			}
			k = enc
		}
		if !ok {
			continue
		}
		r := keys.Range{Min: k, Max: keys.PrefixEnd(k)}
		for _, p := range state.LeavesOverlapping(r) {
			if _, seen := byLeaf[p.ID]; !seen {
				leaves = append(leaves, p)
			}
			byLeaf[p.ID] = append(byLeaf[p.ID], r.Intersect(p.Range))
		}
	}
	bounds := connectorBounds(t, cons)
	sp = &Splits{Table: t, Txn: state.TxnNumber(), Total: len(leaves)}
	page, err := splitPage(leaves, offset, limit)
	if err != nil {
		return nil, err
	}
	for _, leaf := range page {
		d := splitDesc{Table: t.Name, ID: t.ID, Txn: state.TxnNumber(), Leaf: leaf.ID, Bounds: bounds}
		for _, r := range byLeaf[leaf.ID] {
			d.Ranges = append(d.Ranges, [2][]byte{r.Min, r.Max})
		}
		id, err := json.Marshal(d)
		if err != nil {
			return nil, err
		}
		sp.IDs = append(sp.IDs, id)
	}
	return sp, nil
}

// SplitTable returns the table a split descriptor reads.
func (e *Engine) SplitTable(ctx context.Context, split []byte) (*catalog.Table, error) {
	d, err := decodeSplit(split)
	if err != nil {
		return nil, err
	}
	t, err := e.cat.Table(ctx, d.Table)
	if err != nil {
		return nil, err
	}
	if t.ID != d.ID {
		return nil, errs.New(errs.ObjectState, "table %q was dropped and created again since the split was listed", d.Table)
	}
	return t, nil
}

func decodeSplit(split []byte) (*splitDesc, error) {
	var d splitDesc
	if err := json.Unmarshal(split, &d); err != nil || d.Table == "" || d.Leaf == "" || d.Txn == 0 {
		return nil, errs.New(errs.InvalidParameter, "not a split of this service")
	}
	return &d, nil
}

// ScanSplit streams the rows of a split: the given table columns (indices into
// Table.Columns; none reads only the row count), in the same order on every call with the
// same arguments, so a reader can resume by skipping the rows it has. The state the split
// names is protected from garbage collection until the stream is closed.
func (e *Engine) ScanSplit(ctx context.Context, split []byte, columns []int) (s exec.Stream, err error) {
	defer e.recoverTo("scanning split", &err)
	d, err := decodeSplit(split)
	if err != nil {
		return nil, err
	}
	t, err := e.SplitTable(ctx, split)
	if err != nil {
		return nil, err
	}
	state, err := e.stateAt(ctx, t, d.Txn)
	if err != nil {
		return nil, err
	}
	leaf, ok := state.Partition(d.Leaf)
	if !ok || !leaf.Leaf() {
		return nil, errs.New(errs.InvalidParameter, "split names partition %s, not a leaf of table %q at transaction %d", d.Leaf, t.Name, d.Txn)
	}
	var ranges []keys.Range
	if !d.All {
		ranges = []keys.Range{}
		for _, r := range d.Ranges {
			ranges = append(ranges, keys.Range{Min: r[0], Max: r[1]})
		}
	}
	var bounds []catalog.ColumnBound
	for _, b := range d.Bounds {
		bounds = append(bounds, catalog.ColumnBound{Column: b.Column, Lower: b.Lower.goValue(), Upper: b.Upper.goValue(), LowerInclusive: b.LoIncl, UpperInclusive: b.HiIncl})
	}
	merge, err := e.mergeSpec(ctx, t, state)
	if err != nil {
		return nil, err
	}
	scan, err := catalog.NewScan(e.store, catalog.ScanSpec{
		Table: t, State: state, Leaves: []*statestore.Partition{leaf}, Columns: columns,
		Ranges: ranges, Bounds: bounds, Parallelism: 1, Metrics: e.metrics, Merge: merge, Files: e.files,
	})
	if err != nil {
		return nil, err
	}
	hold := e.readers.hold(t.StateID(), state.TxnNumber())
	stream, err := scan.Execute(exec.WithAllocator(ctx, e.alloc))
	if err != nil {
		e.readers.release([]readHold{hold})
		return nil, err
	}
	return &heldStream{Stream: stream, release: func() { e.readers.release([]readHold{hold}) }}, nil
}

// heldStream releases its garbage-collection hold when closed.
type heldStream struct {
	exec.Stream
	release func()
	closed  bool
}

func (s *heldStream) Close() error {
	err := s.Stream.Close()
	if !s.closed {
		s.closed = true
		s.release()
	}
	return err
}

// stateAt returns t's current state (txn 0) or its state after transaction txn.
func (e *Engine) stateAt(ctx context.Context, t *catalog.Table, txn uint64) (*statestore.State, error) {
	if txn == 0 {
		return e.ss.Snapshot(ctx, t.StateID())
	}
	key := pastStateKey{ss: e.ss, table: t.StateID(), txn: txn}
	if st := pastStates.get(key); st != nil {
		return st, nil
	}
	st, err := e.ss.StateAt(ctx, t.StateID(), txn)
	if err == nil {
		pastStates.put(key, st)
	}
	if errors.Is(err, statestore.ErrStateGone) {
		return nil, errs.New(errs.ObjectState, "table %q at transaction %d is no longer readable (the log was trimmed past it): list the splits again", t.Name, txn)
	}
	if errors.Is(err, statestore.ErrTableNotFound) {
		return nil, errs.New(errs.ObjectState, "table %q has no transaction %d", t.Name, txn)
	}
	return st, err
}

// maxKeyPrefixes bounds how many point prefixes the key columns multiply into.
const maxKeyPrefixes = 4096

// connectorKeyRanges turns the constraints on the row key columns, in key order, into
// ranges of encoded keys, or nil when the leading row key is not constrained. As in
// planner/rules.KeyRanges, pinned columns (points) extend the prefix and the first column
// bounded by ranges (or not constrained) ends it.
func connectorKeyRanges(t *catalog.Table, cons []ColumnConstraint) []keys.Range {
	if len(t.RowKeys) == 0 {
		return nil
	}
	byCol := map[int]ColumnConstraint{}
	for _, c := range cons {
		byCol[c.Column] = c
	}
	types := t.RowKeyTypes()
	prefixes := [][]byte{{}}
	constrained := false
	for i, col := range t.RowKeys {
		c, ok := byCol[col]
		if !ok {
			break
		}
		if c.None {
			return []keys.Range{} // row keys are never NULL
		}
		if c.Points != nil && len(prefixes)*len(c.Points) <= maxKeyPrefixes {
			var next [][]byte
			encOK := true
			for _, p := range prefixes {
				for _, v := range c.Points {
					enc, err := keys.AppendGo(bytes.Clone(p), types[i], v)
					if err != nil {
						encOK = false
						break
					}
					next = append(next, enc)
				}
			}
			if !encOK {
				break
			}
			constrained = true
			prefixes = next
			continue
		}
		if c.Ranges == nil {
			break
		}
		var out []keys.Range
		for _, p := range prefixes {
			for _, vr := range c.Ranges {
				r := keys.Range{Min: p, Max: keys.PrefixEnd(p)}
				if vr.Lower != nil {
					lo, err := keys.AppendGo(bytes.Clone(p), types[i], vr.Lower)
					if err != nil {
						return prefixRanges(prefixes, constrained)
					}
					if !vr.LowerInclusive {
						lo = keys.PrefixEnd(lo)
						if lo == nil {
							continue
						}
					}
					r.Min = lo
				}
				if vr.Upper != nil {
					hi, err := keys.AppendGo(bytes.Clone(p), types[i], vr.Upper)
					if err != nil {
						return prefixRanges(prefixes, constrained)
					}
					if vr.UpperInclusive {
						hi = keys.PrefixEnd(hi)
					}
					r.Max = hi
				}
				if !r.Empty() {
					out = append(out, r)
				}
			}
		}
		if out == nil {
			out = []keys.Range{}
		}
		return out
	}
	return prefixRanges(prefixes, constrained)
}

func prefixRanges(prefixes [][]byte, constrained bool) []keys.Range {
	if !constrained {
		return nil
	}
	out := make([]keys.Range, 0, len(prefixes))
	for _, p := range prefixes {
		out = append(out, keys.Range{Min: p, Max: keys.PrefixEnd(p)})
	}
	return out
}

// connectorBounds turns constraints that exclude NULL into row-group bounds: the hull of the
// points or ranges of each column.
func connectorBounds(t *catalog.Table, cons []ColumnConstraint) []boundDesc {
	var out []boundDesc
	for _, c := range cons {
		if c.NullAllowed || c.None || c.Column < 0 || c.Column >= len(t.Columns) {
			continue
		}
		var lo, hi any
		loIncl, hiIncl := true, true
		switch {
		case len(c.Points) > 0:
			lo, hi = c.Points[0], c.Points[0]
			for _, p := range c.Points[1:] {
				if n, ok := CompareValues(p, lo); !ok {
					lo, hi = nil, nil
					break
				} else if n < 0 {
					lo = p
				}
				if n, ok := CompareValues(p, hi); ok && n > 0 {
					hi = p
				}
			}
		case len(c.Ranges) > 0:
			lo, hi = c.Ranges[0].Lower, c.Ranges[0].Upper
			loIncl, hiIncl = c.Ranges[0].LowerInclusive, c.Ranges[0].UpperInclusive
			for _, r := range c.Ranges[1:] {
				if lo != nil {
					if r.Lower == nil {
						lo = nil
					} else if n, ok := CompareValues(r.Lower, lo); !ok {
						lo = nil
					} else if n < 0 || (n == 0 && r.LowerInclusive) {
						lo, loIncl = r.Lower, r.LowerInclusive
					}
				}
				if hi != nil {
					if r.Upper == nil {
						hi = nil
					} else if n, ok := CompareValues(r.Upper, hi); !ok {
						hi = nil
					} else if n > 0 || (n == 0 && r.UpperInclusive) {
						hi, hiIncl = r.Upper, r.UpperInclusive
					}
				}
			}
		}
		if lo == nil && hi == nil {
			continue
		}
		b := boundDesc{Column: c.Column, LoIncl: loIncl, HiIncl: hiIncl}
		if lo != nil {
			b.Lower = toValue(lo)
		}
		if hi != nil {
			b.Upper = toValue(hi)
		}
		if (lo != nil && b.Lower == nil) || (hi != nil && b.Upper == nil) {
			continue
		}
		out = append(out, b)
	}
	return out
}

// CompareValues orders two bound values of one kind (int64, float64, string or []byte, as
// ColumnConstraint holds them); ok is false for other kinds or values of two kinds.
func CompareValues(a, b any) (int, bool) {
	switch x := a.(type) {
	case int64:
		if y, ok := b.(int64); ok {
			return cmp.Compare(x, y), true
		}
	case float64:
		if y, ok := b.(float64); ok {
			return cmp.Compare(x, y), true
		}
	case string:
		if y, ok := b.(string); ok {
			return cmp.Compare(x, y), true
		}
	case []byte:
		if y, ok := b.([]byte); ok {
			return bytes.Compare(x, y), true
		}
	}
	return 0, false
}

// ResultField is the field a column of t has in a query's result: its stored Arrow type,
// with the SQL type of character columns in its metadata (as a query's result schema has it),
// so that a frontend formats it as SELECT * does.
func ResultField(t *catalog.Table, col int) arrow.Field {
	f := t.Schema().Field(col)
	f.Name, f.Metadata = t.Columns[col].Name, arrow.Metadata{} // the schema has the name it is stored under, and how to fill it
	if md, ok := types.SQLMetadata(t.Columns[col].SQL()); ok {
		f.Metadata = md
	}
	return f
}

// pastStates keeps the last few past states rebuilt for splits, so that the pages of splits
// listed before the table moved on do not each replay the log. States are immutable.
var pastStates = &stateCache{}

type pastStateKey struct {
	ss    *statestore.Store
	table statestore.TableID
	txn   uint64
}

// stateCache is a small most-recently-used list.
type stateCache struct {
	mu      sync.Mutex
	entries []stateEntry // most recent first
}

type stateEntry struct {
	key   pastStateKey
	state *statestore.State
}

const maxPastStates = 8

func (c *stateCache) get(k pastStateKey) *statestore.State {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, e := range c.entries {
		if e.key == k {
			copy(c.entries[1:i+1], c.entries[:i])
			c.entries[0] = e
			return e.state
		}
	}
	return nil
}

func (c *stateCache) put(k pastStateKey, st *statestore.State) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.entries {
		if e.key == k {
			return
		}
	}
	c.entries = append([]stateEntry{{k, st}}, c.entries...)
	if len(c.entries) > maxPastStates {
		c.entries[maxPastStates] = stateEntry{}
		c.entries = c.entries[:maxPastStates]
	}
}
