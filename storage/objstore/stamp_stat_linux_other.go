//go:build linux && !amd64 && !arm64

package objstore

import "syscall"

// statDir stats d's directory.
func statDir(d *stampDir, st *syscall.Stat_t) error { return syscall.Stat(d.path, st) }
