package types

import (
	"math/big"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/sleeperd/sleeperd/errs"
)

// JSONKind is the kind of a JSON value, named as jsonb_typeof names it.
type JSONKind uint8

// The kinds of JSON values.
const (
	JSONNull JSONKind = iota
	JSONBool
	JSONNumber
	JSONString
	JSONArray
	JSONObject
)

var jsonKindNames = [...]string{"null", "boolean", "number", "string", "array", "object"}

func (k JSONKind) String() string { return jsonKindNames[k] }

// JSONValue is a parsed JSON value. Str is a string's decoded text, a number's text
// (normalised as numeric prints it once Normalize ran) or "true"/"false". Raw is the text the
// value was parsed from, which json (unlike jsonb) shows as it was given.
type JSONValue struct {
	Kind  JSONKind
	Str   string
	Elems []*JSONValue // array elements
	Keys  []string     // object keys, in the order given (sorted once normalised)
	Vals  []*JSONValue // object values, parallel to Keys
	Raw   string
}

// jsonSyntax is PostgreSQL's error for text that is not JSON.
func jsonSyntax(typ string) error {
	return errs.New(errs.InvalidText, "invalid input syntax for type %s", typ)
}

// ParseJSON parses s as a JSON text; typ (json or jsonb) names the type in its errors, which
// carry SQLSTATE 22P02. jsonb refuses the escape \u0000 with 22P05, as PostgreSQL does.
func ParseJSON(s, typ string) (*JSONValue, error) {
	p := &jsonParser{s: s, typ: typ}
	p.space()
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i < len(p.s) {
		return nil, jsonSyntax(typ)
	}
	return v, nil
}

// maxJSONDepth bounds nesting, as PostgreSQL's stack depth check does.
const maxJSONDepth = 6400

type jsonParser struct {
	s   string
	i   int
	typ string
}

func (p *jsonParser) space() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonParser) value(depth int) (*JSONValue, error) {
	if depth > maxJSONDepth {
		return nil, errs.New(errs.InvalidParameter, "stack depth limit exceeded")
	}
	if p.i >= len(p.s) {
		return nil, jsonSyntax(p.typ)
	}
	start := p.i
	var v *JSONValue
	var err error
	switch c := p.s[p.i]; {
	case c == '{':
		v, err = p.object(depth)
	case c == '[':
		v, err = p.array(depth)
	case c == '"':
		var s string
		s, err = p.str()
		v = &JSONValue{Kind: JSONString, Str: s}
	case c == '-' || c >= '0' && c <= '9':
		var s string
		s, err = p.number()
		v = &JSONValue{Kind: JSONNumber, Str: s}
	case strings.HasPrefix(p.s[p.i:], "true"):
		p.i += 4
		v = &JSONValue{Kind: JSONBool, Str: "true"}
	case strings.HasPrefix(p.s[p.i:], "false"):
		p.i += 5
		v = &JSONValue{Kind: JSONBool, Str: "false"}
	case strings.HasPrefix(p.s[p.i:], "null"):
		p.i += 4
		v = &JSONValue{Kind: JSONNull}
	default:
		return nil, jsonSyntax(p.typ)
	}
	if err != nil {
		return nil, err
	}
	if v.Kind == JSONBool || v.Kind == JSONNull {
		// A keyword must not run into more letters (truex).
		if p.i < len(p.s) && isJSONWordByte(p.s[p.i]) {
			return nil, jsonSyntax(p.typ)
		}
	}
	v.Raw = p.s[start:p.i]
	return v, nil
}

func isJSONWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c >= 0x80
}

func (p *jsonParser) object(depth int) (*JSONValue, error) {
	p.i++ // {
	v := &JSONValue{Kind: JSONObject}
	p.space()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		return v, nil
	}
	for {
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			return nil, jsonSyntax(p.typ)
		}
		k, err := p.str()
		if err != nil {
			return nil, err
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil, jsonSyntax(p.typ)
		}
		p.i++
		p.space()
		e, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		v.Keys, v.Vals = append(v.Keys, k), append(v.Vals, e)
		done, err := p.separator('}')
		if err != nil {
			return nil, err
		}
		if done {
			return v, nil
		}
	}
}

