package compaction

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/storage/keys"
	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

func ikey(v int64) []byte {
	k, _ := keys.AppendGo(nil, arrow.PrimitiveTypes.Int64, v)
	return k
}

// testFile is a file of a planner test: its rows, referenced from one partition, with keys
// spanning [lo, hi].
type testFile struct {
	name   string
	part   string
	rows   int64
	lo, hi int64
}

// buildState creates a table "t" with the given split points and adds the files, each in its
// own transaction.
func buildState(t *testing.T, splits []int64, files []testFile) (*statestore.Store, *statestore.State) {
	t.Helper()
	ctx := context.Background()
	ss := statestore.New(objstore.NewMem(), statestore.Options{})
	var sp [][]byte
	for _, s := range splits {
		sp = append(sp, ikey(s))
	}
	st, err := ss.Create(ctx, "t", statestore.InitialisePartitions{SplitPoints: sp})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) > 0 {
		st = addFiles(t, ss, files)
	}
	return ss, st
}

// addFiles adds the files to table "t", each in its own transaction, and returns the state
// after the last.
func addFiles(t *testing.T, ss *statestore.Store, files []testFile) *statestore.State {
	t.Helper()
	ctx := context.Background()
	st, err := ss.Snapshot(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		part := f.part
		if part == "" {
			part = statestore.RootID
		}
		nf := statestore.NewFile{
			File: statestore.File{Name: f.name, Rows: f.rows, Bytes: f.rows * 10, MinKey: ikey(f.lo), MaxKey: ikey(f.hi)},
			References: []statestore.FileReference{
				{File: f.name, PartitionID: part, Rows: f.rows, Exact: true},
			},
		}
		if st, err = ss.Commit(ctx, "t", statestore.AddFiles{Files: []statestore.NewFile{nf}}); err != nil {
			t.Fatalf("adding %s: %v", f.name, err)
		}
	}
	return st
}

// rootFiles returns files in the root partition with the given row counts, named f1, f2, ...
func rootFiles(rows ...int64) []testFile {
	out := make([]testFile, len(rows))
	for i, r := range rows {
		out[i] = testFile{name: fmt.Sprintf("f%d", i+1), rows: r, lo: 0, hi: 10}
	}
	return out
}

// describe renders jobs as "part:f1,f2" strings.
func describe(jobs []Job) []string {
	var out []string
	for _, j := range jobs {
		s := j.PartitionID + ":" + strings.Join(j.Files, ",")
		if j.Full {
			s += " full"
		}
		out = append(out, s)
	}
	return out
}

// TestPlanSizeRatio checks the SizeRatio strategy on the examples of Sleeper's
// SizeRatioLeafStrategy and a few more.
func TestPlanSizeRatio(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   Config
		files []testFile
		want  []string
	}{
		{"four equal files meet ratio 3", Config{BatchSize: 10}, rootFiles(100, 100, 100, 100),
			[]string{"root:f1,f2,f3,f4 full"}},
		{"three equal files do not", Config{}, rootFiles(100, 100, 100), nil},
		{"small files far below the largest", Config{BatchSize: 10}, rootFiles(10, 10, 1000), nil},
		{"one file", Config{}, rootFiles(100), nil},
		{"no files", Config{}, nil, nil},
		{"largest dropped until the ratio holds", Config{}, rootFiles(1000, 30, 30, 30, 30),
			[]string{"root:f2,f3,f4,f5"}},
		{"sorted by rows", Config{}, rootFiles(40, 10, 20, 30, 10, 10, 10),
			// 10+10+10+10+20+30 = 90 < 120; without 40: 70 < 90; without 30: 40 < 60;
			// without 20: 30 >= 30.
			[]string{"root:f2,f5,f6,f7"}},
		{"batches of the batch size", Config{BatchSize: 5}, rootFiles(50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50),
			// 12 files: two batches of 5 meet the ratio; the last 2 do not.
			[]string{"root:f1,f10,f11,f12,f2", "root:f3,f4,f5,f6,f7"}},
		{"a failing batch slides by one file", Config{BatchSize: 3, Ratio: 2}, rootFiles(1, 1, 2, 2, 2, 8, 8, 8, 8),
			// All 9 meet ratio 2 (sum 32 >= 16). Batches of 3 from the smallest:
			// [1 1 2] 2 >= 4 no; [1 2 2] 3 >= 4 no; [2 2 2] 4 >= 4 yes; [8 8 8] 16 >= 16 yes; [8] too few.
			[]string{"root:f3,f4,f5", "root:f6,f7,f8"}},
		{"max jobs per partition", Config{BatchSize: 2, Ratio: 1, MaxJobsPerPartition: 2}, rootFiles(5, 5, 5, 5, 5, 5),
			[]string{"root:f1,f2", "root:f3,f4"}},
		{"ratio 10 needs 11 equal files", Config{BatchSize: 11, Ratio: 10}, rootFiles(100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100),
			[]string{"root:f1,f10,f11,f2,f3,f4,f5,f6,f7,f8,f9 full"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, st := buildState(t, nil, tc.files)
			jobs := Plan(st, tc.cfg)
			got := describe(jobs)
			for i := range got {
				// Order inside a job is by rows; compare as sets of names.
				p, fs, _ := strings.Cut(got[i], ":")
				fs, full := strings.CutSuffix(fs, " full")
				names := strings.Split(fs, ",")
				slices.Sort(names)
				got[i] = p + ":" + strings.Join(names, ",")
				if full {
					got[i] += " full"
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("jobs %q, want %q", got, tc.want)
			}
			seen := map[string]bool{}
			for _, j := range jobs {
				if j.ID == "" || seen[j.ID] {
					t.Fatalf("job ID %q empty or repeated", j.ID)
				}
				seen[j.ID] = true
			}
		})
	}
}

