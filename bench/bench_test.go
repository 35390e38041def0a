package bench

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/storage/objstore"
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
	profiles := t.TempDir()
	rep, err := Run(ctx, Config{Rows: 3000, Seed: 3, Lookups: 100, Ranges: 3, RangeRows: 300, Conns: 4,
		Duration: time.Second, Commits: 300 * time.Millisecond, ImportRows: 6000, ImportMemory: 256 << 10, Dir: t.TempDir(), Alloc: mem, ProfileDir: profiles})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failed() {
		t.Fatalf("engines disagree:\n%s", rep.Markdown())
	}
	tests := []struct {
		prefix string
		rows   func(n int64) bool // of sleeperd's result
		duckdb bool               // has a DuckDB figure
		ops    bool               // runs for a time, counting operations
	}{
		{"ingest", func(n int64) bool { return n == 3000 }, true, false},
		{"compaction (11 files, 1 leaf, into 1)", func(n int64) bool { return n == 3000 }, true, false},
		{"point lookups (100, prepared, in process)", func(n int64) bool { return n >= 100 }, true, false},
		{"point lookups (100, prepared, pgwire", func(n int64) bool { return n >= 100 }, true, false},
		{"range scans (3 of ~300 rows)", func(n int64) bool { return n >= 3*300 && n < 3*330 }, true, false},
		{"scan: count", func(n int64) bool { return n == 1 }, true, false},
		{"scan: group", func(n int64) bool { return n > 1 && n <= 3000 }, true, false},
		{"concurrent lookups (4 connections", func(n int64) bool { return n > 0 }, true, true},
		{"state-store commits: 1 writer", func(n int64) bool { return n > 0 }, false, true},
		{"state-store commits: 4 writers, one Store each", func(n int64) bool { return n > 0 }, false, true},
		{"state-store commits: 4 writers, one shared", func(n int64) bool { return n > 0 }, false, true},
		{"export (COPY t TO dir, parquet, 16 leaves)", func(n int64) bool { return n == 3000 }, true, false},
		{"import (COPY FROM 4 parquet files, 16 partitions)", func(n int64) bool { return n == 3000 }, true, false},
		{"bounded import (6000 rows, 256 KiB budget)", func(n int64) bool { return n == 6000 }, true, false},
	}
	if len(rep.Results) != len(tests) {
		t.Fatalf("%d results, want %d:\n%s", len(rep.Results), len(tests), rep.Markdown())
	}
	for i, tc := range tests {
		r := rep.Results[i]
		if !strings.HasPrefix(r.Workload, tc.prefix) {
			t.Errorf("result %d is %q, want %q...", i, r.Workload, tc.prefix)
			continue
		}
		if !tc.rows(r.Sleeperd.Rows) {
			t.Errorf("%s: %d rows", r.Workload, r.Sleeperd.Rows)
		}
		if r.Sleeperd.Seconds <= 0 || r.Sleeperd.MemMethod != MemGoHeap {
			t.Errorf("%s: sleeperd figure incomplete: %+v", r.Workload, r.Sleeperd)
		}
		if tc.ops && (r.Sleeperd.Ops <= 0 || r.Sleeperd.OpsPerSec <= 0 || r.Sleeperd.P99Micros < r.Sleeperd.P50Micros) {
			t.Errorf("%s: no operations counted: %+v", r.Workload, r.Sleeperd)
		}
		if _, err := os.Stat(filepath.Join(profiles, r.Sleeperd.Profile)); err != nil || r.Sleeperd.Profile != slug(r.Workload)+".pprof" {
			t.Errorf("%s: cpu profile %q: %v", r.Workload, r.Sleeperd.Profile, err)
		}
		switch {
		case !tc.duckdb && (r.DuckDB != nil || r.Speedup != 0):
			t.Errorf("%s: DuckDB figure where it has no counterpart: %+v", r.Workload, r.DuckDB)
		case tc.duckdb && (r.DuckDB == nil || r.DuckDB.Seconds <= 0 || r.Speedup <= 0 || r.DuckDB.MemMethod != MemRSS):
			t.Errorf("%s: DuckDB figure missing: %+v", r.Workload, r)
		case tc.duckdb && tc.ops && r.DuckDB.Ops <= 0:
			t.Errorf("%s: DuckDB counted no operations", r.Workload)
		}
	}
	// The smoke run's tiny budget makes the bounded import spill.
	if b := rep.Results[len(rep.Results)-1].Bounded; b == nil || b.BudgetBytes != 256<<10 || b.HeapPeakBytes <= 0 || b.RSSPeakBytes < 0 ||
		b.Runs < 2 || b.BytesSpilled <= 0 || !b.Spilled || b.WriterPeakBytes <= 0 || b.WriterPeakBytes > b.BudgetBytes {
		t.Errorf("bounded import: %+v", b)
	}
	if rep.Machine.DuckDB == "" || rep.Machine.Cores <= 0 || rep.Machine.MemoryMiB <= 0 {
		t.Errorf("machine not described: %+v", rep.Machine)
	}
	md := rep.Markdown()
	for _, want := range []string{"| ingest", "| compaction", "| range scans", "| concurrent lookups", "| state-store commits: 1 writer", "| n/a |"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

func TestKeyRanges(t *testing.T) {
	sorted := []string{"a", "b", "b", "c", "d", "e", "f", "g"}
	tests := []struct {
		name      string
		n, span   int
		wantRange int
	}{
		{"some", 4, 2, 4},
		{"span too wide", 3, 8, 0},
		{"no span", 3, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := keyRanges(sorted, tc.n, tc.span, 1)
			if len(got) > tc.wantRange || (tc.wantRange > 0 && len(got) == 0) {
				t.Fatalf("%d ranges, want up to %d", len(got), tc.wantRange)
			}
			for _, r := range got {
				if r.lo >= r.hi {
					t.Errorf("empty range [%s, %s)", r.lo, r.hi)
				}
			}
			if again := keyRanges(sorted, tc.n, tc.span, 1); fmt.Sprint(again) != fmt.Sprint(got) {
				t.Errorf("same seed gave %v and %v", got, again)
			}
		})
	}
}

