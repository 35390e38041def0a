package engine

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/storage/objstore"
)

// TestPreparedStatementsListed: every SQL-level prepared statement of the connection is
// listed by pg_prepared_statements, with its parameter types, until it is deallocated.
func TestPreparedStatementsListed(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	_, c := open(t, objstore.NewMem(), mem)
	run(t, c, "PREPARE a (integer) AS SELECT $1 + 1")
	run(t, c, "PREPARE b AS SELECT $1::text || 'x' LIMIT $2")
	got, _ := run(t, c, "SELECT name, parameter_types FROM pg_prepared_statements ORDER BY name")
	if fmt.Sprint(got) != "[[a {integer}] [b {text,bigint}]]" {
		t.Fatalf("listed %v", got)
	}
	got, _ = run(t, c, "EXECUTE b('y', 1)")
	if fmt.Sprint(got) != "[[yx]]" {
		t.Fatalf("EXECUTE b gave %v", got)
	}
	run(t, c, "DEALLOCATE ALL")
	if got, _ = run(t, c, "SELECT count(*) FROM pg_prepared_statements"); fmt.Sprint(got) != "[[0]]" {
		t.Fatalf("after DEALLOCATE ALL: %v", got)
	}
}
