package catalog

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/statestore"
	"github.com/sleeperd/sleeperd/types"
)

// LogPrefix is where the catalog keeps its log in the object store.
const LogPrefix = "catalog/log/"

// Catalog holds the table definitions of one object store.
//
// The definitions are a log of CreateTable and DropTable entries (LogPrefix + %020d.json),
// each committed with put-if-absent of the next number, so several processes can share one
// store: every lookup first reads the entries added since the last one (one read of an absent
// object when nothing changed). A Catalog is safe for concurrent use.
//
// Dropping a table deletes its state store log at once; everything else under its prefix
// (statestore.TablePrefix: its data files, and any entry a writer that had not seen the drop
// added) is left for garbage collection, which finds the dropped tables, with the time of
// their drop, in Dropped.
type Catalog struct {
	store objstore.Store
	ss    *statestore.Store
	log   *statestore.Log

	mu      sync.Mutex
	next    uint64            // number of the next log entry to read
	tables  map[string]*Table // by name
	views   map[string]*View  // by name
	dropped []DroppedTable    // in the order of their drops
	// indexes are the recorded indexes, by name.
	indexes map[string]*Index
	// sequences are the sequences, by name.
	sequences map[string]*Sequence
	// roles are the roles and table ACLs (role.go).
	roles *roles
	// types are the composite types, by name (ctype.go).
	types map[string]*CompositeType
}

// DroppedTable is a table a DROP TABLE removed: its ID, its properties when it was dropped
// and the time the drop was committed (by the clock of the process that committed it).
type DroppedTable struct {
	ID    string
	Name  string
	Props Properties
	At    time.Time
}

// StateID returns the ID of the dropped table's state and prefix in the state store.
func (d DroppedTable) StateID() statestore.TableID { return statestore.TableID(d.ID) }

// entry is a catalog log entry.
type entry struct {
	Op    string     `json:"op"` // opCreate or opDrop
	Time  time.Time  `json:"time"`
	Table *tableJSON `json:"table,omitempty"` // opCreate
	Name  string     `json:"name,omitempty"`  // opDrop, opAlter
	ID    string     `json:"id,omitempty"`    // opDrop, opAlter
	// Set holds the properties opAlter sets.
	Set map[string]string `json:"set,omitempty"`
	// View is the view opCreateView stores.
	View *viewJSON `json:"view,omitempty"`
	// Index is the index opCreateIndex records.
	Index *indexJSON `json:"index,omitempty"`
	// Sequence is the sequence opCreateSequence stores.
	Sequence *sequenceJSON `json:"sequence,omitempty"`
	// Role is the role opCreateRole and opAlterRole store; ACL is opACL's change.
	Role *roleJSON `json:"role,omitempty"`
	ACL  *aclJSON  `json:"acl,omitempty"`
	// Type is the composite type opCreateType stores.
	Type *compositeJSON `json:"type,omitempty"`
	// Tables are the tables opAlterType redefines with it: their columns of the type.
	Tables []*tableJSON `json:"tables,omitempty"`
}

const (
	opCreate = "CreateTable"
	opDrop   = "DropTable"
	opAlter  = "AlterTable"
)

type tableJSON struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Columns    []columnJSON      `json:"columns"`
	RowKeys    []int             `json:"rowKeys"`
	SortKeys   []int             `json:"sortKeys,omitempty"`
	PrimaryKey []int             `json:"primaryKey,omitempty"`
	Properties map[string]string `json:"properties,omitempty"`
	Checks     []checkJSON       `json:"checks,omitempty"`
	// DroppedStored, Comment and ColumnComments are the Table's.
	DroppedStored  []string          `json:"droppedStored,omitempty"`
	Comment        string            `json:"comment,omitempty"`
	ColumnComments map[string]string `json:"columnComments,omitempty"`
	// Version is the Table's.
	Version int `json:"version,omitempty"`
}

type checkJSON struct {
	Name string `json:"name"`
	Expr string `json:"expr"`
}

type columnJSON struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Nullable bool   `json:"nullable,omitempty"`
	Hidden   bool   `json:"hidden,omitempty"`
	// SQLType is Column.SQLType, when set.
	SQLType string `json:"sql_type,omitempty"`
	// Default is Column.Default (absent in catalogs written before defaults existed).
	Default string `json:"default,omitempty"`
	// Identity is Column.Identity.
	Identity string `json:"identity,omitempty"`
	// Stored and Missing are Column.Stored and Column.Missing.
	Stored  string  `json:"stored,omitempty"`
	Missing *string `json:"missing,omitempty"`
	// Former is Column.Former.
	Former []formerJSON `json:"former,omitempty"`
	// TypeName is Column.TypeName.
	TypeName string `json:"typeName,omitempty"`
}

