package tpch

import (
	"embed"
	"fmt"
)

//go:embed queries/*.sql
var queries embed.FS

// Queries is the number of TPC-H queries.
const Queries = 22

// Query returns the text of TPC-H query n (1 to 22): the spec's text with the validation
// substitution parameters, Q15's view revenue0 written as a CTE, and the spec's row limits
// (Q2, Q3, Q10, Q18, Q21) as LIMIT clauses.
func Query(n int) (string, error) {
	if n < 1 || n > Queries {
		return "", fmt.Errorf("tpch: no query %d (1 to %d)", n, Queries)
	}
	b, err := queries.ReadFile(fmt.Sprintf("queries/q%02d.sql", n))
	if err != nil {
		return "", fmt.Errorf("tpch: reading query %d: %w", n, err)
	}
	return string(b), nil
}
