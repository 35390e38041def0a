package function

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
)

// PGOperator is a row of pg_operator: a PostgreSQL operator (PGOperators).
type PGOperator struct {
	OID         uint32
	Name        string
	Left, Right uint32 // the operands' types' OIDs; Left is 0 for a prefix operator
	Result      uint32
	Signature   string // regoperator output: +(integer,integer)
}

var pgOperators struct {
	once   sync.Once
	byOID  map[uint32]PGOperator
	byName map[string][]PGOperator
}

func operators() {
	pgOperators.once.Do(func() {
		pgOperators.byOID = make(map[uint32]PGOperator, len(PGOperators))
		pgOperators.byName = map[string][]PGOperator{}
		for _, o := range PGOperators {
			pgOperators.byOID[o.OID] = o
			pgOperators.byName[o.Name] = append(pgOperators.byName[o.Name], o)
		}
	})
}

// splitQualifiedName splits s, a possibly qualified name, as PostgreSQL's
// stringToQualifiedNameList does: parts separated by dots, each double-quoted (kept as is) or
// not (lower-cased), whitespace around them ignored. An empty part is 42602.
func splitQualifiedName(s string) ([]string, error) {
	bad := errs.New(errs.InvalidName, "invalid name syntax")
	var parts []string
	i := 0
	space := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\f') {
			i++
		}
	}
	space()
	if i == len(s) {
		return nil, bad
	}
	for {
		var part strings.Builder
		if i < len(s) && s[i] == '"' {
			i++
			for {
				if i >= len(s) {
					return nil, bad
				}
				if s[i] == '"' {
					if i+1 < len(s) && s[i+1] == '"' {
						part.WriteByte('"')
						i += 2
						continue
					}
					i++
					break
				}
				part.WriteByte(s[i])
				i++
			}
			if part.Len() == 0 {
				return nil, bad
			}
		} else {
			j := i
			for i < len(s) && s[i] != '.' && s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r' && s[i] != '\f' {
				i++
			}
			if i == j {
				return nil, bad
			}
			part.WriteString(strings.ToLower(s[j:i]))
		}
		parts = append(parts, part.String())
		space()
		if i == len(s) {
			return parts, nil
		}
		if s[i] != '.' {
			return nil, bad
		}
		i++
		space()
	}
}

// unqualified is the object name of parts, a qualified name of an object of pg_catalog: an
// error when its schema is another (3F000, or notFound for public, which has no functions or
// operators here) or it has more parts (42601; a database's name before the schema is not
// taken).
func unqualified(s string, parts []string, notFound error) (string, error) {
	switch len(parts) {
	case 1:
		return parts[0], nil
	case 2:
		switch parts[0] {
		case "pg_catalog":
			return parts[1], nil
		case "public":
			return "", notFound
		}
		return "", errs.New(errs.InvalidSchemaName, "schema \"%s\" does not exist", parts[0])
	}
	return "", errs.New(errs.Syntax, "improper qualified name (too many dotted names): %s", s)
}

// parseNameAndArgTypes splits s, name(type, ...), as PostgreSQL's regprocedure and regoperator
// input do: the name (a qualified name) and the OIDs of the argument types, each read as
// regtype input reads it (own finds the database's types); allowNone takes NONE as 0.
func parseNameAndArgTypes(s string, allowNone bool, own exec.TypeOIDs) (string, []uint32, error) {
	inQuote := false
	open := -1
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			inQuote = !inQuote
		} else if s[i] == '(' && !inQuote {
			open = i
			break
		}
	}
	if open < 0 {
		return "", nil, errs.New(errs.InvalidText, "expected a left parenthesis")
	}
	parts, err := splitQualifiedName(s[:open])
	if err != nil {
		return "", nil, err
	}
	rest := strings.TrimRight(s[open+1:], " \t\n\r\f")
	if !strings.HasSuffix(rest, ")") {
		return "", nil, errs.New(errs.InvalidText, "expected a right parenthesis")
	}
	rest = rest[:len(rest)-1]
	var args []uint32
	hadComma := false
	for {
		rest = strings.TrimLeft(rest, " \t\n\r\f")
		if rest == "" {
			if hadComma {
				return "", nil, errs.New(errs.InvalidText, "expected a type name")
			}
			break
		}
		inQuote, parens, end := false, 0, len(rest)
		for i := 0; i < len(rest); i++ {
			c := rest[i]
			if c == '"' {
				inQuote = !inQuote
			} else if c == ',' && !inQuote && parens == 0 {
				end = i
				break
			} else if !inQuote && c == '(' {
				parens++
			} else if !inQuote && c == ')' {
				parens--
			}
		}
		if inQuote || parens != 0 {
			return "", nil, errs.New(errs.InvalidText, "improper type name")
		}
		typ := strings.TrimRight(rest[:end], " \t\n\r\f")
		hadComma = end < len(rest)
		if hadComma {
			rest = rest[end+1:]
		} else {
			rest = ""
		}
		var oid uint32
		switch {
		case allowNone && strings.EqualFold(typ, "none"):
		case typ == "":
			return "", nil, errs.New(errs.Syntax, "invalid type name \"\"")
		default:
			var err error
			if oid, err = exec.RegtypeOID(typ, own); err != nil {
				return "", nil, err
			}
		}
		if len(args) >= 100 {
			return "", nil, errs.New(errs.TooManyArguments, "function cannot have more than 100 arguments")
		}
		args = append(args, oid)
	}
	return strings.Join(parts, "\x00"), args, nil
}

