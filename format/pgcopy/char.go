package pgcopy

import (
	"strings"
	"unicode/utf8"

	"github.com/sleeperd/sleeperd/errs"
)

// FitChar checks a value of a varchar(n) column, or a char(n) one when fixed, as an
// assignment does: characters past n fail with string_data_right_truncation unless they are
// spaces, which are dropped; char(n) values are held without their trailing spaces.
func FitChar(s string, n int, fixed bool) (string, error) {
	if utf8.RuneCountInString(s) > n {
		cut, k := 0, 0
		for cut = range s {
			if k == n {
				break
			}
			k++
		}
		if strings.Trim(s[cut:], " ") != "" {
			name := "character varying"
			if fixed {
				name = "character"
			}
			return "", errs.New(errs.StringTooLong, "value too long for type %s(%d)", name, n)
		}
		s = s[:cut]
	}
	if fixed {
		s = strings.TrimRight(s, " ")
	}
	return s, nil
}
