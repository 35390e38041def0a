package engine

import (
	"context"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/function"
	"github.com/sleeperd/sleeperd/types"
)

// RegNamer is implemented by results that name the OIDs of their regclass, regtype, regproc,
// regnamespace, regrole, regprocedure, regoper and regoperator columns, for the text a frontend writes of them: PostgreSQL's
// output functions of these types look the objects up in the catalog when the row is sent.
type RegNamer interface {
	RegNames() types.RegNames
}

// RegNames names the objects of the catalog as this process last read it (the statement's
// binding has just read it).
func (r *rowsResult) RegNames() types.RegNames {
	if r.e == nil {
		return nil
	}
	ctx := r.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	return r.e.regNames(ctx)
}

// regNames names objects by OID as the output functions of the object identifier types do:
// relations by their names (pg_catalog's bare, information_schema's qualified), types as
// format_type writes them, functions, schemas and roles by their names; OID 0 as "-";
// functions with their argument types and operators as function.RegOIDOut writes them. The
// relations are listed once, on the first regclass value asked for.
func (e *Engine) regNames(ctx context.Context) types.RegNames {
	var rels map[int64]string
	typeNames := e.typeNames(ctx)
	return func(t *types.Reg, oid int64) (string, bool) {
		switch t {
		case types.RegProcedure, types.RegOper, types.RegOperator:
			n, _ := function.RegOIDOut(t.Name(), oid)
			return n, true
		}
		if oid == 0 {
			// InvalidOid: every output function of these types writes "-".
			return "-", true
		}
		switch t {
		case types.RegClass:
			if rels == nil {
				rels = e.relationNames(ctx)
			}
			n, ok := rels[oid]
			return n, ok
		case types.RegType:
			if oid < 0 || oid > 1<<32-1 {
				return "", false
			}
			if n, ok := typeNames(uint32(oid)); ok {
				return n, true
			}
			if n, ok := types.RegtypeName(uint32(oid)); ok {
				return n, true
			}
			if n := function.FormatType(uint32(oid), -1); n != "???" && n != "-" {
				return n, true
			}
			return "", false
		case types.RegNamespace:
			switch oid {
			case catalog.OIDPGCatalogNS:
				return catalog.PGCatalogSchema, true
			case catalog.OIDPublicNS:
				return catalog.PublicSchema, true
			case catalog.OIDInfoSchemaNS:
				return catalog.InformationSchemaSchema, true
			case catalog.OIDSleeperNS:
				return catalog.SystemSchema, true
			}
		case types.RegProc:
			for _, p := range function.PGProcs {
				if int64(p.OID) == oid {
					return p.Name, true
				}
			}
		case types.RegRole:
			switch oid {
			case catalog.OIDRole:
				return catalog.OwnerName, true
			case 6171:
				return "pg_database_owner", true
			}
			return exec.RoleName(oid)
		}
		return "", false
	}
}

// relationNames are the names of the relations by OID as regclass output writes them.
func (e *Engine) relationNames(ctx context.Context) map[int64]string {
	names := map[int64]string{}
	for n := range catalog.PGCatalogTables {
		names[catalog.PGSystemTableOID(catalog.PGCatalogSchema, n)] = n
	}
	for n := range catalog.InformationSchemaTables {
		names[catalog.PGSystemTableOID(catalog.InformationSchemaSchema, n)] = catalog.InformationSchemaSchema + "." + n
	}
	cur := e.cat.Cached()
	if tables, err := cur.Tables(ctx); err == nil {
		for _, t := range tables {
			names[catalog.RelationOID(t.ID)] = function.QuoteIdent(t.Name)
			if len(t.KeyColumns()) > 0 {
				names[catalog.PrimaryKeyOID(t.ID)] = function.QuoteIdent(catalog.PrimaryKeyName(t.Name))
			}
		}
	}
	if views, err := cur.Views(ctx); err == nil {
		for _, v := range views {
			names[catalog.ViewOID(v.Name)] = function.QuoteIdent(v.Name)
		}
	}
	if ixs, err := cur.AllIndexes(ctx); err == nil {
		for _, ix := range ixs {
			names[catalog.IndexOID(ix.Name)] = function.QuoteIdent(ix.Name)
		}
	}
	return names
}
