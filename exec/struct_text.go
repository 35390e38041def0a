package exec

import (
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// formatRecord prints a record as PostgreSQL's record_out does (the text of r::text): its
// fields in parentheses, a NULL field as nothing, booleans as t and f, and a field quoted
// when it is empty or holds a quote, a backslash, a parenthesis, a comma or white space,
// with quotes and backslashes doubled inside.
func formatRecord(v []any, st *arrow.StructType, loc *time.Location) string {
	var sb strings.Builder
	sb.WriteByte('(')
	for k, x := range v {
		if k > 0 {
			sb.WriteByte(',')
		}
		if x == nil {
			continue
		}
		var s string
		if b, ok := x.(bool); ok {
			s = "f"
			if b {
				s = "t"
			}
		} else {
			s = formatTextIn(x, st.Field(k).Type, loc)
		}
		if s != "" && !strings.ContainsAny(s, "\"\\(), \t\n\r\v\f") {
			sb.WriteString(s)
			continue
		}
		sb.WriteByte('"')
		for _, c := range []byte(s) {
			if c == '"' || c == '\\' {
				sb.WriteByte(c)
			}
			sb.WriteByte(c)
		}
		sb.WriteByte('"')
	}
	sb.WriteByte(')')
	return sb.String()
}
