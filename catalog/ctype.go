package catalog

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/types"
)

// CompositeType is a type CREATE TYPE name AS (f1 t1, ...) defines: a record of named,
// typed fields, stored in tables as an Arrow struct of those fields.
type CompositeType struct {
	// ID identifies the type forever: one created with a dropped type's name gets a new ID.
	ID     string
	Name   string
	Fields []arrow.Field
}

// Struct is the Arrow type of the type's values, carrying the type's name and OID
// (types.NamedRecord).
func (ct *CompositeType) Struct() *arrow.StructType {
	return types.NamedRecord(arrow.StructOf(ct.Fields...), ct.Name, ct.OID(), ct.ArrayOID())
}

// nameRecords gives the columns of t declared of a composite type that type's named struct
// (the log holds the struct's fields only).
func (c *Catalog) nameRecords(t *Table) {
	named := false
	for i := range t.Columns {
		col := &t.Columns[i]
		ct, ok := c.types[col.TypeName]
		if !ok || col.TypeName == "" {
			continue
		}
		var nt arrow.DataType
		sqlType := col.SQL()
		if st, isStruct := sqlType.(*arrow.StructType); isStruct && arrow.TypeEqual(st, arrow.StructOf(ct.Fields...)) {
			nt = ct.Struct()
		}
		if lt, isList := sqlType.(*arrow.ListType); isList && arrow.TypeEqual(lt.Elem(), arrow.StructOf(ct.Fields...)) {
			nt = arrow.ListOfField(arrow.Field{Name: lt.ElemField().Name, Type: ct.Struct(), Nullable: lt.ElemField().Nullable})
		}
		if nt == nil {
			continue
		}
		// Fields of SQL types their storage does not say (character types with a length,
		// uuid, time) are stored as that storage (types.Storage).
		col.SQLType, col.Type = nil, nt
		if st := types.Storage(nt); st != nt {
			col.SQLType, col.Type = nt, st
		}
		named = true
	}
	if named {
		t.buildSchema()
	}
}

// OID is the type's OID as the PostgreSQL catalogs show it (pg_type.oid); RelOID is that of
// its pg_class row (relkind 'c'). Both derive from ID, so every process agrees on them.
func (ct *CompositeType) OID() uint32 { return compositeOID(ct.ID, 0) }

// RelOID is the OID of the type's pg_class row.
func (ct *CompositeType) RelOID() uint32 { return compositeOID(ct.ID, 1) }

// ArrayOID is the OID of the type's array type.
func (ct *CompositeType) ArrayOID() uint32 { return compositeOID(ct.ID, 2) }

// compositeOID is an OID above PostgreSQL's fixed ones (FirstNormalObjectId, 16384) and
// below 2^31, from id and a kind.
func compositeOID(id string, kind byte) uint32 {
	h := fnv.New32a()
	h.Write([]byte(id))
	h.Write([]byte{kind})
	return 1<<30 + h.Sum32()%(1<<29)
}

const (
	opCreateType = "CreateType"
	opDropType   = "DropType"
	opAlterType  = "AlterType"
)

type compositeJSON struct {
	ID     string      `json:"id"`
	Name   string      `json:"name"`
	Fields []fieldJSON `json:"fields"`
}

type fieldJSON struct {
	Name string `json:"name"`
	Type string `json:"type"`
	// TypeName names the composite type of a field of one (or of an array of one).
	TypeName string `json:"typeName,omitempty"`
}

// recordTypeName is the name of the composite type of a field of type t, a named record or
// an array of one, or "".
func recordTypeName(t arrow.DataType) string {
	if lt, ok := t.(*arrow.ListType); ok {
		t = lt.Elem()
	}
	name, _, _ := types.RecordType(t)
	return name
}