// oidText reads s as an OID when it is all digits, as the input functions of the object
// identifier types do.
func oidText(s string) (int64, bool) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 32)
	return int64(n), err == nil
}

// RegprocedureOID is the OID of the function s names with its argument types
// ('lower(text)'), as PostgreSQL's regprocedure input reads it: a number is an OID; a
// function of pg_proc (PGProcs) whose argument types are those, 42883 for none.
func RegprocedureOID(s string, own exec.TypeOIDs) (int64, error) {
	if n, ok := oidText(s); ok {
		return n, nil
	}
	joined, args, err := parseNameAndArgTypes(s, false, own)
	if err != nil {
		return 0, err
	}
	missing := errs.New(errs.UndefinedFunction, "function \"%s\" does not exist", s)
	name, err := unqualified(s, strings.Split(joined, "\x00"), missing)
	if err != nil {
		return 0, err
	}
	for _, p := range PGProcs {
		if p.Name == name && slices.Equal(p.Args, args) {
			return int64(p.OID), nil
		}
	}
	return 0, missing
}

// RegoperOID is the OID of the operator s names, as PostgreSQL's regoper input reads it: a
// number is an OID; a name exactly one operator has (42883 for none, 42725 for several).
func RegoperOID(s string) (int64, error) {
	if n, ok := oidText(s); ok {
		return n, nil
	}
	parts, err := splitQualifiedName(s)
	if err != nil {
		return 0, err
	}
	missing := errs.New(errs.UndefinedFunction, "operator does not exist: %s", s)
	name, err := unqualified(s, parts, missing)
	if err != nil {
		return 0, err
	}
	operators()
	switch ops := pgOperators.byName[name]; len(ops) {
	case 0:
		return 0, missing
	case 1:
		return int64(ops[0].OID), nil
	}
	return 0, errs.New(errs.AmbiguousFunction, "more than one operator named %s", s)
}

// RegoperatorOID is the OID of the operator s names with its operand types ('+(int4,int4)',
// NONE for the missing operand of a prefix operator), as PostgreSQL's regoperator input reads
// it: a number is an OID; 42883 for no such operator.
func RegoperatorOID(s string, own exec.TypeOIDs) (int64, error) {
	if n, ok := oidText(s); ok {
		return n, nil
	}
	joined, args, err := parseNameAndArgTypes(s, true, own)
	if err != nil {
		return 0, err
	}
	switch len(args) {
	case 2:
	case 1:
		e := errs.New(errs.UndefinedParam, "missing argument").(*errs.Error)
		e.Hint = "Use NONE to denote the missing argument of a unary operator."
		return 0, e
	default:
		e := errs.New(errs.TooManyArguments, "too many arguments").(*errs.Error)
		e.Hint = "Provide two argument types for operator."
		return 0, e
	}
	missing := errs.New(errs.UndefinedFunction, "operator does not exist: %s", s)
	name, err := unqualified(s, strings.Split(joined, "\x00"), missing)
	if err != nil {
		return 0, err
	}
	operators()
	for _, o := range pgOperators.byName[name] {
		if o.Left == args[0] && o.Right == args[1] {
			return int64(o.OID), nil
		}
	}
	return 0, missing
}

// RegprocedureName is the text of a regprocedure value, as PostgreSQL's output writes it:
// the function's name (quoted as quote_ident quotes it) and its argument types
// ("substring"(text,integer)); OID 0 is "-". ok is false for an OID no function has here.
func RegprocedureName(oid int64) (string, bool) {
	if oid == 0 {
		return "-", true
	}
	p, ok := pgProcByOID()[uint32(oid)]
	if !ok || oid < 0 || oid > 1<<32-1 {
		return "", false
	}
	var sb strings.Builder
	sb.WriteString(QuoteIdent(p.Name))
	sb.WriteByte('(')
	for i, a := range p.Args {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(formatTypeName(a))
	}
	sb.WriteByte(')')
	return sb.String(), true
}

