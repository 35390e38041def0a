package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/function"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/sql"
	"github.com/sleeperd/sleeperd/types"
)

// pgTypeRow is one row of pg_type: a base type and its array type.
type pgTypeRow struct {
	oid      uint32
	name     string
	len      int16
	byval    bool
	category string
	align    string
	storage  string
}

// pgTypes are the types pg_type lists: those sleeperd has, with PostgreSQL's OIDs.
var pgTypes = []pgTypeRow{
	{types.OIDBool, "bool", 1, true, "B", "c", "p"},
	{types.OIDBytea, "bytea", -1, false, "U", "i", "x"},
	{types.OIDName, "name", 64, false, "S", "c", "p"},
	{types.OIDInt8, "int8", 8, true, "N", "d", "p"},
	{types.OIDInt2, "int2", 2, true, "N", "s", "p"},
	{types.OIDInt4, "int4", 4, true, "N", "i", "p"},
	{types.OIDText, "text", -1, false, "S", "i", "x"},
	{types.OIDOID, "oid", 4, true, "N", "i", "p"},
	{types.OIDJSON, "json", -1, false, "U", "i", "x"},
	{types.OIDFloat4, "float4", 4, true, "N", "i", "p"},
	{types.OIDFloat8, "float8", 8, true, "N", "d", "p"},
	{types.OIDBpchar, "bpchar", -1, false, "S", "i", "x"},
	{types.OIDVarchar, "varchar", -1, false, "S", "i", "x"},
	{types.OIDDate, "date", 4, true, "D", "i", "p"},
	{types.OIDTimestamp, "timestamp", 8, true, "D", "d", "p"},
	{types.OIDTimestamptz, "timestamptz", 8, true, "D", "d", "p"},
	{types.OIDInterval, "interval", 16, false, "T", "d", "p"},
	{types.OIDNumeric, "numeric", -1, false, "N", "i", "m"},
	{types.OIDJSONB, "jsonb", -1, false, "U", "i", "x"},
	{types.OIDTimeTZ, "timetz", 12, false, "D", "d", "p"},
	// The object identifier alias types: OIDs of 4 bytes, shown by name.
	{types.OIDRegProc, "regproc", 4, true, "N", "i", "p"},
	{types.OIDRegProcedure, "regprocedure", 4, true, "N", "i", "p"},
	{types.OIDRegOper, "regoper", 4, true, "N", "i", "p"},
	{types.OIDRegOperator, "regoperator", 4, true, "N", "i", "p"},
	{types.OIDRegClass, "regclass", 4, true, "N", "i", "p"},
	{types.OIDRegType, "regtype", 4, true, "N", "i", "p"},
	{types.OIDRegNamespace, "regnamespace", 4, true, "N", "i", "p"},
	{types.OIDRegRole, "regrole", 4, true, "N", "i", "p"},
}

// pgPseudoType is one row of pg_type for a pseudo-type (typtype 'p', and unknown), as
// PostgreSQL 15 has it: io is the prefix of its I/O functions' names (io_in, io_out, and
// io_recv, io_send when recv).
type pgPseudoType struct {
	oid      uint32
	len      int16
	byval    bool
	align    string
	storage  string
	io       string
	recv     bool
	category string
}

