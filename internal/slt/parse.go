package slt

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// ErrParse is wrapped by every error Parse returns.
var ErrParse = errors.New("slt parse error")

// Kind is the kind of a record.
type Kind int

// Record kinds.
const (
	// Statement runs SQL and checks that it succeeds (or fails as the Error says).
	Statement Kind = iota
	// Query runs SQL and checks its rows.
	Query
	// Halt stops the file.
	Halt
)

// Sort is how a query's rows are ordered before comparing.
type Sort int

// Sort modes.
const (
	NoSort Sort = iota
	RowSort
	ValueSort
	// Match is not a sort: each expected row is a regular expression that some row of the
	// result, its values joined by tabs, must match.
	Match
)

var sortNames = map[string]Sort{"nosort": NoSort, "rowsort": RowSort, "valuesort": ValueSort, "match": Match}

func (s Sort) String() string {
	for n, v := range sortNames {
		if v == s {
			return n
		}
	}
	return "nosort"
}

// Condition restricts a record to or away from a harness.
type Condition struct {
	// Only is true for onlyif, false for skipif.
	Only bool
	// Harness is the name of the harness.
	Harness string
}

// Expect is the expected error of a record.
type Expect struct {
	// Code is the expected SQLSTATE, or empty for any.
	Code string
	// Pattern matches the error message; nil matches any.
	Pattern *regexp.Regexp
}

// Record is one test in a file.
type Record struct {
	Kind Kind
	// Line is the 1-based line of the record's first line (its first condition, if any).
	Line int
	// end is the line after the record's last line (1-based, exclusive).
	end int
	// Conditions are the skipif and onlyif lines before the record.
	Conditions []Condition
	// SQL is the statement text, its lines joined with newlines.
	SQL string
	// Error is the expected error, or nil when the record must succeed.
	Error *Expect
	// Count is the expected number of affected rows of statement count, or -1.
	Count int64
	// Types has one type letter per column of a query.
	Types string
	// Sort is the sort mode of a query.
	Sort Sort
	// Rows are the expected rows of a query, one line per row as written.
	Rows []string
}

// Script is a parsed file.
type Script struct {
	// Name is the file's name, used in messages.
	Name string
	// Records are the file's records in order.
	Records []*Record
	// lines are the file's lines, for rewriting.
	lines []string
}

const typeLetters = "IRTBD"

