package engine

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/sql"
	"github.com/sleeperd/sleeperd/types"
)

// ALTER COLUMN ... TYPE. Data files are not rewritten. A change whose values stay as they
// are stored (character varying to a longer or a shorter length, or to text) changes the
// catalog only. Any other change gives the column a new stored name and records its former
// name and type (catalog.Former): files written before the change hold the column under the
// former name, and every reader (scans, merges, compaction) converts their values with
// PostgreSQL's casts as it reads them; compaction writes them in the new type. So that no
// read can fail later, ALTER first reads every value of the column and converts it as reads
// will: a value the new type cannot take fails the ALTER with PostgreSQL's error (22P02,
// 22003, 22001, ...) and nothing changes. Row key, sort key and primary key columns, and
// columns an index or the table's iterators use, keep their type unless the stored values
// stay as they are: their stored order and key encoding would change.

// Writes that race the change. Rows another session (or process) writes under the former
// schema while the ALTER runs would escape its check, and a value that does not convert
// would fail reads or be written as NULL by compaction. So before it reads the values the
// ALTER fences the column's stored name in the state store (statestore.RetireColumns with a
// token and a lease, alter_fence.go): the commit of every write names the stored columns its
// files hold (statestore.AddFiles), and one naming a retired name fails with 40001, its files
// deleted; the client retries under the new schema, whose new stored name is not retired. A
// DELETE's predicate tests values in the types of the schema it was made under, so its
// commit names the stored columns too (statestore.AddDeletePredicate) and is refused alike.
// The ALTER's check thus reads every file with the former name that will ever be committed.
// An ALTER that fails lifts its fence; one that succeeds keeps the name retired for good
// (former names are never used again for the column).

// testAlterHook, when set by a test, runs at the named steps of an ALTER COLUMN ... TYPE:
// "fenced" once it has retired a column's stored name, before it reads the column's values;
// "checked" once it has checked them all, before it changes the catalog; "changed" once the
// catalog changed, before the retirement is kept for good.
var testAlterHook atomic.Pointer[func(step string)]

// alterStep runs the test hook for step, if one is set.
func alterStep(step string) {
	if f := testAlterHook.Load(); f != nil {
		(*f)(step)
	}
}

// convertsValues reports whether changing a column of SQL type from to type to (through the
// explicit casts via) changes its stored values: anything but character varying (or text)
// to character varying (or text) without USING.
func convertsValues(from, to arrow.DataType, via []arrow.DataType) bool {
	stringy := func(t arrow.DataType) bool { return t.ID() == arrow.STRING && !types.IsBpchar(t) }
	return len(via) > 0 || !stringy(from) || !stringy(to)
}

// narrowsLength reports whether changing a column of SQL type from to type to (through the
// explicit casts via) keeps its stored values but gives them a length limit they may not
// meet: character varying (or text) to a shorter character varying, without USING. Such a
// change of a column in no key, index, filter or aggregation gives the column a new stored
// name, fenced as a conversion is (the former name's values read through a cast to the new
// type), so that a write of a longer value under the old schema cannot commit after the
// check. A column in a key or an index keeps its stored name (their stored order and
// encoding stay): the change fences the name of the table's definition that every write
// names (catalog.Table.FenceName), and its catalog change moves the table to the next.
func narrowsLength(from, to arrow.DataType, via []arrow.DataType) bool {
	if convertsValues(from, to, via) {
		return false
	}
	n, ok := types.CharLength(to)
	if !ok || n < 0 {
		return false
	}
	m, ok := types.CharLength(from)
	return !ok || m < 0 || m > n
}

// typeChangePath is the path of SQL types a value of the column's type takes to reach to as
// ALTER assigns it: the explicit casts via, then to. For a character varying(n) target the
// last step is text: the assignment checks the length (checkLength) rather than truncating.
func typeChangePath(to arrow.DataType, via []arrow.DataType) (path []arrow.DataType, limit int32) {
	path = slices.Clone(via)
	if n, ok := types.CharLength(to); ok && n >= 0 {
		return append(path, types.Text), n
	}
	return append(path, to), -1
}

