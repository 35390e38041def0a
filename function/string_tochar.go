package function

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/types"
)

// to_char of numbers (integer, bigint, real, double precision, numeric) with PostgreSQL's
// number format patterns (its manual's table 9.28): 9 0 . , D G S PR MI PL SG FM EEEE V RN TH
// L B, double-quoted text and other characters copied. It follows formatting.c's
// NUM_processor step by step, in the C locale (D is '.', G is ',', L is a space).

// Number format pattern ids.
const (
	numComma = iota + 1
	numDec
	num0
	num9
	numB
	numC
	numD
	numE
	numFM
	numG
	numL
	numMI
	numPL
	numPR
	numRN
	numRNLower
	numSG
	numSP
	numS
	numTH
	numTHLower
	numV
)

// numKeywords in formatting.c's order: the first that matches at a position is taken.
var numKeywords = []struct {
	name string
	id   int
}{
	{",", numComma}, {".", numDec}, {"0", num0}, {"9", num9}, {"B", numB}, {"C", numC}, {"D", numD},
	{"EEEE", numE}, {"FM", numFM}, {"G", numG}, {"L", numL}, {"MI", numMI}, {"PL", numPL}, {"PR", numPR},
	{"RN", numRN}, {"SG", numSG}, {"SP", numSP}, {"S", numS}, {"TH", numTH}, {"V", numV},
	{"b", numB}, {"c", numC}, {"d", numD}, {"eeee", numE}, {"fm", numFM}, {"g", numG}, {"l", numL},
	{"mi", numMI}, {"pl", numPL}, {"pr", numPR}, {"rn", numRNLower}, {"sg", numSG}, {"sp", numSP},
	{"s", numS}, {"th", numTHLower}, {"v", numV},
}

// numNode is a parsed pattern (id > 0) or a literal character.
type numNode struct {
	id int
	ch string
}

// Flags of numDesc.
const (
	nfDecimal = 1 << iota
	nfLDecimal
	nfZero
	nfBlank
	nfFillMode
	nfLSign
	nfBracket
	nfMinus
	nfPlus
	nfRoman
	nfMulti
	nfPlusPost
	nfMinusPost
	nfEEEE
)

const (
	lsignNone = iota
	lsignPre
	lsignPost
)

// numDesc is formatting.c's NUMDesc: what the format asks for.
type numDesc struct {
	pre, post, lsign, flag, preLsignNum, multi, zeroStart, zeroEnd int
}

func (d *numDesc) is(f int) bool { return d.flag&f != 0 }

func numFormatErr(msg string) error { return errs.New(errs.Syntax, "%s", msg) }

// parseNumFormat parses a number format as formatting.c's parse_format and NUMDesc_prepare.
func parseNumFormat(f string) ([]numNode, numDesc, error) {
	var nodes []numNode
	var d numDesc
	for i := 0; i < len(f); {
		matched := false
		for _, k := range numKeywords {
			if strings.HasPrefix(f[i:], k.name) {
				if err := d.prepare(k.id); err != nil {
					return nil, d, err
				}
				nodes = append(nodes, numNode{id: k.id})
				i += len(k.name)
				matched = true
				break
			}
		}
		if matched {
			continue
		}
		if f[i] == '"' {
			i++
			for i < len(f) {
				if f[i] == '"' {
					i++
					break
				}
				if f[i] == '\\' && i+1 < len(f) {
					i++
				}
				_, n := decodeRune(f[i:])
				nodes = append(nodes, numNode{ch: f[i : i+n]})
				i += n
			}
			continue
		}
		if f[i] == '\\' && i+1 < len(f) && f[i+1] == '"' {
			i++
		}
		_, n := decodeRune(f[i:])
		nodes = append(nodes, numNode{ch: f[i : i+n]})
		i += n
	}
	return nodes, d, nil
}

func decodeRune(s string) (rune, int) { return utf8.DecodeRuneInString(s) }

