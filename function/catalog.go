package function

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/types"
)

// The pg_catalog functions clients' introspection queries call that need no catalog: type
// names by OID, visibility and privilege checks (everything is visible to and usable by the
// one role), encodings. Those that describe catalog objects are bound by package sql.

// catalogOwner is the one role's name, as catalog.OwnerName (exec does not import catalog).
const catalogOwner = "sleeperd"

func registerCatalog() {
	text, boolean := arrow.BinaryTypes.String, arrow.FixedWidthTypes.Boolean
	register(function{resolve: signature("format_type", text, []int{pInt, pInt}), evalCtx: func(ctx context.Context, _ int, typ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
		names := exec.TypeNamesOf(ctx)
		return rowwise(true, func(v []any) (any, error) {
			if v[0] == nil {
				return nil, nil
			}
			if names != nil {
				if n, ok := names(uint32(v[0].(int64))); ok {
					return n, nil
				}
			}
			mod := int64(-1)
			if v[1] != nil {
				mod = v[1].(int64)
			}
			return FormatType(uint32(v[0].(int64)), int32(mod)), nil
		})(exec.Allocator(ctx), typ, args)
	}}, "format_type")
	register(function{resolve: signature("pg_get_userbyid", text, []int{pInt}), eval: rowwise(false, func(v []any) (any, error) {
		switch v[0].(int64) {
		case 10:
			return catalogOwner, nil
		case 6171:
			return "pg_database_owner", nil
		}
		if n, ok := exec.RoleName(v[0].(int64)); ok {
			return n, nil
		}
		return fmt.Sprintf("unknown (OID=%d)", v[0].(int64)), nil
	})}, "pg_get_userbyid")
	always := func(name string, res bool, lists ...[]int) {
		register(function{resolve: signature(name, boolean, lists...), eval: constBool(res)}, name)
	}
	for _, n := range []string{"pg_table_is_visible", "pg_type_is_visible", "pg_function_is_visible", "pg_collation_is_visible", "pg_opclass_is_visible", "pg_operator_is_visible", "pg_conversion_is_visible", "pg_ts_config_is_visible"} {
		always(n, true, []int{pInt})
	}
	always("pg_relation_is_publishable", false, []int{pInt}, []int{pText})
	for _, n := range []string{"has_table_privilege", "has_schema_privilege", "has_database_privilege", "has_function_privilege", "has_sequence_privilege", "has_any_column_privilege", "has_tablespace_privilege"} {
		always(n, true, []int{pText, pText}, []int{pInt, pText}, []int{pText, pText, pText}, []int{pText, pInt, pText}, []int{pInt, pInt, pText}, []int{pInt, pText, pText})
	}
	always("has_column_privilege", true, []int{pText, pText, pText}, []int{pInt, pText, pText}, []int{pInt, pInt, pText}, []int{pText, pText, pText, pText}, []int{pText, pInt, pText, pText}, []int{pText, pInt, pInt, pText})
	register(function{resolve: signature("pg_encoding_to_char", text, []int{pInt}), eval: rowwise(false, func(v []any) (any, error) {
		switch v[0].(int64) {
		case 6:
			return "UTF8", nil
		case 0:
			return "SQL_ASCII", nil
		}
		return "", nil
	})}, "pg_encoding_to_char")
	register(function{resolve: signature("pg_char_to_encoding", arrow.PrimitiveTypes.Int32, []int{pText}), eval: rowwise(false, func(v []any) (any, error) {
		if strings.EqualFold(v[0].(string), "utf8") {
			return int32(6), nil
		}
		return int32(-1), nil
	})}, "pg_char_to_encoding")
	register(function{resolve: signature("quote_ident", text, []int{pText}), eval: rowwise(false, func(v []any) (any, error) {
		return QuoteIdent(v[0].(string)), nil
	})}, "quote_ident")
	// pg_get_expr(expr, relation[, pretty]): the catalog stores expressions as their SQL text.
	register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) == 3 && args[2].ID() == arrow.BOOL {
			conv := []arrow.DataType{nil, nil, text}
			if args[1].ID() != arrow.STRING {
				if !exec.IsInteger(args[1]) {
					return nil, nil, undefinedFunc("pg_get_expr", args)
				}
				conv[1] = arrow.PrimitiveTypes.Int64
			}
			if args[0].ID() != arrow.STRING {
				return nil, nil, undefinedFunc("pg_get_expr", args)
			}
			return text, conv, nil
		}
		return signature("pg_get_expr", text, []int{pText, pInt}, []int{pText, pInt, pText})(args)
	}, eval: rowwise(false, func(v []any) (any, error) { return v[0], nil })}, "pg_get_expr")
	// _pg_expandarray_n(a) is {1, ..., cardinality(a)}: the n field of
	// information_schema._pg_expandarray(a), whose x field is unnest(a) (see package sql).
	register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) != 1 || args[0].ID() != arrow.LIST {
			return nil, nil, undefinedFunc("_pg_expandarray", args)
		}
		return arrow.ListOf(arrow.PrimitiveTypes.Int32), nil, nil
	}, eval: func(mem memory.Allocator, typ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
		in := args[0].(*array.List)
		b := array.NewListBuilder(mem, arrow.PrimitiveTypes.Int32)
		defer b.Release()
		vb := b.ValueBuilder().(*array.Int32Builder)
		for i := 0; i < in.Len(); i++ {
			if in.IsNull(i) {
				b.AppendNull()
				continue
			}
			b.Append(true)
			start, end := in.ValueOffsets(i)
			for j := int64(1); j <= end-start; j++ {
				vb.Append(int32(j))
			}
		}
		return b.NewArray(), nil
	}}, "_pg_expandarray_n")
	// _pg_subscripts(a, dim[, reverse]) is the array of the subscripts of a's dimension dim,
	// in reverse order when reverse is true: the rows of generate_subscripts(a, dim[, reverse])
	// (see package sql). Arrays have one dimension with subscripts from 1; another dimension,
	// as a NULL array or NULL arguments, has none.
	register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if (len(args) != 2 && len(args) != 3) || args[0].ID() != arrow.LIST || !exec.IsInteger(args[1]) || (len(args) == 3 && args[2].ID() != arrow.BOOL) {
			return nil, nil, undefinedFunc("generate_subscripts", args)
		}
		conv := []arrow.DataType{nil, arrow.PrimitiveTypes.Int64}
		if len(args) == 3 {
			conv = append(conv, nil)
		}
		return arrow.ListOf(arrow.PrimitiveTypes.Int32), conv, nil
	}, eval: func(mem memory.Allocator, typ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
		in := args[0].(*array.List)
		dim := args[1].(*array.Int64)
		b := array.NewListBuilder(mem, arrow.PrimitiveTypes.Int32)
		defer b.Release()
		vb := b.ValueBuilder().(*array.Int32Builder)
		for i := 0; i < in.Len(); i++ {
			b.Append(true)
			if in.IsNull(i) || dim.IsNull(i) || dim.Value(i) != 1 || (len(args) == 3 && args[2].IsNull(i)) {
				continue
			}
			start, end := in.ValueOffsets(i)
			n := int32(end - start)
			reverse := len(args) == 3 && args[2].(*array.Boolean).Value(i)
			for j := int32(1); j <= n; j++ {
				if reverse {
					vb.Append(n + 1 - j)
				} else {
					vb.Append(j)
				}
			}
		}
		return b.NewArray(), nil
	}}, "_pg_subscripts")
	// _json_quote(s) is s as a JSON string: quoted, with JSON's escapes (see
	// json_build_object in package sql).
	register(function{resolve: signature("_json_quote", text, []int{pText}), eval: rowwise(false, func(v []any) (any, error) {
		return jsonQuote(v[0].(string)), nil
	})}, "_json_quote")
	// Bitwise operators over integers (& | # << >>), as bigint.
	for name, op := range map[string]func(a, b int64) int64{
		"int_and": func(a, b int64) int64 { return a & b }, "int_or": func(a, b int64) int64 { return a | b },
		"int_xor": func(a, b int64) int64 { return a ^ b }, "int_shl": func(a, b int64) int64 { return a << uint(b&63) },
		"int_shr": func(a, b int64) int64 { return a >> uint(b&63) },
	} {
		register(function{resolve: signature(name, arrow.PrimitiveTypes.Int64, []int{pInt, pInt}), eval: rowwise(false, func(v []any) (any, error) {
			return op(v[0].(int64), v[1].(int64)), nil
		})}, name)
	}
	register(function{resolve: signature("pg_indexam_has_property", boolean, []int{pInt, pText}), eval: rowwise(false, func(v []any) (any, error) {
		return v[0].(int64) == 403 && (v[1] == "can_order" || v[1] == "can_unique" || v[1] == "can_multi_col"), nil
	})}, "pg_indexam_has_property")
	// The signature of a function of pg_proc (PGProcs) by OID; NULL for another OID.
	register(function{resolve: signature("pg_get_function_result", text, []int{pInt}), eval: rowwise(false, func(v []any) (any, error) {
		if p, ok := pgProcByOID()[uint32(v[0].(int64))]; ok {
			return p.ResultText(), nil
		}
		return nil, nil
	})}, "pg_get_function_result")
	// _pg_proc_description(oid) is obj_description(oid, 'pg_proc') (see package sql).
	register(function{resolve: signature("_pg_proc_description", text, []int{pInt}), eval: rowwise(false, func(v []any) (any, error) {
		if p, ok := pgProcByOID()[uint32(v[0].(int64))]; ok && p.Description != "" {
			return p.Description, nil
		}
		return nil, nil
	})}, "_pg_proc_description")
	register(function{resolve: signature("pg_get_function_sqlbody", text, []int{pInt}), eval: rowwise(false, func([]any) (any, error) { return nil, nil })}, "pg_get_function_sqlbody")
	for _, n := range []string{"pg_get_function_arguments", "pg_get_function_identity_arguments"} {
		register(function{resolve: signature(n, text, []int{pInt}), eval: rowwise(false, func(v []any) (any, error) {
			if p, ok := pgProcByOID()[uint32(v[0].(int64))]; ok {
				return p.ArgumentsText(), nil
			}
			return nil, nil
		})}, n)
	}
	register(function{resolve: signature("pg_get_statisticsobjdef_columns", text, []int{pInt}), eval: rowwise(false, func([]any) (any, error) { return nil, nil })}, "pg_get_statisticsobjdef_columns")
}

