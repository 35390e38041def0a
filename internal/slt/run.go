package slt

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// DB is a database under test. A DB is used by one goroutine at a time.
type DB interface {
	// Exec runs one statement and returns its result. A failed statement returns an error,
	// preferably an *Error so that its SQLSTATE can be checked.
	Exec(ctx context.Context, sql string) (*Result, error)
}

// Result is what one statement returned.
type Result struct {
	// Columns describe the result columns; nil for a statement that returns no rows.
	Columns []Column
	// Rows hold the values in PostgreSQL's text format; Valid is false for NULL.
	Rows [][]sql.NullString
	// Tag is the command completion tag, such as "INSERT 0 3".
	Tag string
}

// Column is a result column.
type Column struct {
	Name string
	// Type is the column's type letter (see the package documentation), or 0 when the
	// harness cannot tell.
	Type byte
	// OID is the PostgreSQL type OID the server described the column with, or 0 when the
	// harness has none (in process).
	OID uint32
}

// Error is a failed statement as a harness reports it.
type Error struct {
	// Code is the SQLSTATE, or empty when the harness does not know it.
	Code    string
	Message string
}

func (e *Error) Error() string {
	if e.Code == "" {
		return e.Message
	}
	return e.Code + ": " + e.Message
}

// Options configure Run.
type Options struct {
	// Names are the names of the harness that skipif and onlyif test, such as "sleeperd"
	// and "pgwire".
	Names []string
	// Rewrite makes Run return the file with its expectations replaced by actual results.
	Rewrite bool
}

// Failure is a record whose outcome differs from its expectation.
type Failure struct {
	File string
	Line int
	SQL  string
	Msg  string
}

func (f Failure) String() string {
	return fmt.Sprintf("%s:%d: %s\n%s", f.File, f.Line, f.Msg, indent(f.SQL))
}

// Run runs the records of s in order against db and returns the failures. With
// opts.Rewrite it also returns the rewritten text of the file; otherwise the text is nil.
// A failure does not stop the run; a cancelled ctx does.
func Run(ctx context.Context, db DB, s *Script, opts Options) ([]Failure, []byte, error) {
	var failures []Failure
	rewritten := make(map[*Record]*Record)
	for _, r := range s.Records {
		if err := ctx.Err(); err != nil {
			return failures, nil, err
		}
		if !r.runsOn(opts.Names) {
			continue
		}
		if r.Kind == Halt {
			break
		}
		got, msg := runRecord(ctx, db, r)
		if msg != "" {
			failures = append(failures, Failure{File: s.Name, Line: r.Line, SQL: r.SQL, Msg: msg})
		}
		if got != nil {
			rewritten[r] = got
		}
	}
	if !opts.Rewrite {
		return failures, nil, nil
	}
	return failures, s.rewrite(rewritten), nil
}

// runRecord runs one record. It returns a failure message, or "", and the record rewritten to
// what the database returned, or nil to keep the record as written: when it passed and has
// no rows to canonicalise, or when the outcome cannot be written as an expectation of the
// same kind.
func runRecord(ctx context.Context, db DB, r *Record) (*Record, string) {
	res, err := db.Exec(ctx, r.SQL)
	if r.Error != nil {
		if err == nil {
			return nil, "succeeded, want " + r.Error.String()
		}
		code, msg := errorParts(err)
		got := *r
		got.Error = &Expect{Code: code, Pattern: regexp.MustCompile(regexp.QuoteMeta(firstLine(msg)))}
		if r.Error.Code == "" || code == "" {
			// Keep the file's choice not to check the code, and the code a harness that
			// cannot see codes did not contradict.
			got.Error.Code = r.Error.Code
		}
		if r.Error.Code != "" && code != "" && code != r.Error.Code {
			return &got, fmt.Sprintf("failed with SQLSTATE %s, want %s: %s", code, r.Error.Code, msg)
		}
		if r.Error.Pattern != nil && !r.Error.Pattern.MatchString(msg) {
			return &got, fmt.Sprintf("error %q does not match %q", msg, r.Error.Pattern)
		}
		return nil, ""
	}
	if err != nil {
		return nil, "failed: " + err.Error()
	}
	if r.Kind == Statement {
		if r.Count < 0 {
			return nil, ""
		}
		n, ok := tagCount(res.Tag)
		if !ok {
			return nil, fmt.Sprintf("tag %q has no row count, want %d", res.Tag, r.Count)
		}
		if n != r.Count {
			got := *r
			got.Count = n
			return &got, fmt.Sprintf("affected %d rows (tag %q), want %d", n, res.Tag, r.Count)
		}
		return nil, ""
	}

	got := *r
	got.Types = types(res.Columns, r.Types)
	got.Rows = render(res, r.Sort)
	var problems []string
	if got.Types != r.Types {
		problems = append(problems, fmt.Sprintf("column types %s, want %s", got.Types, r.Types))
	}
	if r.Sort == Match {
		// Patterns are kept as written: a rewrite only fixes the type letters.
		got.Rows = r.Rows
		for _, p := range r.Rows {
			re := regexp.MustCompile(p) // checked by Parse
			if !slices.ContainsFunc(render(res, NoSort), re.MatchString) {
				problems = append(problems, fmt.Sprintf("no row matches %q in:\n%s", p, indent(strings.Join(render(res, NoSort), "\n"))))
			}
		}
		if len(problems) == 0 {
			return nil, ""
		}
		return &got, strings.Join(problems, "; ")
	}
	want := slices.Clone(r.Rows)
	if r.Sort != NoSort {
		want = sortLines(want, r.Sort)
	}
	if !sameLines(got.Rows, want) {
		problems = append(problems, "rows differ:\n"+diff(want, got.Rows))
	}
	// A passing query is rewritten too, to put its rows in canonical form.
	return &got, strings.Join(problems, "; ")
}

