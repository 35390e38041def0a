package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sleeperd/sleeperd/storage/ingest"
)

// spillPrefix starts the name of every process's spill directory.
const spillPrefix = "sleeperd-spill-"

// spillArea is the directory a process spills into: a directory of its own under
// Options.SpillDir, made on first use, holding an exclusive lock (flock(2)) on its lock file
// for as long as the process lives. Making one sweeps the directories of processes that died
// without removing theirs (a killed import leaves its sorted runs): a directory whose lock
// can be taken belongs to no live process. Close removes the process's own.
type spillArea struct {
	parent string

	mu   sync.Mutex
	dir  string
	lock *os.File
}

// path returns the process's spill directory, making it (and sweeping dead ones) if needed.
func (s *spillArea) path() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dir != "" {
		return s.dir, nil
	}
	parent := s.parent
	if parent == "" {
		parent = os.TempDir()
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fmt.Errorf("spill directory: %w", err)
	}
	sweepSpill(parent)
	dir, err := os.MkdirTemp(parent, spillPrefix)
	if err != nil {
		return "", fmt.Errorf("spill directory: %w", err)
	}
	// The lock is taken before the file gets the name sweeps look for: a lock file named
	// "lock" that nobody holds would let another process's sweep remove the directory
	// between its creation and its locking.
	lock, err := os.Create(filepath.Join(dir, "lock.new"))
	if err == nil {
		err = syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	}
	if err == nil {
		err = os.Rename(filepath.Join(dir, "lock.new"), filepath.Join(dir, "lock"))
	}
	if err != nil {
		if lock != nil {
			lock.Close()
		}
		os.RemoveAll(dir)
		return "", fmt.Errorf("spill directory: %w", err)
	}
	s.dir, s.lock = dir, lock
	return dir, nil
}

// close removes the process's spill directory.
func (s *spillArea) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dir == "" {
		return
	}
	os.RemoveAll(s.dir)
	s.lock.Close()
	s.dir, s.lock = "", nil
}

// unnamedLockAge is how long after its last change a spill directory without a lock file
// is taken for that of a process killed while making it.
const unnamedLockAge = time.Minute

// sweepSpill removes the spill directories under parent whose lock no process holds, and
// those without a lock file changed more than unnamedLockAge ago. Errors are ignored:
// sweeping is best effort, and a directory left now is swept next time.
func sweepSpill(parent string) int {
	ents, err := os.ReadDir(parent)
	if err != nil {
		return 0
	}
	n := 0
	for _, ent := range ents {
		if !ent.IsDir() || !strings.HasPrefix(ent.Name(), spillPrefix) {
			continue
		}
		dir := filepath.Join(parent, ent.Name())
		f, err := os.Open(filepath.Join(dir, "lock"))
		if err != nil {
			// Being made by a live process (its lock not named yet), which takes
			// microseconds, or left by one killed while making it.
			if info, err := ent.Info(); err == nil && time.Since(info.ModTime()) > unnamedLockAge {
				if os.RemoveAll(dir) == nil {
					n++
				}
			}
			continue
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			if os.RemoveAll(dir) == nil {
				n++
			}
		}
		f.Close()
	}
	return n
}

// SpillStats are cumulative statistics of the writes through a table's ingest.Writer (INSERT,
// COPY FROM, UPDATE, Flight ingest) that ended, committed or not, since the engine opened.
type SpillStats struct {
	Writes        int64 // writes ended
	SpilledWrites int64 // of which spilled sorted runs to local disk
	Rows          int64 // rows appended
	Runs          int64 // sorted runs spilled
	MergePasses   int64 // intermediate merge passes over the runs
	BytesSpilled  int64 // bytes written to spill files, intermediate merge passes included
	// PeakBytes is the largest ingest.WriterStats.PeakBytes of one write: the most memory a
	// write accounted at once, to compare with Options.ImportMemory.
	PeakBytes int64
}

// SpillStats returns the cumulative statistics of the engine's writes so far.
func (e *Engine) SpillStats() SpillStats {
	e.spillStats.mu.Lock()
	defer e.spillStats.mu.Unlock()
	return e.spillStats.s
}

type spillCounters struct {
	mu sync.Mutex
	s  SpillStats
}

func (c *spillCounters) add(ws ingest.WriterStats) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.s.Writes++
	if ws.Runs > 0 {
		c.s.SpilledWrites++
	}
	c.s.Rows += ws.Rows
	c.s.Runs += int64(ws.Runs)
	c.s.MergePasses += int64(ws.MergePasses)
	c.s.BytesSpilled += ws.BytesSpilled
	c.s.PeakBytes = max(c.s.PeakBytes, ws.PeakBytes)
}