// FormatType is PostgreSQL's format_type(oid, typmod) for the types sleeperd has; mod is -1
// for none.
func FormatType(oid uint32, mod int32) string {
	if elem, ok := types.ElemOID(oid); ok {
		return FormatType(elem, mod) + "[]"
	}
	if r := types.RegOfArray(oid); r != nil {
		return r.Name() + "[]"
	}
	if r := types.RegOf(oid); r != nil {
		return r.Name()
	}
	if n, ok := types.PseudoTypeFormat(oid); ok {
		return n
	}
	switch oid {
	case types.OIDBool:
		return "boolean"
	case types.OIDBytea:
		return "bytea"
	case types.OIDName:
		return "name"
	case types.OIDInt2:
		return "smallint"
	case types.OIDInt4:
		return "integer"
	case types.OIDInt8:
		return "bigint"
	case types.OIDText:
		return "text"
	case types.OIDOID:
		return "oid"
	case types.OIDJSON:
		return "json"
	case types.OIDJSONB:
		return "jsonb"
	case types.OIDFloat4:
		return "real"
	case types.OIDFloat8:
		return "double precision"
	case types.OIDUnknown:
		return "unknown"
	case types.OIDBpchar:
		if mod >= 4 {
			return fmt.Sprintf("character(%d)", mod-4)
		}
		return "bpchar"
	case types.OIDVarchar:
		if mod >= 4 {
			return fmt.Sprintf("character varying(%d)", mod-4)
		}
		return "character varying"
	case types.OIDDate:
		return "date"
	case types.OIDTimestamp:
		return "timestamp without time zone"
	case types.OIDTimestamptz:
		return "timestamp with time zone"
	case types.OIDInterval:
		return "interval"
	case types.OIDUUID:
		return "uuid"
	case types.OIDTime:
		if mod >= 0 {
			return fmt.Sprintf("time(%d) without time zone", mod)
		}
		return "time without time zone"
	case types.OIDTimeTZ:
		if mod >= 0 {
			return fmt.Sprintf("time(%d) with time zone", mod)
		}
		return "time with time zone"
	case types.OIDNumeric:
		if mod >= 4 {
			m := mod - 4
			return fmt.Sprintf("numeric(%d,%d)", m>>16, m&0xffff)
		}
		return "numeric"
	case 0:
		return "-"
	}
	return "???"
}

