package flightsql

import (
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// DELETE, UPDATE and INSERT on a view fail as statements, directly and prepared, and the
// server goes on serving queries.
func TestViewDMLFails(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := testCtx(t)
	srv := serve(t, Config{Engine: openEngine(t, mem), Alloc: mem})
	cl := client(t, srv)
	for _, sql := range []string{
		"CREATE TABLE t (a integer PRIMARY KEY, b integer)",
		"INSERT INTO t VALUES (1, 10), (2, 20)",
		"CREATE VIEW vagg AS SELECT a, count(*) AS n FROM t GROUP BY a",
		"CREATE VIEW vsimple AS SELECT a, b FROM t",
	} {
		if _, err := cl.ExecuteUpdate(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	for _, tc := range []struct {
		sql  string
		code codes.Code
		msg  string
	}{
		{"DELETE FROM vagg", codes.FailedPrecondition, `cannot delete from view "vagg"`},
		{"UPDATE vagg SET n = 2", codes.FailedPrecondition, `cannot update view "vagg"`},
		{"INSERT INTO vagg VALUES (3, 1)", codes.FailedPrecondition, `cannot insert into view "vagg"`},
		{"DELETE FROM vsimple WHERE a = 1", codes.Unimplemented, `cannot delete from view "vsimple"`},
		{"UPDATE vsimple SET b = 0", codes.Unimplemented, `cannot update view "vsimple"`},
		{"INSERT INTO vsimple VALUES (3, 30)", codes.Unimplemented, `cannot insert into view "vsimple"`},
	} {
		_, err := cl.ExecuteUpdate(ctx, tc.sql)
		if st, _ := status.FromError(err); err == nil || st.Code() != tc.code || !strings.Contains(st.Message(), tc.msg) {
			t.Errorf("%s: got %v, want %v %q", tc.sql, err, tc.code, tc.msg)
		}
		if _, err := cl.Prepare(ctx, tc.sql); err == nil {
			t.Errorf("prepare %s: no error", tc.sql)
		} else if st, _ := status.FromError(err); st.Code() != tc.code {
			t.Errorf("prepare %s: got %v, want %v", tc.sql, err, tc.code)
		}
		bs := fetch(ctx, t, cl, mem, "SELECT a, b FROM vsimple ORDER BY a")
		got := rowsOf(bs)
		releaseAll(bs)
		if want := [][]string{{"1", "10"}, {"2", "20"}}; !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("after %s: rows %v, want %v", tc.sql, got, want)
		}
	}
}
