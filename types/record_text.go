package types

import (
	"strings"

	"github.com/sleeperd/sleeperd/errs"
)

// ParseRecordText splits PostgreSQL's record input syntax, (a,"b c",,"d""e"), into its
// fields' texts, nil for NULL (an empty unquoted field).
func ParseRecordText(s string) ([]*string, error) {
	bad := func(detail string) error {
		return errs.New(errs.InvalidText, "malformed record literal: %q (%s)", s, detail)
	}
	p := strings.TrimLeft(s, " \t\n\r\v\f")
	if !strings.HasPrefix(p, "(") {
		return nil, bad("Missing left parenthesis.")
	}
	p = p[1:]
	var out []*string
	for {
		var sb strings.Builder
		quoted := false
		inQuote := false
		i := 0
	field:
		for ; ; i++ {
			if i >= len(p) {
				return nil, bad("Unexpected end of input.")
			}
			c := p[i]
			switch {
			case c == '\\':
				if i+1 >= len(p) {
					return nil, bad("Unexpected end of input.")
				}
				i++
				sb.WriteByte(p[i])
			case c == '"':
				if inQuote && i+1 < len(p) && p[i+1] == '"' {
					sb.WriteByte('"')
					i++
				} else {
					inQuote = !inQuote
					quoted = true
				}
			case !inQuote && (c == ',' || c == ')'):
				break field
			default:
				sb.WriteByte(c)
			}
		}
		if quoted || sb.Len() > 0 {
			v := sb.String()
			out = append(out, &v)
		} else {
			out = append(out, nil)
		}
		c := p[i]
		p = p[i+1:]
		if c == ')' {
			break
		}
	}
	if strings.TrimSpace(p) != "" {
		return nil, bad("Junk after right parenthesis.")
	}
	return out, nil
}
