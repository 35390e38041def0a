package engine

import (
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// TestCompositeSQLTypeFields runs splitting, compaction, an update and a reopening of the
// engine over a table whose value column is of a composite type with fields of char(n),
// varchar(n), uuid, time and arrays of time and uuid: the rows read back the same through
// every step, and the fields keep their SQL types (pg_typeof, a length check, time
// arithmetic) after the catalog is read again.
func TestCompositeSQLTypeFields(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	store := objstore.NewMem()
	e, c := open(t, store, mem)
	run(t, c, "CREATE TYPE tagged AS (c char(3), v varchar(5), u uuid, t time, ts time[], us uuid[])")
	run(t, c, "CREATE TABLE tg (k bigint, r tagged) WITH (row_keys = 'k', split_threshold = 150, gc_delay = '0s')")
	row := func(k int) string {
		switch k % 4 {
		case 0:
			return fmt.Sprintf("(%d, NULL)", k)
		case 1:
			return fmt.Sprintf("(%d, ROW(NULL, NULL, NULL, NULL, NULL, NULL))", k)
		}
		return fmt.Sprintf("(%d, ROW('c%d', 'v%d', '%08x-0000-4000-8000-%012x', '%02d:%02d:07.25', ARRAY['%02d:00'::time, NULL], ARRAY['%032x'::uuid]))",
			k, k%10, k%100, k, k*7, k%24, k%60, k%24, k)
	}
	insertRows(t, c, "tg", 300, 60, row)
	const all = "SELECT k, r, (r).c, (r).u, (r).t, (r).ts, (r).us FROM tg ORDER BY k"
	want, _ := run(t, c, all)
	if len(want) != 300 || want[2][1] == "" {
		t.Fatalf("rows %d: %v", len(want), want[:3])
	}
	expect(t, c, "SELECT r::text FROM tg WHERE k = 2", `("c2 ",v2,00000002-0000-4000-8000-00000000000e,02:02:07.25,"{02:00:00,NULL}",{00000000-0000-0000-0000-000000000002})`)
	splitAndCompact(t, c, "tg", all, want)
	run(t, c, "UPDATE tg SET r = ROW((r).c, (r).v, (r).u, (r).t + interval '1 hour', (r).ts, (r).us) WHERE k = 2")
	expect(t, c, "SELECT (r).t::text FROM tg WHERE k = 2", "03:02:07.25")
	want, _ = run(t, c, all)
	e, c = reopen(t, e, c, store, mem)
	defer e.Close()
	defer c.Close()
	rowsAre(t, c, all, want, "after reopening")
	expect(t, c, "SELECT pg_typeof((r).c)::text, pg_typeof((r).v)::text, pg_typeof((r).u)::text, pg_typeof((r).t)::text, pg_typeof((r).ts)::text, pg_typeof((r).us)::text FROM tg WHERE k = 2",
		"character character varying uuid time without time zone time without time zone[] uuid[]")
	err := runErr(t, c, "INSERT INTO tg VALUES (1000, ROW('abcd', NULL, NULL, NULL, NULL, NULL))", errs.StringTooLong)
	if !strings.Contains(err.Error(), "value too long for type character(3)") {
		t.Errorf("char(3) field after reopening: %v", err)
	}
}
