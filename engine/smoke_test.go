package engine

import (
	"context"
	"io"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/storage/objstore"
)

func TestSmoke(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	e, err := Open(ctx, Options{Store: objstore.NewMem(), Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := e.Connect(ctx, "u", "d")
	for _, q := range []string{
		"CREATE TABLE t (k bigint, v text, n numeric(10,2)) WITH (row_keys = 'k', split_points = '10,20,30')",
		"INSERT INTO t VALUES (1, 'a', 1.5), (15, 'b', 2.25), (25, NULL, NULL), (35, 'd', 4)",
		"SELECT * FROM t ORDER BY k",
		"SELECT k, v FROM t WHERE k = 15",
		"EXPLAIN SELECT * FROM t WHERE k = 15",
		"SELECT count(*), sum(k), avg(k), min(v), max(n) FROM t",
		"SELECT v IS NULL AS isn, count(*) FROM t GROUP BY 1 ORDER BY 1",
		"SELECT 1 + 2, 'x' || 'y', 10 / 3",
		"SHOW TABLES",
	} {
		st, err := c.Prepare(ctx, q, nil)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		r, err := st.Execute(ctx, nil)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		for {
			b, err := r.Next(ctx)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			for i := 0; i < int(b.NumRows()); i++ {
				row := ""
				for j := 0; j < int(b.NumCols()); j++ {
					row += b.Column(j).ValueStr(i) + " | "
				}
				t.Logf("%s -> %s", q, row)
			}
			b.Release()
		}
		t.Logf("%s", r.Tag())
		r.Close()
	}
}