func TestPlanPerLeaf(t *testing.T) {
	// Leaves p1 = [-inf, 100) and p2 = [100, +inf).
	files := []testFile{
		{name: "a1", part: "p1", rows: 10, lo: 0, hi: 50},
		{name: "a2", part: "p1", rows: 10, lo: 0, hi: 50},
		{name: "a3", part: "p1", rows: 10, lo: 0, hi: 50},
		{name: "a4", part: "p1", rows: 10, lo: 0, hi: 50},
		{name: "b1", part: "p2", rows: 10, lo: 100, hi: 150},
		{name: "b2", part: "p2", rows: 10, lo: 100, hi: 150},
		{name: "r1", part: "root", rows: 10, lo: 0, hi: 150},
	}
	_, st := buildState(t, []int64{100}, files)
	got := describe(Plan(st, Config{}))
	// The root's reference keeps p1's job from being full.
	if want := []string{"p1:a1,a2,a3,a4"}; !slices.Equal(got, want) {
		t.Fatalf("jobs %q, want %q", got, want)
	}
	push := PlanPushDown(st)
	if len(push) != 1 || push[0].File != "r1" || push[0].From != "root" || !slices.Equal(push[0].To, []string{"p1", "p2"}) {
		t.Fatalf("push down %+v", push)
	}
	jobs, waiting := PlanFull(st, false)
	if len(jobs) != 0 || !slices.Equal(waiting, []string{"p1", "p2"}) {
		t.Fatalf("full: jobs %q waiting %q", describe(jobs), waiting)
	}
}

func TestPlanPushDownChildrenOverlapping(t *testing.T) {
	_, st := buildState(t, []int64{100}, []testFile{
		{name: "low", part: "root", rows: 5, lo: 0, hi: 99},
		{name: "high", part: "root", rows: 5, lo: 100, hi: 200},
		{name: "leaf", part: "p1", rows: 5, lo: 0, hi: 1},
	})
	got := PlanPushDown(st)
	want := []PushDown{{File: "high", From: "root", To: []string{"p2"}}, {File: "low", From: "root", To: []string{"p1"}}}
	if len(got) != len(want) {
		t.Fatalf("push down %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].File != want[i].File || got[i].From != want[i].From || !slices.Equal(got[i].To, want[i].To) {
			t.Fatalf("push down %+v, want %+v", got, want)
		}
	}
}