// Parse parses the text of a file.
func Parse(name string, text string) (*Script, error) {
	lines := strings.Split(text, "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	s := &Script{Name: name, lines: lines}
	fail := func(i int, format string, args ...any) error {
		return fmt.Errorf("%w: %s:%d: %s", ErrParse, name, i+1, fmt.Sprintf(format, args...))
	}
	blank := func(i int) bool { return i >= len(lines) || strings.TrimSpace(lines[i]) == "" }

	i := 0
	for i < len(lines) {
		line := strings.TrimSpace(lines[i])
		if line == "" || strings.HasPrefix(line, "#") {
			i++
			continue
		}
		r := &Record{Line: i + 1, Count: -1}
		for {
			f := strings.Fields(lines[i])
			if f[0] != "skipif" && f[0] != "onlyif" {
				break
			}
			if len(f) != 2 {
				return nil, fail(i, "%s needs one harness name", f[0])
			}
			r.Conditions = append(r.Conditions, Condition{Only: f[0] == "onlyif", Harness: f[1]})
			i++
			if blank(i) {
				return nil, fail(i-1, "condition without a record")
			}
		}
		head := strings.TrimSpace(lines[i])
		f := strings.Fields(head)
		switch f[0] {
		case "halt":
			if len(f) != 1 {
				return nil, fail(i, "halt takes no arguments")
			}
			r.Kind = Halt
			i++
			r.end = i + 1
			s.Records = append(s.Records, r)
			continue
		case "statement":
			r.Kind = Statement
			if len(f) < 2 {
				return nil, fail(i, "statement needs ok, count or error")
			}
			switch f[1] {
			case "ok":
				if len(f) != 2 {
					return nil, fail(i, "statement ok takes no arguments")
				}
			case "count":
				if len(f) != 3 {
					return nil, fail(i, "statement count needs a number")
				}
				n, err := strconv.ParseInt(f[2], 10, 64)
				if err != nil || n < 0 {
					return nil, fail(i, "bad count %q", f[2])
				}
				r.Count = n
			case "error":
				e, err := parseExpect(strings.TrimSpace(strings.TrimPrefix(head, "statement")))
				if err != nil {
					return nil, fail(i, "%v", err)
				}
				r.Error = e
			default:
				return nil, fail(i, "statement needs ok, count or error, not %q", f[1])
			}
		case "query":
			r.Kind = Query
			if len(f) < 2 {
				return nil, fail(i, "query needs type letters or error")
			}
			if f[1] == "error" {
				e, err := parseExpect(strings.TrimSpace(strings.TrimPrefix(head, "query")))
				if err != nil {
					return nil, fail(i, "%v", err)
				}
				r.Error = e
				break
			}
			for _, c := range f[1] {
				if !strings.ContainsRune(typeLetters, c) {
					return nil, fail(i, "unknown type letter %q (want one of %s)", c, typeLetters)
				}
			}
			r.Types = f[1]
			if len(f) > 3 {
				return nil, fail(i, "query takes type letters and an optional sort mode")
			}
			if len(f) == 3 {
				m, ok := sortNames[f[2]]
				if !ok {
					return nil, fail(i, "unknown sort mode %q", f[2])
				}
				r.Sort = m
			}
			if r.Sort == Match {
				for j := i + 1; !blank(j); j++ {
					if strings.TrimRight(lines[j], " \t") == "----" {
						for k := j + 1; !blank(k); k++ {
							if _, err := regexp.Compile(lines[k]); err != nil {
								return nil, fail(k, "bad row pattern: %v", err)
							}
						}
						break
					}
				}
			}
		default:
			return nil, fail(i, "unknown record %q", f[0])
		}
		i++
		var sql []string
		for !blank(i) && strings.TrimRight(lines[i], " \t") != "----" {
			sql = append(sql, lines[i])
			i++
		}
		if len(sql) == 0 {
			return nil, fail(i, "record without SQL")
		}
		r.SQL = strings.Join(sql, "\n")
		if !blank(i) {
			// The line is "----".
			if r.Kind != Query || r.Error != nil {
				return nil, fail(i, "---- in a record that returns no rows")
			}
			i++
			for !blank(i) {
				r.Rows = append(r.Rows, lines[i])
				i++
			}
		} else if r.Kind == Query && r.Error == nil {
			return nil, fail(i, "query without ----")
		}
		r.end = i + 1
		s.Records = append(s.Records, r)
	}
	return s, nil
}

// parseExpect parses "error [SQLSTATE code] [regexp]".
func parseExpect(s string) (*Expect, error) {
	s = strings.TrimSpace(strings.TrimPrefix(s, "error"))
	e := &Expect{}
	if s == "SQLSTATE" {
		return nil, errors.New("SQLSTATE without a code")
	}
	if rest, ok := strings.CutPrefix(s, "SQLSTATE "); ok {
		rest = strings.TrimSpace(rest)
		code, after, _ := strings.Cut(rest, " ")
		if len(code) != 5 || strings.ToUpper(code) != code {
			return nil, fmt.Errorf("SQLSTATE %q is not five upper-case characters", code)
		}
		e.Code = code
		s = strings.TrimSpace(after)
	}
	if s != "" {
		re, err := regexp.Compile(s)
		if err != nil {
			return nil, fmt.Errorf("bad error pattern: %v", err)
		}
		e.Pattern = re
	}
	return e, nil
}

// header is the first line of the record as the file writes it.
func (r *Record) header() string {
	switch r.Kind {
	case Halt:
		return "halt"
	case Query:
		if r.Error != nil {
			return "query " + r.Error.String()
		}
		h := "query " + r.Types
		if r.Sort != NoSort {
			h += " " + r.Sort.String()
		}
		return h
	}
	switch {
	case r.Error != nil:
		return "statement " + r.Error.String()
	case r.Count >= 0:
		return "statement count " + strconv.FormatInt(r.Count, 10)
	}
	return "statement ok"
}

// String is the expectation as written after "statement" or "query".
func (e *Expect) String() string {
	s := "error"
	if e.Code != "" {
		s += " SQLSTATE " + e.Code
	}
	if e.Pattern != nil {
		s += " " + e.Pattern.String()
	}
	return s
}

// format returns the record's lines as the file writes them.
func (r *Record) format() []string {
	var out []string
	for _, c := range r.Conditions {
		if c.Only {
			out = append(out, "onlyif "+c.Harness)
		} else {
			out = append(out, "skipif "+c.Harness)
		}
	}
	out = append(out, r.header())
	if r.Kind == Halt {
		return out
	}
	out = append(out, strings.Split(r.SQL, "\n")...)
	if r.Kind == Query && r.Error == nil {
		out = append(out, "----")
		out = append(out, r.Rows...)
	}
	return out
}

// runsOn reports whether the record's conditions let it run on a harness with the given
// names.
func (r *Record) runsOn(names []string) bool {
	for _, c := range r.Conditions {
		if c.Only != slices.Contains(names, c.Harness) {
			return false
		}
	}
	return true
}