// RegoperName is the text of a regoper value, as PostgreSQL's output writes it: the
// operator's name, qualified by pg_catalog when other operators have it too; OID 0 is "0".
// ok is false for an OID no operator has.
func RegoperName(oid int64) (string, bool) {
	if oid == 0 {
		return "0", true
	}
	o, ok := operatorByOID(oid)
	if !ok {
		return "", false
	}
	if len(pgOperators.byName[o.Name]) == 1 {
		return o.Name, true
	}
	return "pg_catalog." + o.Name, true
}

// RegoperatorName is the text of a regoperator value, as PostgreSQL's output writes it: the
// operator's name and operand types (+(integer,integer), -(NONE,integer)); OID 0 is "0". ok
// is false for an OID no operator has.
func RegoperatorName(oid int64) (string, bool) {
	if oid == 0 {
		return "0", true
	}
	o, ok := operatorByOID(oid)
	if !ok {
		return "", false
	}
	return o.Signature, true
}

// operatorByOID is the operator whose OID is oid; ok is false when no operator has it
// (or oid is outside the range of OIDs).
func operatorByOID(oid int64) (PGOperator, bool) {
	if oid < 0 || oid > 1<<32-1 {
		return PGOperator{}, false
	}
	operators()
	o, ok := pgOperators.byOID[uint32(oid)]
	return o, ok
}

// IsRegProcOper reports whether kind is regprocedure, regoper or regoperator, whose input
// and output RegOIDIn and RegOIDOut are.
func IsRegProcOper(kind string) bool {
	return kind == "regprocedure" || kind == "regoper" || kind == "regoperator"
}

// RegOIDIn is the OID of the object s names as the input function of kind, one of
// regprocedure, regoper and regoperator, reads it; ok is false for other kinds.
func RegOIDIn(kind, s string, own exec.TypeOIDs) (oid int64, ok bool, err error) {
	switch kind {
	case "regprocedure":
		oid, err = RegprocedureOID(s, own)
	case "regoper":
		oid, err = RegoperOID(s)
	case "regoperator":
		oid, err = RegoperatorOID(s, own)
	default:
		return 0, false, nil
	}
	return oid, true, err
}

// RegOIDOut is the text of oid as a value of kind, one of regprocedure, regoper and
// regoperator, as its output function writes it (an OID nothing has as its number); ok is
// false for other kinds.
func RegOIDOut(kind string, oid int64) (string, bool) {
	var n string
	found := false
	switch kind {
	case "regprocedure":
		n, found = RegprocedureName(oid)
	case "regoper":
		n, found = RegoperName(oid)
	case "regoperator":
		n, found = RegoperatorName(oid)
	default:
		return "", false
	}
	if !found {
		n = strconv.FormatInt(oid, 10)
	}
	return n, true
}

func registerRegProcOper() {
	// _reg_in(kind, text) is text::kind computed per row, kind regprocedure, regoper or
	// regoperator (RegOIDIn): the OID, or PostgreSQL's error.
	register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) != 2 || args[0].ID() != arrow.STRING || args[1].ID() != arrow.STRING {
			return nil, nil, undefinedFunc("_reg_in", args)
		}
		return arrow.PrimitiveTypes.Int64, nil, nil
	}, evalCtx: func(ctx context.Context, _ int, typ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
		own := exec.TypeOIDsOf(ctx)
		return rowwise(false, func(v []any) (any, error) {
			if oid, ok, err := RegDigits(v[1].(string)); ok {
				return oid, err
			}
			oid, ok, err := RegOIDIn(v[0].(string), v[1].(string), own)
			if !ok {
				return nil, errs.New(errs.CannotCoerce, "cannot cast type text to %s", v[0])
			}
			return oid, err
		})(exec.Allocator(ctx), typ, args)
	}}, "_reg_in")
	// _reg_out(kind, oid) is the text of oid as a value of kind (RegOIDOut).
	register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) != 2 || args[0].ID() != arrow.STRING || args[1].ID() != arrow.INT64 {
			return nil, nil, undefinedFunc("_reg_out", args)
		}
		return arrow.BinaryTypes.String, nil, nil
	}, eval: rowwise(false, func(v []any) (any, error) {
		n, _ := RegOIDOut(v[0].(string), v[1].(int64))
		return n, nil
	})}, "_reg_out")
}
