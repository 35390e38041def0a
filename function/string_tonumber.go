package function

import (
	"math/big"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/types"
)

// to_number(text, format): the number the format's patterns read from the text, as
// formatting.c's NUM_processor reads it (each digit pattern takes one character, a digit
// or not; text between patterns is skipped character by character), as numeric.

// numReader is NUMProc in to_number's direction.
type numReader struct {
	d                 *numDesc
	in                string
	p                 int  // inout_p
	sign              byte // ' ', '-' or '+': the first character of number
	digits            strings.Builder
	readPre, readPost int
	readDec           bool
}

func (r *numReader) overload() bool    { return r.p >= len(r.in) }
func (r *numReader) amount(n int) bool { return r.p <= len(r.in)-n }
func isDigit(c byte) bool              { return c >= '0' && c <= '9' }

// eatNonData is NUM_eat_non_data_chars.
func (r *numReader) eatNonData(n int) {
	for ; n > 0; n-- {
		if r.overload() || strings.IndexByte("0123456789.,+-", r.in[r.p]) >= 0 {
			break
		}
		_, size := utf8.DecodeRuneInString(r.in[r.p:])
		r.p += size
	}
}

// numpart is NUM_numpart_from_char.
func (r *numReader) numpart(id int) {
	d := r.d
	if r.overload() {
		return
	}
	if r.in[r.p] == ' ' {
		r.p++
	}
	if r.overload() {
		return
	}
	if r.sign == ' ' && (id == num0 || id == num9) && r.readPre+r.readPost == 0 {
		c := r.in[r.p]
		if d.is(nfLSign) && d.lsign == lsignPre {
			if c == '-' || c == '+' {
				r.p++
				r.sign = c
			}
		} else if c == '-' || d.is(nfBracket) && c == '<' {
			r.sign = '-'
			r.p++
		} else if c == '+' {
			r.sign = '+'
			r.p++
		}
	}
	if r.overload() {
		return
	}
	read := false
	if c := r.in[r.p]; isDigit(c) {
		if r.readDec && r.readPost == d.post {
			return
		}
		r.digits.WriteByte(c)
		if r.readDec {
			r.readPost++
		} else {
			r.readPre++
		}
		read = true
	} else if d.is(nfDecimal) && !r.readDec && c == '.' {
		r.digits.WriteByte('.')
		r.readDec = true
		read = true
	}
	if r.overload() || r.sign != ' ' || r.readPre+r.readPost == 0 {
		return
	}
	switch {
	case d.is(nfLSign) && read && r.p+1 < len(r.in) && !isDigit(r.in[r.p+1]):
		// A locale sign (S) right after the last digit.
		if c := r.in[r.p+1]; c == '-' || c == '+' {
			r.p++
			r.sign = c
		}
	case !read && !d.is(nfLSign) && (d.is(nfPlus) || d.is(nfMinus)):
		// A minus sign where a digit pattern stands (FM9.999999MI reads 5.01-).
		if r.in[r.p] == '-' {
			r.sign = '-'
		}
	}
}

// numberFromText is to_number(text, format); ok is false for an empty format (NULL).
func numberFromText(text, format string) (decimal128.Num, bool, error) {
	if format == "" {
		return decimal128.Num{}, false, nil
	}
	nodes, d, err := parseNumFormat(format)
	if err != nil {
		return decimal128.Num{}, false, err
	}
	if d.is(nfEEEE) {
		return decimal128.Num{}, false, errs.New(errs.NotImplemented, `"EEEE" not supported for input`)
	}
	if d.is(nfRoman) {
		return decimal128.Num{}, false, errs.New(errs.NotImplemented, `"RN" not supported for input`)
	}
	r := &numReader{d: &d, in: text, sign: ' '}
	for _, n := range nodes {
		if r.overload() {
			break
		}
		if n.id == 0 {
			_, size := utf8.DecodeRuneInString(r.in[r.p:])
			r.p += size
			continue
		}
		switch n.id {
		case num9, num0, numDec, numD:
			r.numpart(n.id)
		case numComma:
			if d.is(nfFillMode) {
				continue
			}
		case numG:
			if d.is(nfFillMode) {
				continue
			}
			if !(r.amount(1) && r.in[r.p] == ',') {
				continue
			}
		case numL:
			r.eatNonData(1)
			continue
		case numTH, numTHLower:
			if d.is(nfDecimal) {
				continue
			}
			r.eatNonData(2)
			continue
		case numMI:
			if r.in[r.p] == '-' {
				r.sign = '-'
			} else {
				r.eatNonData(1)
				continue
			}
		case numPL:
			if r.in[r.p] == '+' {
				r.sign = '+'
			} else {
				r.eatNonData(1)
				continue
			}
		case numSG:
			if c := r.in[r.p]; c == '-' || c == '+' {
				r.sign = c
			} else {
				r.eatNonData(1)
				continue
			}
		default:
			continue
		}
		r.p++
	}
	digits := strings.TrimSuffix(r.digits.String(), ".")
	if strings.Trim(digits, ".") == "" {
		return decimal128.Num{}, false, errs.New(errs.InvalidText, "invalid input syntax for type numeric: \"%c%s\"", r.sign, digits)
	}
	intPart, frac, _ := strings.Cut(digits, ".")
	u, _ := new(big.Int).SetString("0"+intPart+frac, 10)
	scale := int32(len(frac))
	// numeric_in with the type modifier (pre + multi + read_post, read_post).
	if sig := len(strings.TrimLeft(intPart, "0")); sig > d.pre+d.multi {
		return decimal128.Num{}, false, errs.New(errs.NumericRange, "numeric field overflow")
	}
	if r.sign == '-' {
		u.Neg(u)
	}
	if d.is(nfMulti) {
		// · power(10, -multi), whose scale is at least 16.
		ps := max(int32(16), int32(d.multi))
		u.Mul(u, exec.Pow10(ps-int32(d.multi)))
		scale += ps
	}
	n, err := exec.PackBig(u, scale)
	return n, err == nil, err
}

func registerToNumber() {
	text := arrow.BinaryTypes.String
	register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) != 2 || args[0].ID() != arrow.STRING || args[1].ID() != arrow.STRING {
			return nil, nil, undefinedFunc("to_number", args)
		}
		return types.VarNumeric, []arrow.DataType{text, text}, nil
	}, eval: rowwise(false, func(v []any) (any, error) {
		n, ok, err := numberFromText(v[0].(string), v[1].(string))
		if err != nil || !ok {
			return nil, err
		}
		return n, nil
	})}, "to_number")
}
