package exec

import (
	"context"
	"strconv"
	"strings"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/types"
)

// TypeOIDs finds a type the database defines (a composite type) by its name, unqualified:
// the type's OID and its array type's; ok is false for other names.
type TypeOIDs func(name string) (oid, array uint32, ok bool)

// WithTypeOIDs gives ctx the OIDs of the database's own types by name, for text::regtype.
func WithTypeOIDs(ctx context.Context, f TypeOIDs) context.Context {
	return with(ctx, func(v *ctxValues) { v.st.TypeOIDs = f })
}

// TypeOIDsOf returns the TypeOIDs of ctx, or nil.
func TypeOIDsOf(ctx context.Context) TypeOIDs {
	if v := valuesOf(ctx); v != nil {
		return v.st.TypeOIDs
	}
	return nil
}

// otherTypeOIDs are the OIDs of the types regtype input knows by name that have no Arrow type
// of their own here (or, as name, share one with another type).
var otherTypeOIDs = map[string]uint32{
	"name": types.OIDName, `"char"`: 18, "oid": types.OIDOID, "regproc": 24, "regclass": 2205,
	"regtype": 2206, "regnamespace": 4089, "regrole": 4096, "regprocedure": 2202, "regoper": 2203,
	"regoperator": 2204,
	"xid":         28, "cid": 29, "tid": 27, "record": types.OIDRecord, "unknown": types.OIDUnknown,
	"void": 2278, "interval": types.OIDInterval, "anyelement": 2283, "anyarray": 2277,
	"timetz": 1266, "time with time zone": 1266,
}

// sqlOnlyTypeNames are the one-word names of built-in types that the SQL grammar takes but
// that are not the types' internal names (pg_type.typname), which _t names the arrays of.
var sqlOnlyTypeNames = map[string]bool{
	"boolean": true, "smallint": true, "int": true, "integer": true, "bigint": true, "real": true,
	"float": true, "decimal": true, "character": true,
}

// typeNameParts is a type's name as regtype input reads it: the schema (or ""), the name
// (lower-cased unless quoted, the words of a name such as "double precision" joined by one
// space), the type modifiers and whether it names the array type.
type typeNameParts struct {
	schema, name string
	mods         []int32
	array        bool
}

// parseTypeName splits s, a type's name as PostgreSQL's regtype input takes it:
// [schema.]name[(mod, ...)][[]...], the name possibly of several words
// ("timestamp(3) with time zone").
func parseTypeName(s string) (typeNameParts, error) {
	var p typeNameParts
	bad := func() (typeNameParts, error) {
		return typeNameParts{}, errs.New(errs.InvalidText, "invalid type name \"%s\"", s)
	}
	var words []string
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			i++
		case c == '"':
			j := i + 1
			var w strings.Builder
			w.WriteByte('"')
			for {
				if j >= len(s) {
					return bad()
				}
				if s[j] == '"' {
					if j+1 < len(s) && s[j+1] == '"' {
						w.WriteByte('"')
						j += 2
						continue
					}
					break
				}
				w.WriteByte(s[j])
				j++
			}
			w.WriteByte('"')
			words = append(words, w.String())
			i = j + 1
		case c == '.':
			if len(words) != 1 || p.schema != "" || p.array || p.mods != nil {
				return bad()
			}
			p.schema, words = unquoteIdent(words[0]), nil
			i++
		case c == '(':
			if len(words) == 0 || p.mods != nil || p.array {
				return bad()
			}
			j := strings.IndexByte(s[i:], ')')
			if j < 0 {
				return bad()
			}
			for _, m := range strings.Split(s[i+1:i+j], ",") {
				n, err := strconv.ParseInt(strings.TrimSpace(m), 10, 32)
				if err != nil {
					return bad()
				}
				p.mods = append(p.mods, int32(n))
			}
			i += j + 1
		case c == '[':
			j := strings.IndexByte(s[i:], ']')
			if j < 0 || len(words) == 0 {
				return bad()
			}
			if d := strings.TrimSpace(s[i+1 : i+j]); d != "" {
				if _, err := strconv.Atoi(d); err != nil {
					return bad()
				}
			}
			p.array = true
			i += j + 1
		case c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80:
			if p.array {
				return bad()
			}
			j := i
			for j < len(s) && (s[j] == '_' || s[j] == '$' || s[j] >= '0' && s[j] <= '9' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= 0x80) {
				j++
			}
			words = append(words, strings.ToLower(s[i:j]))
			i = j
		default:
			return bad()
		}
	}
	if len(words) == 0 {
		return bad()
	}
	if len(words) > 1 {
		for _, w := range words {
			if strings.HasPrefix(w, `"`) {
				return bad()
			}
		}
	}
	p.name = strings.Join(words, " ")
	return p, nil
}

