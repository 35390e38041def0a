package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/sleeperd/sleeperd/storage/objstore"
)

// testHookEnv names the environment variable of a test hook, for the end-to-end tests of
// what a crash in the middle of a write leaves behind. It is never set in production.
//
// With the variable set to "after", every write of a table data file (an object under
// tables/<id>/files/, written by an ingest or a compaction) hangs once the object is in
// place, before the write returns: so before the commit that would name it. With "during" it
// hangs once the first part of the data has been written to the store's temporary file. The
// server logs testHookLine with the object's name when a write hangs; the write stays hung
// until its statement is cancelled. A test then kills the server with SIGKILL. With
// "record" the write of a commit record (of a transaction that wrote several tables, under
// commits/) hangs before it is made, once every table's log entry is written, and the server
// logs testHookRecordLine. With "fence" the commit of the write fence an ALTER COLUMN ...
// TYPE takes hangs once its log entry is written, before the commit returns (so before the
// ALTER renews it), and the server logs testHookFenceLine.
const (
	testHookEnv        = "SLEEPERD_TEST_HANG_PUT"
	testHookLine       = "test hook: data file write hanging"
	testHookRecordLine = "test hook: commit record write hanging"
	testHookFenceLine  = "test hook: write fence commit hanging"
)

// withTestHook returns store, wrapped as the test hook says when its variable is set. The hook
// applies to a local data directory only.
func withTestHook(store objstore.Store, log *slog.Logger) objstore.Store {
	mode := os.Getenv(testHookEnv)
	local, ok := store.(*objstore.Local)
	if !ok || (mode != "after" && mode != "during" && mode != "record" && mode != "fence") {
		return store
	}
	log.Warn("test hook enabled: data file writes hang", "env", testHookEnv, "mode", mode)
	return &hangStore{Local: local, mode: mode, log: log}
}

// hangStore is the test hook's store. Embedding keeps Local's optional capabilities.
type hangStore struct {
	*objstore.Local
	mode string
	log  *slog.Logger
}

func isDataFile(name string) bool {
	return strings.HasPrefix(name, "tables/") && strings.Contains(name, "/files/")
}

func (h *hangStore) hang(ctx context.Context, name string) error {
	h.log.Warn(testHookLine, "name", name, "mode", h.mode)
	<-ctx.Done()
	return ctx.Err()
}

// PutIfAbsent implements objstore.Store.
func (h *hangStore) PutIfAbsent(ctx context.Context, name string, data []byte) error {
	if h.mode == "record" && strings.HasPrefix(name, "commits/") {
		h.log.Warn(testHookRecordLine, "name", name)
		<-ctx.Done()
		return ctx.Err()
	}
	// A fence is the one RETIRE_COLUMNS that names its owner.
	if h.mode == "fence" && strings.HasPrefix(name, "tables/") && strings.Contains(string(data), `"RETIRE_COLUMNS"`) && strings.Contains(string(data), `"owner"`) {
		if err := h.Local.PutIfAbsent(ctx, name, data); err != nil {
			return err
		}
		h.log.Warn(testHookFenceLine, "name", name)
		<-ctx.Done()
		return ctx.Err()
	}
	return h.Local.PutIfAbsent(ctx, name, data)
}

// Put implements objstore.Store.
func (h *hangStore) Put(ctx context.Context, name string, data io.Reader) error {
	if !isDataFile(name) || h.mode == "record" || h.mode == "fence" {
		return h.Local.Put(ctx, name, data)
	}
	if h.mode == "during" {
		return h.Local.Put(ctx, name, &hangReader{r: data, hang: func() error { return h.hang(ctx, name) }})
	}
	if err := h.Local.Put(ctx, name, data); err != nil {
		return err
	}
	return h.hang(ctx, name)
}

// hangReader passes on its first read, then hangs: by then the store has written that first
// part to its temporary file.
type hangReader struct {
	r    io.Reader
	read bool
	hang func() error
}

func (h *hangReader) Read(p []byte) (int, error) {
	if h.read {
		return 0, h.hang()
	}
	h.read = true
	n, err := h.r.Read(p)
	if n == 0 && err == nil {
		n, err = io.ReadAtLeast(h.r, p, 1)
	}
	return n, err
}
