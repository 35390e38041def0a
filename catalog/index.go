package catalog

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/sleeperd/sleeperd/errs"
)

// Index is an index created with CREATE INDEX. sleeperd builds no secondary indexes: a table
// is sorted by its row and sort keys, which partition and row-group pruning use. The catalog
// records the index so that its name exists for DROP INDEX and CREATE INDEX, as in
// PostgreSQL; dropping its table drops it.
type Index struct {
	Name string
	// Table and TableID are the indexed table's name and ID.
	Table, TableID string
	// Columns are the indexed columns; an expression is "(name)", with the name of its
	// function or "expr".
	Columns []string
	Unique  bool
}

type indexJSON struct {
	Name    string   `json:"name"`
	Table   string   `json:"table"`
	TableID string   `json:"tableId"`
	Columns []string `json:"columns,omitempty"`
	Unique  bool     `json:"unique,omitempty"`
}

const (
	opCreateIndex = "CreateIndex"
	opDropIndex   = "DropIndex"
)

// Index returns the named index.
func (c *Catalog) Index(ctx context.Context, name string) (*Index, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.follow(ctx); err != nil {
		return nil, false, err
	}
	ix, ok := c.indexes[name]
	return ix, ok, nil
}

// Indexes returns the indexes of the named table, by name.
func (c *Catalog) Indexes(ctx context.Context, table string) ([]*Index, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.follow(ctx); err != nil {
		return nil, err
	}
	var out []*Index
	for _, ix := range c.indexes {
		if ix.Table == table {
			out = append(out, ix)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// relationExists reports whether a table, view or index has the name. c.mu must be held.
func (c *Catalog) relationExists(name string) bool {
	_, t := c.tables[name]
	_, v := c.views[name]
	_, i := c.indexes[name]
	_, s := c.sequences[name]
	return t || v || i || s
}

// CreateIndex records an index on a table. Indexes share their names with tables and views
// (errs.DuplicateTable); the table must exist (errs.UndefinedTable). With an empty name the
// index is named as PostgreSQL names it: table_column_..._idx, with a number added until
// the name is free. It returns the index's name.
func (c *Catalog) CreateIndex(ctx context.Context, ix Index) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		if err := c.follow(ctx); err != nil {
			return "", err
		}
		t, ok := c.tables[ix.Table]
		if !ok {
			return "", undefined(ix.Table)
		}
		name := ix.Name
		if name == "" {
			name = c.indexName(ix)
		} else if c.relationExists(name) {
			return "", errs.New(errs.DuplicateTable, "relation %q already exists", name)
		}
		ok, err := c.commit(ctx, entry{Op: opCreateIndex, Index: &indexJSON{Name: name, Table: t.Name, TableID: t.ID, Columns: ix.Columns, Unique: ix.Unique}})
		if err != nil {
			return "", err
		}
		if ok {
			return name, nil
		}
	}
}

// indexName chooses a free name for an unnamed index, as PostgreSQL does. c.mu must be held.
func (c *Catalog) indexName(ix Index) string {
	base := ix.Table
	for _, col := range ix.Columns {
		col = strings.TrimSuffix(strings.TrimPrefix(col, "("), ")") // an expression's name
		base += "_" + col
	}
	base += "_idx"
	name := base
	for n := 1; c.relationExists(name); n++ {
		name = fmt.Sprintf("%s%d", base, n)
	}
	return name
}

// DropIndex removes an index. It fails with errs.UndefinedObject when there is none.
func (c *Catalog) DropIndex(ctx context.Context, name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		if err := c.follow(ctx); err != nil {
			return err
		}
		if _, ok := c.indexes[name]; !ok {
			return errs.New(errs.UndefinedObject, "index %q does not exist", name)
		}
		ok, err := c.commit(ctx, entry{Op: opDropIndex, Name: name})
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
	}
}
