package function

import (
	"context"
	"errors"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
)

// ToRegKinds are the object identifier types of the to_regX functions (to_regclass, ...).
var ToRegKinds = map[string]bool{"regclass": true, "regtype": true, "regproc": true, "regprocedure": true,
	"regoper": true, "regoperator": true, "regnamespace": true, "regrole": true}

// errNoObject is a name that names nothing, which the to_regX functions return NULL for.
var errNoObject = errors.New("no such object")

// ToRegOID is s read as PostgreSQL 15's to_regX function of kind reads it: the OID of the
// object s names, or nil when it names none (or, for regproc and regoper, several). Unlike
// the type's input function it takes no number as an OID (a number is a name), and still
// fails on malformed names, and, for regprocedure and regoperator, on argument types that do
// not exist. byName gives the OIDs of the names of regclass, regproc, regnamespace and
// regrole, each part quoted as quote_ident quotes it and qualified by its schema or not
// (pg_catalog.pg_class and pg_class); own finds the database's own types for regtype; db is
// the database's name, which a name of three parts must begin with.
func ToRegOID(kind, s, db string, byName map[string][]int64, own exec.TypeOIDs) (any, error) {
	oid, err := toRegOID(kind, s, db, byName, own)
	if errors.Is(err, errNoObject) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return oid, nil
}

func toRegOID(kind, s, db string, byName map[string][]int64, own exec.TypeOIDs) (int64, error) {
	switch kind {
	case "regtype":
		// parseTypeString: a number is no type's name, and a type that does not exist is
		// NULL (so is one of a schema that does not exist).
		t := strings.TrimSpace(s)
		if t == "" {
			return 0, errs.New(errs.Syntax, "invalid type name \"%s\"", s)
		}
		if f := strings.Fields(t); len(f) > 1 && strings.EqualFold(f[0], "setof") {
			return 0, errs.New(errs.Syntax, "invalid type name \"%s\"", s)
		}
		if strings.Trim(t, "0123456789") == "" {
			return 0, errs.New(errs.Syntax, "syntax error at or near \"%s\"", strings.Fields(t)[0])
		}
		oid, err := exec.RegtypeOID(s, own)
		if err != nil {
			switch errs.KindOf(err) {
			case errs.UndefinedObject, errs.InvalidSchemaName:
				return 0, errNoObject
			}
			return 0, err
		}
		return int64(oid), nil
	case "regprocedure", "regoperator":
		// The name and its argument types: malformed text and unknown types are errors.
		oid, _, err := RegOIDIn(kind, s, own)
		if errs.KindOf(err) == errs.UndefinedFunction {
			return 0, errNoObject
		}
		return oid, err
	}
	parts, err := NameParts(kind, s, func(n string) bool { return n == db })
	if err != nil {
		return 0, err
	}
	if kind == "regoper" {
		if len(parts) == 2 && parts[0] != "pg_catalog" {
			return 0, errNoObject
		}
		oid, err := RegoperOID(parts[len(parts)-1])
		switch errs.KindOf(err) {
		case errs.UndefinedFunction, errs.AmbiguousFunction:
			return 0, errNoObject
		}
		return oid, err
	}
	quoted := make([]string, len(parts))
	for i, p := range parts {
		quoted[i] = QuoteIdent(p)
	}
	found := byName[strings.Join(quoted, ".")]
	if len(found) == 0 {
		return 0, errNoObject
	}
	for _, o := range found[1:] {
		if o != found[0] {
			return 0, errNoObject // several functions of the name
		}
	}
	return found[0], nil
}