func toJSON(t *Table) *tableJSON {
	j := &tableJSON{ID: t.ID, Name: t.Name, RowKeys: t.RowKeys, SortKeys: t.SortKeys, PrimaryKey: t.PrimaryKey, Properties: t.Props.Raw}
	for _, c := range t.Columns {
		cj := columnJSON{Name: c.Name, Type: types.Format(c.Type), Nullable: c.Nullable, Hidden: c.Hidden, Default: c.Default, Identity: c.Identity, Stored: c.Stored, Missing: c.Missing, Former: formersToJSON(c.Former), TypeName: c.TypeName}
		if c.SQLType != nil {
			cj.SQLType = types.Format(c.SQLType)
		}
		j.Columns = append(j.Columns, cj)
	}
	for _, c := range t.Checks {
		j.Checks = append(j.Checks, checkJSON{Name: c.Name, Expr: c.Expr})
	}
	j.DroppedStored, j.Comment, j.ColumnComments, j.Version = t.DroppedStored, t.Comment, t.ColumnComments, t.Version
	return j
}

// fromJSON rebuilds a committed table. It trusts the roles (they were validated at creation)
// but parses types and properties again.
func fromJSON(j *tableJSON) (*Table, error) {
	t := &Table{ID: j.ID, Name: j.Name, RowKeys: j.RowKeys, SortKeys: j.SortKeys, PrimaryKey: j.PrimaryKey}
	for _, c := range j.Checks {
		t.Checks = append(t.Checks, Check{Name: c.Name, Expr: c.Expr})
	}
	t.DroppedStored, t.Comment, t.ColumnComments, t.Version = j.DroppedStored, j.Comment, j.ColumnComments, j.Version
	for _, c := range j.Columns {
		typ, err := types.Parse(c.Type)
		if err != nil {
			return nil, fmt.Errorf("catalog: %w", err)
		}
		col := Column{Name: c.Name, Type: typ, Nullable: c.Nullable, Hidden: c.Hidden, Default: c.Default, Identity: c.Identity, Stored: c.Stored, Missing: c.Missing, TypeName: c.TypeName}
		if col.Former, err = formersFromJSON(c.Former); err != nil {
			return nil, err
		}
		if c.SQLType != "" {
			if col.SQLType, err = types.Parse(c.SQLType); err != nil {
				return nil, fmt.Errorf("catalog: %w", err)
			}
		}
		t.Columns = append(t.Columns, col)
	}
	for _, idx := range [][]int{t.RowKeys, t.SortKeys, t.PrimaryKey} {
		for _, i := range idx {
			if i < 0 || i >= len(t.Columns) {
				return nil, fmt.Errorf("catalog: table %s: column index %d out of range", t.Name, i)
			}
		}
	}
	if len(t.RowKeys) == 0 {
		return nil, fmt.Errorf("catalog: table %s has no row key", t.Name)
	}
	var err error
	if t.Props, err = parseProperties(j.Properties); err != nil {
		return nil, fmt.Errorf("catalog: table %s: %w", t.Name, err)
	}
	t.buildSchema()
	return t, nil
}