// errorParts returns the SQLSTATE (or "") and message of err.
func errorParts(err error) (string, string) {
	var e *Error
	if errors.As(err, &e) {
		return e.Code, e.Message
	}
	return "", err.Error()
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// tagCount returns the last number of a command tag: 3 for "INSERT 0 3" and "SELECT 3".
func tagCount(tag string) (int64, bool) {
	f := strings.Fields(tag)
	if len(f) < 2 {
		return 0, false
	}
	n, err := strconv.ParseInt(f[len(f)-1], 10, 64)
	return n, err == nil
}

// types returns the type letters of cols; a column whose type the harness does not know
// keeps the letter written in want.
func types(cols []Column, want string) string {
	b := make([]byte, len(cols))
	for i, c := range cols {
		b[i] = c.Type
		if c.Type == 0 {
			b[i] = '?'
			if i < len(want) {
				b[i] = want[i]
			}
		}
	}
	return string(b)
}

// render formats the rows of res as expected-row lines, sorted as mode says.
func render(res *Result, mode Sort) []string {
	var lines []string
	if mode == ValueSort {
		for _, row := range res.Rows {
			for _, v := range row {
				lines = append(lines, value(v))
			}
		}
		slices.Sort(lines)
		return lines
	}
	for _, row := range res.Rows {
		vals := make([]string, len(row))
		for i, v := range row {
			vals[i] = value(v)
		}
		lines = append(lines, strings.Join(vals, "\t"))
	}
	if mode == RowSort {
		slices.Sort(lines)
	}
	return lines
}

var escaper = strings.NewReplacer("\t", `\t`, "\n", `\n`, "\r", `\r`)

// value is one value as expected rows write it.
func value(v sql.NullString) string {
	switch {
	case !v.Valid:
		return "NULL"
	case v.String == "":
		return "(empty)"
	}
	return escaper.Replace(v.String)
}

// sortLines sorts expected lines as mode says, after normalising their separators.
func sortLines(lines []string, mode Sort) []string {
	var out []string
	for _, l := range lines {
		if mode == ValueSort {
			out = append(out, strings.TrimSpace(l))
		} else {
			out = append(out, strings.Join(strings.Fields(l), "\t"))
		}
	}
	slices.Sort(out)
	return out
}

// sameLines compares lines treating runs of spaces and tabs as one separator.
func sameLines(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] && !slices.Equal(strings.Fields(got[i]), strings.Fields(want[i])) {
			return false
		}
	}
	return true
}

// diff shows want and got side by side, marking lines that differ.
func diff(want, got []string) string {
	var b strings.Builder
	for i := 0; i < max(len(want), len(got)); i++ {
		w, g := "", ""
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		switch {
		case i >= len(got):
			fmt.Fprintf(&b, "  - %s\n", w)
		case i >= len(want):
			fmt.Fprintf(&b, "  + %s\n", g)
		case sameLines([]string{g}, []string{w}):
			fmt.Fprintf(&b, "    %s\n", g)
		default:
			fmt.Fprintf(&b, "  - %s\n  + %s\n", w, g)
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}

// rewrite returns the file's text with the records in repl replaced.
func (s *Script) rewrite(repl map[*Record]*Record) []byte {
	var out []string
	next := 0
	for _, r := range s.Records {
		start, end := r.Line-1, r.end-1
		out = append(out, s.lines[next:start]...)
		if got, ok := repl[r]; ok {
			out = append(out, got.format()...)
		} else {
			out = append(out, s.lines[start:end]...)
		}
		next = end
	}
	out = append(out, s.lines[next:]...)
	return []byte(strings.Join(out, "\n") + "\n")
}
