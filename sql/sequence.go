package sql

import (
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// createSequence binds CREATE SEQUENCE name [AS type] [INCREMENT [BY] n] [MINVALUE n | NO
// MINVALUE] [MAXVALUE n | NO MAXVALUE] [START [WITH] n] [CACHE n] [[NO] CYCLE].
func (b *binder) createSequence(cs *pg_query.CreateSeqStmt) (planner.Statement, error) {
	if cs.Sequence.Schemaname != "" && cs.Sequence.Schemaname != "public" {
		return nil, errs.New(errs.InvalidSchemaName, "schema %q does not exist", cs.Sequence.Schemaname)
	}
	def := catalog.SequenceDef{Name: cs.Sequence.Relname}
	if err := sequenceOptions(&def, cs.Options); err != nil {
		return nil, err
	}
	s, err := catalog.DefineSequence(def)
	if err != nil {
		return nil, err
	}
	return &planner.CreateSequence{Sequence: s, IfNotExists: cs.IfNotExists}, nil
}

// sequenceOptions reads the options of CREATE SEQUENCE (and of an identity column) into def.
func sequenceOptions(def *catalog.SequenceDef, opts []*pg_query.Node) error {
	_, err := sequenceOptionsSeen(def, opts, nil)
	return err
}

// sequenceOptionsSeen is sequenceOptions, also reading ALTER SEQUENCE's RESTART (into
// restart, when not nil) and returning the names of the options given.
func sequenceOptionsSeen(def *catalog.SequenceDef, opts []*pg_query.Node, restart **int64) (map[string]bool, error) {
	seen := map[string]bool{}
	for _, o := range opts {
		d := o.GetDefElem()
		if d == nil {
			continue
		}
		name := strings.ToLower(d.Defname)
		if seen[name] {
			return nil, errs.New(errs.Syntax, "conflicting or redundant options")
		}
		seen[name] = true
		num := func() (*int64, error) {
			if d.Arg == nil {
				return nil, nil // NO MINVALUE, NO MAXVALUE
			}
			var s string
			switch {
			case d.Arg.GetInteger() != nil:
				v := int64(d.Arg.GetInteger().Ival)
				return &v, nil
			case d.Arg.GetFloat() != nil:
				s = d.Arg.GetFloat().Fval
			default:
				return nil, errs.New(errs.Syntax, "%s requires a numeric value", name)
			}
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return nil, errs.New(errs.NumericRange, "value %q is out of range for type bigint", s)
			}
			return &v, nil
		}
		var err error
		switch name {
		case "increment":
			def.Increment, err = num()
		case "minvalue":
			def.Min, err = num()
		case "maxvalue":
			def.Max, err = num()
		case "start":
			def.Start, err = num()
		case "cache":
			def.Cache, err = num()
		case "cycle":
			def.Cycle = d.Arg == nil || d.Arg.GetBoolean().GetBoolval()
		case "as":
			t, terr := ResolveType(d.Arg.GetTypeName())
			if terr != nil {
				return nil, terr
			}
			switch t.ID() {
			case types.Int16.ID(), types.Int32.ID(), types.Int64.ID():
				def.Type = types.Name(t)
			default:
				return nil, errs.New(errs.InvalidParameter, "sequence type must be smallint, integer, or bigint")
			}
		case "sequence_name":
			items := d.Arg.GetList().GetItems()
			if len(items) > 0 {
				def.Name = items[len(items)-1].GetString_().GetSval()
			}
		case "owned_by":
			var names []string
			for _, it := range d.Arg.GetList().GetItems() {
				names = append(names, it.GetString_().GetSval())
			}
			switch {
			case len(names) == 1 && strings.EqualFold(names[0], "none"):
				def.OwnedByTable, def.OwnedByColumn = "", ""
			case len(names) >= 2:
				def.OwnedByTable, def.OwnedByColumn = names[len(names)-2], names[len(names)-1]
			default:
				return nil, errs.New(errs.Syntax, "invalid OWNED BY option")
			}
		case "restart":
			if restart == nil {
				return nil, errs.New(errs.Syntax, "RESTART is only allowed in ALTER SEQUENCE")
			}
			*restart, err = num()
			if *restart == nil {
				*restart = new(int64) // RESTART without a value: the start, filled by the caller
				seen["restart_start"] = true
			}
		default:
			return nil, errs.New(errs.NotImplemented, "sequence option %s is not supported", strings.ToUpper(name))
		}
		if err != nil {
			return nil, err
		}
	}
	return seen, nil
}