// prepare is NUMDesc_prepare for one pattern.
func (d *numDesc) prepare(id int) error {
	if d.is(nfEEEE) && id != numE {
		return numFormatErr(`"EEEE" must be the last pattern used`)
	}
	switch id {
	case num9:
		if d.is(nfBracket) {
			return numFormatErr(`"9" must be ahead of "PR"`)
		}
		if d.is(nfMulti) {
			d.multi++
			break
		}
		if d.is(nfDecimal) {
			d.post++
		} else {
			d.pre++
		}
	case num0:
		if d.is(nfBracket) {
			return numFormatErr(`"0" must be ahead of "PR"`)
		}
		if !d.is(nfZero) && !d.is(nfDecimal) {
			d.flag |= nfZero
			d.zeroStart = d.pre + 1
		}
		if !d.is(nfDecimal) {
			d.pre++
		} else {
			d.post++
		}
		d.zeroEnd = d.pre
	case numB:
		if d.pre == 0 && d.post == 0 && !d.is(nfZero) {
			d.flag |= nfBlank
		}
	case numD, numDec:
		if id == numD {
			d.flag |= nfLDecimal
		}
		if d.is(nfDecimal) {
			return numFormatErr("multiple decimal points")
		}
		if d.is(nfMulti) {
			return numFormatErr(`cannot use "V" and decimal point together`)
		}
		d.flag |= nfDecimal
	case numFM:
		d.flag |= nfFillMode
	case numS:
		if d.is(nfLSign) {
			return numFormatErr(`cannot use "S" twice`)
		}
		if d.is(nfPlus) || d.is(nfMinus) || d.is(nfBracket) {
			return numFormatErr(`cannot use "S" and "PL"/"MI"/"SG"/"PR" together`)
		}
		if !d.is(nfDecimal) {
			d.lsign, d.preLsignNum = lsignPre, d.pre
			d.flag |= nfLSign
		} else if d.lsign == lsignNone {
			d.lsign = lsignPost
			d.flag |= nfLSign
		}
	case numMI:
		if d.is(nfLSign) {
			return numFormatErr(`cannot use "S" and "MI" together`)
		}
		d.flag |= nfMinus
		if d.is(nfDecimal) {
			d.flag |= nfMinusPost
		}
	case numPL:
		if d.is(nfLSign) {
			return numFormatErr(`cannot use "S" and "PL" together`)
		}
		d.flag |= nfPlus
		if d.is(nfDecimal) {
			d.flag |= nfPlusPost
		}
	case numSG:
		if d.is(nfLSign) {
			return numFormatErr(`cannot use "S" and "SG" together`)
		}
		d.flag |= nfMinus | nfPlus
	case numPR:
		if d.is(nfLSign) || d.is(nfPlus) || d.is(nfMinus) {
			return numFormatErr(`cannot use "PR" and "S"/"PL"/"MI"/"SG" together`)
		}
		d.flag |= nfBracket
	case numRN, numRNLower:
		d.flag |= nfRoman
	case numV:
		if d.is(nfDecimal) {
			return numFormatErr(`cannot use "V" and decimal point together`)
		}
		d.flag |= nfMulti
	case numE:
		if d.is(nfEEEE) {
			return numFormatErr(`cannot use "EEEE" twice`)
		}
		if d.is(nfBlank) || d.is(nfFillMode) || d.is(nfLSign) || d.is(nfBracket) || d.is(nfMinus) || d.is(nfPlus) || d.is(nfRoman) || d.is(nfMulti) {
			return errs.New(errs.Syntax, `"EEEE" is incompatible with other formats`)
		}
		d.flag |= nfEEEE
	}
	return nil
}

// hashes is formatting.c's overflow text: pre '#', '.', post '#'.
func hashes(pre, post int) string {
	return strings.Repeat("#", pre) + "." + strings.Repeat("#", post)
}

