package e2e

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"

	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/parquet"
)

// This file holds what the tests of bounded-memory writes share: server-side COPY FROM
// files staged in the bucket, and the inspection of the servers' spill directories.

// spillMemory is the --import-memory of the servers whose writes must spill: a write holds
// half of it, some 5,000 rows of the workload's tables, before it sorts and spills a run.
const spillMemory = "1MiB"

// processSpillPrefix starts the name of the directory each sleeperd process spills into,
// under --spill-dir.
const processSpillPrefix = "sleeperd-spill-"

// spillDirs returns the process spill directories under parent, each with the names of the
// entries it holds besides its lock file (the runs of writes that spilled).
func spillDirs(parent string) (map[string][]string, error) {
	ents, err := os.ReadDir(parent)
	if err != nil {
		return nil, err
	}
	dirs := make(map[string][]string)
	for _, ent := range ents {
		if !ent.IsDir() || !strings.HasPrefix(ent.Name(), processSpillPrefix) {
			continue
		}
		inner, err := os.ReadDir(filepath.Join(parent, ent.Name()))
		if err != nil {
			if os.IsNotExist(err) {
				continue // removed meanwhile
			}
			return nil, err
		}
		files := []string{}
		for _, f := range inner {
			if f.Name() != "lock" {
				files = append(files, f.Name())
			}
		}
		dirs[ent.Name()] = files
	}
	return dirs, nil
}

// spillWatcher polls spill directories and records every spill file it sees in them: the
// proof that writes really spilled, whatever the servers log.
type spillWatcher struct {
	parents []string
	stop    chan struct{}
	done    chan struct{}

	mu    sync.Mutex
	files []map[string]bool // by parent: spill files seen, "<process dir>/<file>"
	err   error
}

