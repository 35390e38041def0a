package engine

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/storage/objstore"
)

// TestNestedUUIDDictionaryTable runs inserts, splitting, compaction and a reopening of the
// engine over a dictionary-encoded table whose columns hold uuids in an array, in a
// composite (beside an array of them) and in an array of composites: the inserts write
// their files, the rows read back the same through every step (NULL arrays, composites and
// elements, empty arrays, repeated uuids that dictionaries hold once), and a uuid found in
// an array or a field compares as one.
func TestNestedUUIDDictionaryTable(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	store := objstore.NewMem()
	e, c := open(t, store, mem)
	run(t, c, "CREATE TYPE ident AS (u uuid, n int, us uuid[])")
	run(t, c, "CREATE TABLE ud (k bigint, us uuid[], r ident, rs ident[]) WITH (row_keys = 'k', dictionary = true, split_threshold = 150, gc_delay = '0s')")
	uuid := func(k int) string { return fmt.Sprintf("'%08x-0000-4000-8000-%012x'::uuid", k%13, k%5) }
	row := func(k int) string {
		switch k % 5 {
		case 0:
			return fmt.Sprintf("(%d, NULL, NULL, NULL)", k)
		case 1:
			return fmt.Sprintf("(%d, ARRAY[]::uuid[], ROW(NULL, NULL, NULL), ARRAY[NULL::ident, ROW(NULL, %d, ARRAY[NULL::uuid])::ident])", k, k)
		}
		return fmt.Sprintf("(%d, ARRAY[%s, NULL, %s], ROW(%s, %d, ARRAY[%s]), ARRAY[ROW(%s, %d, NULL)::ident, ROW(%s, NULL, ARRAY[%s, %s])::ident])",
			k, uuid(k), uuid(k+1), uuid(k+2), k, uuid(k+3), uuid(k+4), k, uuid(k+5), uuid(k+6), uuid(k+7))
	}
	insertRows(t, c, "ud", 300, 50, row)
	const all = "SELECT k, us, r, rs, (r).u, (r).us, rs[2] FROM ud ORDER BY k"
	want, _ := run(t, c, all)
	if len(want) != 300 {
		t.Fatalf("%d rows", len(want))
	}
	for _, q := range []struct{ col, k, want string }{
		{"us", "2", `{00000002-0000-4000-8000-000000000002,NULL,00000003-0000-4000-8000-000000000003}`},
		{"r", "2", `(00000004-0000-4000-8000-000000000004,2,{00000005-0000-4000-8000-000000000000})`},
		{"rs", "2", `{"(00000006-0000-4000-8000-000000000001,2,)","(00000007-0000-4000-8000-000000000002,,\"{00000008-0000-4000-8000-000000000003,00000009-0000-4000-8000-000000000004}\")"}`},
		{"us", "1", "{}"},
		{"r", "1", "(,,)"},
		{"rs", "1", `{NULL,"(,1,{NULL})"}`},
	} {
		expect(t, c, "SELECT "+q.col+"::text FROM ud WHERE k = "+q.k, q.want)
	}
	// uuid(k) repeats every 65 rows.
	expect(t, c, "SELECT string_agg(k::text, ',' ORDER BY k) FROM ud WHERE us[1] = '00000002-0000-4000-8000-000000000002'", "2,67,132,197,262")
	expect(t, c, "SELECT count(*) FROM ud WHERE (r).u = '00000004-0000-4000-8000-000000000004'::uuid AND (r).n = k", "5")
	splitAndCompact(t, c, "ud", all, want)
	e, c = reopen(t, e, c, store, mem)
	defer e.Close()
	defer c.Close()
	rowsAre(t, c, all, want, "after reopening")
}
