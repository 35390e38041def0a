package flightsql

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestCopyFromFile runs COPY FROM a server file over Flight SQL: its data is no stream of
// the protocol, so it runs as any other update.
func TestCopyFromFile(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := testCtx(t)
	func() {
		srv := serve(t, Config{Engine: openEngine(t, mem), Alloc: mem})
		cl := client(t, srv)
		if _, err := cl.ExecuteUpdate(ctx, "CREATE TABLE t (k bigint, v text) WITH (row_keys = 'k')"); err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "a.csv"), []byte("1,a\n2,b\n3,\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if n, err := cl.ExecuteUpdate(ctx, "COPY t FROM '"+filepath.Join(dir, "*.csv")+"' (FORMAT csv)"); err != nil || n != 3 {
			t.Errorf("COPY FROM a file: %d, %v; want 3", n, err)
		}
		if _, err := cl.ExecuteUpdate(ctx, "COPY t FROM '"+filepath.Join(dir, "nope.csv")+"' (FORMAT csv)"); status.Code(err) != codes.NotFound {
			t.Errorf("COPY FROM a missing file: %v, want NotFound", err)
		}
	}()
}