// pgPseudoTypes are the pseudo-types pg_type lists (their names are types.PseudoTypeName's).
var pgPseudoTypes = []pgPseudoType{
	{32, 8, true, "d", "p", "pg_ddl_command_", true, "P"},
	{269, 4, true, "i", "p", "table_am_handler_", false, "P"},
	{325, 4, true, "i", "p", "index_am_handler_", false, "P"},
	{types.OIDUnknown, -2, false, "c", "p", "unknown", true, "X"},
	{types.OIDRecord, -1, false, "d", "x", "record_", true, "P"},
	{2275, -2, false, "c", "p", "cstring_", true, "P"},
	{2276, 4, true, "i", "p", "any_", false, "P"},
	{2277, -1, false, "d", "x", "anyarray_", true, "P"},
	{2278, 4, true, "i", "p", "void_", true, "P"},
	{2279, 4, true, "i", "p", "trigger_", false, "P"},
	{2280, 4, true, "i", "p", "language_handler_", false, "P"},
	{2281, 8, true, "d", "p", "internal_", false, "P"},
	{2283, 4, true, "i", "p", "anyelement_", false, "P"},
	{2776, 4, true, "i", "p", "anynonarray_", false, "P"},
	{3115, 4, true, "i", "p", "fdw_handler_", false, "P"},
	{3310, 4, true, "i", "p", "tsm_handler_", false, "P"},
	{3500, 4, true, "i", "p", "anyenum_", false, "P"},
	{3831, -1, false, "d", "x", "anyrange_", false, "P"},
	{3838, 4, true, "i", "p", "event_trigger_", false, "P"},
	{4537, -1, false, "d", "x", "anymultirange_", false, "P"},
	{4538, -1, false, "d", "x", "anycompatiblemultirange_", false, "P"},
	{5077, 4, true, "i", "p", "anycompatible_", false, "P"},
	{5078, -1, false, "d", "x", "anycompatiblearray_", true, "P"},
	{5079, 4, true, "i", "p", "anycompatiblenonarray_", false, "P"},
	{5080, -1, false, "d", "x", "anycompatiblerange_", false, "P"},
}

// underscoreIO are the types whose I/O functions are named type_in, type_out, ... rather
// than typein, typeout, ...; typmod those with type modifier functions (typetypmodin).
var (
	underscoreIO = map[string]bool{"json": true, "date": true, "timestamp": true, "timestamptz": true, "interval": true,
		"numeric": true, "jsonb": true, "timetz": true}
	typmod = map[string]bool{"bpchar": true, "varchar": true, "timestamp": true, "timestamptz": true, "interval": true,
		"numeric": true, "timetz": true}
)

// proc is the OID of the pg_proc function pg_type's regproc columns name, 0 ("-") for none.
func proc(name string) int64 { return function.ProcOID(name) }