// Open returns the catalog kept in store, whose tables' states live in ss.
func Open(ctx context.Context, store objstore.Store, ss *statestore.Store) (*Catalog, error) {
	if store == nil || ss == nil {
		return nil, errors.New("catalog: nil object store or state store")
	}
	log, err := statestore.NewLog(store, LogPrefix)
	if err != nil {
		return nil, err
	}
	c := &Catalog{store: store, ss: ss, log: log, next: 1, tables: make(map[string]*Table), views: make(map[string]*View), indexes: make(map[string]*Index)}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.follow(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// Store returns the object store of the tables' files.
func (c *Catalog) Store() objstore.Store { return c.store }

// StateStore returns the state store of the tables.
func (c *Catalog) StateStore() *statestore.Store { return c.ss }

// follow applies the log entries written since the last call. c.mu must be held.
func (c *Catalog) follow(ctx context.Context) error {
	for {
		data, err := c.log.Read(ctx, c.next)
		if errors.Is(err, objstore.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("catalog: read log entry %d: %w", c.next, err)
		}
		var e entry
		if err := json.Unmarshal(data, &e); err != nil {
			return fmt.Errorf("catalog: decode log entry %d: %w", c.next, err)
		}
		if err := c.apply(e); err != nil {
			return fmt.Errorf("catalog: log entry %d: %w", c.next, err)
		}
		c.next++
	}
}

func (c *Catalog) apply(e entry) error {
	switch e.Op {
	case opCreate:
		if e.Table == nil {
			return errors.New("create without a table")
		}
		t, err := fromJSON(e.Table)
		if err != nil {
			return err
		}
		c.nameRecords(t)
		c.tables[t.Name] = t
	case opDrop:
		if t, ok := c.tables[e.Name]; ok && t.ID == e.ID {
			delete(c.tables, e.Name)
			c.dropped = append(c.dropped, DroppedTable{ID: t.ID, Name: t.Name, Props: t.Props, At: e.Time})
			for name, ix := range c.indexes {
				if ix.TableID == t.ID {
					delete(c.indexes, name)
				}
			}
		}
	case opAlter:
		t, ok := c.tables[e.Name]
		if !ok || t.ID != e.ID {
			return nil
		}
		nt, err := t.withProperties(e.Set)
		if err != nil {
			return err
		}
		c.tables[e.Name] = nt
	case opCreateView:
		if e.View == nil {
			return errors.New("create view without a view")
		}
		c.views[e.View.Name] = &View{Name: e.View.Name, SQL: e.View.SQL, Columns: e.View.Columns, Deps: e.View.Deps}
	case opDropView:
		delete(c.views, e.Name)
	case opCreateIndex:
		if e.Index == nil {
			return errors.New("create index without an index")
		}
		c.indexes[e.Index.Name] = &Index{Name: e.Index.Name, Table: e.Index.Table, TableID: e.Index.TableID, Columns: e.Index.Columns, Unique: e.Index.Unique}
	case opDropIndex:
		delete(c.indexes, e.Name)
	case opRedefine:
		return c.applyRedefine(e)
	default:
		if ok, err := c.applySequence(e); ok {
			return err
		}
		if ok, err := c.applyRole(e); ok {
			return err
		}
		if ok, err := c.applyType(e); ok {
			return err
		}
		return fmt.Errorf("unknown operation %q", e.Op)
	}
	return nil
}

// commit appends e as the next log entry if the log has not moved on. It returns false when
// another writer took the number: the caller follows the log and decides again.
func (c *Catalog) commit(ctx context.Context, e entry) (bool, error) {
	e.Time = time.Now().UTC()
	data, err := json.Marshal(e)
	if err != nil {
		return false, fmt.Errorf("catalog: encode log entry: %w", err)
	}
	err = c.log.Append(ctx, c.next, data)
	if errors.Is(err, objstore.ErrExists) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("catalog: write log entry %d: %w", c.next, err)
	}
	if err := c.apply(e); err != nil {
		return false, err
	}
	c.next++
	return true, nil
}

// Create validates def, creates the table's partitions (split at the given split points) in
// the state store and commits the definition. It fails with errs.DuplicateTable when a table
// of that name exists, and with errs.DuplicateColumn, errs.UndefinedColumn,
// errs.InvalidDefinition, errs.InvalidParameter or errs.InvalidText for a bad definition.
//
// check, if not nil, vets the table before anything is committed; an error from it cancels
// the creation.
func (c *Catalog) Create(ctx context.Context, def TableDef, check func(*Table) error) (*Table, error) {
	t, splits, err := define(def)
	if err != nil {
		return nil, err
	}
	if check != nil {
		if err := check(t); err != nil {
			return nil, err
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.follow(ctx); err != nil {
		return nil, err
	}
	if _, ok := c.tables[t.Name]; ok {
		return nil, errs.New(errs.DuplicateTable, "relation %q already exists", t.Name)
	}
	if _, ok := c.views[t.Name]; ok {
		return nil, errs.New(errs.DuplicateTable, "relation %q already exists", t.Name)
	}
	if _, ok := c.indexes[t.Name]; ok {
		return nil, errs.New(errs.DuplicateTable, "relation %q already exists", t.Name)
	}
	if _, ok := c.types[t.Name]; ok {
		// A table's row type would take the type's name: PostgreSQL refuses it alike.
		return nil, errs.New(errs.DuplicateTable, "relation %q already exists", t.Name)
	}
	t.ID = newTableID()
	// The state comes first: a crash before the catalog entry leaves an unreachable state
	// log, never a table without state.
	if _, err := c.ss.Create(ctx, t.StateID(), statestore.InitialisePartitions{SplitPoints: splits}); err != nil {
		return nil, fmt.Errorf("catalog: create state of table %s: %w", t.Name, err)
	}
	for {
		ok, err := c.commit(ctx, entry{Op: opCreate, Table: toJSON(t)})
		if err == nil && !ok {
			err = c.follow(ctx)
			if err == nil {
				if c.relationExists(t.Name) {
					err = errs.New(errs.DuplicateTable, "relation %q already exists", t.Name)
				}
			}
			if err == nil {
				continue
			}
		}
		if err != nil {
			c.ss.Delete(context.WithoutCancel(ctx), t.StateID()) // best effort
			return nil, err
		}
		return c.tables[t.Name], nil
	}
}

// Drop removes the table and deletes its state; its data files are left for garbage
// collection. It fails with errs.UndefinedTable when there is no such table.
func (c *Catalog) Drop(ctx context.Context, name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		if err := c.follow(ctx); err != nil {
			return err
		}
		t, ok := c.tables[name]
		if !ok {
			return undefined(name)
		}
		if deps := c.dependents(name); len(deps) > 0 {
			return errs.New(errs.DependentObjects, "cannot drop table %s because other objects depend on it (view %s); use DROP ... CASCADE", name, deps[len(deps)-1])
		}
		ok, err := c.commit(ctx, entry{Op: opDrop, Name: name, ID: t.ID})
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if err := c.ss.Delete(ctx, t.StateID()); err != nil {
			return fmt.Errorf("catalog: table %s dropped, but deleting its state failed: %w", name, err)
		}
		return nil
	}
}

// Alter sets properties of the named table (ALTER TABLE t SET (k = v, ...)). Split points
// cannot change after creation. It fails with errs.UndefinedTable or errs.InvalidParameter.
//
// check, if not nil, vets the table as it would be after the change; an error from it
// cancels the change.
func (c *Catalog) Alter(ctx context.Context, name string, set map[string]string, check func(*Table) error) (*Table, error) {
	if _, ok := set[PropSplitPoints]; ok {
		return nil, errs.New(errs.InvalidParameter, "parameter %q can only be set when a table is created", PropSplitPoints)
	}
	return c.changeTable(ctx, name, func(t *Table) (entry, string, error) {
		nt, err := t.withProperties(set)
		if err != nil {
			return entry{}, "", err
		}
		if check != nil {
			if err := check(nt); err != nil {
				return entry{}, "", err
			}
		}
		return entry{Op: opAlter, Name: name, ID: t.ID, Set: set}, name, nil
	})
}

// changeTable commits the entry change makes from the named table's current definition,
// calling it again if another writer moved the catalog on first, and returns the table
// (named newName) as the entry left it.
func (c *Catalog) changeTable(ctx context.Context, name string, change func(t *Table) (e entry, newName string, err error)) (*Table, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		if err := c.follow(ctx); err != nil {
			return nil, err
		}
		t, ok := c.tables[name]
		if !ok {
			return nil, undefined(name)
		}
		e, newName, err := change(t)
		if err != nil {
			return nil, err
		}
		committed, err := c.commit(ctx, e)
		if err != nil {
			return nil, err
		}
		if committed {
			return c.tables[newName], nil
		}
	}
}

// Table returns the named table, or errs.UndefinedTable.
func (c *Catalog) Table(ctx context.Context, name string) (*Table, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.follow(ctx); err != nil {
		return nil, err
	}
	t, ok := c.tables[name]
	if !ok {
		return nil, undefined(name)
	}
	return t, nil
}

// Tables returns every table, sorted by name.
func (c *Catalog) Tables(ctx context.Context) ([]*Table, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.follow(ctx); err != nil {
		return nil, err
	}
	out := make([]*Table, 0, len(c.tables))
	for _, t := range c.tables {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b *Table) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Dropped returns every table ever dropped, in the order of the drops. Table IDs are random
// (96 bits), so a table created later under a dropped table's name never shares its ID.
func (c *Catalog) Dropped(ctx context.Context) ([]DroppedTable, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.follow(ctx); err != nil {
		return nil, err
	}
	return slices.Clone(c.dropped), nil
}

func undefined(name string) error {
	return errs.New(errs.UndefinedTable, "relation %q does not exist", name)
}

// newTableID returns a random table ID: 24 hexadecimal digits.
func newTableID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
