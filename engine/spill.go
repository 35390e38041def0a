package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
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
	lock, err := os.Create(filepath.Join(dir, "lock"))
	if err == nil {
		err = syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
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

// sweepSpill removes the spill directories under parent whose lock no process holds. Errors
// are ignored: sweeping is best effort, and a directory left now is swept next time.
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
			continue // being made by a live process, or not ours
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