// pgSystemTable computes a table of pg_catalog or information_schema (name is
// "schema.table") from the catalog as it is now.
func (e *Engine) pgSystemTable(ctx context.Context, name string) (arrow.RecordBatch, error) {
	if name == catalog.RelationSizesTable {
		return e.relationSizes(ctx)
	}
	schemaName, rel, _ := strings.Cut(name, ".")
	schema, ok := catalog.PGSystemTable(schemaName, rel)
	if !ok {
		return nil, errs.New(errs.UndefinedTable, "relation \"%s\" does not exist", name)
	}
	cur, err := e.cat.Current(ctx)
	if err != nil {
		return nil, err
	}
	tables, _ := cur.Tables(ctx)
	views, _ := cur.Views(ctx)
	indexes, _ := cur.AllIndexes(ctx)
	composites, _ := cur.Types(ctx)
	// The batch lives in Go memory, as the sleeper.* tables' do (see systemTable).
	b := array.NewRecordBuilder(memory.DefaultAllocator, storageSchema(schema))
	defer b.Release()
	row := func(vals ...any) {
		for i, v := range vals {
			appendCatalogValue(b.Field(i), v)
		}
		for i := len(vals); i < len(b.Fields()); i++ {
			b.Field(i).AppendNull()
		}
	}
	const (
		ns    = catalog.OIDPublicNS
		owner = catalog.OIDRole
		db    = catalog.DatabaseName
	)
	visible := func(t *catalog.Table) []catalog.Column {
		var out []catalog.Column
		for _, c := range t.Columns {
			if !c.Hidden {
				out = append(out, c)
			}
		}
		return out
	}
	keyNames := func(t *catalog.Table) []string {
		var out []string
		for _, k := range t.KeyColumns() {
			out = append(out, t.Columns[k].Name)
		}
		return out
	}
	switch name {
	case "pg_catalog.pg_namespace":
		row(int64(catalog.OIDPGCatalogNS), catalog.PGCatalogSchema, int64(owner), nil)
		row(int64(catalog.OIDPublicNS), catalog.PublicSchema, int64(6171), nil) // pg_database_owner, as in PostgreSQL 15
		row(int64(catalog.OIDInfoSchemaNS), catalog.InformationSchemaSchema, int64(owner), nil)
	case "pg_catalog.pg_class", "pg_catalog.pg_tables", "pg_catalog.pg_views", "pg_catalog.pg_indexes":
		rights := e.tableRights(ctx)
		relOwner, relACL := int64(owner), any(nil) // of the relation class is called for
		reltypes := rowTypeOIDs(tables, views)
		class := func(oid int64, relname string, nsp int64, am int64, hasIndex bool, kind string, natts int) {
			switch rel {
			case "pg_class":
				row(oid, relname, nsp, reltypes[oid], int64(0), relOwner, am, oid, int64(0), int32(0), float32(-1), int32(0), int64(0),
					hasIndex, false, "p", kind, int16(natts), int16(0), false, false, false, false, false, true, "d", false, int64(0), int64(0), int64(0), relACL, nil, nil)
			}
		}
		for _, t := range tables {
			acl := e.cat.KnownACL(t.ID)
			ownerName, ownerOID := rights.owner(acl)
			relOwner, relACL = ownerOID, rights.relacl(acl)
			hasKey := len(t.KeyColumns()) > 0
			var ixs []*catalog.Index
			for _, ix := range indexes {
				if ix.TableID == t.ID {
					ixs = append(ixs, ix)
				}
			}
			oid := catalog.RelationOID(t.ID)
			class(oid, t.Name, ns, catalog.OIDHeapAM, hasKey || len(ixs) > 0, catalog.RelKindTable, len(visible(t)))
			if rel == "pg_tables" {
				row(catalog.PublicSchema, t.Name, ownerName, nil, hasKey || len(ixs) > 0, false, false, false)
			}
			relACL = nil // an index has no privileges; its owner is its table's
			if hasKey {
				class(catalog.PrimaryKeyOID(t.ID), catalog.PrimaryKeyName(t.Name), ns, catalog.OIDBtreeAM, false, catalog.RelKindIndex, len(t.KeyColumns()))
				if rel == "pg_indexes" {
					row(catalog.PublicSchema, t.Name, catalog.PrimaryKeyName(t.Name), nil, t.PrimaryKeyDef())
				}
			}
			for _, ix := range ixs {
				class(catalog.IndexOID(ix.Name), ix.Name, ns, catalog.OIDBtreeAM, false, catalog.RelKindIndex, len(ix.Columns))
				if rel == "pg_indexes" {
					row(catalog.PublicSchema, t.Name, ix.Name, nil, ix.Def())
				}
			}
		}
		relOwner, relACL = int64(owner), nil // views are the built-in role's: no GRANT names them
		for _, v := range views {
			class(catalog.ViewOID(v.Name), v.Name, ns, 0, false, catalog.RelKindView, len(viewColumns(ctx, cur, v)))
			if rel == "pg_views" {
				row(catalog.PublicSchema, v.Name, catalog.OwnerName, " "+v.SQL+";")
			}
		}
		compositeRows(rel, composites, row)
	case "pg_catalog.pg_attribute":
		for _, t := range tables {
			oid := catalog.RelationOID(t.ID)
			for i, c := range visible(t) {
				pt := types.PGTypeOf(c.SQL())
				row(oid, c.Name, int64(pt.OID), int32(-1), pt.Size, int16(i+1), int32(0), int32(-1), pt.Mod, pt.Size > 0 && pt.Size <= 8,
					"i", storageOf(pt), "", !c.Nullable, c.Default != "" && c.Identity == "", false, c.Identity, "", false, true, int32(0), collationOf(pt))
			}
			if len(t.KeyColumns()) > 0 {
				for i, k := range t.KeyColumns() {
					c := t.Columns[k]
					pt := types.PGTypeOf(c.SQL())
					row(catalog.PrimaryKeyOID(t.ID), c.Name, int64(pt.OID), int32(-1), pt.Size, int16(i+1), int32(0), int32(-1), pt.Mod, pt.Size > 0 && pt.Size <= 8,
						"i", storageOf(pt), "", false, false, false, "", "", false, true, int32(0), collationOf(pt))
				}
			}
			// A created index's columns, as an index's attributes are its key columns (an
			// expression's type is not kept, so it has none).
			for _, ix := range indexes {
				if ix.TableID != t.ID {
					continue
				}
				for i, name := range ix.Columns {
					k := attnum(t, name)
					if k <= 0 {
						continue
					}
					c := visible(t)[k-1]
					pt := types.PGTypeOf(c.SQL())
					row(catalog.IndexOID(ix.Name), c.Name, int64(pt.OID), int32(-1), pt.Size, int16(i+1), int32(0), int32(-1), pt.Mod, pt.Size > 0 && pt.Size <= 8,
						"i", storageOf(pt), "", false, false, false, "", "", false, true, int32(0), collationOf(pt))
				}
			}
		}
		for _, v := range views {
			for i, c := range viewColumns(ctx, cur, v) {
				pt := types.PGTypeOf(c.SQL())
				row(catalog.ViewOID(v.Name), c.Name, int64(pt.OID), int32(-1), pt.Size, int16(i+1), int32(0), int32(-1), pt.Mod, pt.Size > 0 && pt.Size <= 8,
					"i", storageOf(pt), "", false, false, false, "", "", false, true, int32(0), collationOf(pt))
			}
		}
		compositeRows(rel, composites, row)
	case "pg_catalog.pg_attrdef":
		for _, t := range tables {
			for i, c := range visible(t) {
				if c.Default != "" && c.Identity == "" {
					row(catalog.AttrDefOID(t.ID, i+1), catalog.RelationOID(t.ID), int16(i+1), c.Default)
				}
			}
		}
	case "pg_catalog.pg_type":
		for _, pt := range pgTypes {
			arr, ok := types.ArrayOID(pt.oid)
			if !ok {
				arr = types.RegArrayOID(pt.oid)
			}
			coll := int64(0)
			if pt.category == "S" {
				coll = catalog.OIDDefaultColl
			}
			io, modin, modout, subscript := pt.name, int64(0), int64(0), int64(0)
			if underscoreIO[pt.name] {
				io += "_"
			}
			if typmod[pt.name] {
				modin, modout = proc(pt.name+"typmodin"), proc(pt.name+"typmodout")
			}
			switch pt.name {
			case "name":
				subscript = proc("raw_array_subscript_handler")
			case "jsonb":
				subscript = proc("jsonb_subscript_handler")
			}
			row(int64(pt.oid), pt.name, int64(catalog.OIDPGCatalogNS), int64(owner), pt.len, pt.byval, "b", pt.category, false, true, ",", int64(0), subscript, int64(0), int64(arr),
				proc(io+"in"), proc(io+"out"), proc(io+"recv"), proc(io+"send"), modin, modout, int64(0), pt.align, pt.storage, false, int64(0), int32(-1), int32(0), coll)
			if arr != 0 {
				row(int64(arr), "_"+pt.name, int64(catalog.OIDPGCatalogNS), int64(owner), int16(-1), false, "b", "A", false, true, ",", int64(0), proc("array_subscript_handler"), int64(pt.oid), int64(0),
					proc("array_in"), proc("array_out"), proc("array_recv"), proc("array_send"), modin, modout, proc("array_typanalyze"), pt.align, "x", false, int64(0), int32(-1), int32(0), coll)
			}
		}
		for _, pt := range pgPseudoTypes {
			name, _ := types.PseudoTypeName(pt.oid)
			arr, elem, typtype := int64(0), int64(0), "p"
			in, out, recv, send := proc(pt.io+"in"), proc(pt.io+"out"), int64(0), int64(0)
			if pt.recv {
				recv, send = proc(pt.io+"recv"), proc(pt.io+"send")
			}
			switch pt.oid {
			case types.OIDRecord:
				arr = int64(types.OIDRecordArray)
			case 2275:
				arr = int64(types.OIDCstringArray)
			}
			row(int64(pt.oid), name, int64(catalog.OIDPGCatalogNS), int64(owner), pt.len, pt.byval, typtype, pt.category, false, true, ",", int64(0), int64(0), elem, arr,
				in, out, recv, send, int64(0), int64(0), int64(0), pt.align, pt.storage, false, int64(0), int32(-1), int32(0), int64(0))
			if arr != 0 {
				// record[] is a pseudo-type too; cstring[] an ordinary array type.
				align, category := "i", "A"
				if pt.oid == types.OIDRecord {
					typtype, align, category = "p", "d", "P"
				} else {
					typtype, category = "b", "A"
				}
				row(arr, "_"+name, int64(catalog.OIDPGCatalogNS), int64(owner), int16(-1), false, typtype, category, false, true, ",", int64(0), proc("array_subscript_handler"), int64(pt.oid), int64(0),
					proc("array_in"), proc("array_out"), proc("array_recv"), proc("array_send"), int64(0), int64(0), proc("array_typanalyze"), align, "x", false, int64(0), int32(-1), int32(0), int64(0))
			}
		}
		rowTypeRows(tables, views, row)
		compositeRows(rel, composites, row)
	case "pg_catalog.pg_index":
		for _, t := range tables {
			oid := catalog.RelationOID(t.ID)
			if keys := t.KeyColumns(); len(keys) > 0 {
				row(catalog.PrimaryKeyOID(t.ID), oid, int16(len(keys)), int16(len(keys)), true, false, true, false, true, false, true, false, true, true, false,
					attnums(t, keyNames(t)), nil, nil, make([]int16, len(keys)), nil, nil)
			}
			for _, ix := range indexes {
				if ix.TableID == t.ID {
					row(catalog.IndexOID(ix.Name), oid, int16(len(ix.Columns)), int16(len(ix.Columns)), ix.Unique, false, false, false, true, false, true, false, true, true, false,
						attnums(t, ix.Columns), nil, nil, make([]int16, len(ix.Columns)), nil, nil)
				}
			}
		}
	case "pg_catalog.pg_constraint":
		for _, t := range tables {
			if keys := t.KeyColumns(); len(keys) > 0 {
				row(catalog.PrimaryKeyConstraintOID(t.ID), catalog.PrimaryKeyName(t.Name), int64(ns), "p", false, false, true, catalog.RelationOID(t.ID), int64(0),
					catalog.PrimaryKeyOID(t.ID), int64(0), int64(0), " ", " ", " ", true, int32(0), true, attnums(t, keyNames(t)), nil, nil)
			}
		}
	case "pg_catalog.pg_proc":
		// The PostgreSQL functions sleeperd implements, by the overloads it accepts, with
		// PostgreSQL's OIDs (function.PGProcs, generated from PostgreSQL's own pg_proc).
		for _, p := range function.PGProcs {
			args := make([]int64, len(p.Args))
			for i, a := range p.Args {
				args[i] = int64(a)
			}
			lang, cost, rows := int64(12), float32(1), float32(0) // internal
			if p.RetSet {
				rows = 1000
			}
			row(int64(p.OID), p.Name, int64(catalog.OIDPGCatalogNS), int64(owner), lang, cost, rows, int64(p.Variadic), nil,
				string(p.Kind), false, false, p.Strict, p.RetSet, string(p.Volatile), string(p.Parallel), int16(len(p.Args)), int16(0),
				int64(p.Result), args, nil, nil, nil, nil, nil, p.Source, nil, nil, nil, nil)
		}
	case "pg_catalog.pg_database":
		row(int64(catalog.OIDDatabase), db, int64(owner), int32(6), "c", false, true, int32(-1), int64(0), int64(0), int64(catalog.OIDDefaultTS), "C", "C.UTF-8", nil, nil, nil) // bytewise order, Unicode character classes
	case "pg_catalog.pg_roles":
		row(catalog.OwnerName, true, true, true, true, true, true, int32(-1), "********", nil, true, nil, int64(owner))
		for _, r := range e.rolesForCatalog(ctx) {
			row(r.Name, r.Superuser, true, false, false, r.Login, false, int32(-1), "********", nil, false, nil, catalog.RoleOID(r.ID))
		}
	case "pg_catalog.pg_authid":
		// The password verifiers are not shown: every role can read the system tables.
		row(int64(owner), catalog.OwnerName, true, true, true, true, true, true, true, int32(-1), nil, nil)
		for _, r := range e.rolesForCatalog(ctx) {
			row(catalog.RoleOID(r.ID), r.Name, r.Superuser, true, false, false, r.Login, false, false, int32(-1), "********", nil)
		}
	case "pg_catalog.pg_user":
		row(catalog.OwnerName, int64(owner), true, true, true, true, "********", nil, nil)
		for _, r := range e.rolesForCatalog(ctx) {
			if r.Login {
				row(r.Name, catalog.RoleOID(r.ID), false, r.Superuser, false, false, "********", nil, nil)
			}
		}
	case "pg_catalog.pg_language":
		row(int64(12), "internal", int64(owner), false, false, int64(0), int64(0), int64(2246), nil)
		row(int64(13), "c", int64(owner), false, false, int64(0), int64(0), int64(2247), nil)
		row(int64(14), "sql", int64(owner), false, true, int64(0), int64(0), int64(2248), nil)
	case "pg_catalog.pg_am":
		row(int64(catalog.OIDHeapAM), "heap", "heap_tableam_handler", "t")
		row(int64(catalog.OIDBtreeAM), "btree", "bthandler", "i")
	case "pg_catalog.pg_collation":
		row(int64(catalog.OIDDefaultColl), "default", int64(catalog.OIDPGCatalogNS), int64(owner), "d", true, int32(-1), nil, nil, nil, nil)
		row(int64(950), "C", int64(catalog.OIDPGCatalogNS), int64(owner), "c", true, int32(-1), "C", "C", nil, nil)
	case "pg_catalog.pg_tablespace":
		row(int64(catalog.OIDDefaultTS), "pg_default", int64(owner), nil, nil)
		row(int64(1664), "pg_global", int64(owner), nil, nil)
	case "pg_catalog.pg_extension":
		row(int64(13500), "plpgsql", int64(owner), int64(catalog.OIDPGCatalogNS), false, "1.0", nil, nil)
	case "pg_catalog.pg_settings":
		for _, s := range [][]string{
			{"server_version", "15.0"}, {"server_version_num", "150000"}, {"server_encoding", "UTF8"},
			{"client_encoding", "UTF8"}, {"DateStyle", "ISO, MDY"}, {"TimeZone", "UTC"},
			{"integer_datetimes", "on"}, {"standard_conforming_strings", "on"}, {"max_identifier_length", "63"},
			{"search_path", "\"$user\", public"}, {"default_transaction_isolation", "read committed"},
			{"transaction_isolation", "read committed"}, {"lc_collate", "C"}, {"lc_ctype", "C.UTF-8"},
		} {
			row(s[0], s[1], nil, "Preset Options", nil, nil, "internal", "string", "default", nil, nil, nil, s[1], s[1], nil, nil, false)
		}
	case "pg_catalog.pg_prepared_statements":
		for _, p := range preparedFrom(ctx) {
			row(p.name, p.text, p.at, p.paramText(), true, int64(0), int64(p.runs))
		}
	case "pg_catalog.pg_stat_activity":
		for _, a := range e.Sessions() {
			row(activityRow(a, int64(owner))...)
		}
	case "information_schema.schemata":
		for _, n := range []string{catalog.PGCatalogSchema, catalog.PublicSchema, catalog.InformationSchemaSchema, catalog.SystemSchema} {
			row(db, n, catalog.OwnerName, nil, nil, nil, nil)
		}
	case "information_schema.table_privileges", "information_schema.role_table_grants":
		rights := e.tableRights(ctx)
		for _, t := range tables {
			rights.privilegeRows(t.Name, e.cat.KnownACL(t.ID), row)
		}
	case "information_schema.tables":
		for _, t := range tables {
			row(db, catalog.PublicSchema, t.Name, "BASE TABLE", nil, nil, nil, nil, nil, "YES", "NO", nil)
		}
		for _, v := range views {
			row(db, catalog.PublicSchema, v.Name, "VIEW", nil, nil, nil, nil, nil, "YES", "NO", nil) // views over one table take INSERT, as in PostgreSQL
		}
	case "information_schema.columns":
		for _, t := range tables {
			for i, c := range visible(t) {
				var def any
				if c.Default != "" && c.Identity == "" {
					def = c.Default
				}
				row(append([]any{db, catalog.PublicSchema, t.Name, c.Name, int32(i + 1), def, yesNo(c.Nullable)}, columnTypeInfo(c.SQL(), db, i+1)...)...)
			}
		}
		for _, v := range views {
			for i, c := range viewColumns(ctx, cur, v) {
				row(append([]any{db, catalog.PublicSchema, v.Name, c.Name, int32(i + 1), nil, "YES"}, columnTypeInfo(c.SQL(), db, i+1)...)...)
			}
		}
	case "information_schema.attributes", "information_schema.user_defined_types":
		compositeInfoRows(name, composites, db, row)
	case "information_schema.views":
		for _, v := range views {
			row(db, catalog.PublicSchema, v.Name, " "+v.SQL+";", "NONE", "NO", "NO", "NO", "NO", "NO")
		}
	case "information_schema.table_constraints":
		for _, t := range tables {
			if len(t.KeyColumns()) > 0 {
				row(db, catalog.PublicSchema, catalog.PrimaryKeyName(t.Name), db, catalog.PublicSchema, t.Name, "PRIMARY KEY", "NO", "NO", "YES", nil)
			}
			for _, c := range visible(t) {
				if !c.Nullable {
					name := fmt.Sprintf("%d_%d_%d_not_null", ns, catalog.RelationOID(t.ID), attnum(t, c.Name))
					row(db, catalog.PublicSchema, name, db, catalog.PublicSchema, t.Name, "CHECK", "NO", "NO", "YES", nil)
				}
			}
		}
	case "information_schema.key_column_usage":
		for _, t := range tables {
			for i, k := range keyNames(t) {
				row(db, catalog.PublicSchema, catalog.PrimaryKeyName(t.Name), db, catalog.PublicSchema, t.Name, k, int32(i+1), nil)
			}
		}
	}
	// Value buffers exist even without rows: the kernels read them.
	for _, f := range b.Fields() {
		f.Reserve(1)
	}
	return b.NewRecordBatch(), nil
}

