package merge

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/keys"
)

// AgeOffSpec is a parsed ageOff filter: rows whose Column value is older than Age are dropped.
type AgeOffSpec struct {
	Column int // index into the schema given to ParseFilters
	Age    time.Duration
	Type   arrow.DataType // the column's type: date32 or timestamp
}

// At returns the filter as of now: the rows dropped are those whose value is before now - Age.
// For a date32 column, a date is dropped when it is before the day (UTC) of now - Age.
func (a AgeOffSpec) At(now time.Time) AgeOff {
	cut := now.Add(-a.Age)
	var before int64
	switch t := a.Type.(type) {
	case *arrow.TimestampType:
		switch t.Unit {
		case arrow.Second:
			before = cut.Unix()
		case arrow.Millisecond:
			before = cut.UnixMilli()
		case arrow.Microsecond:
			before = cut.UnixMicro()
		default:
			before = cut.UnixNano()
		}
	default:
		sec := cut.Unix()
		before = sec / 86400
		if sec%86400 < 0 {
			before--
		}
	}
	return AgeOff{Column: a.Column, Before: before}
}

// call is one f(arg, ...) of a property list.
type call struct {
	fn   string
	args []string
}

// parseCalls parses "f(a, b), g(c)" into calls. Arguments are trimmed; a double-quoted
// argument may hold commas and parentheses ("" is a quote).
func parseCalls(what, spec string) ([]call, error) {
	var out []call
	s := strings.TrimSpace(spec)
	bad := func(format string, args ...any) error {
		return errs.New(errs.InvalidParameter, "invalid %s %q: %s", what, spec, fmt.Sprintf(format, args...))
	}
	for s != "" {
		i := strings.IndexByte(s, '(')
		if i < 0 {
			return nil, bad("expected ( after %q", s)
		}
		c := call{fn: strings.TrimSpace(s[:i])}
		if c.fn == "" {
			return nil, bad("missing function name")
		}
		s = s[i+1:]
		for {
			s = strings.TrimLeft(s, " \t\n")
			var arg string
			if strings.HasPrefix(s, `"`) {
				var b strings.Builder
				j := 1
				for {
					if j >= len(s) {
						return nil, bad("unterminated quoted name")
					}
					if s[j] == '"' {
						if j+1 < len(s) && s[j+1] == '"' {
							b.WriteByte('"')
							j += 2
							continue
						}
						break
					}
					b.WriteByte(s[j])
					j++
				}
				arg = b.String()
				s = strings.TrimLeft(s[j+1:], " \t\n")
				if s == "" || (s[0] != ',' && s[0] != ')') {
					return nil, bad("expected , or ) after a quoted name")
				}
			} else {
				j := strings.IndexAny(s, ",)")
				if j < 0 {
					return nil, bad("missing )")
				}
				arg = strings.TrimSpace(s[:j])
				if arg == "" {
					return nil, bad("empty argument of %s", c.fn)
				}
				s = s[j:]
			}
			c.args = append(c.args, arg)
			sep := s[0]
			s = s[1:]
			if sep == ')' {
				break
			}
		}
		out = append(out, c)
		s = strings.TrimSpace(s)
		if s == "" {
			break
		}
		if s[0] != ',' {
			return nil, bad("expected , between functions, got %q", s)
		}
		s = strings.TrimSpace(s[1:])
		if s == "" {
			return nil, bad("trailing ,")
		}
	}
	return out, nil
}

func column(what string, schema *arrow.Schema, name string) (int, error) {
	idx := schema.FieldIndices(name)
	if len(idx) != 1 {
		return -1, errs.New(errs.InvalidParameter, "%s: column %q does not exist", what, name)
	}
	return idx[0], nil
}

