package planner

import (
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/types"
)

// jsonbKeys makes the compiled keys whose expressions are of type jsonb compare as jsonb's =
// does (numbers by value): PostgreSQL groups, deduplicates and hash-joins jsonb that way.
func jsonbKeys(exprs []Expr, compiled []exec.Expr) {
	for i, e := range exprs {
		if types.IsJSONB(e.Type()) {
			compiled[i] = exec.JSONBKey(compiled[i])
		}
	}
}