// viewColumns are the columns of view v, as binding it finds them (none if it no longer binds).
func viewColumns(ctx context.Context, cur *catalog.Current, v *catalog.View) []catalog.Column {
	stmts, err := sql.Parse("SELECT * FROM " + function.QuoteIdent(v.Name))
	if err != nil || len(stmts) != 1 {
		return nil
	}
	st, err := sql.Bind(ctx, cur, stmts[0], nil)
	if err != nil {
		return nil
	}
	q, ok := st.(*planner.Query)
	if !ok {
		return nil
	}
	cols := q.Root.Columns()
	out := make([]catalog.Column, 0, len(q.Names))
	for i, n := range q.Names {
		out = append(out, catalog.Column{Name: n, Type: cols[i].Type, Nullable: true})
	}
	return out
}

func yesNo(b bool) string {
	if b {
		return "YES"
	}
	return "NO"
}

// attnum is the column's number as pg_attribute shows it (visible columns from 1).
func attnum(t *catalog.Table, name string) int16 {
	n := int16(0)
	for _, c := range t.Columns {
		if c.Hidden {
			continue
		}
		n++
		if c.Name == name {
			return n
		}
	}
	return 0
}

func attnums(t *catalog.Table, names []string) []int16 {
	out := make([]int16, len(names))
	for i, n := range names {
		out[i] = attnum(t, n)
	}
	return out
}