// namedField is the type of field f of a composite type, given the name of its own
// composite type: that type's named record (or an array of it).
func (c *Catalog) namedField(t arrow.DataType, typeName string) arrow.DataType {
	ct, ok := c.types[typeName]
	if typeName == "" || !ok {
		return t
	}
	if lt, isList := t.(*arrow.ListType); isList && arrow.TypeEqual(lt.Elem(), arrow.StructOf(ct.Fields...)) {
		return arrow.ListOfField(arrow.Field{Name: lt.ElemField().Name, Type: ct.Struct(), Nullable: lt.ElemField().Nullable})
	}
	if arrow.TypeEqual(t, arrow.StructOf(ct.Fields...)) {
		return ct.Struct()
	}
	return t
}

// applyType applies a type entry; it reports false for other operations.
func (c *Catalog) applyType(e entry) (bool, error) {
	switch e.Op {
	case opCreateType:
		if e.Type == nil {
			return true, errors.New("create type without a type")
		}
		ct := &CompositeType{ID: e.Type.ID, Name: e.Type.Name}
		for _, f := range e.Type.Fields {
			t, err := types.Parse(f.Type)
			if err != nil {
				return true, fmt.Errorf("catalog: type %s: %w", ct.Name, err)
			}
			ct.Fields = append(ct.Fields, arrow.Field{Name: f.Name, Type: c.namedField(t, f.TypeName), Nullable: true})
		}
		if c.types == nil {
			c.types = map[string]*CompositeType{}
		}
		c.types[ct.Name] = ct
		return true, nil
	case opAlterType:
		old, ok := c.types[e.Name]
		if !ok || e.Type == nil || old.ID != e.Type.ID {
			return true, nil
		}
		ct := &CompositeType{ID: old.ID, Name: old.Name}
		for _, f := range e.Type.Fields {
			t, err := types.Parse(f.Type)
			if err != nil {
				return true, fmt.Errorf("catalog: type %s: %w", ct.Name, err)
			}
			ct.Fields = append(ct.Fields, arrow.Field{Name: f.Name, Type: c.namedField(t, f.TypeName), Nullable: true})
		}
		c.types[ct.Name] = ct
		// The tables whose columns are of the type change with it, in the same entry.
		for _, tj := range e.Tables {
			if err := c.applyRedefine(entry{Op: opRedefine, Name: tj.Name, ID: tj.ID, Table: tj}); err != nil {
				return true, err
			}
		}
		return true, nil
	case opDropType:
		if ct, ok := c.types[e.Name]; ok && ct.ID == e.ID {
			delete(c.types, e.Name)
		}
		return true, nil
	}
	return false, nil
}

// CreateType commits a composite type of the given fields under a new ID. It fails with
// errs.DuplicateObject when a type (or a relation, whose row type PostgreSQL names alike)
// has the name, and with errs.DuplicateColumn for a field named twice.
func (c *Catalog) CreateType(ctx context.Context, name string, fields []arrow.Field) (*CompositeType, error) {
	if len(fields) == 0 {
		return nil, errs.New(errs.NotImplemented, "composite types of no fields are not supported")
	}
	j := &compositeJSON{Name: name}
	for i, f := range fields {
		for _, g := range fields[:i] {
			if g.Name == f.Name {
				return nil, errs.New(errs.DuplicateColumn, "column %q specified more than once", f.Name)
			}
		}
		j.Fields = append(j.Fields, fieldJSON{Name: f.Name, Type: types.Format(f.Type), TypeName: recordTypeName(f.Type)})
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		if err := c.follow(ctx); err != nil {
			return nil, err
		}
		if c.types[name] != nil || c.relationExists(name) || c.sequences[name] != nil {
			return nil, errs.New(errs.DuplicateObject, "type %q already exists", name)
		}
		j.ID = newTableID()
		ok, err := c.commit(ctx, entry{Op: opCreateType, Type: j})
		if err != nil {
			return nil, err
		}
		if ok {
			return c.types[name], nil
		}
	}
}