// numberText is the digits of |v| as to_char's callers prepare them, the sign, and the
// number of blank positions before them; v is one of int64 (integer when small), float64,
// float32 or a decArg.
func numberText(v any, d *numDesc, bits int) (num string, sign byte, preSpaces int) {
	if d.is(nfRoman) {
		var n int64
		switch x := v.(type) {
		case int64:
			n = x
		case float64:
			n = int64(math.RoundToEven(x))
			if math.IsNaN(x) || math.Abs(x) > 1e9 {
				n = 0
			}
		case decArg:
			r := exec.RoundQuo(x.u, exec.Pow10(x.s))
			if !r.IsInt64() {
				n = 0
			} else {
				n = r.Int64()
			}
		}
		return intToRoman(n), '+', 0
	}
	if d.is(nfEEEE) {
		switch x := v.(type) {
		case int64:
			if bits == 64 {
				return sciText(decArg{big.NewInt(x), 0}, d.post), 0, 0
			}
			return plusSpace(fmt.Sprintf("%+.*e", d.post, float64(x))), 0, 0
		case float64:
			if math.IsNaN(x) || math.IsInf(x, 0) {
				s := []byte(strings.Repeat("#", d.pre+d.post+6))
				s[0], s[d.pre+1] = ' ', '.'
				return string(s), 0, 0
			}
			return plusSpace(fmt.Sprintf("%+.*e", d.post, x)), 0, 0
		case decArg:
			return sciText(x, d.post), 0, 0
		}
	}
	var s string
	switch x := v.(type) {
	case int64:
		if d.is(nfMulti) {
			if bits == 64 {
				s = new(big.Int).Mul(big.NewInt(x), exec.Pow10(int32(d.multi))).String()
			} else {
				m := int64(math.Pow(10, float64(d.multi)))
				s = strconv.FormatInt(int64(int32(x*m)), 10)
			}
			d.pre += d.multi
		} else {
			s = strconv.FormatInt(x, 10)
		}
		sign = '+'
		if s[0] == '-' {
			sign, s = '-', s[1:]
		}
		preLen := len(s)
		if d.post > 0 {
			s += "." + strings.Repeat("0", d.post)
		}
		if preLen < d.pre {
			preSpaces = d.pre - preLen
		} else if preLen > d.pre {
			s = hashes(d.pre, d.post)
		}
		return s, sign, preSpaces
	case float64:
		val := x
		if d.is(nfMulti) {
			val *= math.Pow(10, float64(d.multi))
			d.pre += d.multi
		}
		digits := 15
		if bits == 32 {
			digits = 6
		}
		preLen := len(cFloat(math.Abs(val), 0))
		if preLen >= digits {
			d.post = 0
		} else if preLen+d.post > digits {
			d.post = digits - preLen
		}
		s = cFloat(val, d.post)
	case decArg:
		u, sc := x.u, x.s
		if d.is(nfMulti) {
			u = new(big.Int).Mul(u, exec.Pow10(int32(d.multi)))
			d.pre += d.multi
		}
		// round(v, post), shown with post places.
		post := int32(d.post)
		if post >= sc {
			u = new(big.Int).Mul(u, exec.Pow10(post-sc))
		} else {
			u = exec.RoundQuo(u, exec.Pow10(sc-post))
		}
		s = formatUnscaled(u, post)
	}
	sign = '+'
	if s[0] == '-' {
		sign, s = '-', s[1:]
	}
	preLen := len(s)
	if p := strings.IndexByte(s, '.'); p >= 0 {
		preLen = p
	}
	if preLen < d.pre {
		preSpaces = d.pre - preLen
	} else if preLen > d.pre {
		s = hashes(d.pre, d.post)
	}
	return s, sign, preSpaces
}

// cFloat is C's "%.*f" of x, with PostgreSQL's spellings of NaN and infinity.
func cFloat(x float64, prec int) string {
	if s, ok := exec.FloatSpecial(x); ok {
		return s
	}
	return strconv.FormatFloat(x, 'f', prec, 64)
}

// plusSpace swaps a leading plus sign for a space.
func plusSpace(s string) string {
	if strings.HasPrefix(s, "+") {
		return " " + s[1:]
	}
	return s
}