// checkSetType checks that every value of the column c changes can be assigned to the new
// type, reading them all, and that the column's default still binds. It returns the value
// rows of files older than the column take (catalog.Column.Missing) in the new type. When
// the values will be converted, or a length they may not meet is set (narrowsLength), it
// first fences the column's stored name in the state store (fenced.add).
func (e *Engine) checkSetType(ctx context.Context, t *catalog.Table, c planner.AlterColumn, fenced *alterFence) (*string, error) {
	i := column(t, c.Column)
	if i < 0 {
		return nil, nil // reported by setType
	}
	col := t.Columns[i]
	from, to := col.SQL(), c.Def.Type
	if arrow.TypeEqual(from, to) && len(c.Via) == 0 && types.IsBpchar(from) == types.IsBpchar(to) {
		return col.Missing, nil
	}
	if err := refusedTypeChange(col, to, c.Via); err != nil {
		return nil, err
	}
	// What setType refuses is refused before the fence too: a column in a key or an index
	// never moves to another stored name.
	var idx []*catalog.Index
	if convertsValues(from, to, c.Via) || narrowsLength(from, to, c.Via) {
		cur, err := e.cat.Current(ctx)
		if err != nil {
			return nil, err
		}
		if idx, err = cur.AllIndexes(ctx); err != nil {
			return nil, err
		}
	}
	if convertsValues(from, to, c.Via) {
		if err := keyTypeChange(t, i, from, to); err != nil {
			return nil, err
		}
		if u := usedElsewhere(t, col.Name, idx); u != "" {
			return nil, errs.New(errs.NotImplemented, "cannot change the type of column %q of table %q because %s uses it", col.Name, t.Name, u)
		}
	}
	narrow := narrowsLength(from, to, c.Via) && keyRole(t, i) == "" && usedElsewhere(t, col.Name, idx) == ""
	// A column in a key or an index keeps its stored name: its shorter length fences the
	// writes under the table's definition (catalog.Table.FenceName) instead.
	fence, stored := col.Name, col.StoredName()
	if narrowsLength(from, to, c.Via) && !narrow {
		fence, stored = tableFence, t.FenceName()
	}
	if convertsValues(from, to, c.Via) || narrowsLength(from, to, c.Via) {
		if !fenced.has(fence) {
			if err := e.liftExpiredFences(ctx, t); err != nil {
				return nil, err
			}
			if err := fenced.add(ctx, fence, stored); err != nil {
				return nil, err
			}
			alterStep("fenced")
		}
	}
	if convertsValues(from, to, c.Via) {
		if err := e.foldDeletes(ctx, t, col.Name); err != nil {
			return nil, err
		}
	}
	path, limit := typeChangePath(to, c.Via)
	check := func(a arrow.Array) error {
		out, err := catalog.CastPath(ctx, a, from, path)
		if err != nil {
			return err
		}
		defer out.Release()
		return checkLength(out, limit, to)
	}
	if err := e.eachValue(ctx, t, col.Name, check); err != nil {
		return nil, err
	}
	if col.Default != "" {
		tmp := t.Clone()
		tmp.Columns[i].Type, tmp.Columns[i].SQLType = types.Storage(to), to
		tmp.Rebuild()
		cur, err := e.cat.Current(ctx)
		if err != nil {
			return nil, err
		}
		if _, err := sql.BindDefault(ctx, cur, tmp, i); err != nil {
			return nil, errs.New(errs.DatatypeMismatch, "default for column %q cannot be cast automatically to type %s", col.Name, types.Name(to))
		}
	}
	if col.Missing == nil || !convertsValues(from, to, c.Via) {
		return col.Missing, nil
	}
	// The value older files take converts as their values would.
	b := array.NewBuilder(exec.Allocator(ctx), types.Storage(from))
	defer b.Release()
	if err := b.AppendValueFromString(*col.Missing); err != nil {
		return nil, errs.Wrap(errs.Internal, err, "column %q: reading its value in older files", col.Name)
	}
	a := b.NewArray()
	defer a.Release()
	if err := check(a); err != nil {
		return nil, err
	}
	out, err := catalog.CastPath(ctx, a, from, append(slices.Clone(c.Via), to))
	if err != nil {
		return nil, err
	}
	defer out.Release()
	if out.IsNull(0) {
		return nil, nil
	}
	v := out.ValueStr(0)
	p := array.NewBuilder(exec.Allocator(ctx), types.Storage(to))
	defer p.Release()
	if err := p.AppendValueFromString(v); err != nil {
		return nil, errs.New(errs.NotImplemented, "ALTER COLUMN ... TYPE %s of a column added with a DEFAULT is not supported", types.Name(to))
	}
	return &v, nil
}

// keyTypeChange refuses a change of the stored values of column i of t, from SQL type from
// to to, when the column is in a key.
func keyTypeChange(t *catalog.Table, i int, from, to arrow.DataType) error {
	if r := keyRole(t, i); r != "" {
		return errs.New(errs.NotImplemented, "cannot change the type of column %q from %s to %s: it is in a %s, whose stored order and encoding would change", t.Columns[i].Name, types.Name(from), types.Name(to), r)
	}
	return nil
}

// refusedTypeChange refuses the changes this engine does not make: to or from character(n),
// whose values are padded; and, where the stored values change, columns in a key (their
// order and encoding would change).
func refusedTypeChange(col catalog.Column, to arrow.DataType, via []arrow.DataType) error {
	if types.IsBpchar(col.SQL()) || types.IsBpchar(to) || slices.ContainsFunc(via, types.IsBpchar) {
		return errs.New(errs.NotImplemented, "ALTER COLUMN ... TYPE to or from character(n) is not supported")
	}
	return nil
}