func TestPlanFull(t *testing.T) {
	ctx := context.Background()
	ingested := func(name, part string, lo int64) testFile {
		return testFile{name: name, part: part, rows: 10, lo: lo, hi: lo + 10}
	}
	for _, tc := range []struct {
		name       string
		files      []testFile
		deleteAt   int // add a delete predicate after this many files (-1: none)
		compact    bool
		tombstones bool
		want       []string
	}{
		{"one file per leaf: nothing to do", []testFile{ingested("a", "p1", 0), ingested("b", "p2", 100)}, -1, false, false, nil},
		{"two files", []testFile{ingested("a", "p1", 0), ingested("a2", "p1", 0), ingested("b", "p2", 100)}, -1, false, false,
			[]string{"p1:a,a2"}},
		{"delete newer than an ingest file", []testFile{ingested("a", "p1", 0), ingested("b", "p2", 100)}, 1, false, false,
			[]string{"p1:a"}},
		{"delete older than every file", []testFile{ingested("a", "p1", 0), ingested("b", "p2", 100)}, 0, false, false, nil},
		{"tombstones may remain in an ingest file", []testFile{ingested("a", "p1", 0)}, -1, false, true,
			[]string{"p1:a"}},
		{"no tombstones in a full output", []testFile{ingested("a", "p1", 0)}, -1, true, true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ss, st := buildState(t, []int64{100}, tc.files[:max(tc.deleteAt, 0)])
			var err error
			if tc.deleteAt >= 0 {
				if st, err = ss.Commit(ctx, "t", statestore.AddDeletePredicate{ID: "d", Predicate: []byte("true")}); err != nil {
					t.Fatal(err)
				}
			}
			st = addFiles(t, ss, tc.files[max(tc.deleteAt, 0):])
			if tc.compact {
				// Replace a by the output of a full job: no tombstones, deletes applied.
				j := Job{ID: "j", PartitionID: "p1", Files: []string{"a"}, Full: true}
				if _, err := ss.Commit(ctx, "t", statestore.AssignJobIds{Jobs: []statestore.JobAssignment{{JobID: j.ID, PartitionID: j.PartitionID, Files: j.Files}}}); err != nil {
					t.Fatal(err)
				}
				out := OutputName("files/", j.ID, true)
				nf := &statestore.NewFile{File: statestore.File{Name: out, Rows: 10, MinKey: ikey(0), MaxKey: ikey(10)}}
				if st, err = ss.Commit(ctx, "t", statestore.ReplaceFileReferences{Jobs: []statestore.JobResult{{JobID: j.ID, PartitionID: "p1", InputFiles: j.Files, Output: nf, AppliedTxn: st.TxnNumber()}}}); err != nil {
					t.Fatal(err)
				}
			}
			jobs, waiting := PlanFull(st, tc.tombstones)
			if len(waiting) != 0 {
				t.Fatalf("waiting %q", waiting)
			}
			got := describe(jobs)
			for i := range got {
				got[i] = strings.TrimSuffix(got[i], " full")
				if !jobs[i].Full {
					t.Errorf("job %v is not full", got[i])
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("jobs %q, want %q", got, tc.want)
			}
		})
	}
}

func TestOutputName(t *testing.T) {
	for _, tc := range []struct {
		name string
		full bool
	}{
		{OutputName("tables/t/files/", "abc", true), true},
		{OutputName("tables/t/files/", "abc", false), false},
		{"tables/t/files/0123.parquet", false},
		{"tables/t/files/x-full.parquet", false},
	} {
		if got := IsFullOutput(tc.name); got != tc.full {
			t.Errorf("IsFullOutput(%s) = %v", tc.name, got)
		}
	}
}

func TestPlanWithRunningJobs(t *testing.T) {
	ctx := context.Background()
	ss, _ := buildState(t, nil, rootFiles(5, 5, 5, 5, 5, 5, 5, 5))
	st, err := ss.Commit(ctx, "t", statestore.AssignJobIds{Jobs: []statestore.JobAssignment{{JobID: "running", PartitionID: statestore.RootID, Files: []string{"f1", "f2"}}}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{BatchSize: 2, Ratio: 1, MaxJobsPerPartition: 2}
	// One job runs: room for one more, from the unassigned files only, not full.
	if got := describe(Plan(st, cfg)); len(got) != 1 || got[0] != "root:f3,f4" {
		t.Fatalf("jobs %q", got)
	}
	cfg.MaxJobsPerPartition = 1
	if got := Plan(st, cfg); len(got) != 0 {
		t.Fatalf("jobs %q past the cap", describe(got))
	}
	jobs, waiting := PlanFull(st, false)
	if len(jobs) != 0 || !slices.Equal(waiting, []string{statestore.RootID}) {
		t.Fatalf("full: jobs %q waiting %q", describe(jobs), waiting)
	}
}