func storageOf(pt types.PGType) string {
	if pt.Size > 0 {
		return "p"
	}
	if pt.OID == types.OIDNumeric {
		return "m"
	}
	return "x"
}

func collationOf(pt types.PGType) int64 {
	switch pt.OID {
	case types.OIDText, types.OIDVarchar, types.OIDBpchar, types.OIDName:
		return catalog.OIDDefaultColl
	}
	return 0
}

// columnTypeInfo is information_schema.columns from data_type on.
func columnTypeInfo(t arrow.DataType, db string, pos int) []any {
	pt := types.PGTypeOf(t)
	dataType := function.FormatType(pt.OID, -1)
	udt := ""
	for _, r := range pgTypes {
		if r.oid == pt.OID {
			udt = r.name
		}
	}
	var charMax, charOctet, numPrec, numRadix, numScale, dtPrec any
	elem, ok := types.ElemOID(pt.OID)
	if r := types.RegOfArray(pt.OID); r != nil {
		elem, ok = r.OID(), true
	}
	if ok {
		dataType = "ARRAY"
		for _, r := range pgTypes {
			if r.oid == elem {
				udt = "_" + r.name
			}
		}
	}
	switch pt.OID {
	case types.OIDVarchar, types.OIDBpchar:
		if pt.Mod >= 4 {
			charMax, charOctet = int32(pt.Mod-4), int32(4*(pt.Mod-4))
		} else {
			charOctet = int32(1073741824)
		}
	case types.OIDText:
		charOctet = int32(1073741824)
	case types.OIDInt2:
		numPrec, numRadix, numScale = int32(16), int32(2), int32(0)
	case types.OIDInt4:
		numPrec, numRadix, numScale = int32(32), int32(2), int32(0)
	case types.OIDInt8:
		numPrec, numRadix, numScale = int32(64), int32(2), int32(0)
	case types.OIDFloat4:
		numPrec, numRadix = int32(24), int32(2)
	case types.OIDFloat8:
		numPrec, numRadix = int32(53), int32(2)
	case types.OIDNumeric:
		numRadix = int32(10)
		if pt.Mod >= 4 {
			m := pt.Mod - 4
			numPrec, numScale = int32(m>>16), int32(m&0xffff)
		}
	case types.OIDDate:
		dtPrec = int32(0)
	case types.OIDTimestamp, types.OIDTimestamptz, types.OIDInterval:
		dtPrec = int32(6)
	case types.OIDTimeTZ:
		dtPrec = int32(6)
		if pt.Mod >= 0 {
			dtPrec = pt.Mod
		}
	}
	var collCat, collSch, collName any
	_ = collCat
	return []any{dataType, charMax, charOctet, numPrec, numRadix, numScale, dtPrec, nil, nil, nil, nil, nil, collCat, collSch, collName, nil, nil, nil,
		db, "pg_catalog", udt, nil, nil, nil, nil, fmt.Sprint(pos), "NO", "NO", nil, nil, nil, nil, nil, "NO", "NEVER", nil, "YES"}
}