func (p *jsonParser) array(depth int) (*JSONValue, error) {
	p.i++ // [
	v := &JSONValue{Kind: JSONArray}
	p.space()
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		return v, nil
	}
	for {
		p.space()
		e, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		v.Elems = append(v.Elems, e)
		done, err := p.separator(']')
		if err != nil {
			return nil, err
		}
		if done {
			return v, nil
		}
	}
}

// separator reads, after the spaces following a member or element, the comma before the
// next one or the close that ends the object or array: done is true after close.
func (p *jsonParser) separator(close byte) (done bool, err error) {
	p.space()
	if p.i >= len(p.s) {
		return false, jsonSyntax(p.typ)
	}
	switch p.s[p.i] {
	case ',':
		p.i++
		return false, nil
	case close:
		p.i++
		return true, nil
	default:
		return false, jsonSyntax(p.typ)
	}
}

func (p *jsonParser) str() (string, error) {
	p.i++ // "
	start := p.i
	// The common case: no escapes.
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '"' {
			s := p.s[start:p.i]
			p.i++
			return s, nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", jsonSyntax(p.typ)
		}
		p.i++
	}
	var b strings.Builder
	b.WriteString(p.s[start:p.i])
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return b.String(), nil
		case c < 0x20:
			return "", jsonSyntax(p.typ)
		case c != '\\':
			b.WriteByte(c)
			p.i++
			continue
		}
		if p.i+1 >= len(p.s) {
			return "", jsonSyntax(p.typ)
		}
		e := p.s[p.i+1]
		p.i += 2
		switch e {
		case '"', '\\', '/':
			b.WriteByte(e)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return "", jsonSyntax(p.typ)
			}
			if utf16.IsSurrogate(r) {
				if r >= 0xDC00 || !strings.HasPrefix(p.s[p.i:], `\u`) {
					return "", jsonSyntax(p.typ)
				}
				p.i += 2
				r2, ok := p.hex4()
				if !ok {
					return "", jsonSyntax(p.typ)
				}
				if r = utf16.DecodeRune(r, r2); r == utf8.RuneError {
					return "", jsonSyntax(p.typ)
				}
			}
			if r == 0 {
				if p.typ == "jsonb" {
					return "", errs.New(errs.InvalidText, "unsupported Unicode escape sequence")
				}
				b.WriteString(`\u0000`)
				continue
			}
			b.WriteRune(r)
		default:
			return "", jsonSyntax(p.typ)
		}
	}
	return "", jsonSyntax(p.typ)
}

func (p *jsonParser) hex4() (rune, bool) {
	if p.i+4 > len(p.s) {
		return 0, false
	}
	n, err := strconv.ParseUint(p.s[p.i:p.i+4], 16, 32)
	if err != nil {
		return 0, false
	}
	p.i += 4
	return rune(n), true
}

func (p *jsonParser) number() (string, error) {
	start := p.i
	if p.s[p.i] == '-' {
		p.i++
	}
	digits := func() int {
		n := 0
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	intStart := p.i
	n := digits()
	if n == 0 || n > 1 && p.s[intStart] == '0' {
		return "", jsonSyntax(p.typ)
	}
	if p.i < len(p.s) && p.s[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return "", jsonSyntax(p.typ)
		}
	}
	if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		p.i++
		if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return "", jsonSyntax(p.typ)
		}
	}
	if p.i < len(p.s) && isJSONWordByte(p.s[p.i]) {
		return "", jsonSyntax(p.typ)
	}
	return p.s[start:p.i], nil
}

// NormalNumber is the JSON number s as PostgreSQL's numeric prints it: without exponent,
// with max(0, fraction digits - exponent) fraction digits, no leading zeros and no negative
// zero (1e2 is 100, 1.50 stays 1.50, 15e-1 is 1.5).
func NormalNumber(s string) (string, error) {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	mant, expText, hasExp := strings.Cut(strings.ToLower(s), "e")
	exp := 0
	if hasExp {
		e, err := strconv.Atoi(expText)
		if err != nil || e > 100000 || e < -100000 {
			return "", errs.New(errs.NumericRange, "value overflows numeric format")
		}
		exp = e
	}
	ip, fp, _ := strings.Cut(mant, ".")
	if !hasExp {
		ip = strings.TrimLeft(ip, "0")
		if ip == "" {
			ip = "0"
		}
		out := ip
		if fp != "" {
			out += "." + fp
		}
		if neg && strings.Trim(ip+fp, "0") != "" {
			out = "-" + out
		}
		return out, nil
	}
	digits := ip + fp
	e := exp - len(fp) // value = digits * 10^e
	scale := max(0, -e)
	var out string
	if e >= 0 {
		out = strings.TrimLeft(digits+strings.Repeat("0", e), "0")
		if out == "" {
			out = "0"
		}
	} else {
		if len(digits) <= scale {
			digits = strings.Repeat("0", scale-len(digits)+1) + digits
		}
		ipart := strings.TrimLeft(digits[:len(digits)-scale], "0")
		if ipart == "" {
			ipart = "0"
		}
		out = ipart + "." + digits[len(digits)-scale:]
	}
	if neg && strings.Trim(digits, "0") != "" {
		out = "-" + out
	}
	return out, nil
}