// watchSpill starts polling parents every few milliseconds until stop is called.
func watchSpill(parents ...string) *spillWatcher {
	w := &spillWatcher{parents: parents, stop: make(chan struct{}), done: make(chan struct{})}
	for range parents {
		w.files = append(w.files, make(map[string]bool))
	}
	go func() {
		defer close(w.done)
		for {
			for i, p := range parents {
				dirs, err := spillDirs(p)
				w.mu.Lock()
				if err != nil && w.err == nil {
					w.err = err
				}
				for d, files := range dirs {
					for _, f := range files {
						w.files[i][d+"/"+f] = true
					}
				}
				w.mu.Unlock()
			}
			select {
			case <-w.stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return w
}

// finish stops the watcher and returns how many spill files it saw under each parent.
func (w *spillWatcher) finish() ([]int, error) {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	n := make([]int, len(w.files))
	for i, f := range w.files {
		n[i] = len(f)
	}
	return n, w.err
}

// waitSpilled waits until a process spill directory under parent holds a spill file, for
// up to timeout, and reports whether one did.
func waitSpilled(ctx context.Context, parent string, timeout time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		dirs, _ := spillDirs(parent)
		for _, files := range dirs {
			if len(files) > 0 {
				return true
			}
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// spilledLogLines counts the log lines in which a server reports a write that spilled.
func spilledLogLines(logs string) int {
	return strings.Count(logs, `msg="write spilled"`)
}

// checkOneSpillDir checks that parent holds the spill directory of one live process and no
// other (those of killed processes were swept), with nothing in it but its lock (no write
// left its runs behind), and that it is not one of dead. It returns the problems found.
func checkOneSpillDir(parent string, dead map[string]bool) []string {
	dirs, err := spillDirs(parent)
	if err != nil {
		return []string{err.Error()}
	}
	var problems []string
	if len(dirs) != 1 {
		names := make([]string, 0, len(dirs))
		for d, files := range dirs {
			names = append(names, fmt.Sprintf("%s (dead: %v, %d spill files)", d, dead[d], len(files)))
		}
		sort.Strings(names)
		problems = append(problems, fmt.Sprintf("%d process spill directories, want the live process's alone: %s", len(dirs), strings.Join(names, ", ")))
	}
	for d, files := range dirs {
		if dead[d] {
			if len(dirs) == 1 {
				problems = append(problems, fmt.Sprintf("the spill directory %s of a killed process is left, and the live process has none", d))
			}
			continue
		}
		if len(files) != 0 {
			problems = append(problems, fmt.Sprintf("with no write running, the live spill directory %s holds %d files: %v", d, len(files), files[:min(len(files), 5)]))
		}
	}
	return problems
}

// stageBatch writes the rows of b as files under name in staging, split into one to three
// files, as CSV or Parquet, and returns the COPY statement that loads them into table from
// location (staging's s3:// URL).
func stageBatch(ctx context.Context, staging objstore.Store, location, name, table string, b *batch, rng *rand.Rand) (string, error) {
	parts := 1 + rng.IntN(3)
	format := "csv"
	if rng.IntN(2) == 0 {
		format = "parquet"
	}
	for p := range parts {
		ids := b.ids[p*len(b.ids)/parts : (p+1)*len(b.ids)/parts]
		var data []byte
		if format == "csv" {
			var sb strings.Builder
			for _, id := range ids {
				fmt.Fprintf(&sb, "%d,%d,row %d of batch %d\n", id, b.no, id, b.no)
			}
			data = []byte(sb.String())
		} else {
			var err error
			if data, err = batchParquet(b.no, ids); err != nil {
				return "", err
			}
		}
		if err := staging.Put(ctx, fmt.Sprintf("%s/part%d.%s", name, p, format), bytes.NewReader(data)); err != nil {
			return "", fmt.Errorf("staging %s: %w", name, err)
		}
	}
	return fmt.Sprintf("COPY %s FROM '%s/%s/*.%s' (FORMAT %s)", table, location, name, format, format), nil
}

// batchParquet returns a Parquet file of the rows ids of batch no, with small row groups so
// that COPY reads it in several batches.
func batchParquet(no int64, ids []int64) ([]byte, error) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "b", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "v", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	bld := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer bld.Release()
	for _, id := range ids {
		bld.Field(0).(*array.Int64Builder).Append(id)
		bld.Field(1).(*array.Int64Builder).Append(no)
		bld.Field(2).(*array.StringBuilder).Append(fmt.Sprintf("row %d of batch %d", id, no))
	}
	rec := bld.NewRecordBatch()
	defer rec.Release()
	var buf bytes.Buffer
	w, err := parquet.NewWriter(&buf, schema, parquet.Properties{RowGroupRows: 2048})
	if err != nil {
		return nil, err
	}
	if err := w.Write(rec); err != nil {
		return nil, err
	}
	if _, err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// s3Importer loads batches of minRows to maxRows rows into table with COPY FROM files it
// first stages under prefix in staging (location is staging's s3:// URL), CSV or Parquet in
// one to three files, until stop is closed, ctx is done or the connection fails, recording
// each outcome in m as importer does: the server reads the files and commits them as one
// transaction, or nothing. It returns the number of COPYs acknowledged.
func s3Importer(ctx context.Context, stop <-chan struct{}, conn *pgx.Conn, m *model, table string,
	staging objstore.Store, location, prefix string, minRows, maxRows int, rng *rand.Rand) int {
	n := 0
	for ctx.Err() == nil && !stopped(stop) {
		b := m.newBatch(minRows + rng.IntN(maxRows-minRows+1))
		sql, err := stageBatch(ctx, staging, location, fmt.Sprintf("%s/b%d", prefix, b.no), table, b, rng)
		if err != nil {
			m.settle(b, rejected, err) // never sent; the test fails on a rejected batch
			return n
		}
		tag, err := conn.Exec(ctx, sql)
		switch want := fmt.Sprintf("COPY %d", len(b.ids)); {
		case err == nil && tag.String() == want:
			m.settle(b, acked, nil)
			n++
		case err == nil:
			m.settle(b, acked, fmt.Errorf("%s: tag %q, want %q", sql, tag, want))
		case isServerError(err):
			m.settle(b, rejected, fmt.Errorf("%s: %w", sql, err))
		default:
			m.settle(b, unknown, err)
			return n
		}
	}
	return n
}