// unquoteIdent is identifier w without its double quotes, if it has them.
func unquoteIdent(w string) string {
	if len(w) >= 2 && w[0] == '"' && w[len(w)-1] == '"' {
		return w[1 : len(w)-1]
	}
	return w
}

// RegtypeOID is the OID of the type s names, as PostgreSQL's regtype input reads it: a
// built-in type under any of its names, with modifiers and [] for its array type, or a type
// own finds (the database's composite types; nil for none). An unknown type is 42704.
func RegtypeOID(s string, own TypeOIDs) (uint32, error) {
	if s == "-" {
		return 0, nil // InvalidOid, as regtype output writes it
	}
	if t := strings.TrimSpace(s); t != "" && strings.TrimLeft(t, "0123456789") == "" {
		// A number is an OID when it is all of s, as regtypein reads it; else it is no
		// type's name.
		if t != s {
			return 0, errs.New(errs.Syntax, "syntax error at or near \"%s\"", t)
		}
		n, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return 0, errs.New(errs.NumericRange, "value \"%s\" is out of range for type oid", s)
		}
		return uint32(n), nil
	}
	p, err := parseTypeName(s)
	if err != nil {
		return 0, err
	}
	missing := errs.New(errs.UndefinedObject, "type \"%s\" does not exist", strings.TrimSpace(s))
	name := p.name
	oid, ok := uint32(0), false
	switch p.schema {
	case "", "pg_catalog":
		if name == "any" {
			// ANY is a reserved word: the type's name must be quoted.
			return 0, errs.New(errs.Syntax, "syntax error at or near \"any\"")
		}
		if o, found := otherTypeOIDs[name]; found {
			oid, ok = o, true
		} else if o, found := types.PseudoTypeOID(name); found {
			oid, ok = o, true
		} else if t, err := types.ByName(unquoteIdent(name), p.mods); err == nil {
			oid, ok = types.PGTypeOf(t).OID, true
		} else if errs.KindOf(err) == errs.InvalidParameter {
			return 0, err
		}
	}
	if !ok && own != nil && (p.schema == "" || p.schema == "public") {
		if o, arr, found := own(unquoteIdent(name)); found {
			if p.array {
				return arr, nil
			}
			return o, nil
		}
		if n := unquoteIdent(name); strings.HasPrefix(n, "_") && !p.array {
			// _t, the internal name of the array type of t.
			if _, arr, found := own(n[1:]); found {
				return arr, nil
			}
		}
	}
	if n := unquoteIdent(name); !ok && !p.array && len(p.mods) == 0 && len(n) > 1 && n[0] == '_' &&
		(p.schema == "" || p.schema == "pg_catalog") {
		// _t, the internal name of the array type of the built-in type t: t is the
		// element's internal name (pg_type.typname), not one of the SQL names the grammar
		// also takes (_integer is no type, _char is "char"[]).
		if elem := n[1:]; elem == "char" {
			return 1002, nil // "char"[]
		} else if !sqlOnlyTypeNames[elem] && !strings.ContainsAny(elem, " \"") {
			if arr, err := RegtypeOID(elem+"[]", nil); err == nil {
				return arr, nil
			}
		}
	}
	if !ok {
		return 0, missing
	}
	if p.array {
		if oid == 2275 { // cstring
			return types.OIDCstringArray, nil
		}
		arr, has := types.ArrayOID(oid)
		if !has {
			if arr = types.RegArrayOID(oid); arr == 0 || arr == oid {
				return 0, missing
			}
		}
		return arr, nil
	}
	return oid, nil
}