func TestCommonDigest(t *testing.T) {
	d := func(rows int64, sum uint64) checksum { return checksum{rows, sum} }
	a := [][]checksum{{d(1, 10), d(1, 20), d(2, 30)}, {d(1, 5)}}
	b := [][]checksum{{d(1, 10), d(1, 20)}, {d(1, 5), d(1, 6)}}
	x, y := commonDigest(a, b)
	if x != y || x.rows != 3 || x.sum != 35 {
		t.Fatalf("common digests %v and %v, want both 3/35", x, y)
	}
	b[0][1] = d(1, 21)
	if x, y := commonDigest(a, b); x == y {
		t.Fatal("a differing answer gave equal digests")
	}
}

func TestSlug(t *testing.T) {
	tests := []struct{ in, want string }{
		{"point lookups (1000, prepared, pgwire + pgx)", "point-lookups-1000-prepared-pgwire-pgx"},
		{"scan: group by substr(key,1,4)", "scan-group-by-substr-key-1-4"},
	}
	for _, tc := range tests {
		if got := slug(tc.in); got != tc.want {
			t.Errorf("slug(%q) = %q, want %q", tc.in, got, tc.want)
		}
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

func TestSetupCompaction(t *testing.T) {
	tests := []struct {
		name      string
		rows      int
		wantFiles int
	}{
		{"uneven slices", 1000, 11},
		{"fewer rows than files", 5, 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			ctx := context.Background()
			dir := t.TempDir()
			input := filepath.Join(dir, "input.parquet")
			if _, err := Generate(ctx, input, tc.rows, 5, mem); err != nil {
				t.Fatal(err)
			}
			storeDir := filepath.Join(dir, "store")
			store, err := objstore.NewLocal(storeDir)
			if err != nil {
				t.Fatal(err)
			}
			eng, err := engine.Open(ctx, engine.Options{Store: store, Alloc: mem})
			if err != nil {
				t.Fatal(err)
			}
			defer eng.Close()
			conn, err := eng.Connect(ctx, "bench", "bench")
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			cj, err := setupCompaction(ctx, eng, conn, storeDir, input, mem)
			if err != nil {
				t.Fatal(err)
			}
			if len(cj.paths) != tc.wantFiles || len(cj.job.Files) != tc.wantFiles || cj.rows != int64(tc.rows) {
				t.Fatalf("%d files (%d paths) of %d rows, want %d files of %d rows",
					len(cj.job.Files), len(cj.paths), cj.rows, tc.wantFiles, tc.rows)
			}
			for _, p := range cj.paths {
				if _, err := os.Stat(p); err != nil {
					t.Fatalf("input file of the job: %v", err)
				}
			}
			before, err := compactedChecksum(ctx, conn)
			if err != nil {
				t.Fatal(err)
			}
			fig, err := sleeperdCompact(ctx, cj)
			if err != nil {
				t.Fatal(err)
			}
			after, err := compactedChecksum(ctx, conn)
			if err != nil {
				t.Fatal(err)
			}
			if fig.Rows != int64(tc.rows) || before != after || after.rows != int64(tc.rows) {
				t.Fatalf("compaction wrote %d rows, table read %v before and %v after", fig.Rows, before, after)
			}
			if _, err := sleeperdCompact(ctx, cj); err == nil {
				t.Fatal("running the same job twice: want an error")
			}
		})
	}
}

// TestChecksumCells checks that a row's hash is FNV-1a of its cells, each followed by
// 0x1f, as hash/fnv computes it, and that arrowCell renders text and bigint cells as
// ValueStr and DuckDB's side (fmt.Sprint) do.
func TestChecksumCells(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	sb := array.NewStringBuilder(mem)
	sb.AppendValues([]string{"", "abc", "héllo"}, nil)
	sb.AppendNull()
	strs := sb.NewArray()
	sb.Release()
	defer strs.Release()
	ib := array.NewInt64Builder(mem)
	ib.AppendValues([]int64{0, -1, math.MaxInt64, math.MinInt64}, nil)
	ib.AppendNull()
	ints := ib.NewArray()
	ib.Release()
	defer ints.Release()
	for _, a := range []arrow.Array{strs, ints} {
		for i := range a.Len() {
			want := "NULL"
			if a.IsValid(i) {
				want = a.ValueStr(i)
				if s := fmt.Sprint(a.GetOneForMarshal(i)); s != want {
					t.Fatalf("row %d of %s: fmt.Sprint %q, ValueStr %q", i, a.DataType(), s, want)
				}
			}
			if got := arrowCell(a, i); got != want {
				t.Fatalf("row %d of %s: arrowCell %q, want %q", i, a.DataType(), got, want)
			}
		}
	}
	rows := [][]string{{}, {"k", "1", "NULL", ""}, {"héllo", "-9223372036854775808"}}
	var c checksum
	var want uint64
	for _, cells := range rows {
		h := fnv.New64a()
		for _, s := range cells {
			h.Write([]byte(s))
			h.Write([]byte{0x1f})
		}
		want += h.Sum64()
		c.add(cells)
	}
	if c.sum != want || c.rows != int64(len(rows)) {
		t.Fatalf("checksum %d/%x, want %d/%x", c.rows, c.sum, len(rows), want)
	}
}