// AlterType replaces the fields of the named composite type by those edit returns, given
// the current ones (ALTER TYPE ... ADD, DROP and RENAME ATTRIBUTE), with, for each new field,
// the index of the current field it is (-1 for an added one). It fails with
// errs.UndefinedTable when there is no such type (PostgreSQL looks for the type's relation),
// and with errs.NotImplemented while another composite type is of the type. Table columns of
// the type (or an array of it) change with it in the same catalog entry, without rewriting
// data files: each takes a new stored name and records its former one (Former, with the
// field map), so that readers reshape the records of older files as they read them (an added
// field NULL, a dropped one gone, a renamed one kept) and compaction writes the new shape.
func (c *Catalog) AlterType(ctx context.Context, name string, edit func([]arrow.Field) ([]arrow.Field, []int, error)) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		if err := c.follow(ctx); err != nil {
			return err
		}
		ct, ok := c.types[name]
		if !ok {
			return errs.New(errs.UndefinedTable, "relation %q does not exist", name)
		}
		if t, f := c.typeFieldUser(name); t != "" {
			return errs.New(errs.NotImplemented, "cannot alter type %q because column \"%s.%s\" uses it", name, t, f)
		}
		fields, from, err := edit(slices.Clone(ct.Fields))
		if err != nil {
			return err
		}
		if len(fields) == 0 {
			return errs.New(errs.NotImplemented, "composite types of no fields are not supported")
		}
		j := &compositeJSON{ID: ct.ID, Name: name}
		for i, f := range fields {
			for _, g := range fields[:i] {
				if g.Name == f.Name {
					return errs.New(errs.DuplicateColumn, "column \"%s\" of relation \"%s\" already exists", f.Name, name)
				}
			}
			j.Fields = append(j.Fields, fieldJSON{Name: f.Name, Type: types.Format(f.Type), TypeName: recordTypeName(f.Type)})
		}
		nt := &CompositeType{ID: ct.ID, Name: name, Fields: fields}
		tables, err := c.retypedTables(ct, nt, from)
		if err != nil {
			return err
		}
		ok, err = c.commit(ctx, entry{Op: opAlterType, Name: name, ID: ct.ID, Type: j, Tables: tables})
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
	}
}

// retypedTables are the definitions of the tables with columns of the composite type ct (or
// arrays of it) once it becomes nt, whose field i is ct's field from[i] (-1 for none).
func (c *Catalog) retypedTables(ct, nt *CompositeType, from []int) ([]*tableJSON, error) {
	names := make([]string, 0, len(c.tables))
	for n := range c.tables {
		names = append(names, n)
	}
	slices.Sort(names)
	var out []*tableJSON
	for _, n := range names {
		t := c.tables[n]
		var nt2 *Table
		for i, col := range t.Columns {
			if col.TypeName != ct.Name {
				continue
			}
			var to arrow.DataType
			switch st := col.SQL().(type) {
			case *arrow.StructType:
				to = nt.Struct()
			case *arrow.ListType:
				if _, ok := st.Elem().(*arrow.StructType); ok {
					to = arrow.ListOfField(arrow.Field{Name: st.ElemField().Name, Type: nt.Struct(), Nullable: st.ElemField().Nullable})
				}
			}
			if to == nil {
				return nil, errs.New(errs.NotImplemented, "cannot alter type %q because column \"%s.%s\" uses it", ct.Name, n, col.Name)
			}
			if col.Missing != nil {
				return nil, errs.New(errs.NotImplemented, "cannot alter type %q because column \"%s.%s\" was added with a default", ct.Name, n, col.Name)
			}
			if nt2 == nil {
				nt2 = t.Clone()
			}
			cc := &nt2.Columns[i]
			former := Former{Stored: cc.StoredName(), Type: cc.SQL(), Fields: slices.Clone(from)}
			cc.Former = append([]Former{former}, cc.Former...)
			cc.Stored = "\x00" // the name in use stays taken, as a former name
			cc.Stored = freeStoredName(nt2, cc.Name)
			cc.Type, cc.SQLType = types.Storage(to), nil
			if st := types.Storage(to); !arrow.TypeEqual(st, to) {
				cc.SQLType = to
			}
		}
		if nt2 != nil {
			nt2.Rebuild()
			out = append(out, toJSON(nt2))
		}
	}
	return out, nil
}

