package function

import (
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/errs"
)

// unistr(text): PostgreSQL's Unicode escapes \XXXX, \uXXXX, \+XXXXXX and \UXXXXXXXX (UTF-16
// surrogate pairs combined) and \\ for a backslash.

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func unistr(s string) (string, error) {
	var sb strings.Builder
	var first rune // a pending first half of a surrogate pair
	badPair := func() error { return errs.New(errs.Syntax, "invalid Unicode surrogate pair") }
	for len(s) > 0 {
		if s[0] != '\\' {
			if first != 0 {
				return "", badPair()
			}
			sb.WriteByte(s[0])
			s = s[1:]
			continue
		}
		var hex string
		var skip int
		switch {
		case len(s) >= 2 && s[1] == '\\':
			if first != 0 {
				return "", badPair()
			}
			sb.WriteByte('\\')
			s = s[2:]
			continue
		case len(s) >= 5 && isHex(s[1:5]):
			hex, skip = s[1:5], 5
		case len(s) >= 6 && s[1] == 'u' && isHex(s[2:6]):
			hex, skip = s[2:6], 6
		case len(s) >= 8 && s[1] == '+' && isHex(s[2:8]):
			hex, skip = s[2:8], 8
		case len(s) >= 10 && s[1] == 'U' && isHex(s[2:10]):
			hex, skip = s[2:10], 10
		default:
			return "", errs.New(errs.Syntax, "invalid Unicode escape")
		}
		v, _ := strconv.ParseUint(hex, 16, 32)
		c := rune(v)
		if v == 0 || v > 0x10FFFF {
			return "", errs.New(errs.InvalidParameter, "invalid Unicode code point: %04X", v)
		}
		switch {
		case c >= 0xD800 && c < 0xDC00:
			if first != 0 {
				return "", badPair()
			}
			first = c
		case c >= 0xDC00 && c < 0xE000:
			if first == 0 {
				return "", badPair()
			}
			sb.WriteRune(utf16.DecodeRune(first, c))
			first = 0
		default:
			if first != 0 {
				return "", badPair()
			}
			sb.WriteRune(c)
		}
		s = s[skip:]
	}
	if first != 0 {
		return "", badPair()
	}
	return sb.String(), nil
}

func registerUnistr() {
	register(function{resolve: signature("unistr", arrow.BinaryTypes.String, []int{pText}), eval: rowwise(false, func(v []any) (any, error) {
		return unistr(v[0].(string))
	})}, "unistr")
}
