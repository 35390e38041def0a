package objstore

import (
	"context"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// stampSettle is how long after its directory last changed a stamp of Local is settled: far
// beyond the granularity of a file system's timestamps (a clock tick), so that a later
// change cannot leave the directory's times as they were.
const stampSettle = time.Second

// Magic numbers (statfs f_type) of the local file systems whose directories' change times
// Local trusts for stamps. Network file systems cache attributes and are stamped by another
// machine's clock: stamps there are never settled.
var stampFileSystems = map[int64]bool{
	0xEF53:     true, // ext2, ext3, ext4
	0x58465342: true, // xfs
	0x9123683E: true, // btrfs
	0x01021994: true, // tmpfs
	0x794C7630: true, // overlayfs
	0x2FC12FC1: true, // zfs
	0xF2F52010: true, // f2fs
}

// stampsTrusted reports whether the directory dir is on a file system of stampFileSystems.
func stampsTrusted(dir string) bool {
	var fs syscall.Statfs_t
	if err := syscall.Statfs(dir, &fs); err != nil {
		return false
	}
	return stampFileSystems[int64(fs.Type)]
}

// Stamp implements Stamper with one stat(2) of the prefix's directory: creating, renaming
// into place, linking or removing an entry sets the directory's modification and change
// times to the current time. A stamp is settled when both times are at least stampSettle in
// the past, so that a later change (at a later tick of the clock) gives other times.
func (l *Local) Stamp(ctx context.Context, prefix string) (Stamp, bool, error) {
	if err := ctx.Err(); err != nil {
		return Stamp{}, false, err
	}
	if !l.stamps {
		return Stamp{}, false, nil
	}
	p, ok := l.stampPath(prefix)
	if !ok {
		return Stamp{}, false, nil
	}
	var st syscall.Stat_t
	if err := statDir(p, &st); err != nil {
		return Stamp{}, false, nil
	}
	s := Stamp{dev: uint64(st.Dev), ino: uint64(st.Ino), mtimeNs: st.Mtim.Nano(), ctimeNs: st.Ctim.Nano()}
	newest := max(s.mtimeNs, s.ctimeNs)
	return s, time.Now().UnixNano()-newest >= int64(stampSettle), nil
}

// stampPaths bounds the prefixes whose directories Local remembers for Stamp.
const stampPaths = 4096

// stampDir is a directory Stamp stats: its path, and the path as the system call takes it
// (ending in a NUL byte), made once rather than at every Stamp.
type stampDir struct {
	path  string
	cpath []byte
}

// stampPath returns the directory of prefix, remembered for the next Stamp of the prefix (a
// reader stamps the same few prefixes again and again); ok is false for a prefix that is
// not a directory's.
func (l *Local) stampPath(prefix string) (*stampDir, bool) {
	if d, ok := l.stampDirs.Load(prefix); ok {
		return d.(*stampDir), true
	}
	if !strings.HasSuffix(prefix, "/") || CheckName(prefix+"x") != nil {
		return nil, false
	}
	p := filepath.Join(l.root, filepath.FromSlash(prefix))
	d := &stampDir{path: p}
	if !strings.Contains(p, "\x00") {
		d.cpath = append([]byte(p), 0)
	}
	if l.nstampDirs.Add(1) <= stampPaths {
		l.stampDirs.Store(prefix, d)
	}
	return d, true
}
