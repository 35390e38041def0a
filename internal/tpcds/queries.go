package tpcds

import (
	"embed"
	"fmt"
	"strings"
)

//go:embed queries/*.sql
var queries embed.FS

// Numbers are the TPC-DS queries held, by their number in the spec.
var Numbers = []int{5, 22, 27, 36, 67, 70, 77, 86}

// Query returns the text of TPC-DS query n (see the package comment for how it differs from
// the spec's).
func Query(n int) (string, error) {
	b, err := queries.ReadFile(fmt.Sprintf("queries/q%02d.sql", n))
	if err != nil {
		return "", fmt.Errorf("tpcds: no query %d: %w", n, err)
	}
	return strings.TrimSuffix(strings.TrimSpace(string(b)), ";"), nil
}
