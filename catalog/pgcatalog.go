package catalog

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/sleeperd/sleeperd/function"
	"github.com/sleeperd/sleeperd/types"
)

// The PostgreSQL system catalogs (pg_catalog) and the information schema, as system tables
// computed from the catalog when a query reads them, so that clients' own introspection
// queries (psql's meta-commands, drivers' metadata calls) run unchanged.
//
// OIDs: types keep PostgreSQL's. Relations and their indexes and constraints get stable OIDs
// derived from what identifies them forever (a table's ID, a view's or an index's name; see
// RelationOID), in [FirstUserOID, 2^31), so they survive restarts and are the same on every
// server over the same store. Columns are (relation OID, attnum), as in PostgreSQL. The
// fixed objects (namespaces, the database, the role, access methods) have the OIDs
// PostgreSQL's initdb gives them where it has one. oid columns and the reg* types are bigint.
const (
	PGCatalogSchema         = "pg_catalog"
	InformationSchemaSchema = "information_schema"
	PublicSchema            = "public"

	// FirstUserOID is PostgreSQL's FirstNormalObjectId: the first OID of user objects.
	FirstUserOID = 16384

	OIDPGCatalogNS  = 11
	OIDPublicNS     = 2200
	OIDInfoSchemaNS = 13000
	OIDSleeperNS    = 13001
	OIDRole         = 10
	OIDDatabase     = 5
	OIDHeapAM       = 2
	OIDBtreeAM      = 403
	OIDDefaultTS    = 1663
	OIDDefaultColl  = 100

	// Relation kinds of pg_class.relkind.
	RelKindTable = "r"
	RelKindView  = "v"
	RelKindIndex = "i"
)

// DatabaseName is the one database a server has, as current_database() and pg_database show.
const DatabaseName = "sleeperd"

// OwnerName is the role every object belongs to (pg_roles holds one role).
const OwnerName = "sleeperd"

// stableOID maps key to an OID in [FirstUserOID, 2^31).
func stableOID(key string) int64 {
	h := fnv.New32a()
	h.Write([]byte(key))
	return FirstUserOID + int64(h.Sum32()%(1<<31-FirstUserOID))
}

// RelationOID is the OID of the table with ID id.
func RelationOID(tableID string) int64 { return stableOID("table:" + tableID) }

// AttrDefOID is the OID of the default of column attnum of the table with ID id.
func AttrDefOID(tableID string, attnum int) int64 {
	return stableOID(fmt.Sprintf("attrdef:%s:%d", tableID, attnum))
}

// ViewOID is the OID of the view name.
func ViewOID(name string) int64 { return stableOID("view:" + name) }

// PrimaryKeyOID is the OID of the primary key index of the table with ID id: its PRIMARY KEY
// or, without one, its row keys.
func PrimaryKeyOID(tableID string) int64 { return stableOID("pkey:" + tableID) }

// PrimaryKeyConstraintOID is the OID of the primary key constraint of the table with ID id.
func PrimaryKeyConstraintOID(tableID string) int64 { return stableOID("pkeycon:" + tableID) }

// SystemTableOID is the OID of the system table sleeper.name.
func SystemTableOID(name string) int64 { return stableOID("system:" + name) }

// pgCatalogOIDs are PostgreSQL's OIDs of the pg_catalog tables that have fixed ones.
var pgCatalogOIDs = map[string]int64{"pg_type": 1247, "pg_attribute": 1249, "pg_proc": 1255, "pg_class": 1259,
	"pg_authid": 1260, "pg_database": 1262, "pg_tablespace": 1213, "pg_attrdef": 2604, "pg_constraint": 2606,
	"pg_inherits": 2611, "pg_index": 2610, "pg_namespace": 2615, "pg_description": 2609, "pg_am": 2601,
	"pg_rewrite": 2618, "pg_trigger": 2620, "pg_extension": 3079, "pg_collation": 3456, "pg_enum": 3501,
	"pg_policy": 3256, "pg_language": 2612, "pg_publication": 6104, "pg_statistic_ext": 3381, "pg_sequence": 2224,
	"pg_auth_members": 1261, "pg_range": 3541, "pg_foreign_table": 3118}

// PGSystemTableOID is the OID of the table name of pg_catalog or information_schema:
// PostgreSQL's for the catalogs that have a fixed one, else derived from the name.
func PGSystemTableOID(schema, name string) int64 {
	if schema == PGCatalogSchema {
		if oid, ok := pgCatalogOIDs[name]; ok {
			return oid
		}
	}
	return stableOID(schema + ":" + name)
}

