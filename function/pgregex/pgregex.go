// Package pgregex compiles PostgreSQL regular expressions (Advanced Regular Expressions,
// ARE, with PostgreSQL's flag letters) to Go's RE2 engine, and translates SQL's SIMILAR TO
// patterns to them.
//
// RE2 matches in time linear in the input and so has no back-references and no lookaround
// assertions: a pattern using them is refused with errs.InvalidRegex (SQLSTATE 2201B)
// naming the construct. The ARE escapes RE2 lacks are translated: \m and \M (and [[:<:]],
// [[:>:]]) become \b, \y and \Y become \b and \B, \Z becomes \z, \e, \uXXXX, \UXXXXXXXX
// and octal escapes become their characters; embedded options ((?i) at the start, ***: and
// ***=) and the x flag's expanded syntax are honoured.
package pgregex

import (
	"regexp"
	"regexp/syntax"
	"strings"
	"sync"

	"github.com/sleeperd/sleeperd/errs"
)

// Options are the flags of a PostgreSQL regular expression.
type Options struct {
	// Global is flag g: every match, not the first. Only the functions read it.
	Global bool
	// Insensitive is flag i (c turns it off).
	Insensitive bool
	// dotNL: . and [^...] match a newline; multiLine: ^ and $ match at line ends.
	dotNL, multiLine bool
	// expanded is flag x; literal is flag q.
	expanded, literal bool
}

// ParseFlags reads PostgreSQL's flag letters. allowGlobal is false for the functions
// that do not take g.
func ParseFlags(flags string) (Options, error) {
	o := Options{dotNL: true}
	for _, f := range flags {
		if err := o.set(f, true); err != nil {
			return o, err
		}
	}
	return o, nil
}

// set applies one flag letter; global says whether g is allowed here (not inside (?...)).
func (o *Options) set(f rune, global bool) error {
	switch f {
	case 'g':
		if !global {
			return errs.New(errs.InvalidRegex, "invalid regular expression: invalid embedded option")
		}
		o.Global = true
	case 'i':
		o.Insensitive = true
	case 'c':
		o.Insensitive = false
	case 'n', 'm':
		o.dotNL, o.multiLine = false, true
	case 's':
		o.dotNL, o.multiLine = true, false
	case 'p':
		o.dotNL, o.multiLine = false, false
	case 'w':
		o.dotNL, o.multiLine = true, true
	case 'x':
		o.expanded = true
	case 't':
		o.expanded = false
	case 'q':
		o.literal = true
	case 'e', 'b':
		if !global {
			return errs.New(errs.InvalidRegex, "invalid regular expression: invalid embedded option")
		}
		return errs.New(errs.NotImplemented, "regular expression flag %q (basic or extended POSIX syntax) is not supported, only advanced regular expressions", string(f))
	default:
		if !global {
			return errs.New(errs.InvalidRegex, "invalid regular expression: invalid embedded option")
		}
		return errs.New(errs.InvalidParameter, "invalid regular expression option: \"%c\"", f)
	}
	return nil
}

type cacheKey struct {
	pattern string
	opts    Options
}

var cache sync.Map // cacheKey -> *regexp.Regexp

// Compile compiles a PostgreSQL pattern with options; compiled patterns are cached.
func Compile(pattern string, o Options) (*regexp.Regexp, error) {
	o.Global = false
	key := cacheKey{pattern, o}
	if re, ok := cache.Load(key); ok {
		return re.(*regexp.Regexp), nil
	}
	src, err := Translate(pattern, o)
	if err != nil {
		return nil, err
	}
	re, err := regexp.Compile(src)
	if err != nil {
		return nil, errs.New(errs.InvalidRegex, "invalid regular expression: %s", goMessage(err))
	}
	if !strings.Contains(src, "?") || !lazy(src) {
		// PostgreSQL prefers the longest match when no quantifier is non-greedy
		// (a|ab matches ab), as POSIX does.
		re.Longest()
	}
	if n := 0; true {
		cache.Range(func(any, any) bool { n++; return n < 4096 })
		if n >= 4096 {
			cache.Clear()
		}
	}
	cache.Store(key, re)
	return re, nil
}

