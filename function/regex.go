package function

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/function/pgregex"
)

// The regular expression functions, over PostgreSQL's patterns compiled by package pgregex.
// The set-returning regexp_matches and regexp_split_to_table are bound by package sql as
// unnest of _pg_regexp_matches and regexp_split_to_array.

// compileRegex compiles pattern with flags; fn names the function for the errors of flags
// it does not take (g where global is false).
func compileRegex(fn, pattern, flags string, global bool) (*regexp.Regexp, pgregex.Options, error) {
	o, err := pgregex.ParseFlags(flags)
	if err != nil {
		return nil, o, err
	}
	if o.Global && !global {
		hint := ""
		if fn == "regexp_match()" {
			hint = " (use regexp_matches)"
		}
		return nil, o, errs.New(errs.InvalidParameter, "%s does not support the \"global\" option%s", fn, hint)
	}
	re, err := pgregex.Compile(pattern, o)
	return re, o, err
}

// byteOffset is the byte offset of the 1-based character position pos in s (len(s) past
// the end).
func byteOffset(s string, pos int64) int {
	off := 0
	for n := int64(1); n < pos && off < len(s); n++ {
		_, w := utf8.DecodeRuneInString(s[off:])
		off += w
	}
	return off
}

func charPos(s string, off int) int32 { return int32(utf8.RuneCountInString(s[:off]) + 1) }

func checkParam(name string, v, min int64) error {
	if v < min {
		return errs.New(errs.InvalidParameter, "invalid value for parameter \"%s\": %d", name, v)
	}
	return nil
}

// matchesFrom are the matches of re in s from byte offset off, every match or the first.
func matchesFrom(re *regexp.Regexp, s string, off int, all bool) [][]int {
	n := 1
	if all {
		n = -1
	}
	ms := re.FindAllStringSubmatchIndex(s[off:], n)
	for _, m := range ms {
		for i := range m {
			if m[i] >= 0 {
				m[i] += off
			}
		}
	}
	return ms
}

// matchArray is the text[] regexp_match(es) returns for match m: its parenthesized
// subexpressions, or the whole match when there are none.
func matchArray(re *regexp.Regexp, s string, m []int) []any {
	if re.NumSubexp() == 0 {
		return []any{s[m[0]:m[1]]}
	}
	out := make([]any, re.NumSubexp())
	for i := 1; i <= re.NumSubexp(); i++ {
		if m[2*i] >= 0 {
			out[i-1] = s[m[2*i]:m[2*i+1]]
		}
	}
	return out
}

func optString(v []any, i int) string {
	if i < len(v) {
		return v[i].(string)
	}
	return ""
}

func optInt(v []any, i int, def int64) int64 {
	if i < len(v) {
		return v[i].(int64)
	}
	return def
}

