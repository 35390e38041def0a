package catalog

import (
	"context"
	"errors"
	"slices"

	"github.com/sleeperd/sleeperd/errs"
)

// opRedefine replaces a table's definition (same ID) with another: ALTER TABLE on columns,
// RENAME, COMMENT ON. The new definition may have another name.
const opRedefine = "RedefineTable"

// Redefine replaces the definition of the named table with what change returns from the
// current one, as one catalog entry; change is called again if another writer moved the
// catalog on first, and must not modify its argument (Clone it). The new name, if changed,
// must be free (errs.DuplicateTable). Indexes and owned sequences follow a rename; views
// read tables by name and so stop a rename (errs.DependentObjects).
func (c *Catalog) Redefine(ctx context.Context, name string, change func(*Table) (*Table, error)) (*Table, error) {
	return c.changeTable(ctx, name, func(t *Table) (entry, string, error) {
		nt, err := change(t)
		if err != nil {
			return entry{}, "", err
		}
		nt.ID = t.ID
		if nt.Name != name {
			if c.relationExists(nt.Name) {
				return entry{}, "", errs.New(errs.DuplicateTable, "relation %q already exists", nt.Name)
			}
			if deps := c.dependents(name); len(deps) > 0 {
				return entry{}, "", errs.New(errs.DependentObjects, "cannot rename table %s because other objects depend on it (view %s)", name, deps[len(deps)-1])
			}
		}
		return entry{Op: opRedefine, Name: name, ID: t.ID, Table: toJSON(nt)}, nt.Name, nil
	})
}

// applyRedefine applies an opRedefine entry.
func (c *Catalog) applyRedefine(e entry) error {
	if e.Table == nil {
		return errors.New("redefine without a table")
	}
	t, ok := c.tables[e.Name]
	if !ok || t.ID != e.ID {
		return nil
	}
	nt, err := fromJSON(e.Table)
	if err != nil {
		return err
	}
	c.nameRecords(nt)
	delete(c.tables, e.Name)
	c.tables[nt.Name] = nt
	if nt.Name != e.Name {
		for _, ix := range c.indexes {
			if ix.TableID == nt.ID {
				ix.Table = nt.Name
			}
		}
		for _, s := range c.sequences {
			if s.OwnedByTable == e.Name {
				s.OwnedByTable = nt.Name
			}
		}
	}
	return nil
}

// Clone returns a copy of t whose columns, key lists, checks and comments can be changed
// without touching t; Rebuild must be called on it once changed.
func (t *Table) Clone() *Table {
	c := *t
	c.Columns = slices.Clone(t.Columns)
	c.RowKeys = slices.Clone(t.RowKeys)
	c.SortKeys = slices.Clone(t.SortKeys)
	c.PrimaryKey = slices.Clone(t.PrimaryKey)
	c.Checks = slices.Clone(t.Checks)
	c.DroppedStored = slices.Clone(t.DroppedStored)
	if t.ColumnComments != nil {
		c.ColumnComments = make(map[string]string, len(t.ColumnComments))
		for k, v := range t.ColumnComments {
			c.ColumnComments[k] = v
		}
	}
	c.schema, c.schemas = nil, nil
	return &c
}

// Rebuild makes the schema of a changed Clone.
func (t *Table) Rebuild() { t.buildSchema() }
