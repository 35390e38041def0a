package compaction

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/merge"
	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

// panicking is a delete predicate whose evaluation panics.
type panicking struct{}

func (panicking) DataType() arrow.DataType { return arrow.FixedWidthTypes.Boolean }
func (panicking) Eval(context.Context, arrow.RecordBatch) (arrow.Array, error) {
	panic("predicate evaluation")
}
func (panicking) String() string { return "panicking()" }

// putPanics is a store whose uploads panic.
type putPanics struct{ objstore.Store }

func (putPanics) Put(context.Context, string, io.Reader) error { panic("upload") }

// A panic while a job runs (building its iterators, evaluating a delete predicate, uploading
// the output) fails the job with an internal error carrying the stack, instead of ending the
// process; no output object is left, and the files stay claimed by the job for the caller to
// release.
func TestRunPanicFailsJob(t *testing.T) {
	for _, tc := range []struct {
		name  string
		panic string
		env   func(Env) Env
	}{
		{"iterators", "iterator setup", func(env Env) Env {
			env.Iterators = func(*statestore.State, bool) (merge.Options, error) { panic("iterator setup") }
			return env
		}},
		{"evaluation", "predicate evaluation", func(env Env) Env {
			env.Iterators = func(st *statestore.State, _ bool) (merge.Options, error) {
				return merge.Options{Deletes: []merge.Delete{{Txn: int64(st.TxnNumber()) + 1, Pred: panicking{}}}}, nil
			}
			return env
		}},
		{"upload", "upload", func(env Env) Env {
			env.Store = putPanics{env.Store}
			return env
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			ctx := context.Background()
			f := newFixture(t, mem)
			f.ingest(t, []vrow{{k: 1, v: 1}, {k: 2, v: 2}}, false)
			f.ingest(t, []vrow{{k: 3, v: 3}}, false)
			jobs, _ := PlanFull(f.state(t), false)
			if len(jobs) != 1 {
				t.Fatalf("jobs %q", describe(jobs))
			}
			_, err := Run(ctx, tc.env(f.env()), jobs[0])
			if !errors.Is(err, errs.Internal) || errs.StackOf(err) == nil {
				t.Fatalf("got %v, want an internal error with a stack", err)
			}
			if msg := err.Error(); !strings.Contains(msg, tc.panic) {
				t.Errorf("error %q does not name the panic %q", msg, tc.panic)
			}
			names, _ := f.store.List(ctx, "tables/t/files/c-")
			if len(names) != 0 {
				t.Errorf("objects left: %q", names)
			}
			if jobs := f.state(t).Jobs(); len(jobs) != 1 {
				t.Errorf("jobs holding files: %v, want the failed job", jobs)
			}
			// Released, the files compact normally.
			if _, err := f.states.Commit(ctx, "t", statestore.ReleaseJobs{JobIDs: []string{jobs[0].ID}}); err != nil {
				t.Fatal(err)
			}
			retry, _ := PlanFull(f.state(t), false)
			if len(retry) != 1 {
				t.Fatalf("jobs after release %q", describe(retry))
			}
			if _, err := Run(ctx, f.env(), retry[0]); err != nil {
				t.Fatalf("retry: %v", err)
			}
			equalRows(t, "after retry", f.readAll(t, merge.Options{}), f.rows)
			mem.AssertSize(t, 0)
		})
	}
}