// formatTypeName is a type's name as a function's signature shows it (PostgreSQL's
// format_type_be): format_type without a typmod, but bpchar as character.
func formatTypeName(oid uint32) string {
	if elem, ok := types.ElemOID(oid); ok {
		return formatTypeName(elem) + "[]"
	}
	if oid == types.OIDBpchar {
		return "character"
	}
	return FormatType(oid, -1)
}

// QuoteIdent quotes an identifier as PostgreSQL's quote_ident does.
func QuoteIdent(s string) string {
	plain := s != ""
	for i, c := range s {
		if !(c >= 'a' && c <= 'z' || c == '_' || i > 0 && (c >= '0' && c <= '9' || c == '$')) {
			plain = false
			break
		}
	}
	if plain && !reservedWord(s) {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// reservedWord reports whether s is a keyword quote_ident quotes.
func reservedWord(s string) bool {
	switch s {
	// PostgreSQL 15's keywords other than the unreserved ones (pg_get_keywords() where
	// catcode <> 'U'), which quote_identifier quotes.
	case "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "authorization",
		"between", "bigint", "binary", "bit", "boolean", "both", "case", "cast", "char", "character", "check",
		"coalesce", "collate", "collation", "column", "concurrently", "constraint", "create", "cross",
		"current_catalog", "current_date", "current_role", "current_schema", "current_time", "current_timestamp",
		"current_user", "dec", "decimal", "default", "deferrable", "desc", "distinct", "do", "else", "end",
		"except", "exists", "extract", "false", "fetch", "float", "for", "foreign", "freeze", "from", "full",
		"grant", "greatest", "group", "grouping", "having", "ilike", "in", "initially", "inner", "inout", "int",
		"integer", "intersect", "interval", "into", "is", "isnull", "join", "lateral", "leading", "least", "left",
		"like", "limit", "localtime", "localtimestamp", "national", "natural", "nchar", "none", "normalize", "not",
		"notnull", "null", "nullif", "numeric", "offset", "on", "only", "or", "order", "out", "outer", "overlaps",
		"overlay", "placing", "position", "precision", "primary", "real", "references", "returning", "right",
		"row", "select", "session_user", "setof", "similar", "smallint", "some", "substring", "symmetric",
		"table", "tablesample", "then", "time", "timestamp", "to", "trailing", "treat", "trim", "true", "union",
		"unique", "user", "using", "values", "varchar", "variadic", "verbose", "when", "where", "window", "with",
		"xmlattributes", "xmlconcat", "xmlelement", "xmlexists", "xmlforest", "xmlnamespaces", "xmlparse",
		"xmlpi", "xmlroot", "xmlserialize", "xmltable":
		return true
	}
	return false
}

// constBool evaluates to res for every row whose arguments are not NULL. Its value buffer
// always exists, even for no rows.
func constBool(res bool) func(memory.Allocator, arrow.DataType, []arrow.Array) (arrow.Array, error) {
	return func(mem memory.Allocator, _ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
		n := args[0].Len()
		b := array.NewBooleanBuilder(mem)
		defer b.Release()
		b.Reserve(n + 1)
		for i := 0; i < n; i++ {
			null := false
			for _, a := range args {
				null = null || a.IsNull(i)
			}
			if null {
				b.AppendNull()
			} else {
				b.Append(res)
			}
		}
		return b.NewArray(), nil
	}
}

// jsonQuote writes s as a JSON string as PostgreSQL's escape_json does.
func jsonQuote(s string) string {
	var sb strings.Builder
	sb.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			sb.WriteString(`\"`)
		case '\\':
			sb.WriteString(`\\`)
		case '\b':
			sb.WriteString(`\b`)
		case '\f':
			sb.WriteString(`\f`)
		case '\n':
			sb.WriteString(`\n`)
		case '\r':
			sb.WriteString(`\r`)
		case '\t':
			sb.WriteString(`\t`)
		default:
			if r < 0x20 {
				fmt.Fprintf(&sb, `\u%04x`, r)
			} else {
				sb.WriteRune(r)
			}
		}
	}
	sb.WriteByte('"')
	return sb.String()
}

