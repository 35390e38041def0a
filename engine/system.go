package engine

import (
	"context"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/sql"
	"github.com/sleeperd/sleeperd/storage/keys"
	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

// JobReport is the record of one compaction job this process ran.
type JobReport struct {
	Table, JobID, Partition string
	Status                  string // running, finished, failed
	InputFiles              int
	InputRows, OutputRows   int64
	Started, Finished       time.Time
	Err                     string
}

// jobLog keeps the reports of the most recent compaction jobs.
type jobLog struct {
	mu   sync.Mutex
	jobs []*JobReport
}

const jobLogSize = 1000

func (l *jobLog) add(r *JobReport) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.jobs = append(l.jobs, r)
	if len(l.jobs) > jobLogSize {
		l.jobs = l.jobs[len(l.jobs)-jobLogSize:]
	}
}

func (l *jobLog) update(r *JobReport, f func(*JobReport)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f(r)
}

func (l *jobLog) snapshot() []JobReport {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]JobReport, len(l.jobs))
	for i, j := range l.jobs {
		out[i] = *j
	}
	return out
}

// systemTable computes the rows of a system table over every table.
func (e *Engine) systemTable(ctx context.Context, name string) (arrow.RecordBatch, error) {
	if loc, ok := strings.CutPrefix(name, sql.ReadParquetPrefix); ok {
		return e.readParquetTable(ctx, loc)
	}
	if strings.Contains(name, ".") {
		return e.pgSystemTable(ctx, name)
	}
	schema, ok := catalog.SystemTables[name]
	if !ok {
		return nil, errs.New(errs.UndefinedTable, "relation \"sleeper.%s\" does not exist", name)
	}
	tables, err := e.cat.Tables(ctx)
	if err != nil {
		return nil, err
	}
	// The batch belongs to the plan, which has no end of life of its own (see planner's
	// constant relations): it lives in Go memory the garbage collector frees with the plan.
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	str := func(i int, s string) { b.Field(i).(*array.StringBuilder).Append(s) }
	nullable := func(i int, s string) {
		if s == "" {
			b.Field(i).AppendNull()
		} else {
			str(i, s)
		}
	}
	i64 := func(i int, v int64) { b.Field(i).(*array.Int64Builder).Append(v) }
	boolean := func(i int, v bool) { b.Field(i).(*array.BooleanBuilder).Append(v) }
	ts := func(i int, t time.Time) {
		if t.IsZero() {
			b.Field(i).AppendNull()
		} else {
			b.Field(i).(*array.TimestampBuilder).Append(arrow.Timestamp(t.UnixMicro()))
		}
	}
	switch name {
	case "partitions", "files":
		for _, t := range tables {
			state, err := e.ss.Snapshot(ctx, t.StateID())
			if err != nil {
				return nil, err
			}
			if name == "partitions" {
				types := t.RowKeyTypes()
				for _, p := range state.Partitions() {
					var rows int64
					refs := state.References(p.ID)
					for _, r := range refs {
						rows += r.Rows
					}
					str(0, t.Name)
					str(1, p.ID)
					nullable(2, p.ParentID)
					boolean(3, p.Leaf())
					str(4, keys.Format(types, p.Range.Min, false))
					str(5, keys.Format(types, p.Range.Max, true))
					i64(6, rows)
					i64(7, int64(len(refs)))
				}
				continue
			}
			for _, f := range state.Files() {
				refs := state.FileReferences(f.Name)
				if len(refs) == 0 {
					refs = []statestore.FileReference{{File: f.Name}}
				}
				for _, r := range refs {
					str(0, t.Name)
					str(1, f.Name)
					nullable(2, r.PartitionID)
					i64(3, r.Rows)
					boolean(4, r.Exact)
					nullable(5, r.JobID)
					i64(6, f.Rows)
					i64(7, f.Bytes)
					i64(8, int64(f.AddedTxn))
				}
			}
		}
	case "cache":
		_, s3 := e.store.(*objstore.S3)
		for _, t := range tables {
			st := e.hot.Stats(statestore.TablePrefix(t.StateID()))
			str(0, t.Name)
			i64(1, st.Entries)
			i64(2, st.Bytes)
			i64(3, st.Hits)
			i64(4, st.Misses)
			boolean(5, st.Pinned)
			if s3 {
				// A hit serves a column chunk that would otherwise take at least one GET.
				i64(6, st.Hits)
			} else {
				b.Field(6).AppendNull()
			}
		}
	case "memory":
		limit := func(i int, v int64) {
			if v > 0 {
				i64(i, v)
			} else {
				b.Field(i).AppendNull()
			}
		}
		limit(0, e.opts.MemoryLimit)
		limit(1, e.statementLimit())
		i64(2, e.queryBytes.Load())
		if e.pool == nil {
			for i := 3; i < b.Schema().NumFields(); i++ {
				b.Field(i).AppendNull()
			}
			break
		}
		st := e.pool.Stats()
		for i, v := range []int64{st.Limit, st.Used, st.Peak, st.Active, st.Share, st.Statements, st.Refused, st.SpillFiles, st.Spilled} {
			i64(3+i, v)
		}
	case "compaction_jobs":
		jobs := e.jobs.snapshot()
		sort.SliceStable(jobs, func(i, j int) bool { return jobs[i].Started.Before(jobs[j].Started) })
		for _, j := range jobs {
			str(0, j.Table)
			str(1, j.JobID)
			str(2, j.Partition)
			str(3, j.Status)
			i64(4, int64(j.InputFiles))
			i64(5, j.InputRows)
			i64(6, j.OutputRows)
			ts(7, j.Started)
			ts(8, j.Finished)
			nullable(9, j.Err)
		}
	case "queries":
		for _, q := range e.Queries() {
			i64(0, int64(q.PID))
			str(1, q.Text)
			nullable(2, q.Frontend)
			str(3, q.User)
			ts(4, q.Start)
			b.Field(5).(*array.Float64Builder).Append(float64(q.Duration.Microseconds()) / 1000)
			i64(6, q.Rows)
			i64(7, q.Bytes)
			str(8, q.Status)
			nullable(9, q.Code)
		}
	case "transactions":
		for _, t := range tables {
			txns, err := e.ss.Transactions(ctx, t.StateID(), 1)
			if err != nil {
				return nil, err
			}
			for _, x := range txns {
				str(0, t.Name)
				i64(1, int64(x.Number))
				str(2, x.Kind)
				ts(3, x.Time)
				str(4, x.Summary)
			}
		}
	}
	return b.NewRecordBatch(), nil
}