// lazy reports whether the translated pattern has a non-greedy quantifier.
func lazy(src string) bool {
	for i := 1; i < len(src); i++ {
		if src[i] == '\\' {
			i++
			continue
		}
		if src[i] == '?' && (src[i-1] == '*' || src[i-1] == '+' || src[i-1] == '?' || src[i-1] == '}') && (i < 2 || src[i-2] != '\\') {
			return true
		}
	}
	return false
}

func goMessage(err error) string {
	if e, ok := err.(*syntax.Error); ok {
		switch e.Code {
		case syntax.ErrMissingParen, syntax.ErrUnexpectedParen:
			return "parentheses () not balanced"
		case syntax.ErrMissingBracket:
			return "brackets [] not balanced"
		case syntax.ErrMissingRepeatArgument, syntax.ErrInvalidRepeatOp:
			return "quantifier operand invalid"
		case syntax.ErrInvalidRepeatSize:
			return "invalid repetition count(s)"
		case syntax.ErrInvalidCharRange:
			return "invalid character range"
		case syntax.ErrTrailingBackslash:
			return "invalid escape \\ sequence"
		}
		return string(e.Code) + ": " + e.Expr
	}
	return err.Error()
}

// Translate rewrites a PostgreSQL ARE into RE2 syntax.
func Translate(pattern string, o Options) (string, error) {
	switch {
	case strings.HasPrefix(pattern, "***="):
		pattern, o.literal = pattern[4:], true
	case strings.HasPrefix(pattern, "***:"):
		pattern = pattern[4:]
	}
	if !o.literal && strings.HasPrefix(pattern, "(?") && len(pattern) > 2 && isLetter(pattern[2]) {
		end := strings.IndexByte(pattern, ')')
		if end < 0 {
			return "", errs.New(errs.InvalidRegex, "invalid regular expression: invalid embedded option")
		}
		for _, f := range pattern[2:end] {
			if err := o.set(f, false); err != nil {
				return "", err
			}
		}
		pattern = pattern[end+1:]
	}
	var sb strings.Builder
	sb.WriteString("(?")
	if o.Insensitive {
		sb.WriteByte('i')
	}
	if o.dotNL {
		sb.WriteByte('s')
	}
	if o.multiLine {
		sb.WriteByte('m')
	}
	sb.WriteString(")")
	if o.literal {
		sb.WriteString(regexp.QuoteMeta(pattern))
		return sb.String(), nil
	}
	t := translator{p: pattern, o: o, out: &sb}
	if err := t.run(); err != nil {
		return "", err
	}
	return sb.String(), nil
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

type translator struct {
	p   string
	i   int
	o   Options
	out *strings.Builder
}

func unsupported(what string) error {
	return errs.New(errs.InvalidRegex, "invalid regular expression: %s are not supported (Go's RE2 engine matches in linear time and has none)", what)
}

func (t *translator) run() error {
	for t.i < len(t.p) {
		c := t.p[t.i]
		switch {
		case c == '\\':
			if err := t.escape(false); err != nil {
				return err
			}
			continue
		case c == '[':
			if err := t.bracket(); err != nil {
				return err
			}
			continue
		case c == '(' && strings.HasPrefix(t.p[t.i:], "(?"):
			rest := t.p[t.i+2:]
			switch {
			case strings.HasPrefix(rest, "="), strings.HasPrefix(rest, "!"):
				return unsupported("lookahead constraints (?= and (?!")
			case strings.HasPrefix(rest, "<=") || strings.HasPrefix(rest, "<!"):
				return unsupported("lookbehind constraints (?<= and (?<!")
			case strings.HasPrefix(rest, "#"):
				end := strings.IndexByte(rest, ')')
				if end < 0 {
					return errs.New(errs.InvalidRegex, "invalid regular expression: parentheses () not balanced")
				}
				t.i += 2 + end + 1
				continue
			case strings.HasPrefix(rest, ":"):
				t.out.WriteString("(?:")
				t.i += 3
				continue
			}
			return errs.New(errs.InvalidRegex, "invalid regular expression: quantifier operand invalid")
		case t.o.expanded && (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'):
			t.i++
			continue
		case t.o.expanded && c == '#':
			if nl := strings.IndexByte(t.p[t.i:], '\n'); nl >= 0 {
				t.i += nl + 1
			} else {
				t.i = len(t.p)
			}
			continue
		case c == '{':
			// A bound; PostgreSQL allows at most 255 repetitions.
			end := strings.IndexByte(t.p[t.i:], '}')
			if end > 0 && boundText(t.p[t.i+1:t.i+end]) {
				for _, n := range strings.Split(t.p[t.i+1:t.i+end], ",") {
					if len(n) > 3 || len(n) == 3 && n > "255" {
						return errs.New(errs.InvalidRegex, "invalid regular expression: invalid repetition count(s)")
					}
				}
			}
		}
		t.out.WriteByte(c)
		t.i++
	}
	return nil
}

func boundText(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if (s[i] < '0' || s[i] > '9') && s[i] != ',' {
			return false
		}
	}
	return true
}

// escape translates the escape at t.i (a backslash); inBracket is set inside [...].
func (t *translator) escape(inBracket bool) error {
	if t.i+1 >= len(t.p) {
		return errs.New(errs.InvalidRegex, "invalid regular expression: invalid escape \\ sequence")
	}
	c := t.p[t.i+1]
	t.i += 2
	w := t.out.WriteString
	switch c {
	case 'm', 'M', 'y':
		if inBracket {
			return errs.New(errs.InvalidRegex, "invalid regular expression: invalid escape \\ sequence")
		}
		w(`\b`)
	case 'Y':
		if inBracket {
			return errs.New(errs.InvalidRegex, "invalid regular expression: invalid escape \\ sequence")
		}
		w(`\B`)
	case 'A':
		w(`\A`)
	case 'Z':
		w(`\z`)
	case 'e':
		w(`\x1B`)
	case 'a':
		w(`\x07`)
	case 'b':
		w(`\x08`)
	case 'B':
		w(`\\`)
	case 'c':
		if t.i >= len(t.p) {
			return errs.New(errs.InvalidRegex, "invalid regular expression: invalid escape \\ sequence")
		}
		w(hexRune(rune(t.p[t.i] & 0x1F)))
		t.i++
	case 'u', 'U', 'x':
		n := map[byte]int{'u': 4, 'U': 8, 'x': 8}[c]
		j := t.i
		for j < len(t.p) && j-t.i < n && isHex(t.p[j]) {
			j++
		}
		if j == t.i || (c != 'x' && j-t.i != n) {
			return errs.New(errs.InvalidRegex, "invalid regular expression: invalid escape \\ sequence")
		}
		w(`\x{` + t.p[t.i:j] + `}`)
		t.i = j
	case '0':
		j := t.i
		for j < len(t.p) && j-t.i < 2 && t.p[j] >= '0' && t.p[j] <= '7' {
			j++
		}
		v := 0
		for _, d := range t.p[t.i:j] {
			v = v*8 + int(d-'0')
		}
		w(hexRune(rune(v)))
		t.i = j
	case '1', '2', '3', '4', '5', '6', '7', '8', '9':
		if inBracket {
			return errs.New(errs.InvalidRegex, "invalid regular expression: invalid escape \\ sequence")
		}
		return unsupported("back-references (\\" + string(c) + ")")
	case 'k':
		return unsupported("back-references")
	case 'd', 'D', 's', 'S', 'w', 'W', 'n', 'r', 't', 'f', 'v':
		if inBracket && (c == 'D' || c == 'S' || c == 'W') {
			return errs.New(errs.InvalidRegex, "invalid regular expression: invalid escape \\ sequence")
		}
		t.out.WriteByte('\\')
		t.out.WriteByte(c)
	default:
		if isLetter(c) || c >= '0' && c <= '9' {
			return errs.New(errs.InvalidRegex, "invalid regular expression: invalid escape \\ sequence")
		}
		// An escaped non-alphanumeric character is that character.
		w(regexp.QuoteMeta(string(c)))
		if c >= 0x80 { // the rest of a multi-byte character
			return nil
		}
	}
	return nil
}

func hexRune(r rune) string {
	const digits = "0123456789ABCDEF"
	var b []byte
	for v := r; ; v >>= 4 {
		b = append([]byte{digits[v&15]}, b...)
		if v < 16 {
			break
		}
	}
	return `\x{` + string(b) + `}`
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// bracket translates a bracket expression [...] at t.i.
func (t *translator) bracket() error {
	if strings.HasPrefix(t.p[t.i:], "[[:<:]]") || strings.HasPrefix(t.p[t.i:], "[[:>:]]") {
		t.out.WriteString(`\b`)
		t.i += 7
		return nil
	}
	t.out.WriteByte('[')
	t.i++
	if t.i < len(t.p) && t.p[t.i] == '^' {
		t.out.WriteByte('^')
		if !t.o.dotNL {
			t.out.WriteString(`\n`)
		}
		t.i++
	}
	first := true
	for t.i < len(t.p) {
		c := t.p[t.i]
		switch {
		case c == ']' && !first:
			t.out.WriteByte(']')
			t.i++
			return nil
		case c == ']':
			t.out.WriteString(`\]`)
			t.i++
		case c == '\\':
			if err := t.escape(true); err != nil {
				return err
			}
		case c == '[' && strings.HasPrefix(t.p[t.i:], "[:"):
			end := strings.Index(t.p[t.i+2:], ":]")
			if end < 0 {
				return errs.New(errs.InvalidRegex, "invalid regular expression: brackets [] not balanced")
			}
			t.out.WriteString(t.p[t.i : t.i+2+end+2])
			t.i += 2 + end + 2
		case c == '[' && (strings.HasPrefix(t.p[t.i:], "[.") || strings.HasPrefix(t.p[t.i:], "[=")):
			return errs.New(errs.NotImplemented, "collating elements and equivalence classes in regular expressions are not supported")
		case c == '[':
			t.out.WriteString(`\[`)
			t.i++
		default:
			t.out.WriteByte(c)
			t.i++
		}
		first = false
	}
	return errs.New(errs.InvalidRegex, "invalid regular expression: brackets [] not balanced")
}

// SimilarToEscape translates a SQL SIMILAR TO pattern to a PostgreSQL regular expression
// anchored at both ends, as PostgreSQL's similar_to_escape does. escape is the escape
// character ("" for none); hasEscape is false for the default, a backslash.
func SimilarToEscape(pat, escape string, hasEscape bool) (string, error) {
	esc := rune('\\')
	if hasEscape {
		switch n := len([]rune(escape)); n {
		case 0:
			esc = 0
		case 1:
			esc = []rune(escape)[0]
		default:
			return "", errs.New(errs.InvalidEscape, "invalid escape string")
		}
	}
	var sb strings.Builder
	sb.WriteString("^(?:")
	afterEscape, inBracket, nquotes := false, false, 0
	for _, c := range pat {
		switch {
		case afterEscape:
			if c == '"' && !inBracket {
				// The escape-double-quote separators of substring(... SIMILAR ...).
				switch nquotes {
				case 0:
					sb.WriteString("){1,1}?(")
				case 1:
					sb.WriteString("){1,1}(?:")
				default:
					return "", errs.New(errs.InvalidRegex, "SQL regular expression may not contain more than two escape-double-quote separators")
				}
				nquotes++
			} else {
				sb.WriteByte('\\')
				sb.WriteRune(c)
			}
			afterEscape = false
		case esc != 0 && c == esc:
			afterEscape = true
		case inBracket:
			if c == '\\' {
				sb.WriteByte('\\')
			}
			if c == ']' {
				inBracket = false
			}
			sb.WriteRune(c)
		case c == '[':
			inBracket = true
			sb.WriteRune(c)
		case c == '%':
			sb.WriteString(".*")
		case c == '_':
			sb.WriteByte('.')
		case c == '(':
			sb.WriteString("(?:")
		case c == '\\', c == '.', c == '^', c == '$':
			sb.WriteByte('\\')
			sb.WriteRune(c)
		default:
			sb.WriteRune(c)
		}
	}
	sb.WriteString(")$")
	return sb.String(), nil
}