// freeStoredName is the name a column name takes a new stored name under: name, unless a
// column (or a former or dropped column) of t is stored under it, then name#2, name#3, ...
// ("" for name itself).
func freeStoredName(t *Table, name string) string {
	taken := func(s string) bool {
		if slices.Contains(t.DroppedStored, s) {
			return true
		}
		for _, c := range t.Columns {
			if c.StoredName() == s || slices.ContainsFunc(c.Former, func(f Former) bool { return f.Stored == s }) {
				return true
			}
		}
		return false
	}
	s := name
	for k := 2; taken(s); k++ {
		s = fmt.Sprintf("%s#%d", name, k)
	}
	if s == name {
		return ""
	}
	return s
}

// DropType removes the named composite type. It fails with errs.UndefinedObject when there
// is none, and with errs.DependentObjects while a table column is of the type.
func (c *Catalog) DropType(ctx context.Context, name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		if err := c.follow(ctx); err != nil {
			return err
		}
		ct, ok := c.types[name]
		if !ok {
			return errs.New(errs.UndefinedObject, "type %q does not exist", name)
		}
		if t, col := c.typeUser(name); t != "" {
			return errs.New(errs.DependentObjects, "cannot drop type %s because other objects depend on it (column %s of table %s depends on type %s); use DROP ... CASCADE", name, col, t, name)
		}
		if t, f := c.typeFieldUser(name); t != "" {
			return errs.New(errs.DependentObjects, "cannot drop type %s because other objects depend on it (column %s of composite type %s depends on type %s); use DROP ... CASCADE", name, f, t, name)
		}
		ok, err := c.commit(ctx, entry{Op: opDropType, Name: name, ID: ct.ID})
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
	}
}

// typeUser names a table column (the first by table name) of the named type, or "".
func (c *Catalog) typeUser(name string) (table, column string) {
	names := make([]string, 0, len(c.tables))
	for n := range c.tables {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		for _, col := range c.tables[n].Columns {
			if col.TypeName == name {
				return n, col.Name
			}
		}
	}
	return "", ""
}

// typeFieldUser names a field of another composite type (the first by type name) of the
// named type or an array of it, or "".
func (c *Catalog) typeFieldUser(name string) (typ, field string) {
	names := make([]string, 0, len(c.types))
	for n := range c.types {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		for _, f := range c.types[n].Fields {
			if n != name && recordTypeName(f.Type) == name {
				return n, f.Name
			}
		}
	}
	return "", ""
}

// Type returns the named composite type, if there is one.
func (c *Catalog) Type(ctx context.Context, name string) (*CompositeType, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.follow(ctx); err != nil {
		return nil, false, err
	}
	ct, ok := c.types[name]
	return ct, ok, nil
}

// Types returns every composite type, sorted by name.
func (c *Catalog) Types(ctx context.Context) ([]*CompositeType, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.follow(ctx); err != nil {
		return nil, err
	}
	out := make([]*CompositeType, 0, len(c.types))
	for _, ct := range c.types {
		out = append(out, ct)
	}
	slices.SortFunc(out, func(a, b *CompositeType) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Type returns the named composite type, if there is one.
func (cur *Current) Type(_ context.Context, name string) (*CompositeType, bool, error) {
	cur.c.mu.Lock()
	defer cur.c.mu.Unlock()
	ct, ok := cur.c.types[name]
	return ct, ok, nil
}

// Types returns every composite type, sorted by name.
func (cur *Current) Types(_ context.Context) ([]*CompositeType, error) {
	cur.c.mu.Lock()
	defer cur.c.mu.Unlock()
	out := make([]*CompositeType, 0, len(cur.c.types))
	for _, ct := range cur.c.types {
		out = append(out, ct)
	}
	slices.SortFunc(out, func(a, b *CompositeType) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}