// formatUnscaled shows u·10^-s.
func formatUnscaled(u *big.Int, s int32) string {
	neg := u.Sign() < 0
	t := new(big.Int).Abs(u).String()
	if s > 0 {
		if len(t) <= int(s) {
			t = strings.Repeat("0", int(s)-len(t)+1) + t
		}
		t = t[:len(t)-int(s)] + "." + t[len(t)-int(s):]
	}
	if neg {
		t = "-" + t
	}
	return t
}

// sciText is numeric_out_sci: the significand rounded to scale places and the exponent,
// with a space for the sign of a positive number.
func sciText(x decArg, scale int) string {
	exp := 0
	if x.u.Sign() != 0 {
		// The exponent of the leading digit, as PostgreSQL computes it from base-10000
		// digits (which is the same).
		exp = x.dweight()
	}
	// x / 10^exp rounded to scale places: x.u · 10^(scale - x.s - exp).
	e := int32(scale) - x.s - int32(exp)
	var u *big.Int
	if e >= 0 {
		u = new(big.Int).Mul(x.u, exec.Pow10(e))
	} else {
		u = exec.RoundQuo(x.u, exec.Pow10(-e))
	}
	s := fmt.Sprintf("%se%+03d", formatUnscaled(u, int32(scale)), exp)
	if s[0] != '-' {
		s = " " + s
	}
	return s
}

// intToRoman is formatting.c's int_to_roman: 15 '#' outside 1..3999.
func intToRoman(n int64) string {
	if n < 1 || n > 3999 {
		return strings.Repeat("#", 15)
	}
	var (
		ones = []string{"I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX"}
		tens = []string{"X", "XX", "XXX", "XL", "L", "LX", "LXX", "LXXX", "XC"}
		huns = []string{"C", "CC", "CCC", "CD", "D", "DC", "DCC", "DCCC", "CM"}
	)
	var sb strings.Builder
	sb.WriteString(strings.Repeat("M", int(n/1000)))
	if h := n / 100 % 10; h > 0 {
		sb.WriteString(huns[h-1])
	}
	if t := n / 10 % 10; t > 0 {
		sb.WriteString(tens[t-1])
	}
	if o := n % 10; o > 0 {
		sb.WriteString(ones[o-1])
	}
	return sb.String()
}

// ordinal is formatting.c's get_th.
func ordinal(num string, upper bool) (string, error) {
	if num == "" || num[len(num)-1] < '0' || num[len(num)-1] > '9' {
		return "", errs.New(errs.InvalidText, "\"%s\" is not a number", num)
	}
	last := num[len(num)-1]
	if len(num) > 1 && num[len(num)-2] == '1' {
		last = 0
	}
	s := "th"
	switch last {
	case '1':
		s = "st"
	case '2':
		s = "nd"
	case '3':
		s = "rd"
	}
	if upper {
		s = strings.ToUpper(s)
	}
	return s, nil
}

// numProc is formatting.c's NUMProc for to_char.
type numProc struct {
	d                            *numDesc
	sign                         byte
	signWrote, numIn             bool
	numCount, numCurr, preSpaces int
	number                       string
	p                            int // index of number_p in number
	lastRelevant                 int // index in number, -1 for none
	out                          strings.Builder
}

func (np *numProc) cur() byte {
	if np.p < len(np.number) {
		return np.number[np.p]
	}
	return 0
}

func (np *numProc) predecSpace() bool {
	return !np.d.is(nfZero) && np.p == 0 && len(np.number) > 0 && np.number[0] == '0' && np.d.post != 0
}

func (np *numProc) lastRelevantIs(c byte) bool {
	return np.lastRelevant >= 0 && np.lastRelevant < len(np.number) && np.number[np.lastRelevant] == c
}