func registerRegex() {
	text, i32, boolean := arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int32, arrow.FixedWidthTypes.Boolean
	textArray := arrow.ListOf(text)
	// The match operators ~ and ~* (!~ and !~* are their negations).
	for name, flags := range map[string]string{"textregexeq": "", "texticregexeq": "i"} {
		register(function{resolve: signature(name, boolean, []int{pText, pText}), eval: rowwise(false, func(v []any) (any, error) {
			re, _, err := compileRegex(name, v[1].(string), flags, false)
			if err != nil {
				return nil, err
			}
			return re.MatchString(v[0].(string)), nil
		})}, name)
	}
	register(function{resolve: signature("regexp_like", boolean, []int{pText, pText}, []int{pText, pText, pText}), eval: rowwise(false, func(v []any) (any, error) {
		re, _, err := compileRegex("regexp_like()", v[1].(string), optString(v, 2), false)
		if err != nil {
			return nil, err
		}
		return re.MatchString(v[0].(string)), nil
	})}, "regexp_like")
	register(function{resolve: signature("regexp_match", textArray, []int{pText, pText}, []int{pText, pText, pText}), eval: rowwise(false, func(v []any) (any, error) {
		re, _, err := compileRegex("regexp_match()", v[1].(string), optString(v, 2), false)
		if err != nil {
			return nil, err
		}
		s := v[0].(string)
		m := re.FindStringSubmatchIndex(s)
		if m == nil {
			return nil, nil
		}
		return matchArray(re, s, m), nil
	})}, "regexp_match")
	// _pg_regexp_matches is the array of the rows of regexp_matches, each as the text of
	// its text[] value (package sql casts them back): arrays of arrays are not values here.
	register(function{resolve: signature("regexp_matches", textArray, []int{pText, pText}, []int{pText, pText, pText}), eval: rowwise(false, func(v []any) (any, error) {
		re, o, err := compileRegex("regexp_matches()", v[1].(string), optString(v, 2), true)
		if err != nil {
			return nil, err
		}
		s := v[0].(string)
		out := []any{}
		for _, m := range matchesFrom(re, s, 0, o.Global) {
			out = append(out, textArrayLiteral(matchArray(re, s, m)))
		}
		return out, nil
	})}, "_pg_regexp_matches")
	register(function{resolve: signature("regexp_split_to_array", textArray, []int{pText, pText}, []int{pText, pText, pText}), eval: rowwise(false, func(v []any) (any, error) {
		re, _, err := compileRegex("regexp_split_to_array()", v[1].(string), optString(v, 2), false)
		if err != nil {
			return nil, err
		}
		return regexSplit(re, v[0].(string)), nil
	})}, "regexp_split_to_array", "_pg_regexp_split")
	register(function{resolve: signature("regexp_count", i32, []int{pText, pText}, []int{pText, pText, pInt}, []int{pText, pText, pInt, pText}), eval: rowwise(false, func(v []any) (any, error) {
		start := optInt(v, 2, 1)
		if err := checkParam("start", start, 1); err != nil {
			return nil, err
		}
		re, _, err := compileRegex("regexp_count()", v[1].(string), optString(v, 3), false)
		if err != nil {
			return nil, err
		}
		s := v[0].(string)
		return int32(len(matchesFrom(re, s, byteOffset(s, start), true))), nil
	})}, "regexp_count")
	register(function{resolve: signature("regexp_instr", i32, []int{pText, pText}, []int{pText, pText, pInt}, []int{pText, pText, pInt, pInt},
		[]int{pText, pText, pInt, pInt, pInt}, []int{pText, pText, pInt, pInt, pInt, pText}, []int{pText, pText, pInt, pInt, pInt, pText, pInt}),
		eval: rowwise(false, evalRegexpInstr)}, "regexp_instr")
	register(function{resolve: signature("regexp_substr", text, []int{pText, pText}, []int{pText, pText, pInt}, []int{pText, pText, pInt, pInt},
		[]int{pText, pText, pInt, pInt, pText}, []int{pText, pText, pInt, pInt, pText, pInt}),
		eval: rowwise(false, func(v []any) (any, error) {
			s, m, sub, err := nthMatch("regexp_substr()", v, 4, 5)
			if err != nil || m == nil {
				return nil, err
			}
			if m[2*sub] < 0 {
				return nil, nil
			}
			return s[m[2*sub]:m[2*sub+1]], nil
		})}, "regexp_substr")
	register(function{resolve: signature("regexp_replace", text, []int{pText, pText, pText}, []int{pText, pText, pText, pText},
		[]int{pText, pText, pText, pInt}, []int{pText, pText, pText, pInt, pInt}, []int{pText, pText, pText, pInt, pInt, pText}),
		eval: rowwise(false, evalRegexpReplace)}, "regexp_replace")
	// substring(s FROM pattern): the first parenthesized subexpression's match, or the
	// whole match.
	register(function{resolve: signature("substring", text, []int{pText, pText}), eval: rowwise(false, func(v []any) (any, error) {
		return regexSubstring(v[0].(string), v[1].(string))
	})}, "_pg_regex_substring")
	register(function{resolve: signature("similar_to_escape", text, []int{pText}, []int{pText, pText}), eval: rowwise(false, func(v []any) (any, error) {
		return pgregex.SimilarToEscape(v[0].(string), optString(v, 1), len(v) == 2)
	})}, "similar_to_escape")
	// substring(s SIMILAR pattern ESCAPE e): the part between the escape-double-quote
	// separators.
	register(function{resolve: signature("substring", text, []int{pText, pText, pText}), eval: rowwise(false, func(v []any) (any, error) {
		p, err := pgregex.SimilarToEscape(v[1].(string), v[2].(string), true)
		if err != nil {
			return nil, err
		}
		return regexSubstring(v[0].(string), p)
	})}, "_pg_similar_substring")
}

// textArrayLiteral is the text form of a text[] value, as array_out writes it.
func textArrayLiteral(elems []any) string {
	return exec.ArrayText(elems, func(x any) string { return x.(string) })
}

func regexSubstring(s, pattern string) (any, error) {
	re, _, err := compileRegex("substring()", pattern, "", false)
	if err != nil {
		return nil, err
	}
	m := re.FindStringSubmatchIndex(s)
	if m == nil {
		return nil, nil
	}
	if re.NumSubexp() > 0 {
		if m[2] < 0 {
			return nil, nil
		}
		return s[m[2]:m[3]], nil
	}
	return s[m[0]:m[1]], nil
}