// NameParts are the parts of the name s of an object of kind (regclass, regproc, regoper,
// regnamespace, regrole) as that type's input function takes them: a relation's, a
// function's or an operator's name of at most three parts, the first of which, the
// database's (isDB), is left off; a schema's or role's of one part.
func NameParts(kind, s string, isDB func(string) bool) ([]string, error) {
	parts, err := QualifiedName(s)
	if err != nil {
		return nil, err
	}
	switch kind {
	case "regnamespace", "regrole":
		if len(parts) != 1 {
			return nil, errs.New(errs.InvalidName, "invalid name syntax")
		}
	case "regclass":
		if len(parts) > 3 {
			return nil, errs.New(errs.Syntax, "improper relation name (too many dotted names): %s", strings.Join(parts, "."))
		}
	default: // regproc, regoper
		if len(parts) > 3 {
			return nil, errs.New(errs.Syntax, "improper qualified name (too many dotted names): %s", strings.Join(parts, "."))
		}
	}
	if len(parts) == 3 {
		if !isDB(parts[0]) {
			if kind == "regclass" {
				return nil, errs.New(errs.NotImplemented, "cross-database references are not implemented: \"%s\"", strings.Join(parts, "."))
			}
			return nil, errs.New(errs.NotImplemented, "cross-database references are not implemented: %s", strings.Join(parts, "."))
		}
		parts = parts[1:]
	}
	return parts, nil
}

// QualifiedName splits s into the identifiers of a dotted name as PostgreSQL's
// stringToQualifiedNameList does: double quotes keep an identifier's case, others are
// folded to lower case, spaces around the parts are skipped; an empty or malformed name is
// 42602.
func QualifiedName(s string) ([]string, error) {
	bad := errs.New(errs.InvalidName, "invalid name syntax")
	var parts []string
	space := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' }
	i := 0
	for i < len(s) && space(s[i]) {
		i++
	}
	if i == len(s) {
		return nil, bad
	}
	for {
		var part string
		if s[i] == '"' {
			var b strings.Builder
			i++
			for {
				j := strings.IndexByte(s[i:], '"')
				if j < 0 {
					return nil, bad // unterminated
				}
				b.WriteString(s[i : i+j])
				i += j + 1
				if i < len(s) && s[i] == '"' {
					b.WriteByte('"')
					i++
					continue
				}
				break
			}
			part = b.String()
		} else {
			j := i
			for j < len(s) && s[j] != '.' && !space(s[j]) {
				j++
			}
			part = asciiLower(s[i:j])
			i = j
		}
		if part == "" {
			return nil, bad
		}
		if len(part) > 63 {
			part = part[:63]
		}
		parts = append(parts, part)
		for i < len(s) && space(s[i]) {
			i++
		}
		if i == len(s) {
			return parts, nil
		}
		if s[i] != '.' {
			return nil, bad
		}
		i++
		for i < len(s) && space(s[i]) {
			i++
		}
		if i == len(s) {
			return nil, bad
		}
	}
}

// asciiLower folds ASCII letters to lower case, as PostgreSQL folds unquoted identifiers.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for k := i; k < len(b); k++ {
				if b[k] >= 'A' && b[k] <= 'Z' {
					b[k] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

func registerToReg() {
	// _to_reg(kind, s text, db text, names text[], oids bigint[]) is to_regX(s) for kind regX
	// in the database db (ToRegOID; names[i] is the object oids[i]).
	register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) != 5 || args[0].ID() != arrow.STRING || args[1].ID() != arrow.STRING || args[2].ID() != arrow.STRING || args[3].ID() != arrow.LIST || args[4].ID() != arrow.LIST {
			return nil, nil, undefinedFunc("_to_reg", args)
		}
		return arrow.PrimitiveTypes.Int64, nil, nil
	}, evalCtx: func(ctx context.Context, _ int, typ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
		own := exec.TypeOIDsOf(ctx)
		var byName map[string][]int64
		return rowwise(false, func(v []any) (any, error) {
			if byName == nil {
				names, _ := v[3].([]any)
				oids, _ := v[4].([]any)
				byName = namesByName(names, oids)
			}
			db, _ := v[2].(string)
			return ToRegOID(v[0].(string), v[1].(string), db, byName, own)
		})(exec.Allocator(ctx), typ, args)
	}}, "_to_reg")
}
