package bench

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/storage/parquet"
)

func TestGenerate(t *testing.T) {
	tests := []struct {
		name string
		rows int
		seed uint64
	}{
		{"one batch", 100, 1},
		{"several batches", genBatchRows + 17, 7},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			ctx := context.Background()
			dir := t.TempDir()
			a, err := Generate(ctx, filepath.Join(dir, "a.parquet"), tc.rows, tc.seed, mem)
			if err != nil {
				t.Fatal(err)
			}
			b, err := Generate(ctx, filepath.Join(dir, "b.parquet"), tc.rows, tc.seed, mem)
			if err != nil {
				t.Fatal(err)
			}
			if len(a) != tc.rows || strings.Join(a, ",") != strings.Join(b, ",") {
				t.Fatalf("same seed gave different keys (%d and %d)", len(a), len(b))
			}
			for _, k := range a {
				if len(k) != 12 || strings.Trim(k, hexDigits) != "" {
					t.Fatalf("key %q is not 12 hex characters", k)
				}
			}
			fa, _ := os.ReadFile(filepath.Join(dir, "a.parquet"))
			fb, _ := os.ReadFile(filepath.Join(dir, "b.parquet"))
			if string(fa) != string(fb) {
				t.Fatal("same seed gave different files")
			}
			f, err := os.Open(filepath.Join(dir, "a.parquet"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			pf, err := parquet.Open(f, int64(len(fa)))
			if err != nil {
				t.Fatal(err)
			}
			if pf.NumRows() != int64(tc.rows) {
				t.Fatalf("file has %d rows, want %d", pf.NumRows(), tc.rows)
			}
		})
	}
	if _, err := Generate(context.Background(), filepath.Join(t.TempDir(), "x.parquet"), 0, 1, nil); err == nil {
		t.Fatal("0 rows: want an error")
	}
}

func TestRunSmoke(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := Run(ctx, Config{Rows: 2000, Seed: 3, Lookups: 100, Dir: t.TempDir(), Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failed() {
		t.Fatalf("engines disagree:\n%s", rep.Markdown())
	}
	if len(rep.Results) != 4 {
		t.Fatalf("%d results, want 4", len(rep.Results))
	}
	want := map[string]int64{ // rows each workload returns or writes
		"ingest":        2000,
		"point lookups": -1, // at least one row per lookup
		"scan: count":   1,
		"scan: group":   -1,
	}
	for _, r := range rep.Results {
		for prefix, n := range want {
			if !strings.HasPrefix(r.Workload, prefix) {
				continue
			}
			switch {
			case n >= 0 && r.Sleeperd.Rows != n:
				t.Errorf("%s: %d rows, want %d", r.Workload, r.Sleeperd.Rows, n)
			case strings.HasPrefix(prefix, "point") && r.Sleeperd.Rows < 100:
				t.Errorf("%s: %d rows, want at least one per lookup", r.Workload, r.Sleeperd.Rows)
			case r.Sleeperd.Rows <= 0:
				t.Errorf("%s: no rows", r.Workload)
			}
		}
		if r.Sleeperd.Seconds <= 0 || r.DuckDB.Seconds <= 0 || r.Speedup <= 0 {
			t.Errorf("%s: missing figures %+v", r.Workload, r)
		}
	}
	if rep.Machine.DuckDB == "" || rep.Machine.Cores <= 0 {
		t.Errorf("machine not described: %+v", rep.Machine)
	}
	if !strings.Contains(rep.Markdown(), "| ingest") {
		t.Errorf("markdown lacks the ingest row:\n%s", rep.Markdown())
	}
}

func TestChecksumDetectsDifference(t *testing.T) {
	var a, b checksum
	a.add([]string{"k", "1", "v", "NULL"})
	b.add([]string{"k", "1", "v", ""})
	if a.String() == b.String() {
		t.Fatal("NULL and empty string gave the same checksum")
	}
	var c, d checksum
	c.add([]string{"x"})
	c.add([]string{"y"})
	d.add([]string{"y"})
	d.add([]string{"x"})
	if c.String() != d.String() {
		t.Fatal("checksum depends on row order")
	}
}