// regexSplit splits s at the matches of re, ignoring zero-length matches at the start or
// end of s or right after a previous match, as PostgreSQL does.
func regexSplit(re *regexp.Regexp, s string) []any {
	out := []any{}
	last := 0
	for _, m := range re.FindAllStringIndex(s, -1) {
		if m[0] == m[1] && (m[0] == 0 || m[0] == len(s) || m[0] == last) {
			continue
		}
		out = append(out, s[last:m[0]])
		last = m[1]
	}
	return append(out, s[last:])
}

// nthMatch finds the N-th match (v[3], 1 by default) of the pattern v[1] in v[0] from the
// start v[2]; flags are v[flagsAt] and the subexpression v[subAt]. It returns the string,
// the match (nil for none) and the subexpression.
func nthMatch(fn string, v []any, flagsAt, subAt int) (string, []int, int, error) {
	s := v[0].(string)
	start, n, sub := optInt(v, 2, 1), optInt(v, 3, 1), optInt(v, subAt, 0)
	if err := checkParam("start", start, 1); err != nil {
		return "", nil, 0, err
	}
	if err := checkParam("n", n, 1); err != nil {
		return "", nil, 0, err
	}
	if err := checkParam("subexpr", sub, 0); err != nil {
		return "", nil, 0, err
	}
	re, _, err := compileRegex(fn, v[1].(string), optString(v, flagsAt), false)
	if err != nil {
		return "", nil, 0, err
	}
	if sub > int64(re.NumSubexp()) {
		return s, nil, 0, nil
	}
	ms := matchesFrom(re, s, byteOffset(s, start), true)
	if int64(len(ms)) < n {
		return s, nil, 0, nil
	}
	return s, ms[n-1], int(sub), nil
}

// evalRegexpInstr is regexp_instr(s, pattern [, start [, N [, endoption [, flags [,
// subexpr]]]]]): the position of the N-th match (or just after it with endoption 1), 0 for
// none.
func evalRegexpInstr(v []any) (any, error) {
	end := optInt(v, 4, 0)
	if end != 0 && end != 1 {
		return nil, errs.New(errs.InvalidParameter, "invalid value for parameter \"endoption\": %d", end)
	}
	s, m, sub, err := nthMatch("regexp_instr()", v, 5, 6)
	if err != nil {
		return nil, err
	}
	if m == nil || m[2*sub] < 0 {
		return int32(0), nil
	}
	if end == 1 {
		return charPos(s, m[2*sub+1]), nil
	}
	return charPos(s, m[2*sub]), nil
}

// evalRegexpReplace is regexp_replace(s, pattern, replacement [, start [, N]] [, flags]):
// the first match from start is replaced, the N-th, or every one with flag g or N = 0.
func evalRegexpReplace(v []any) (any, error) {
	s, tmpl := v[0].(string), translateReplacement(v[2].(string))
	start, n, flags := int64(1), int64(-1), ""
	switch len(v) {
	case 4:
		if f, ok := v[3].(string); ok {
			flags = f
		} else {
			start = v[3].(int64)
		}
	case 5, 6:
		start, n, flags = v[3].(int64), v[4].(int64), optString(v, 5)
	}
	if err := checkParam("start", start, 1); err != nil {
		return nil, err
	}
	if len(v) >= 5 {
		if err := checkParam("n", n, 0); err != nil {
			return nil, err
		}
	}
	re, o, err := compileRegex("regexp_replace()", v[1].(string), flags, true)
	if err != nil {
		return nil, err
	}
	all := o.Global || n == 0
	if n < 1 {
		n = 1
	}
	var out []byte
	last := 0
	for i, m := range matchesFrom(re, s, byteOffset(s, start), true) {
		if !all && int64(i+1) != n {
			continue
		}
		out = append(out, s[last:m[0]]...)
		out = re.ExpandString(out, tmpl, s, m)
		last = m[1]
		if !all {
			break
		}
	}
	return string(append(out, s[last:]...)), nil
}

// translateReplacement turns PostgreSQL's replacement text (\1..\9 back-references, \&
// the whole match, \\ a backslash) into Go's Expand template.
func translateReplacement(r string) string {
	var sb strings.Builder
	for i := 0; i < len(r); i++ {
		c := r[i]
		switch {
		case c == '$':
			sb.WriteString("$$")
		case c == '\\' && i+1 < len(r) && r[i+1] >= '0' && r[i+1] <= '9':
			sb.WriteString("${" + string(r[i+1]) + "}")
			i++
		case c == '\\' && i+1 < len(r) && r[i+1] == '&':
			sb.WriteString("${0}")
			i++
		case c == '\\' && i+1 < len(r) && r[i+1] == '\\':
			sb.WriteByte('\\')
			i++
		default:
			sb.WriteByte(c)
		}
	}
	return sb.String()
}
