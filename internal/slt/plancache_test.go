package slt

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// TestCorpusKeptPlans runs the corpus and the PostgreSQL-checked files of pg_compat in
// process with every prepared query's plan kept from its first execution
// (engine.Options.KeepPlanAt 1), so that each query the files run goes through a kept plan
// with its scans pruned at execution: the results must be the expected ones.
func TestCorpusKeptPlans(t *testing.T) {
	compat, err := filepath.Glob(filepath.Join(corpus, "pg_compat", "*.slt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range append(corpusFiles(t), compat...) {
		t.Run(filepath.Base(filepath.Dir(path))+"/"+filepath.Base(path), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
			defer cancel()
			func() {
				eng, err := engine.Open(ctx, engine.Options{Store: objstore.NewMem(), Alloc: mem, KeepPlanAt: 1})
				if err != nil {
					t.Fatalf("opening engine: %v", err)
				}
				defer eng.Close()
				conn, err := eng.Connect(ctx, "slt", "slt")
				if err != nil {
					t.Fatalf("connecting: %v", err)
				}
				defer conn.Close()
				db, err := NewConn(conn)
				if err != nil {
					t.Fatal(err)
				}
				runFile(ctx, t, path, db, Options{Names: []string{"sleeperd", "inprocess"}})
			}()
		})
	}
}
