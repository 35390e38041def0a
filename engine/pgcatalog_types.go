package engine

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/types"
)

// compositeRows appends the rows of the composite types (CREATE TYPE) to pg_class (a row of
// relkind 'c' each), pg_attribute (their fields) and pg_type (the type, typtype 'c', and its
// array type), as PostgreSQL lists them; rel is the table's name in pg_catalog.
func compositeRows(rel string, cts []*catalog.CompositeType, row func(...any)) {
	const (
		ns    = catalog.OIDPublicNS
		owner = catalog.OIDRole
	)
	for _, ct := range cts {
		relOID, oid, arr := int64(ct.RelOID()), int64(ct.OID()), int64(ct.ArrayOID())
		switch rel {
		case "pg_class":
			row(relOID, ct.Name, int64(ns), oid, int64(0), int64(owner), int64(0), int64(0), int64(0), int32(0), float32(-1), int32(0), int64(0),
				false, false, "p", "c", int16(len(ct.Fields)), int16(0), false, false, false, false, false, true, "n", false, int64(0), int64(0), int64(0), nil, nil, nil)
		case "pg_attribute":
			for i, f := range ct.Fields {
				pt := types.PGTypeOf(f.Type)
				row(relOID, f.Name, int64(pt.OID), int32(-1), pt.Size, int16(i+1), int32(0), int32(-1), pt.Mod, pt.Size > 0 && pt.Size <= 8,
					"i", storageOf(pt), "", false, false, false, "", "", false, true, int32(0), collationOf(pt))
			}
		case "pg_type":
			row(oid, ct.Name, int64(ns), int64(owner), int16(-1), false, "c", "C", false, true, ",", relOID, int64(0), int64(0), arr,
				proc("record_in"), proc("record_out"), proc("record_recv"), proc("record_send"), int64(0), int64(0), int64(0), "d", "x", false, int64(0), int32(-1), int32(0), int64(0))
			row(arr, "_"+ct.Name, int64(ns), int64(owner), int16(-1), false, "b", "A", false, true, ",", int64(0), proc("array_subscript_handler"), oid, int64(0),
				proc("array_in"), proc("array_out"), proc("array_recv"), proc("array_send"), int64(0), int64(0), proc("array_typanalyze"), "d", "x", false, int64(0), int32(-1), int32(0), int64(0))
		}
	}
}

// typeNames names the composite types of the catalog as this process last read it (a
// statement's binding has just read it), and their array types, for format_type.
func (e *Engine) typeNames(ctx context.Context) exec.TypeNames {
	return func(oid uint32) (string, bool) {
		cur := e.cat.Cached()
		cts, _ := cur.Types(ctx)
		for _, ct := range cts {
			switch oid {
			case ct.OID():
				return ct.Name, true
			case ct.ArrayOID():
				return ct.Name + "[]", true
			}
		}
		tables, _ := cur.Tables(ctx)
		views, _ := cur.Views(ctx)
		for _, r := range relRowTypes(tables, views) {
			switch int64(oid) {
			case r.oid:
				return r.name, true
			case r.arr:
				return r.name + "[]", true
			}
		}
		return "", false
	}
}

// typeOIDs finds the composite types of the catalog as this process last read it by name,
// for text::regtype computed per row.
func (e *Engine) typeOIDs(ctx context.Context) exec.TypeOIDs {
	return func(name string) (uint32, uint32, bool) {
		ct, ok, _ := e.cat.Cached().Type(ctx, name)
		if !ok {
			return rowTypeByName(ctx, e.cat.Cached(), name)
		}
		return ct.OID(), ct.ArrayOID(), true
	}
}

