package catalog

import (
	"context"
	"slices"
	"sort"

	"github.com/sleeperd/sleeperd/errs"
)

// View is a stored query. Its text is bound afresh wherever the view is used.
type View struct {
	Name string
	// SQL is the view's query (a SELECT), as deparsed from the CREATE VIEW statement.
	SQL string
	// Columns renames the query's columns, in order; it may be shorter than the query's.
	Columns []string
	// Deps names the tables and views the query reads, which cannot be dropped while the
	// view exists (unless the drop cascades to it).
	Deps []string
}

type viewJSON struct {
	Name    string   `json:"name"`
	SQL     string   `json:"sql"`
	Columns []string `json:"columns,omitempty"`
	Deps    []string `json:"deps,omitempty"`
}

const (
	opCreateView = "CreateView"
	opDropView   = "DropView"
)

// View returns the named view.
func (c *Catalog) View(ctx context.Context, name string) (*View, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.follow(ctx); err != nil {
		return nil, false, err
	}
	v, ok := c.views[name]
	return v, ok, nil
}

// CreateView stores a view; with replace, it replaces a view of that name. The name must not
// be a table's (errs.DuplicateTable), nor an existing view's unless replace.
func (c *Catalog) CreateView(ctx context.Context, v View, replace bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		if err := c.follow(ctx); err != nil {
			return err
		}
		if _, ok := c.tables[v.Name]; ok {
			return errs.New(errs.DuplicateTable, "relation %q already exists", v.Name)
		}
		if _, ok := c.indexes[v.Name]; ok {
			return errs.New(errs.DuplicateTable, "relation %q already exists", v.Name)
		}
		if _, ok := c.views[v.Name]; ok && !replace {
			return errs.New(errs.DuplicateTable, "relation %q already exists", v.Name)
		}
		ok, err := c.commit(ctx, entry{Op: opCreateView, View: &viewJSON{Name: v.Name, SQL: v.SQL, Columns: v.Columns, Deps: v.Deps}})
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
	}
}

// Dependents returns the views that read the named table or view, directly or through other
// views, dependents after what they depend on... sorted so that dropping them in order works.
func (c *Catalog) Dependents(ctx context.Context, name string) ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.follow(ctx); err != nil {
		return nil, err
	}
	return c.dependents(name), nil
}

func (c *Catalog) dependents(name string) []string {
	var out []string
	seen := map[string]bool{}
	var walk func(n string)
	walk = func(n string) {
		names := make([]string, 0, len(c.views))
		for vn := range c.views {
			names = append(names, vn)
		}
		sort.Strings(names)
		for _, vn := range names {
			if !seen[vn] && slices.Contains(c.views[vn].Deps, n) {
				seen[vn] = true
				walk(vn)
				out = append(out, vn) // after its own dependents: drop order
			}
		}
	}
	walk(name)
	return out
}

// DropView removes a view. It fails with errs.UndefinedTable when there is none, and with
// errs.DependentObjects when other views read it.
func (c *Catalog) DropView(ctx context.Context, name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		if err := c.follow(ctx); err != nil {
			return err
		}
		if _, ok := c.views[name]; !ok {
			return errs.New(errs.UndefinedTable, "view %q does not exist", name)
		}
		if deps := c.dependents(name); len(deps) > 0 {
			return errs.New(errs.DependentObjects, "cannot drop view %s because other objects depend on it (view %s); use DROP ... CASCADE", name, deps[len(deps)-1])
		}
		ok, err := c.commit(ctx, entry{Op: opDropView, Name: name})
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
	}
}

// Current is the catalog brought up to date once: its lookups read no more of the log, so
// binding a statement, which looks up each name as a view and then as a table, reads the
// log once. What it finds is at least as new as the catalog when Current was called.
type Current struct {
	c       *Catalog
	version uint64
}

// Current reads the catalog's log up to its end and returns lookups that do not read it.
func (c *Catalog) Current(ctx context.Context) (*Current, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.follow(ctx); err != nil {
		return nil, err
	}
	return &Current{c: c, version: c.next - 1}, nil
}

// Known is the version of the catalog as this process knows it, without reading the log:
// with every change this process committed, and every one it read from the log (by
// Current, say) before the call.
func (c *Catalog) Known() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.next - 1
}

// Version is the number of catalog changes (entries of its log) that Current applied: two
// Currents with the same version see the same tables, views and indexes.
func (cur *Current) Version() uint64 { return cur.version }

// Table returns the named table, or errs.UndefinedTable.
func (cur *Current) Table(_ context.Context, name string) (*Table, error) {
	cur.c.mu.Lock()
	defer cur.c.mu.Unlock()
	t, ok := cur.c.tables[name]
	if !ok {
		return nil, undefined(name)
	}
	return t, nil
}

// View returns the named view, if there is one.
func (cur *Current) View(_ context.Context, name string) (*View, bool, error) {
	cur.c.mu.Lock()
	defer cur.c.mu.Unlock()
	v, ok := cur.c.views[name]
	return v, ok, nil
}