// checkLength checks that the text values of a fit character varying(limit) as PostgreSQL's
// assignment does: a longer value fails (22001) unless the characters past the limit are
// spaces. limit < 0 checks nothing.
func checkLength(a arrow.Array, limit int32, to arrow.DataType) error {
	if limit < 0 {
		return nil
	}
	s, ok := a.(*array.String)
	if !ok {
		return nil
	}
	for k := 0; k < s.Len(); k++ {
		if s.IsNull(k) {
			continue
		}
		v := s.Value(k)
		if utf8.RuneCountInString(v) <= int(limit) {
			continue
		}
		rest := v
		for n := int32(0); n < limit; n++ {
			_, w := utf8.DecodeRuneInString(rest)
			rest = rest[w:]
		}
		if strings.Trim(rest, " ") != "" {
			return errs.New(errs.StringTooLong, "value too long for type %s", types.Name(to))
		}
	}
	return nil
}

// eachValue hands each batch of the values of column name of t to each.
func (e *Engine) eachValue(ctx context.Context, t *catalog.Table, name string, each func(arrow.Array) error) error {
	stmts, err := sql.Parse("SELECT " + quoteIdent(name) + " FROM " + quoteIdent(t.Name))
	if err != nil {
		return err
	}
	cur, err := e.cat.Current(ctx)
	if err != nil {
		return err
	}
	bound, err := sql.Bind(ctx, cur, stmts[0], nil)
	if err != nil {
		return err
	}
	q, ok := bound.(*planner.Query)
	if !ok {
		return errs.New(errs.Internal, "reading column %q is not a query", name)
	}
	op, release, err := e.plan(ctx, q.Root, nil)
	if err != nil {
		return err
	}
	defer release()
	return pump(ctx, op, func(_ context.Context, b arrow.RecordBatch) error { return each(b.Column(0)) })
}

// setType changes the type of column i of t (a Clone being changed) as c asks; missing is
// the value rows of files older than the column take, in the new type (checkSetType).
func setType(t *catalog.Table, i int, c planner.AlterColumn, missing *string, idx []*catalog.Index, fenced *alterFence) error {
	col := &t.Columns[i]
	from, to := col.SQL(), c.Def.Type
	if arrow.TypeEqual(from, to) && len(c.Via) == 0 && types.IsBpchar(from) == types.IsBpchar(to) {
		return nil
	}
	if err := refusedTypeChange(*col, to, c.Via); err != nil {
		return err
	}
	narrowed := narrowsLength(from, to, c.Via) && fenced != nil && fenced.has(col.Name)
	if convertsValues(from, to, c.Via) || narrowed {
		if err := keyTypeChange(t, i, from, to); err != nil {
			return err
		}
		if u := usedElsewhere(t, col.Name, idx); u != "" {
			return errs.New(errs.NotImplemented, "cannot change the type of column %q of table %q because %s uses it", col.Name, t.Name, u)
		}
		former := catalog.Former{Stored: col.StoredName(), Type: from, Via: slices.Clone(c.Via)}
		if narrowed {
			// The values fit (checkSetType), but for spaces past the new length, which
			// PostgreSQL's assignment drops: the step truncates, whatever length follows.
			former.Via = []arrow.DataType{to}
		}
		col.Former = append([]catalog.Former{former}, col.Former...)
		col.Stored = "\x00" // the name in use stays taken, as a former name
		col.Stored = freeStoredName(t, col.Name)
		if col.Stored == "" && slices.ContainsFunc(col.Former, func(f catalog.Former) bool { return f.Stored == col.Name }) {
			return errs.New(errs.Internal, "column %q: no free stored name", col.Name)
		}
		col.Missing = missing
	}
	col.Type, col.SQLType = types.Storage(to), nil
	if st := types.Storage(to); !arrow.TypeEqual(st, to) || types.IsVarchar(to) {
		col.SQLType = to
	}
	return nil
}

// foldDeletes applies the active delete predicates of t that test column name to its files
// (a full compaction) and retires them, before the column's type changes: a delete predicate
// tests the values in the type they had when it was made, which reads of the converted
// column no longer see.
func (e *Engine) foldDeletes(ctx context.Context, t *catalog.Table, name string) error {
	tests := func() (bool, error) {
		st, err := e.ss.Snapshot(ctx, t.StateID())
		if err != nil {
			return false, err
		}
		for _, d := range st.DeletePredicates() {
			found := false
			_, err := planner.DecodeExpr(d.Predicate, func(n string) (planner.ColumnRef, bool) {
				found = found || n == name
				i := t.ColumnIndex(n)
				if i < 0 {
					return planner.ColumnRef{}, false
				}
				return planner.ColumnRef{ID: planner.ColumnID(i + 1), Name: n, Typ: t.Columns[i].Type}, true
			})
			if err != nil || found {
				return true, nil
			}
		}
		return false, nil
	}
	if ok, err := tests(); err != nil || !ok {
		return err
	}
	if err := e.maintainTable(ctx, t, true); err != nil {
		return err
	}
	if ok, err := tests(); err != nil || !ok {
		return err
	}
	return errs.New(errs.Conflict, "could not change the type of column %q of table %q: rows deleted by a concurrent statement remain; try again", name, t.Name)
}