// numToChar is NUM_processor for to_char.
func numToChar(nodes []numNode, d numDesc, number string, preSpaces int, sign byte) (string, error) {
	np := &numProc{d: &d, number: number, lastRelevant: -1}
	if d.zeroStart > 0 {
		d.zeroStart--
	}
	if d.is(nfEEEE) {
		return number, nil
	}
	if d.is(nfRoman) {
		d.lsign, d.preLsignNum, d.post, d.pre, preSpaces, sign = 0, 0, 0, 0, 0, 0
		d.flag = (d.flag & nfFillMode) | nfRoman
	}
	np.sign = sign
	if d.is(nfPlus) || d.is(nfMinus) {
		np.signWrote = !(d.is(nfPlus) && !d.is(nfMinus))
	} else {
		if sign != '-' && d.is(nfFillMode) {
			d.flag &^= nfBracket
		}
		np.signWrote = sign == '+' && d.is(nfFillMode) && !d.is(nfLSign)
		if d.lsign == lsignPre && d.pre == d.preLsignNum {
			d.lsign = lsignPost
		}
	}
	np.numCount = d.post + d.pre - 1
	np.preSpaces = preSpaces
	if d.is(nfFillMode) && d.is(nfDecimal) {
		if dot := strings.IndexByte(number, '.'); dot >= 0 {
			np.lastRelevant = dot
			for i := dot + 1; i < len(number); i++ {
				if number[i] != '0' {
					np.lastRelevant = i
				}
			}
			if d.zeroEnd > preSpaces {
				lastZero := min(len(number)-1, d.zeroEnd-preSpaces)
				if np.lastRelevant < lastZero {
					np.lastRelevant = lastZero
				}
			}
		}
	}
	if !np.signWrote && preSpaces == 0 {
		np.numCount++
	}
	out := &np.out
	for _, n := range nodes {
		if n.id == 0 {
			out.WriteString(n.ch)
			continue
		}
		switch n.id {
		case num9, num0, numDec, numD:
			np.numpart(n.id)
		case numComma, numG:
			if !np.numIn {
				if !d.is(nfFillMode) {
					out.WriteByte(' ')
				}
			} else {
				out.WriteByte(',')
			}
		case numL:
			out.WriteByte(' ')
		case numRN, numRNLower:
			s := number
			if n.id == numRNLower {
				s = strings.ToLower(s)
			}
			if d.is(nfFillMode) {
				out.WriteString(s)
			} else {
				fmt.Fprintf(out, "%15s", s)
			}
		case numTH, numTHLower:
			if d.is(nfRoman) || strings.HasPrefix(number, "#") || sign == '-' || d.is(nfDecimal) {
				continue
			}
			s, err := ordinal(number, n.id == numTH)
			if err != nil {
				return "", err
			}
			out.WriteString(s)
		case numMI:
			if sign == '-' {
				out.WriteByte('-')
			} else if !d.is(nfFillMode) {
				out.WriteByte(' ')
			}
		case numPL:
			if sign == '+' {
				out.WriteByte('+')
			} else if !d.is(nfFillMode) {
				out.WriteByte(' ')
			}
		case numSG:
			if sign != 0 {
				out.WriteByte(sign)
			}
		}
	}
	return out.String(), nil
}

