package exec

import (
	"strings"
	"time"
	"unicode/utf8"

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
			ft := types.RecordField(st.Field(k)).Type
			s = formatTextIn(x, ft, loc)
			if n, ok := types.CharLength(ft); ok && n > 0 && types.IsBpchar(ft) {
				// character(n) is held without its trailing spaces and shown padded.
				if pad := int(n) - utf8.RuneCountInString(s); pad > 0 {
					s += strings.Repeat(" ", pad)
				}
			}
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

// formatStorageText is the text of v, a value of a SQL type held in other storage (time in
// int64 microseconds, uuid in 16 bytes), and whether t is one.
func formatStorageText(v any, t arrow.DataType) (string, bool) {
	switch x := v.(type) {
	case int64:
		if types.IsTime(t) {
			return types.FormatTime(x), true
		}
		if types.IsTimeTZ(t) {
			return types.FormatTimeTZ(x), true
		}
	case []byte:
		if types.IsUUID(t) && len(x) == 16 {
			return string(types.AppendUUID(nil, x)), true
		}
	}
	return "", false
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
		ft := types.RecordField(st.Field(k)).Type
		if ft.ID() == arrow.STRING && !types.IsJSON(ft) {
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