// dropSequence binds DROP SEQUENCE [IF EXISTS] name, ...
func (b *binder) dropSequence(ds *pg_query.DropStmt) (planner.Statement, error) {
	if ds.Behavior == pg_query.DropBehavior_DROP_CASCADE {
		return nil, errs.New(errs.NotImplemented, "DROP SEQUENCE ... CASCADE is not supported")
	}
	st := &planner.DropSequence{IfExists: ds.MissingOk}
	for _, o := range ds.Objects {
		items := o.GetList().GetItems()
		if len(items) == 2 && items[0].GetString_().Sval != "public" {
			return nil, errs.New(errs.InvalidSchemaName, "schema %q does not exist", items[0].GetString_().Sval)
		}
		st.Names = append(st.Names, items[len(items)-1].GetString_().Sval)
	}
	return st, nil
}

// serialType returns, for the serial pseudo-types, the type of the sequence and of the
// column; nil for any other type.
func serialType(tn *pg_query.TypeName) (string, arrow.DataType, error) {
	if len(tn.Names) == 0 || len(tn.ArrayBounds) > 0 {
		return "", nil, nil
	}
	switch strings.ToLower(tn.Names[len(tn.Names)-1].GetString_().GetSval()) {
	case "serial", "serial4":
		return "integer", types.Int32, nil
	case "bigserial", "serial8":
		return "bigint", types.Int64, nil
	case "smallserial", "serial2":
		return "smallint", types.Int16, nil
	}
	return "", nil, nil
}

// ownedSequence makes col of table a serial column (seqType set) or an identity column
// (con, GENERATED ... AS IDENTITY): NOT NULL, with the nextval of a sequence named
// <table>_<column>_seq, which it returns, as its default.
func (b *binder) ownedSequence(table string, col *catalog.Column, seqType string, con *pg_query.Constraint) (*catalog.Sequence, error) {
	def := catalog.SequenceDef{Name: catalog.SerialSequenceName(table, col.Name), Type: seqType, OwnedByTable: table, OwnedByColumn: col.Name}
	if con != nil {
		switch col.Type.ID() {
		case types.Int16.ID():
			def.Type = "smallint"
		case types.Int32.ID():
			def.Type = "integer"
		case types.Int64.ID():
			def.Type = "bigint"
		default:
			return nil, errs.New(errs.InvalidParameter, "identity column type must be smallint, integer, or bigint")
		}
		if err := sequenceOptions(&def, con.Options); err != nil {
			return nil, err
		}
		col.Identity = catalog.IdentityByDefault
		if con.GeneratedWhen == "a" {
			col.Identity = catalog.IdentityAlways
		}
	}
	seq, err := catalog.DefineSequence(def)
	if err != nil {
		return nil, err
	}
	col.Nullable = false
	col.Default = "nextval('" + strings.ReplaceAll(seq.Name, "'", "''") + "'::regclass)"
	return seq, nil
}

// alterSequence binds ALTER SEQUENCE [IF EXISTS] name options: the ones given replace the
// sequence's, RESTART [WITH n] sets its next value.
func (b *binder) alterSequence(as *pg_query.AlterSeqStmt) (planner.Statement, error) {
	if as.ForIdentity {
		return nil, errs.New(errs.NotImplemented, "ALTER TABLE ... ALTER COLUMN ... SET identity options is not supported")
	}
	st := &planner.AlterSequence{Name: as.Sequence.Relname, IfExists: as.MissingOk}
	var err error
	if st.Given, err = sequenceOptionsSeen(&st.Def, as.Options, &st.Restart); err != nil {
		return nil, err
	}
	return st, nil
}

// sequenceArg returns fc with the argument 's'::regclass of nextval, currval and setval as
// the text 's' they take (a regclass of a sequence is its name here).
func sequenceArg(name string, fc *pg_query.FuncCall) *pg_query.FuncCall {
	switch name {
	case "nextval", "currval", "setval":
	default:
		return fc
	}
	if len(fc.Args) == 0 {
		return fc
	}
	tc := fc.Args[0].GetTypeCast()
	if tc == nil || tc.Arg.GetAConst() == nil || tc.Arg.GetAConst().GetSval() == nil || len(tc.TypeName.GetNames()) == 0 {
		return fc
	}
	names := tc.TypeName.Names
	if !strings.EqualFold(names[len(names)-1].GetString_().GetSval(), "regclass") {
		return fc
	}
	c := proto.Clone(fc).(*pg_query.FuncCall)
	c.Args[0] = c.Args[0].GetTypeCast().Arg
	return c
}
