package engine

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/storage/objstore"
)

// TestArrayLogicalTypesInDataFiles writes a table with uuid[], time[], json[] and jsonb[]
// columns and a composite holding such arrays: each array's element leaf in the data file
// has Parquet's UUID, TIME or JSON logical type (as arrow-go's reader sees it), and the
// rows read back as inserted (NULL arrays and elements, empty arrays), also after reopening.
func TestArrayLogicalTypesInDataFiles(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	store := objstore.NewMem()
	e, c := open(t, store, mem)
	run(t, c, "CREATE TYPE arrs AS (u uuid[], t time[], j jsonb[], n int)")
	run(t, c, "CREATE TABLE al (k int, us uuid[], ts time[], js json[], jbs jsonb[], r arrs) WITH (row_keys = 'k')")
	run(t, c, `INSERT INTO al VALUES
		(1, ARRAY['00112233-4455-6677-8899-aabbccddeeff'::uuid, NULL], ARRAY['01:02:03.456789'::time, NULL, '23:59:59'],
			ARRAY['{"a": 1}'::json, NULL], ARRAY['[1, {"b": null}]'::jsonb],
			ROW(ARRAY['ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid], ARRAY['12:00:00'::time, NULL], ARRAY['{"x": "y"}'::jsonb, NULL], 1)),
		(2, ARRAY[]::uuid[], ARRAY[]::time[], ARRAY[]::json[], ARRAY[]::jsonb[], ROW(ARRAY[]::uuid[], NULL, ARRAY[]::jsonb[], 2)),
		(3, NULL, NULL, NULL, NULL, NULL)`)
	const all = "SELECT k, us::text, ts::text, js::text, jbs::text, r::text FROM al ORDER BY k"
	want := [][]string{
		{"1", "{00112233-4455-6677-8899-aabbccddeeff,NULL}", "{01:02:03.456789,NULL,23:59:59}", `{"{\"a\": 1}",NULL}`, `{"[1, {\"b\": null}]"}`,
			`({ffffffff-ffff-ffff-ffff-ffffffffffff},"{12:00:00,NULL}","{""{\\""x\\"": \\""y\\""}"",NULL}",1)`},
		{"2", "{}", "{}", "{}", "{}", `({},,{},2)`},
		{"3", "NULL", "NULL", "NULL", "NULL", "NULL"},
	}
	check := func(step string) {
		t.Helper()
		got := runText(t, c, all)
		var b strings.Builder
		b.WriteString("[")
		for i, r := range want {
			if i > 0 {
				b.WriteString(" ")
			}
			b.WriteString("[" + strings.Join(r, " ") + "]")
		}
		b.WriteString("]")
		if got != b.String() {
			t.Errorf("%s: %s\n got %s\nwant %s", step, all, got, b.String())
		}
	}
	check("after the insert")

	for name, got := range dataFileLeaves(t, store) {
		for path, w := range map[string]string{
			"us.list.element":  "FIXED_LEN_BYTE_ARRAY UUID",
			"ts.list.element":  "INT64 Time(isAdjustedToUTC=false, timeUnit=microseconds)",
			"js.list.element":  "BYTE_ARRAY JSON",
			"jbs.list.element": "BYTE_ARRAY JSON",
			"r.u.list.element": "FIXED_LEN_BYTE_ARRAY UUID",
			"r.t.list.element": "INT64 Time(isAdjustedToUTC=false, timeUnit=microseconds)",
			"r.j.list.element": "BYTE_ARRAY JSON",
		} {
			if got[path] != w {
				t.Errorf("%s: leaf %s is %q, want %q (leaves %v)", name, path, got[path], w, got)
			}
		}
	}
	e, c = reopen(t, e, c, store, mem)
	defer e.Close()
	defer c.Close()
	check("after reopening")
}