// ParseFilters parses the filters table property: a comma-separated list of ageOff(column,
// age), where age is a positive whole number followed by a unit, s, m, h or d (seconds,
// minutes, hours, days), and column a date or timestamp column of schema. The empty string
// is no filter. Errors are errs.InvalidParameter.
func ParseFilters(spec string, schema *arrow.Schema) ([]AgeOffSpec, error) {
	calls, err := parseCalls("filters", spec)
	if err != nil {
		return nil, err
	}
	var out []AgeOffSpec
	for _, c := range calls {
		if !strings.EqualFold(c.fn, "ageOff") {
			return nil, errs.New(errs.InvalidParameter, "filters: unknown filter %q (known: ageOff)", c.fn)
		}
		if len(c.args) != 2 {
			return nil, errs.New(errs.InvalidParameter, "filters: ageOff takes a column and an age, got %d arguments", len(c.args))
		}
		col, err := column("filters", schema, c.args[0])
		if err != nil {
			return nil, err
		}
		t := schema.Field(col).Type
		if !ageable(t) {
			return nil, errs.New(errs.InvalidParameter, "filters: ageOff column %q is %s, not a date or timestamp", c.args[0], t)
		}
		age, err := parseAge(c.args[1])
		if err != nil {
			return nil, err
		}
		out = append(out, AgeOffSpec{Column: col, Age: age, Type: t})
	}
	return out, nil
}

func parseAge(s string) (time.Duration, error) {
	bad := errs.New(errs.InvalidParameter, "filters: invalid age %q (want a number and a unit: s, m, h or d, as in 7d)", s)
	if len(s) < 2 {
		return 0, bad
	}
	var unit time.Duration
	switch s[len(s)-1] {
	case 's':
		unit = time.Second
	case 'm':
		unit = time.Minute
	case 'h':
		unit = time.Hour
	case 'd':
		unit = 24 * time.Hour
	default:
		return 0, bad
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s[:len(s)-1]), 10, 64)
	if err != nil || n <= 0 {
		return 0, bad
	}
	if n > math.MaxInt64/int64(unit) {
		return 0, errs.New(errs.InvalidParameter, "filters: age %q is too long", s)
	}
	return time.Duration(n) * unit, nil
}

// ParseAggregations parses the aggregations table property: a comma-separated list of
// sum(column), min(column), max(column) and last(column) over columns of schema that are not
// in keyCols (the row and sort key columns) nor hidden (VersionColumn, DeletedColumn). Each
// column is named at most once; sum needs a numeric column, min and max an orderable one.
// The empty string is no aggregation. Errors are errs.InvalidParameter.
func ParseAggregations(spec string, schema *arrow.Schema, keyCols []int) ([]Aggregation, error) {
	calls, err := parseCalls("aggregations", spec)
	if err != nil {
		return nil, err
	}
	var out []Aggregation
	seen := make(map[int]bool)
	for _, c := range calls {
		fn := strings.ToLower(c.fn)
		switch fn {
		case Sum, Min, Max, Last:
		default:
			return nil, errs.New(errs.InvalidParameter, "aggregations: unknown function %q (known: sum, min, max, last)", c.fn)
		}
		if len(c.args) != 1 {
			return nil, errs.New(errs.InvalidParameter, "aggregations: %s takes one column, got %d arguments", fn, len(c.args))
		}
		name := c.args[0]
		if name == VersionColumn || name == DeletedColumn {
			return nil, errs.New(errs.InvalidParameter, "aggregations: column %q is hidden", name)
		}
		col, err := column("aggregations", schema, name)
		if err != nil {
			return nil, err
		}
		if slices.Contains(keyCols, col) {
			return nil, errs.New(errs.InvalidParameter, "aggregations: %q is a key column", name)
		}
		if seen[col] {
			return nil, errs.New(errs.InvalidParameter, "aggregations: column %q is aggregated twice", name)
		}
		seen[col] = true
		t := schema.Field(col).Type
		switch {
		case fn == Sum && !summable(t):
			return nil, errs.New(errs.InvalidParameter, "aggregations: sum of column %q of non-numeric type %s", name, t)
		case (fn == Min || fn == Max) && !keys.SortKeySupported(t):
			return nil, errs.New(errs.InvalidParameter, "aggregations: %s of column %q of unordered type %s", fn, name, t)
		}
		out = append(out, Aggregation{Column: col, Func: fn})
	}
	return out, nil
}