// appendCatalogValue appends v (nil for NULL) to a builder of a pg_catalog column.
func appendCatalogValue(b array.Builder, v any) {
	if v == nil {
		b.AppendNull()
		return
	}
	switch b := b.(type) {
	case *array.StringBuilder:
		b.Append(v.(string))
	case *array.BooleanBuilder:
		b.Append(v.(bool))
	case *array.Int16Builder:
		b.Append(v.(int16))
	case *array.Int32Builder:
		b.Append(v.(int32))
	case *array.Int64Builder:
		b.Append(v.(int64))
	case *array.Float32Builder:
		b.Append(v.(float32))
	case *array.TimestampBuilder:
		b.Append(arrow.Timestamp(v.(time.Time).UnixMicro()))
	case *array.ListBuilder:
		b.Append(true)
		vb := b.ValueBuilder()
		switch vs := v.(type) {
		case []int16:
			for _, x := range vs {
				vb.(*array.Int16Builder).Append(x)
			}
		case []int64:
			for _, x := range vs {
				vb.(*array.Int64Builder).Append(x)
			}
		case []string:
			for _, x := range vs {
				vb.(*array.StringBuilder).Append(x)
			}
		}
	default:
		panic(fmt.Sprintf("engine: pg_catalog column of %T", b))
	}
}

// storageSchema is schema with the storage types of its columns' SQL types: a regproc
// column's values are built as bigint (types.Storage), as the scans read them.
func storageSchema(schema *arrow.Schema) *arrow.Schema {
	fs := schema.Fields()
	changed := false
	for i, f := range fs {
		if st := types.Storage(f.Type); st != f.Type {
			fs[i].Type, changed = st, true
		}
	}
	if !changed {
		return schema
	}
	md := schema.Metadata()
	return arrow.NewSchema(fs, &md)
}