// PGProc is a row of pg_proc: a PostgreSQL function sleeperd implements (one overload).
type PGProc struct {
	OID         uint32
	Name        string
	Kind        byte     // f (function), a (aggregate) or w (window)
	Args        []uint32 // the argument types' OIDs
	Result      uint32   // the result type's OID
	RetSet      bool     // returns a set of rows
	Strict      bool     // NULL for any NULL argument
	Volatile    byte     // i (immutable), s (stable) or v (volatile)
	Parallel    byte     // s (safe), r (restricted) or u (unsafe)
	Variadic    uint32   // the variadic argument's element type, 0 for none
	Source      string   // PostgreSQL's prosrc: the C function that implements it there
	Description string
}

// ResultText is pg_get_function_result's text of p: its result type, SETOF for a set.
func (p PGProc) ResultText() string {
	t := formatTypeName(p.Result)
	if p.RetSet {
		return "SETOF " + t
	}
	return t
}

// ArgumentsText is pg_get_function_arguments' text of p: its argument types, the last
// VARIADIC when p is variadic.
func (p PGProc) ArgumentsText() string {
	args := make([]string, len(p.Args))
	for i, a := range p.Args {
		args[i] = formatTypeName(a)
	}
	if p.Variadic != 0 && len(args) > 0 {
		args[len(args)-1] = "VARIADIC " + args[len(args)-1]
	}
	return strings.Join(args, ", ")
}

var pgProcs struct {
	once  sync.Once
	byOID map[uint32]PGProc
}

// pgProcByOID indexes PGProcs by OID.
func pgProcByOID() map[uint32]PGProc {
	pgProcs.once.Do(func() {
		pgProcs.byOID = make(map[uint32]PGProc, len(PGProcs))
		for _, p := range PGProcs {
			pgProcs.byOID[p.OID] = p
		}
	})
	return pgProcs.byOID
}

// FunctionNames are the names of the scalar functions the registry holds, sorted, without
// the internal ones (those starting with _).
func FunctionNames() []string {
	var out []string
	for n := range registry {
		if !strings.HasPrefix(n, "_") {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}
