package exec

import (
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/types"
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

// parseRecord reads a record of type st from PostgreSQL's record input syntax, '(1,"a b",)',
// each field from its text as a cast from text does.
func parseRecord(s string, st *arrow.StructType, loc *time.Location) (any, error) {
	vals, err := types.ParseRecordText(s)
	if err != nil {
		return nil, err
	}
	if len(vals) != st.NumFields() {
		detail := "Too few columns."
		if len(vals) > st.NumFields() {
			detail = "Too many columns."
		}
		return nil, errs.New(errs.InvalidText, "malformed record literal: %q (%s)", s, detail)
	}
	out := make([]any, len(vals))
	for k, v := range vals {
		if v == nil {
			continue
		}
		ft := st.Field(k).Type
		if ft.ID() == arrow.STRING {
			out[k] = *v
			continue
		}
		x, err := parseTextIn(*v, ft, loc)
		if err != nil {
			return nil, err
		}
		out[k] = x
	}
	return out, nil
}