// compositeInfoRows appends the rows of the composite types to information_schema.attributes
// (a row per field) and user_defined_types (a row per type), as PostgreSQL lists them; rel
// is the view's qualified name.
func compositeInfoRows(rel string, cts []*catalog.CompositeType, db string, row func(...any)) {
	for _, ct := range cts {
		if rel == "information_schema.user_defined_types" {
			vals := make([]any, catalog.InformationSchemaTables["user_defined_types"].NumFields())
			copy(vals, []any{db, catalog.PublicSchema, ct.Name, "STRUCTURED", "YES"})
			row(vals...)
			continue
		}
		for i, f := range ct.Fields {
			ti := columnTypeInfo(f.Type, db, i+1)
			dataType, udtSchema, udt := ti[0], any("pg_catalog"), ti[20]
			elem := f.Type
			if lt, ok := elem.(*arrow.ListType); ok {
				elem = lt.Elem()
			}
			if name, _, ok := types.RecordType(elem); ok {
				udtSchema, udt = catalog.PublicSchema, name
				if elem == f.Type {
					dataType = "USER-DEFINED"
				} else {
					dataType, udt = "ARRAY", "_"+name
				}
			}
			row(db, catalog.PublicSchema, ct.Name, f.Name, int32(i+1), nil, "YES", dataType, ti[1], ti[2], nil, nil, nil, nil, nil, nil,
				ti[3], ti[4], ti[5], ti[6], ti[7], ti[8], db, udtSchema, udt, nil, nil, nil, nil, fmt.Sprint(i+1), "NO")
		}
	}
}

// relRowType is the row type of a table or view: PostgreSQL gives each a composite type of
// its name (typtype 'c', typrelid the relation) and its array type.
type relRowType struct {
	name          string
	oid, arr, rel int64
}

// relRowTypes are the row types of the tables and views.
func relRowTypes(tables []*catalog.Table, views []*catalog.View) []relRowType {
	out := make([]relRowType, 0, len(tables)+len(views))
	for _, t := range tables {
		out = append(out, relRowType{t.Name, catalog.RowTypeOID(t.ID), catalog.RowArrayOID(t.ID), catalog.RelationOID(t.ID)})
	}
	for _, v := range views {
		out = append(out, relRowType{v.Name, catalog.ViewRowTypeOID(v.Name), catalog.ViewRowArrayOID(v.Name), catalog.ViewOID(v.Name)})
	}
	return out
}

// rowTypeOIDs are the pg_class reltype of the tables and views by their relation OIDs.
func rowTypeOIDs(tables []*catalog.Table, views []*catalog.View) map[int64]int64 {
	out := map[int64]int64{}
	for _, r := range relRowTypes(tables, views) {
		out[r.rel] = r.oid
	}
	return out
}

// rowTypeRows appends pg_type's rows of the row types of the tables and views and of their
// array types.
func rowTypeRows(tables []*catalog.Table, views []*catalog.View, row func(...any)) {
	const (
		ns    = catalog.OIDPublicNS
		owner = catalog.OIDRole
	)
	for _, r := range relRowTypes(tables, views) {
		row(r.oid, r.name, int64(ns), int64(owner), int16(-1), false, "c", "C", false, true, ",", r.rel, int64(0), int64(0), r.arr,
			proc("record_in"), proc("record_out"), proc("record_recv"), proc("record_send"), int64(0), int64(0), int64(0), "d", "x", false, int64(0), int32(-1), int32(0), int64(0))
		row(r.arr, "_"+r.name, int64(ns), int64(owner), int16(-1), false, "b", "A", false, true, ",", int64(0), proc("array_subscript_handler"), r.oid, int64(0),
			proc("array_in"), proc("array_out"), proc("array_recv"), proc("array_send"), int64(0), int64(0), proc("array_typanalyze"), "d", "x", false, int64(0), int32(-1), int32(0), int64(0))
	}
}

// rowTypeByName finds the row type of the table or view name in cat, for regtype.
func rowTypeByName(ctx context.Context, cat *catalog.Current, name string) (oid, arr uint32, ok bool) {
	if t, err := cat.Table(ctx, name); err == nil {
		return uint32(catalog.RowTypeOID(t.ID)), uint32(catalog.RowArrayOID(t.ID)), true
	}
	if v, found, err := cat.View(ctx, name); err == nil && found {
		return uint32(catalog.ViewRowTypeOID(v.Name)), uint32(catalog.ViewRowArrayOID(v.Name)), true
	}
	return 0, 0, false
}
