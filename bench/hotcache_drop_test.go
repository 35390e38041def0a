//go:build linux

package bench

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// dropPageCache asks the kernel to drop the cached pages of every file under dir
// (posix_fadvise POSIX_FADV_DONTNEED, which needs no privilege; dirty pages are written
// first). It returns the number of files.
func dropPageCache(dir string) (int, error) {
	const fadvDontNeed = 4
	n := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := f.Sync(); err != nil {
			return err
		}
		if _, _, e := syscall.Syscall6(syscall.SYS_FADVISE64, f.Fd(), 0, 0, fadvDontNeed, 0, 0); e != 0 {
			return &os.PathError{Op: "fadvise", Path: path, Err: e}
		}
		n++
		return nil
	})
	return n, err
}
