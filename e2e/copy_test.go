package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCopyPsql loads a CSV file into the built server with psql's \copy, copies it out
// again, survives a restart, and refuses a file with a bad row as one unit.
func TestCopyPsql(t *testing.T) {
	needPsql(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	data, dir := t.TempDir(), t.TempDir()
	var in strings.Builder
	in.WriteString("k,v,note\n")
	const n = 50_000
	for i := 0; i < n; i++ {
		note := fmt.Sprintf("\"row %d, \"\"quoted\"\"\"", i)
		if i%7 == 0 {
			note = ""
		}
		fmt.Fprintf(&in, "%d,%d,%s\n", i, i%100, note)
	}
	src := filepath.Join(dir, "in.csv")
	if err := os.WriteFile(src, []byte(in.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	s := start(ctx, t, data)
	s.psql(ctx, t, "CREATE TABLE c (k bigint PRIMARY KEY, v int, note text)")
	if got := s.psql(ctx, t, `\copy c FROM '`+src+`' CSV HEADER`); got != fmt.Sprintf("COPY %d", n) {
		t.Fatalf("\\copy FROM: %q", got)
	}
	out := filepath.Join(dir, "out.csv")
	s.psql(ctx, t, `\copy c TO '`+out+`' WITH (FORMAT csv, HEADER)`)
	if got, err := os.ReadFile(out); err != nil || string(got) != in.String() {
		t.Errorf("\\copy TO wrote %d bytes (%v), want the %d bytes loaded", len(got), err, in.Len())
	}
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("k,v,note\n1000000,1,a\n1000001,x,b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	msg, err := s.psqlErr(ctx, `\copy c FROM '`+bad+`' CSV HEADER`)
	if err == nil || !strings.Contains(msg, `invalid input syntax for type integer: "x"`) || !strings.Contains(msg, `COPY c, line 3, column v: "x"`) {
		t.Errorf("\\copy of a bad row: %v\n%s", err, msg)
	}
	s.stop(ctx, t)

	s = start(ctx, t, data)
	if got := s.psql(ctx, t, "SELECT count(*), sum(v), count(note) FROM c"); got != fmt.Sprintf("%d|%d|%d", n, n/100*4950, n-(n+6)/7) {
		t.Errorf("after restart: %s", got)
	}
	s.stop(ctx, t)
}
