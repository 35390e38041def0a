//go:build linux && (amd64 || arm64)

package objstore

import (
	"syscall"
	"unsafe"
)

// statDir stats d's directory like syscall.Stat, from the path already converted for the
// system call: syscall.Stat converts it at every call, an allocation per statement that
// reads a table.
func statDir(d *stampDir, st *syscall.Stat_t) error {
	if d.cpath == nil {
		return syscall.Stat(d.path, st)
	}
	dirfd := atFDCWD
	_, _, e := syscall.Syscall6(sysFstatat, uintptr(dirfd), uintptr(unsafe.Pointer(&d.cpath[0])), uintptr(unsafe.Pointer(st)), 0, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// atFDCWD is AT_FDCWD: a path relative to the working directory, as syscall.Stat passes.
const atFDCWD = -0x64
