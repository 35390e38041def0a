// Package tpc holds what the TPC-H and TPC-DS generators share: the generated contents of
// a table, the kinds of its columns, and the INSERT statements that load it.
package tpc

import (
	"fmt"
	"strings"
)

// Kind is how a column's values are written as SQL literals.
type Kind int

// Column kinds.
const (
	// Int is an integer, written as is.
	Int Kind = iota
	// Numeric is a decimal with two fraction digits, written as is.
	Numeric
	// Text is a string, written quoted.
	Text
	// Date is a date in ISO form (2006-01-02), written quoted.
	Date
)

// Table is the generated contents of one table.
type Table struct {
	Name    string
	Columns []string
	Kinds   []Kind
	// Rows hold the values in PostgreSQL's text format, one entry per column; "" in a
	// column that is not Text is NULL.
	Rows [][]string
}

// Inserts returns INSERT statements that load the table, at most batch rows each.
func (t *Table) Inserts(batch int) ([]string, error) {
	if batch <= 0 {
		return nil, fmt.Errorf("batch size must be positive, got %d", batch)
	}
	var out []string
	for start := 0; start < len(t.Rows); start += batch {
		var b strings.Builder
		b.WriteString("INSERT INTO " + t.Name + " (" + strings.Join(t.Columns, ", ") + ") VALUES ")
		for i, row := range t.Rows[start:min(start+batch, len(t.Rows))] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			for j, v := range row {
				if j > 0 {
					b.WriteString(", ")
				}
				switch {
				case t.Kinds[j] == Text || t.Kinds[j] == Date && v != "":
					b.WriteString("'" + strings.ReplaceAll(v, "'", "''") + "'")
				case v == "":
					b.WriteString("NULL")
				default:
					b.WriteString(v)
				}
			}
			b.WriteByte(')')
		}
		out = append(out, b.String())
	}
	return out, nil
}

// Cents writes an amount of cents as a decimal with two fraction digits.
func Cents(c int64) string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s%d.%02d", sign, c/100, c%100)
}