// IndexOID is the OID of the created index name.
func IndexOID(name string) int64 { return stableOID("index:" + name) }

// PrimaryKeyName is the name of a table's primary key index, as PostgreSQL names it.
func PrimaryKeyName(table string) string { return table + "_pkey" }

// KeyColumns are the columns a table's primary key index shows: the PRIMARY KEY's when
// declared, else the row keys (never the hidden row id).
func (t *Table) KeyColumns() []int {
	if len(t.PrimaryKey) > 0 {
		return t.PrimaryKey
	}
	var out []int
	for _, k := range t.RowKeys {
		if !t.Columns[k].Hidden {
			out = append(out, k)
		}
	}
	return out
}

// Views returns every view, by name.
func (c *Catalog) Views(ctx context.Context) ([]*View, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.follow(ctx); err != nil {
		return nil, err
	}
	return c.viewList(), nil
}

// viewList lists the views by name; c.mu must be held.
func (c *Catalog) viewList() []*View {
	out := make([]*View, 0, len(c.views))
	for _, v := range c.views {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// AllIndexes returns every created index, by name.
func (c *Catalog) AllIndexes(ctx context.Context) ([]*Index, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.follow(ctx); err != nil {
		return nil, err
	}
	return c.indexList(), nil
}

// indexList lists the indexes by name; c.mu must be held.
func (c *Catalog) indexList() []*Index {
	out := make([]*Index, 0, len(c.indexes))
	for _, ix := range c.indexes {
		out = append(out, ix)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Tables returns every table, sorted by name, as of the Current.
func (cur *Current) Tables(_ context.Context) ([]*Table, error) {
	cur.c.mu.Lock()
	defer cur.c.mu.Unlock()
	out := make([]*Table, 0, len(cur.c.tables))
	for _, t := range cur.c.tables {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Views returns every view, by name, as of the Current.
func (cur *Current) Views(_ context.Context) ([]*View, error) {
	cur.c.mu.Lock()
	defer cur.c.mu.Unlock()
	return cur.c.viewList(), nil
}

// Sequences returns every sequence, sorted by name, as of the Current.
func (cur *Current) Sequences(_ context.Context) ([]*Sequence, error) {
	cur.c.mu.Lock()
	defer cur.c.mu.Unlock()
	out := make([]*Sequence, 0, len(cur.c.sequences))
	for _, s := range cur.c.sequences {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b *Sequence) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// AllIndexes returns every created index, by name, as of the Current.
func (cur *Current) AllIndexes(_ context.Context) ([]*Index, error) {
	cur.c.mu.Lock()
	defer cur.c.mu.Unlock()
	return cur.c.indexList(), nil
}

// Column type codes of the declarations below.
var pgColTypes = map[string]arrow.DataType{
	"oid":     arrow.PrimitiveTypes.Int64,
	"name":    textT,
	"text":    textT,
	"char":    textT,
	"bool":    boolT,
	"int2":    arrow.PrimitiveTypes.Int16,
	"int4":    arrow.PrimitiveTypes.Int32,
	"int8":    int64T,
	"f4":      arrow.PrimitiveTypes.Float32,
	"ts":      tsT,
	"oidv":    arrow.ListOf(arrow.PrimitiveTypes.Int64),
	"i2v":     arrow.ListOf(arrow.PrimitiveTypes.Int16),
	"txtv":    arrow.ListOf(textT),
	"regproc": types.RegProc,
}

// decl parses "name type, name type, ..." into a schema.
func decl(s string) *arrow.Schema {
	var fs []arrow.Field
	for _, part := range strings.Split(s, ",") {
		f := strings.Fields(part)
		t, ok := pgColTypes[f[1]]
		if !ok {
			panic("catalog: unknown column type " + f[1])
		}
		fs = append(fs, arrow.Field{Name: f[0], Type: t})
	}
	return fields(fs...)
}

// PGCatalogTables are the schemas of the pg_catalog tables and views, by name.
var PGCatalogTables = map[string]*arrow.Schema{
	"pg_namespace":             decl("oid oid, nspname name, nspowner oid, nspacl text"),
	"pg_class":                 decl("oid oid, relname name, relnamespace oid, reltype oid, reloftype oid, relowner oid, relam oid, relfilenode oid, reltablespace oid, relpages int4, reltuples f4, relallvisible int4, reltoastrelid oid, relhasindex bool, relisshared bool, relpersistence char, relkind char, relnatts int2, relchecks int2, relhasrules bool, relhastriggers bool, relhassubclass bool, relrowsecurity bool, relforcerowsecurity bool, relispopulated bool, relreplident char, relispartition bool, relrewrite oid, relfrozenxid int8, relminmxid int8, relacl txtv, reloptions txtv, relpartbound text"),
	"pg_attribute":             decl("attrelid oid, attname name, atttypid oid, attstattarget int4, attlen int2, attnum int2, attndims int4, attcacheoff int4, atttypmod int4, attbyval bool, attalign char, attstorage char, attcompression char, attnotnull bool, atthasdef bool, atthasmissing bool, attidentity char, attgenerated char, attisdropped bool, attislocal bool, attinhcount int4, attcollation oid, attacl txtv, attoptions txtv, attfdwoptions txtv, attmissingval text"),
	"pg_type":                  decl("oid oid, typname name, typnamespace oid, typowner oid, typlen int2, typbyval bool, typtype char, typcategory char, typispreferred bool, typisdefined bool, typdelim char, typrelid oid, typsubscript regproc, typelem oid, typarray oid, typinput regproc, typoutput regproc, typreceive regproc, typsend regproc, typmodin regproc, typmodout regproc, typanalyze regproc, typalign char, typstorage char, typnotnull bool, typbasetype oid, typtypmod int4, typndims int4, typcollation oid, typdefaultbin text, typdefault text, typacl text"),
	"pg_index":                 decl("indexrelid oid, indrelid oid, indnatts int2, indnkeyatts int2, indisunique bool, indnullsnotdistinct bool, indisprimary bool, indisexclusion bool, indimmediate bool, indisclustered bool, indisvalid bool, indcheckxmin bool, indisready bool, indislive bool, indisreplident bool, indkey i2v, indcollation oidv, indclass oidv, indoption i2v, indexprs text, indpred text"),
	"pg_constraint":            decl("oid oid, conname name, connamespace oid, contype char, condeferrable bool, condeferred bool, convalidated bool, conrelid oid, contypid oid, conindid oid, conparentid oid, confrelid oid, confupdtype char, confdeltype char, confmatchtype char, conislocal bool, coninhcount int4, connoinherit bool, conkey i2v, confkey i2v, conbin text"),
	"pg_attrdef":               decl("oid oid, adrelid oid, adnum int2, adbin text"),
	"pg_description":           decl("objoid oid, classoid oid, objsubid int4, description text"),
	"pg_database":              decl("oid oid, datname name, datdba oid, encoding int4, datlocprovider char, datistemplate bool, datallowconn bool, datconnlimit int4, datfrozenxid int8, datminmxid int8, dattablespace oid, datcollate text, datctype text, daticulocale text, datcollversion text, datacl txtv"),
	"pg_roles":                 decl("rolname name, rolsuper bool, rolinherit bool, rolcreaterole bool, rolcreatedb bool, rolcanlogin bool, rolreplication bool, rolconnlimit int4, rolpassword text, rolvaliduntil ts, rolbypassrls bool, rolconfig txtv, oid oid"),
	"pg_authid":                decl("oid oid, rolname name, rolsuper bool, rolinherit bool, rolcreaterole bool, rolcreatedb bool, rolcanlogin bool, rolreplication bool, rolbypassrls bool, rolconnlimit int4, rolpassword text, rolvaliduntil ts"),
	"pg_user":                  decl("usename name, usesysid oid, usecreatedb bool, usesuper bool, userepl bool, usebypassrls bool, passwd text, valuntil ts, useconfig txtv"),
	"pg_auth_members":          decl("roleid oid, member oid, grantor oid, admin_option bool"),
	"pg_am":                    decl("oid oid, amname name, amhandler text, amtype char"),
	"pg_language":              decl("oid oid, lanname name, lanowner oid, lanispl bool, lanpltrusted bool, lanplcallfoid oid, laninline oid, lanvalidator oid, lanacl txtv"),
	"pg_collation":             decl("oid oid, collname name, collnamespace oid, collowner oid, collprovider char, collisdeterministic bool, collencoding int4, collcollate text, collctype text, colliculocale text, collversion text"),
	"pg_inherits":              decl("inhrelid oid, inhparent oid, inhseqno int4, inhdetachpending bool"),
	"pg_tablespace":            decl("oid oid, spcname name, spcowner oid, spcacl text, spcoptions txtv"),
	"pg_extension":             decl("oid oid, extname name, extowner oid, extnamespace oid, extrelocatable bool, extversion text, extconfig oidv, extcondition txtv"),
	"pg_settings":              decl("name text, setting text, unit text, category text, short_desc text, extra_desc text, context text, vartype text, source text, min_val text, max_val text, enumvals txtv, boot_val text, reset_val text, sourcefile text, sourceline int4, pending_restart bool"),
	"pg_proc":                  decl("oid oid, proname name, pronamespace oid, proowner oid, prolang oid, procost f4, prorows f4, provariadic oid, prosupport text, prokind char, prosecdef bool, proleakproof bool, proisstrict bool, proretset bool, provolatile char, proparallel char, pronargs int2, pronargdefaults int2, prorettype oid, proargtypes oidv, proallargtypes oidv, proargmodes txtv, proargnames txtv, proargdefaults text, protrftypes oidv, prosrc text, probin text, prosqlbody text, proconfig txtv, proacl txtv"),
	"pg_prepared_statements":   decl("name text, statement text, prepare_time ts, parameter_types text, from_sql bool, generic_plans int8, custom_plans int8"),
	"pg_stat_activity":         decl("datid oid, datname name, pid int4, leader_pid int4, usesysid oid, usename name, application_name text, client_addr text, client_hostname text, client_port int4, backend_start ts, xact_start ts, query_start ts, state_change ts, wait_event_type text, wait_event text, state text, backend_xid int8, backend_xmin int8, query_id int8, query text, backend_type text"),
	"pg_policy":                decl("oid oid, polname name, polrelid oid, polcmd char, polpermissive bool, polroles oidv, polqual text, polwithcheck text"),
	"pg_statistic_ext":         decl("oid oid, stxrelid oid, stxname name, stxnamespace oid, stxowner oid, stxstattarget int4, stxkeys i2v, stxkind txtv, stxexprs text"),
	"pg_publication":           decl("oid oid, pubname name, pubowner oid, puballtables bool, pubinsert bool, pubupdate bool, pubdelete bool, pubtruncate bool, pubviaroot bool"),
	"pg_publication_namespace": decl("oid oid, pnpubid oid, pnnspid oid"),
	"pg_publication_rel":       decl("oid oid, prpubid oid, prrelid oid, prqual text, prattrs i2v"),
	"pg_trigger":               decl("oid oid, tgrelid oid, tgparentid oid, tgname name, tgfoid oid, tgtype int2, tgenabled char, tgisinternal bool, tgconstrrelid oid, tgconstrindid oid, tgconstraint oid, tgdeferrable bool, tginitdeferred bool, tgnargs int2, tgattr i2v, tgargs text, tgqual text, tgoldtable name, tgnewtable name"),
	"pg_rewrite":               decl("oid oid, rulename name, ev_class oid, ev_type char, ev_enabled char, is_instead bool, ev_qual text, ev_action text"),
	"pg_sequence":              decl("seqrelid oid, seqtypid oid, seqstart int8, seqincrement int8, seqmax int8, seqmin int8, seqcache int8, seqcycle bool"),
	"pg_foreign_table":         decl("ftrelid oid, ftserver oid, ftoptions txtv"),
	"pg_enum":                  decl("oid oid, enumtypid oid, enumsortorder f4, enumlabel name"),
	"pg_range":                 decl("rngtypid oid, rngsubtype oid, rngmultitypid oid, rngcollation oid, rngsubopc oid, rngcanonical text, rngsubdiff text"),
	"pg_tables":                decl("schemaname name, tablename name, tableowner name, tablespace name, hasindexes bool, hasrules bool, hastriggers bool, rowsecurity bool"),
	"pg_views":                 decl("schemaname name, viewname name, viewowner name, definition text"),
	"pg_indexes":               decl("schemaname name, tablename name, indexname name, tablespace name, indexdef text"),
}

// InformationSchemaTables are the schemas of the information_schema views, by name.
var InformationSchemaTables = map[string]*arrow.Schema{
	"schemata":          decl("catalog_name name, schema_name name, schema_owner name, default_character_set_catalog name, default_character_set_schema name, default_character_set_name name, sql_path text"),
	"tables":            decl("table_catalog name, table_schema name, table_name name, table_type text, self_referencing_column_name name, reference_generation text, user_defined_type_catalog name, user_defined_type_schema name, user_defined_type_name name, is_insertable_into text, is_typed text, commit_action text"),
	"columns":           decl("table_catalog name, table_schema name, table_name name, column_name name, ordinal_position int4, column_default text, is_nullable text, data_type text, character_maximum_length int4, character_octet_length int4, numeric_precision int4, numeric_precision_radix int4, numeric_scale int4, datetime_precision int4, interval_type text, interval_precision int4, character_set_catalog name, character_set_schema name, character_set_name name, collation_catalog name, collation_schema name, collation_name name, domain_catalog name, domain_schema name, domain_name name, udt_catalog name, udt_schema name, udt_name name, scope_catalog name, scope_schema name, scope_name name, maximum_cardinality int4, dtd_identifier name, is_self_referencing text, is_identity text, identity_generation text, identity_start text, identity_increment text, identity_maximum text, identity_minimum text, identity_cycle text, is_generated text, generation_expression text, is_updatable text"),
	"views":             decl("table_catalog name, table_schema name, table_name name, view_definition text, check_option text, is_updatable text, is_insertable_into text, is_trigger_updatable text, is_trigger_deletable text, is_trigger_insertable_into text"),
	"table_constraints": decl("constraint_catalog name, constraint_schema name, constraint_name name, table_catalog name, table_schema name, table_name name, constraint_type text, is_deferrable text, initially_deferred text, enforced text, nulls_distinct text"),
	"key_column_usage":  decl("constraint_catalog name, constraint_schema name, constraint_name name, table_catalog name, table_schema name, table_name name, column_name name, ordinal_position int4, position_in_unique_constraint int4"),
	"table_privileges":  decl("grantor name, grantee name, table_catalog name, table_schema name, table_name name, privilege_type text, is_grantable text, with_hierarchy text"),
	"role_table_grants": decl("grantor name, grantee name, table_catalog name, table_schema name, table_name name, privilege_type text, is_grantable text, with_hierarchy text"),
	"routines":          decl("specific_catalog name, specific_schema name, specific_name name, routine_catalog name, routine_schema name, routine_name name, routine_type text, data_type text, type_udt_name name, routine_body text, routine_definition text, external_language text, is_deterministic text, security_type text"),
}

// PGSystemTable is the schema of the table name in system schema schema (pg_catalog or
// information_schema), if there is one.
func PGSystemTable(schema, name string) (*arrow.Schema, bool) {
	switch schema {
	case PGCatalogSchema:
		s, ok := PGCatalogTables[name]
		return s, ok
	case InformationSchemaSchema:
		s, ok := InformationSchemaTables[name]
		return s, ok
	}
	return nil, false
}

// PrimaryKeyColumns are the quoted names of the columns of t's primary key index, as
// pg_get_indexdef shows them.
func (t *Table) PrimaryKeyColumns() []string {
	var cols []string
	for _, k := range t.KeyColumns() {
		cols = append(cols, function.QuoteIdent(t.Columns[k].Name))
	}
	return cols
}

// PrimaryKeyDef is pg_get_indexdef's text of t's primary key index.
func (t *Table) PrimaryKeyDef() string {
	return fmt.Sprintf("CREATE UNIQUE INDEX %s ON public.%s USING btree (%s)", function.QuoteIdent(PrimaryKeyName(t.Name)), function.QuoteIdent(t.Name), strings.Join(t.PrimaryKeyColumns(), ", "))
}

// DefColumns are the index's columns as pg_get_indexdef shows them: names quoted,
// expressions as written.
func (ix *Index) DefColumns() []string {
	cols := make([]string, len(ix.Columns))
	for i, c := range ix.Columns {
		if strings.HasPrefix(c, "(") {
			cols[i] = c
		} else {
			cols[i] = function.QuoteIdent(c)
		}
	}
	return cols
}

// Def is pg_get_indexdef's text of the index.
func (ix *Index) Def() string {
	u := ""
	if ix.Unique {
		u = "UNIQUE "
	}
	return fmt.Sprintf("CREATE %sINDEX %s ON public.%s USING btree (%s)", u, function.QuoteIdent(ix.Name), function.QuoteIdent(ix.Table), strings.Join(ix.DefColumns(), ", "))
}

// RowTypeOID is the OID of the row type of the table with ID id (pg_type's row of the
// table's composite type, its pg_class reltype).
func RowTypeOID(tableID string) int64 { return stableOID("rowtype:" + tableID) }

// RowArrayOID is the OID of the array type of the row type of the table with ID id.
func RowArrayOID(tableID string) int64 { return stableOID("rowarray:" + tableID) }

// ViewRowTypeOID and ViewRowArrayOID are RowTypeOID and RowArrayOID of the view name.
func ViewRowTypeOID(name string) int64 { return stableOID("viewrowtype:" + name) }

// ViewRowArrayOID is the OID of the array type of the row type of the view name.
func ViewRowArrayOID(name string) int64 { return stableOID("viewrowarray:" + name) }