// Normalize turns v into its jsonb form: numbers as numeric prints them, object keys sorted
// as jsonb sorts them (shorter first, then bytewise) with the last of duplicate keys kept.
func (v *JSONValue) Normalize() error {
	switch v.Kind {
	case JSONNumber:
		s, err := NormalNumber(v.Str)
		if err != nil {
			return err
		}
		v.Str = s
	case JSONArray:
		for _, e := range v.Elems {
			if err := e.Normalize(); err != nil {
				return err
			}
		}
	case JSONObject:
		idx := make([]int, len(v.Keys))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return jsonKeyLess(v.Keys[idx[a]], v.Keys[idx[b]]) })
		keys, vals := make([]string, 0, len(idx)), make([]*JSONValue, 0, len(idx))
		for n, i := range idx {
			if n+1 < len(idx) && v.Keys[idx[n+1]] == v.Keys[i] {
				continue // a later duplicate wins
			}
			if err := v.Vals[i].Normalize(); err != nil {
				return err
			}
			keys, vals = append(keys, v.Keys[i]), append(vals, v.Vals[i])
		}
		v.Keys, v.Vals = keys, vals
	}
	return nil
}

// jsonKeyLess is jsonb's order of object keys: shorter first, then bytewise.
func jsonKeyLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// Get is the value of key k of an object, or nil.
func (v *JSONValue) Get(k string) *JSONValue {
	if v.Kind != JSONObject {
		return nil
	}
	if i := v.KeyIndex(k); i >= 0 {
		return v.Vals[i]
	}
	return nil
}

// KeyIndex is the index in Keys of the last member of an object named k (the one that
// counts where a key repeats), or -1.
func (v *JSONValue) KeyIndex(k string) int {
	if v.Kind != JSONObject {
		return -1
	}
	for i := len(v.Keys) - 1; i >= 0; i-- {
		if v.Keys[i] == k {
			return i
		}
	}
	return -1
}

// Index is element i of an array (counting from the end when negative), or nil.
func (v *JSONValue) Index(i int64) *JSONValue {
	if v.Kind != JSONArray {
		return nil
	}
	if i < 0 {
		i += int64(len(v.Elems))
	}
	if i < 0 || i >= int64(len(v.Elems)) {
		return nil
	}
	return v.Elems[i]
}

// AppendJSONB appends v as PostgreSQL prints jsonb: {"a": 1, "b": [1, 2]}.
func (v *JSONValue) AppendJSONB(dst []byte) []byte {
	switch v.Kind {
	case JSONNull:
		return append(dst, "null"...)
	case JSONBool, JSONNumber:
		return append(dst, v.Str...)
	case JSONString:
		return AppendJSONString(dst, v.Str)
	case JSONArray:
		dst = append(dst, '[')
		for i, e := range v.Elems {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			dst = e.AppendJSONB(dst)
		}
		return append(dst, ']')
	}
	dst = append(dst, '{')
	for i, k := range v.Keys {
		if i > 0 {
			dst = append(dst, ", "...)
		}
		dst = AppendJSONString(dst, k)
		dst = append(dst, ": "...)
		dst = v.Vals[i].AppendJSONB(dst)
	}
	return append(dst, '}')
}

// JSONB is v printed as jsonb.
func (v *JSONValue) JSONB() string { return string(v.AppendJSONB(nil)) }

// Text is v as json shows it when it was parsed (Raw), else as jsonb.
func (v *JSONValue) Text() string {
	if v.Raw != "" {
		return v.Raw
	}
	return v.JSONB()
}

