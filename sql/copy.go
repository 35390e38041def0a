package sql

import (
	"fmt"
	"path/filepath"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
)

// copyStmt binds COPY ... FROM STDIN, COPY ... TO STDOUT and COPY to and from server files
// and s3:// locations. COPY of a table TO is bound as the query of the table's columns.
func (b *binder) copyStmt(cs *pg_query.CopyStmt) (planner.Statement, error) {
	if cs.IsProgram {
		return nil, &errs.Error{Kind: errs.NotImplemented,
			Msg:  "COPY to or from a program on the server is not supported",
			Hint: "Use COPY ... FROM STDIN or COPY ... TO STDOUT, or psql's \\copy, which reads and writes files on the client."}
	}
	if cs.Filename != "" {
		dir := "to"
		if cs.IsFrom {
			dir = "from"
		}
		switch {
		case strings.HasPrefix(cs.Filename, "s3://"):
		case strings.Contains(cs.Filename, "://"):
			return nil, &errs.Error{Kind: errs.NotImplemented,
				Msg:  fmt.Sprintf("COPY %s %q is not supported: only a local path on the server or an s3:// location", dir, cs.Filename),
				Hint: "Give an absolute path on the server or s3://bucket/key."}
		case !filepath.IsAbs(cs.Filename):
			return nil, errs.New(errs.InvalidName, "relative path not allowed for COPY %s file", dir)
		}
	}
	if cs.WhereClause != nil {
		return nil, errs.New(errs.NotImplemented, "COPY FROM with WHERE is not supported")
	}
	var names []string
	for _, a := range cs.Attlist {
		names = append(names, a.GetString_().GetSval())
	}
	st := &planner.Copy{From: cs.IsFrom}
	var cols []string    // the copied columns, for FORCE_* lists
	var relCols []string // the columns of the table copied, if it is a table
	switch {
	case cs.Query != nil:
		sel := cs.Query.GetSelectStmt()
		if sel == nil {
			return nil, errs.New(errs.NotImplemented, "COPY supports only SELECT queries")
		}
		q, err := b.query(sel)
		if err != nil {
			return nil, err
		}
		st.Query = q
		cols = q.Names
	default:
		rv := cs.Relation
		name := rv.Relname
		if rv.Schemaname == catalog.SystemSchema {
			if _, ok := catalog.SystemTables[rv.Relname]; ok && cs.IsFrom {
				return nil, errs.New(errs.InsufficientPrivilege, "permission denied: \"%s.%s\" is a system catalog", rv.Schemaname, rv.Relname)
			}
		} else if rv.Schemaname == "" || rv.Schemaname == "public" {
			if _, isView, err := b.cat.View(b.ctx, name); err != nil {
				return nil, err
			} else if isView {
				if cs.IsFrom {
					return nil, &errs.Error{Kind: errs.WrongObjectType, Msg: fmt.Sprintf("cannot copy to view %q", name),
						Hint: "To enable copying to a view, provide an INSTEAD OF INSERT trigger."}
				}
				return nil, &errs.Error{Kind: errs.WrongObjectType, Msg: fmt.Sprintf("cannot copy from view %q", name),
					Hint: "Try the COPY (SELECT ...) TO variant."}
			}
		}
		if cs.IsFrom {
			t, err := b.table(rv)
			if err != nil {
				return nil, err
			}
			st.Table = t
			for _, c := range t.Columns {
				if !c.Hidden {
					relCols = append(relCols, c.Name)
				}
			}
			if len(names) == 0 {
				for i, c := range t.Columns {
					if !c.Hidden {
						st.Targets = append(st.Targets, i)
						cols = append(cols, c.Name)
					}
				}
			}
			seen := map[int]bool{}
			for _, n := range names {
				idx := t.ColumnIndex(n)
				if idx < 0 || t.Columns[idx].Hidden {
					return nil, errs.New(errs.UndefinedColumn, "column %q of relation %q does not exist", n, t.Name)
				}
				if seen[idx] {
					return nil, errs.New(errs.DuplicateColumn, "column %q specified more than once", n)
				}
				seen[idx] = true
				st.Targets = append(st.Targets, idx)
				cols = append(cols, n)
			}
			break
		}
		// TO: the query of the listed columns, or of all of them.
		list := "*"
		var have []string
		if rv.Schemaname == catalog.SystemSchema {
			if schema, ok := catalog.SystemTables[rv.Relname]; ok {
				for _, f := range schema.Fields() {
					have = append(have, f.Name)
				}
			}
		} else {
			t, err := b.table(rv)
			if err != nil {
				return nil, err
			}
			for _, c := range t.Columns {
				if !c.Hidden {
					have = append(have, c.Name)
				}
			}
		}
		relCols = have
		for _, n := range names {
			if have != nil && indexOfName(have, n) < 0 {
				return nil, errs.New(errs.UndefinedColumn, "column %q of relation %q does not exist", n, name)
			}
		}
		if len(names) > 0 {
			seen := map[string]bool{}
			quoted := make([]string, len(names))
			for i, n := range names {
				if seen[n] {
					return nil, errs.New(errs.DuplicateColumn, "column %q specified more than once", n)
				}
				seen[n] = true
				quoted[i] = quoteIdent(n)
			}
			list = strings.Join(quoted, ", ")
		}
		rel := quoteIdent(name)
		if rv.Schemaname != "" {
			rel = quoteIdent(rv.Schemaname) + "." + rel
		}
		raw, err := Parse("SELECT " + list + " FROM " + rel)
		if err != nil {
			return nil, err
		}
		q, err := b.query(raw[0].Stmt.GetSelectStmt())
		if err != nil {
			var e *errs.Error
			if asErr(err, &e) && e.Position > 0 {
				// Positions are in the query made up here, not in the statement.
				c := *e
				c.Position = 0
				return nil, &c
			}
			return nil, err
		}
		st.Query = q
		cols = q.Names
	}
	rel := ""
	if cs.Relation != nil {
		rel = cs.Relation.Relname
	}
	if st.Query != nil && len(st.Query.ParamTypes) > 0 {
		return nil, errs.New(errs.UndefinedParam, "there is no parameter $1")
	}
	opts, err := copyOptions(cs.Options, cs.IsFrom, cols, rel, relCols)
	if err != nil {
		return nil, err
	}
	st.Options = opts
	st.File = cs.Filename
	if opts.Format == planner.CopyParquet && st.File == "" {
		return nil, &errs.Error{Kind: errs.NotImplemented, Msg: "COPY format \"parquet\" is only supported to or from a server file",
			Hint: "Use COPY ... TO '/absolute/path' (FORMAT parquet) or COPY ... FROM '/absolute/path' (FORMAT parquet)."}
	}
	if st.File != "" && opts.Format == planner.CopyBinary {
		return nil, errs.New(errs.NotImplemented, "COPY to or from a file in binary format is not supported")
	}
	if st.File != "" && !cs.IsFrom && cs.Relation != nil && cs.Query == nil && len(names) == 0 && cs.Relation.Schemaname != catalog.SystemSchema {
		// A table copied whole to a directory in Parquet writes one file per leaf partition.
		if opts.Format == planner.CopyParquet {
			t, err := b.table(cs.Relation)
			if err != nil {
				return nil, err
			}
			st.Table = t
		}
	}
	return st, nil
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// copyOptions checks COPY's options as PostgreSQL 15's ProcessCopyOptions does and fills in
// the defaults. cols are the names of the copied columns; relCols those of the table rel when
// a table is copied.
func copyOptions(nodes []*pg_query.Node, from bool, cols []string, rel string, relCols []string) (planner.CopyOptions, error) {
	var o planner.CopyOptions
	seen := map[string]bool{}
	var delim, null, quote, escape *string
	var forceQuote, forceNotNull, forceNull []string
	var forceQuoteAll bool
	redundant := func(d *pg_query.DefElem) error {
		return &errs.Error{Kind: errs.Syntax, Msg: "conflicting or redundant options", Position: int(d.Location) + 1}
	}
	str := func(d *pg_query.DefElem) (*string, error) {
		if d.Arg == nil || d.Arg.GetString_() == nil {
			return nil, errs.New(errs.Syntax, "%s requires a parameter", d.Defname)
		}
		s := d.Arg.GetString_().Sval
		return &s, nil
	}
	list := func(d *pg_query.DefElem) ([]string, bool, error) {
		if d.Arg != nil && d.Arg.GetAStar() != nil {
			return nil, true, nil
		}
		if d.Arg == nil || d.Arg.GetList() == nil {
			return nil, false, &errs.Error{Kind: errs.Syntax, Msg: fmt.Sprintf("argument to option %q must be a list of column names", d.Defname), Position: int(d.Location) + 1}
		}
		var out []string
		for _, n := range d.Arg.GetList().Items {
			out = append(out, n.GetString_().GetSval())
		}
		return out, false, nil
	}
	for _, n := range nodes {
		d := n.GetDefElem()
		if d == nil {
			continue
		}
		if seen[d.Defname] {
			return o, redundant(d)
		}
		seen[d.Defname] = true
		var err error
		switch d.Defname {
		case "format":
			var f *string
			if f, err = str(d); err != nil {
				return o, err
			}
			switch *f {
			case "text":
				o.Format = planner.CopyText
			case "csv":
				o.Format = planner.CopyCSV
			case "binary":
				o.Format = planner.CopyBinary
			case "parquet":
				o.Format = planner.CopyParquet
			default:
				return o, &errs.Error{Kind: errs.InvalidParameter, Msg: fmt.Sprintf("COPY format %q not recognized", *f), Position: int(d.Location) + 1}
			}
		case "freeze":
		case "delimiter":
			delim, err = str(d)
		case "null":
			null, err = str(d)
		case "header":
			v, verr := defValue(d)
			if verr != nil {
				return o, verr
			}
			switch strings.ToLower(v) {
			case "true", "on", "1":
				o.Header = true
			case "false", "off", "0":
			case "match":
				if !from {
					return o, &errs.Error{Kind: errs.NotImplemented, Msg: `cannot use "match" with HEADER in COPY TO`, Position: int(d.Location) + 1}
				}
				o.Header, o.HeaderMatch = true, true
			default:
				return o, &errs.Error{Kind: errs.Syntax, Msg: fmt.Sprintf("%s requires a Boolean value or \"match\"", d.Defname), Position: int(d.Location) + 1}
			}
		case "quote":
			quote, err = str(d)
		case "escape":
			escape, err = str(d)
		case "force_quote":
			forceQuote, forceQuoteAll, err = list(d)
		case "force_not_null":
			var star bool
			forceNotNull, star, err = list(d)
			if star {
				forceNotNull = cols
			}
		case "force_null":
			var star bool
			forceNull, star, err = list(d)
			if star {
				forceNull = cols
			}
		case "encoding":
			v, verr := str(d)
			if verr != nil {
				return o, verr
			}
			if e := strings.ToLower(strings.ReplaceAll(*v, "-", "")); e != "utf8" && e != "unicode" {
				return o, errs.New(errs.NotImplemented, "COPY encoding %q is not supported: data is UTF8", *v)
			}
		default:
			return o, &errs.Error{Kind: errs.Syntax, Msg: fmt.Sprintf("option %q not recognized", d.Defname), Position: int(d.Location) + 1}
		}
		if err != nil {
			return o, err
		}
	}
	csv, binary := o.Format == planner.CopyCSV, o.Format == planner.CopyBinary
	if binary && delim != nil {
		return o, errs.New(errs.Syntax, "cannot specify DELIMITER in BINARY mode")
	}
	if binary && null != nil {
		return o, errs.New(errs.Syntax, "cannot specify NULL in BINARY mode")
	}
	if binary && o.Header {
		return o, errs.New(errs.NotImplemented, "cannot specify HEADER in BINARY mode")
	}
	if o.Format == planner.CopyParquet && (delim != nil || null != nil || o.Header || quote != nil || escape != nil) {
		return o, errs.New(errs.Syntax, "cannot specify DELIMITER, NULL, HEADER, QUOTE or ESCAPE in PARQUET mode")
	}
	o.Delimiter, o.Null = '\t', `\N`
	if csv {
		o.Delimiter, o.Null = ',', ""
	}
	if delim != nil {
		if len(*delim) != 1 {
			return o, errs.New(errs.NotImplemented, "COPY delimiter must be a single one-byte character")
		}
		o.Delimiter = (*delim)[0]
	}
	if null != nil {
		o.Null = *null
	}
	if o.Delimiter == '\n' || o.Delimiter == '\r' {
		return o, errs.New(errs.InvalidParameter, "COPY delimiter cannot be newline or carriage return")
	}
	if strings.ContainsAny(o.Null, "\r\n") {
		return o, errs.New(errs.InvalidParameter, "COPY null representation cannot use newline or carriage return")
	}
	if !csv && !binary && strings.IndexByte(`\.abcdefghijklmnopqrstuvwxyz0123456789`, o.Delimiter) >= 0 {
		return o, errs.New(errs.InvalidParameter, "COPY delimiter cannot be %q", string(o.Delimiter))
	}
	if !csv && quote != nil {
		return o, errs.New(errs.NotImplemented, "COPY quote available only in CSV mode")
	}
	o.Quote = '"'
	if quote != nil {
		if len(*quote) != 1 {
			return o, errs.New(errs.NotImplemented, "COPY quote must be a single one-byte character")
		}
		o.Quote = (*quote)[0]
	}
	if csv && o.Delimiter == o.Quote {
		return o, errs.New(errs.InvalidParameter, "COPY delimiter and quote must be different")
	}
	if !csv && escape != nil {
		return o, errs.New(errs.NotImplemented, "COPY escape available only in CSV mode")
	}
	o.Escape = o.Quote
	if escape != nil {
		if len(*escape) != 1 {
			return o, errs.New(errs.NotImplemented, "COPY escape must be a single one-byte character")
		}
		o.Escape = (*escape)[0]
	}
	if seen["force_quote"] {
		if !csv {
			return o, errs.New(errs.NotImplemented, "COPY force quote available only in CSV mode")
		}
		if from {
			return o, errs.New(errs.NotImplemented, "COPY force quote only available using COPY TO")
		}
	}
	if seen["force_not_null"] {
		if !csv {
			return o, errs.New(errs.NotImplemented, "COPY force not null available only in CSV mode")
		}
		if !from {
			return o, errs.New(errs.NotImplemented, "COPY force not null only available using COPY FROM")
		}
	}
	if seen["force_null"] {
		if !csv {
			return o, errs.New(errs.NotImplemented, "COPY force null available only in CSV mode")
		}
		if !from {
			return o, errs.New(errs.NotImplemented, "COPY force null only available using COPY FROM")
		}
	}
	if strings.IndexByte(o.Null, o.Delimiter) >= 0 && !binary {
		return o, errs.New(errs.InvalidParameter, "COPY delimiter must not appear in the NULL specification")
	}
	if csv && strings.IndexByte(o.Null, o.Quote) >= 0 {
		return o, errs.New(errs.InvalidParameter, "CSV quote character must not appear in the NULL specification")
	}
	positions := func(opt string, names []string) ([]int, error) {
		var out []int
		for _, n := range names {
			i := indexOfName(cols, n)
			if relCols != nil && indexOfName(relCols, n) < 0 {
				return nil, errs.New(errs.UndefinedColumn, "column %q of relation %q does not exist", n, rel)
			}
			if relCols == nil && i < 0 {
				return nil, errs.New(errs.UndefinedColumn, "column %q does not exist", n)
			}
			if i < 0 {
				return nil, errs.New(errs.InvalidColumnRef, "%s column %q not referenced by COPY", opt, n)
			}
			out = append(out, i)
		}
		return out, nil
	}
	var err error
	o.ForceQuoteAll = forceQuoteAll
	if o.ForceQuote, err = positions("FORCE_QUOTE", forceQuote); err != nil {
		return o, err
	}
	if o.ForceNotNull, err = positions("FORCE_NOT_NULL", forceNotNull); err != nil {
		return o, err
	}
	if o.ForceNull, err = positions("FORCE_NULL", forceNull); err != nil {
		return o, err
	}
	return o, nil
}

func indexOfName(names []string, n string) int {
	for i, x := range names {
		if x == n {
			return i
		}
	}
	return -1
}