// numpart is NUM_numpart_to_char.
func (np *numProc) numpart(id int) {
	d, out := np.d, &np.out
	if d.is(nfRoman) {
		return
	}
	if !np.signWrote && (np.numCurr >= np.preSpaces || d.is(nfZero) && d.zeroStart == np.numCurr) &&
		(!np.predecSpace() || np.lastRelevantIs('.')) {
		switch {
		case d.is(nfLSign):
			if d.lsign == lsignPre {
				if np.sign == '-' {
					out.WriteByte('-')
				} else {
					out.WriteByte('+')
				}
				np.signWrote = true
			}
		case d.is(nfBracket):
			if np.sign == '+' {
				out.WriteByte(' ')
			} else {
				out.WriteByte('<')
			}
			np.signWrote = true
		case np.sign == '+':
			if !d.is(nfFillMode) {
				out.WriteByte(' ')
			}
			np.signWrote = true
		case np.sign == '-':
			out.WriteByte('-')
			np.signWrote = true
		}
	}
	if np.numCurr < np.preSpaces && (d.zeroStart > np.numCurr || !d.is(nfZero)) {
		if !d.is(nfFillMode) {
			out.WriteByte(' ')
		}
	} else if d.is(nfZero) && np.numCurr < np.preSpaces && d.zeroStart <= np.numCurr {
		out.WriteByte('0')
		np.numIn = true
	} else {
		if np.cur() == '.' {
			if !np.lastRelevantIs('.') || d.is(nfFillMode) {
				out.WriteByte('.')
			}
		} else {
			switch {
			case np.lastRelevant >= 0 && np.p > np.lastRelevant && id != num0:
			case np.predecSpace():
				if !d.is(nfFillMode) {
					out.WriteByte(' ')
				} else if np.lastRelevantIs('.') {
					out.WriteByte('0')
				}
			default:
				if c := np.cur(); c != 0 {
					out.WriteByte(c)
				}
				np.numIn = true
			}
		}
		if np.p < len(np.number) {
			np.p++
		}
	}
	end := np.numCount
	if np.preSpaces > 0 {
		end++
	}
	if d.is(nfDecimal) {
		end++
	}
	if np.lastRelevant >= 0 && np.lastRelevant == np.p {
		end = np.numCurr
	}
	if np.numCurr+1 == end {
		if np.signWrote && d.is(nfBracket) {
			if np.sign == '+' {
				out.WriteByte(' ')
			} else {
				out.WriteByte('>')
			}
		} else if d.is(nfLSign) && d.lsign == lsignPost {
			if np.sign == '-' {
				out.WriteByte('-')
			} else {
				out.WriteByte('+')
			}
		}
	}
	np.numCurr++
}

// numberToChar is to_char(v, format) of a number.
func numberToChar(v any, format string, bits int) (string, error) {
	if format == "" {
		return "", nil
	}
	nodes, d, err := parseNumFormat(format)
	if err != nil {
		return "", err
	}
	num, sign, pre := numberText(v, &d, bits)
	return numToChar(nodes, d, num, pre, sign)
}

// isToCharNumber reports whether to_char takes t as a number.
func isToCharNumber(t arrow.DataType) bool {
	return exec.IsNumeric(t) || types.IsVarNumeric(t)
}

func registerToCharNumber() {
	register(function{takes: func(args []arrow.DataType) bool {
		return len(args) == 2 && args[1].ID() == arrow.STRING && isToCharNumber(args[0])
	}, resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if args[0].ID() == arrow.INT16 {
			// to_char(integer, text): smallint converts.
			return arrow.BinaryTypes.String, []arrow.DataType{arrow.PrimitiveTypes.Int32, nil}, nil
		}
		return arrow.BinaryTypes.String, nil, nil
	}, eval: func(mem memory.Allocator, typ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
		return evalNumberToChar(mem, args)
	}}, "to_char")
}

func evalNumberToChar(mem memory.Allocator, args []arrow.Array) (arrow.Array, error) {
	a, formats := args[0], args[1].(*array.String)
	b := array.NewStringBuilder(mem)
	defer b.Release()
	n := a.Len()
	b.Reserve(n)
	bits := 32
	switch a.DataType().ID() {
	case arrow.INT64, arrow.FLOAT64:
		bits = 64
	}
	for i := 0; i < n; i++ {
		if a.IsNull(i) || formats.IsNull(i) {
			b.AppendNull()
			continue
		}
		var v any
		switch x := exec.ValueAt(a, i).(type) {
		case int32:
			v = int64(x)
		case int64:
			v = x
		case float32:
			v = float64(x)
		case float64:
			v = x
		default:
			v = decValue(a, i)
		}
		s, err := numberToChar(v, formats.Value(i), bits)
		if err != nil {
			return nil, err
		}
		b.Append(s)
	}
	return b.NewArray(), nil
}