// AppendPretty appends v as jsonb_pretty prints it: four spaces per level.
func (v *JSONValue) AppendPretty(dst []byte, level int) []byte {
	indent := func(dst []byte, n int) []byte {
		dst = append(dst, '\n')
		for i := 0; i < n; i++ {
			dst = append(dst, "    "...)
		}
		return dst
	}
	switch v.Kind {
	case JSONArray:
		dst = append(dst, '[')
		for i, e := range v.Elems {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = indent(dst, level+1)
			dst = e.AppendPretty(dst, level+1)
		}
		dst = indent(dst, level)
		return append(dst, ']')
	case JSONObject:
		dst = append(dst, '{')
		for i, k := range v.Keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = indent(dst, level+1)
			dst = AppendJSONString(dst, k)
			dst = append(dst, ": "...)
			dst = v.Vals[i].AppendPretty(dst, level+1)
		}
		dst = indent(dst, level)
		return append(dst, '}')
	}
	return v.AppendJSONB(dst)
}

// AppendJSONString appends s quoted as a JSON string, with the escapes PostgreSQL's
// escape_json writes.
func AppendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			dst = append(dst, `\"`...)
		case '\\':
			dst = append(dst, `\\`...)
		case '\b':
			dst = append(dst, `\b`...)
		case '\f':
			dst = append(dst, `\f`...)
		case '\n':
			dst = append(dst, `\n`...)
		case '\r':
			dst = append(dst, `\r`...)
		case '\t':
			dst = append(dst, `\t`...)
		default:
			if c < 0x20 {
				const hex = "0123456789abcdef"
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			} else {
				dst = append(dst, c)
			}
		}
	}
	return append(dst, '"')
}

// JSONBNormalize is the jsonb text of the JSON text s.
func JSONBNormalize(s string) (string, error) {
	v, err := ParseJSON(s, "jsonb")
	if err != nil {
		return "", err
	}
	if err := v.Normalize(); err != nil {
		return "", err
	}
	return v.JSONB(), nil
}

// ParseJSONB parses s as jsonb and normalises it.
func ParseJSONB(s string) (*JSONValue, error) {
	v, err := ParseJSON(s, "jsonb")
	if err != nil {
		return nil, err
	}
	if err := v.Normalize(); err != nil {
		return nil, err
	}
	return v, nil
}

// JSONEqual reports whether two normalised values are equal as jsonb compares them: numbers
// by value.
func JSONEqual(a, b *JSONValue) bool {
	if a.Kind != b.Kind {
		return false
	}
	switch a.Kind {
	case JSONNull:
		return true
	case JSONNumber:
		return numberEqual(a.Str, b.Str)
	case JSONBool, JSONString:
		return a.Str == b.Str
	case JSONArray:
		if len(a.Elems) != len(b.Elems) {
			return false
		}
		for i := range a.Elems {
			if !JSONEqual(a.Elems[i], b.Elems[i]) {
				return false
			}
		}
		return true
	}
	if len(a.Keys) != len(b.Keys) {
		return false
	}
	for i, k := range a.Keys {
		bv := b.Get(k)
		if bv == nil || !JSONEqual(a.Vals[i], bv) {
			return false
		}
	}
	return true
}

func numberEqual(a, b string) bool {
	if a == b {
		return true
	}
	x, ok1 := new(big.Rat).SetString(a)
	y, ok2 := new(big.Rat).SetString(b)
	return ok1 && ok2 && x.Cmp(y) == 0
}

// JSONContains reports whether a contains b as jsonb's @> decides: an object contains an
// object whose pairs it contains, an array contains an array whose elements each match one
// of its elements (and, at the top level, a scalar it holds), scalars contain equal scalars.
func JSONContains(a, b *JSONValue, top bool) bool {
	if a.Kind == JSONArray && b.Kind != JSONArray && b.Kind != JSONObject && top {
		for _, e := range a.Elems {
			if JSONEqual(e, b) {
				return true
			}
		}
		return false
	}
	if a.Kind != b.Kind {
		return false
	}
	switch a.Kind {
	case JSONObject:
		for i, k := range b.Keys {
			av := a.Get(k)
			if av == nil || !JSONContains(av, b.Vals[i], false) {
				return false
			}
		}
		return true
	case JSONArray:
		for _, be := range b.Elems {
			found := false
			for _, ae := range a.Elems {
				if ae.Kind == JSONArray && be.Kind != JSONArray {
					continue
				}
				if JSONContains(ae, be, false) {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
		return true
	}
	return JSONEqual(a, b)
}
