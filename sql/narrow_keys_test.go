package sql

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/planner/rules"
)

// placedPlan binds a query and places its filters and joins as the optimiser does.
func placedPlan(t *testing.T, text string) planner.Node {
	t.Helper()
	st, err := bind(t, text)
	if err != nil {
		t.Fatalf("%s: %v", text, err)
	}
	n, err := rules.Placement(st.(*planner.Query).Root)
	if err != nil {
		t.Fatalf("%s: placement: %v", text, err)
	}
	return n
}

// findNodes returns the nodes of n (depth first) that match.
func findNodes(n planner.Node, match func(planner.Node) bool) []planner.Node {
	var out []planner.Node
	if match(n) {
		out = append(out, n)
	}
	for _, in := range n.Inputs() {
		out = append(out, findNodes(in, match)...)
	}
	return out
}

func isSemiJoin(n planner.Node) bool {
	j, ok := n.(*planner.Join)
	return ok && j.Kind == planner.JoinSemi
}

// dividing reports whether n is a projection that divides.
func dividing(n planner.Node) bool {
	p, ok := n.(*planner.Project)
	if !ok {
		return false
	}
	for _, e := range p.Exprs {
		if b, ok := e.(*planner.Binary); ok && b.Op == planner.OpDiv {
			return true
		}
	}
	return false
}

// TestDecorrelatedExpressionsRunForOuterKeys: the expressions a decorrelated subquery
// computes over its rows run below a semi join with the enclosing query's keys, so only
// for the rows of those keys (as PostgreSQL runs the subquery per outer row).
func TestDecorrelatedExpressionsRunForOuterKeys(t *testing.T) {
	for _, q := range []string{
		"SELECT o.k, (SELECT sum(s.d) FROM t, LATERAL (SELECT 10 / t.v AS d) s WHERE t.k = o.k) FROM p o",
		"SELECT o.k, (SELECT 10 / t.v FROM t WHERE t.k = o.k) FROM p o",
		"SELECT o.k, s.v FROM p o, LATERAL (SELECT 10 / t.v AS v FROM t WHERE t.k = o.k) s",
	} {
		n := placedPlan(t, q)
		divs := findNodes(n, dividing)
		if len(divs) == 0 {
			t.Errorf("%s: no projection divides: %s", q, showPlan(n))
			continue
		}
		for _, d := range divs {
			if len(findNodes(d, isSemiJoin)) == 0 {
				t.Errorf("%s: the division runs for rows of every key:\n%s", q, showPlan(n))
			}
		}
	}
	// An aggregate's argument.
	q := "SELECT o.k, (SELECT sum(10 / t.v) FROM t WHERE t.k = o.k) FROM p o"
	n := placedPlan(t, q)
	aggs := findNodes(n, func(n planner.Node) bool { _, ok := n.(*planner.Aggregate); return ok })
	narrowed := false
	for _, a := range aggs {
		if len(findNodes(a, isSemiJoin)) > 0 {
			narrowed = true
		}
	}
	if !narrowed {
		t.Errorf("%s: the aggregate's argument runs for rows of every key:\n%s", q, showPlan(n))
	}
	// A set-returning function over the subquery's own rows.
	q = "SELECT o.k, (SELECT count(*) FROM t, LATERAL generate_series(1, 4, t.v) g WHERE t.k = o.k) FROM p o"
	n = placedPlan(t, q)
	for _, u := range findNodes(n, isUnnest) {
		if len(findNodes(u, isSemiJoin)) == 0 {
			t.Errorf("%s: the function runs for rows of every key:\n%s", q, showPlan(n))
		}
	}
	// Nothing computed, or computed where a semi join cannot go below (an aggregating
	// derived table): no second read of the enclosing table.
	for _, q := range []string{
		"SELECT o.k, (SELECT sum(t.v) FROM t WHERE t.k = o.k) FROM p o",
		"SELECT o.k, (SELECT sum(d.v) FROM (SELECT k, sum(v * 2) AS v FROM t GROUP BY k) d WHERE d.k = o.k) FROM p o",
	} {
		if n := placedPlan(t, q); len(findNodes(n, isSemiJoin)) > 0 {
			t.Errorf("%s: narrowed without an expression to narrow:\n%s", q, showPlan(n))
		}
	}
}

func isUnnest(n planner.Node) bool {
	_, ok := n.(*planner.Unnest)
	return ok
}

// TestDomainNarrowedBySubqueryOnEnclosingQuery: a LATERAL function's domain (the FROM
// clause bound again) is narrowed by a WHERE conjunct with a subquery that also refers to
// an enclosing query, so the function runs for the rows that conjunct keeps.
func TestDomainNarrowedBySubqueryOnEnclosingQuery(t *testing.T) {
	q := "SELECT o.k, (SELECT count(*) FROM t, LATERAL (SELECT g FROM generate_series(1, 4, t.v) g) s WHERE t.k IN (SELECT k FROM p WHERE p.s = o.s)) FROM p o"
	n := placedPlan(t, q)
	us := findNodes(n, isUnnest)
	if len(us) != 1 {
		t.Fatalf("%s: %d set-returning functions:\n%s", q, len(us), showPlan(n))
	}
	if len(findNodes(us[0], isSemiJoin)) == 0 {
		t.Errorf("%s: the function's domain is not narrowed by the IN:\n%s", q, showPlan(n))
	}
}

// TestVolatileTwoLevelsUpRunsPerRow: under a WHERE with a volatile condition two levels
// up, the function over that query's columns is not lifted over a domain (which would run
// it for rows the condition excludes) but runs per row, inside a dependent join.
func TestVolatileTwoLevelsUpRunsPerRow(t *testing.T) {
	q := "SELECT o.k, (SELECT (SELECT count(*) FROM generate_series(1, 4, o.v))) FROM t o WHERE o.k + (random() * 0)::int = 3"
	n := placedPlan(t, q)
	applies := findNodes(n, func(n planner.Node) bool { _, ok := n.(*planner.Apply); return ok })
	if len(applies) == 0 {
		t.Fatalf("%s: no dependent join:\n%s", q, showPlan(n))
	}
	for _, u := range findNodes(n, isUnnest) {
		if scans := findNodes(u, func(n planner.Node) bool { _, ok := n.(*planner.Scan); return ok }); len(scans) > 0 {
			t.Errorf("%s: the function runs over a domain of the table:\n%s", q, showPlan(n))
		}
	}
}

// showPlan is the plan n as an indented tree of its nodes' types and join kinds.
func showPlan(n planner.Node) string {
	var sb strings.Builder
	var walk func(n planner.Node, depth int)
	walk = func(n planner.Node, depth int) {
		fmt.Fprintf(&sb, "%s%T", strings.Repeat("  ", depth), n)
		if j, ok := n.(*planner.Join); ok {
			fmt.Fprintf(&sb, " kind=%d", j.Kind)
		}
		sb.WriteString("\n")
		for _, in := range n.Inputs() {
			walk(in, depth+1)
		}
	}
	walk(n, 0)
	return sb.String()
}
