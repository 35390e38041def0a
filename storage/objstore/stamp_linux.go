package objstore

import (
	"context"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
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
	now := time.Now().UnixNano()
	if !l.fstatDir(p, &st, now) {
		if err := statDir(p, &st); err != nil {
			return Stamp{}, false, nil
		}
	}
	s := Stamp{dev: uint64(st.Dev), ino: uint64(st.Ino), mtimeNs: st.Mtim.Nano(), ctimeNs: st.Ctim.Nano()}
	newest := max(s.mtimeNs, s.ctimeNs)
	return s, now-newest >= int64(stampSettle), nil
}

// stampFDs bounds the directories a Local keeps open for Stamp; Stamp stats the path of any
// other.
const stampFDs = 256

// stampVerify is how often Stamp checks that a directory it keeps open is still the one its
// path names. Local creates its directories and never removes or renames them; a directory
// removed by other means (and created again) is seen at once, by its link count.
const stampVerify = time.Second

// dirFD is a directory Stamp keeps open: fstat(2) of the open directory costs a fraction of
// stat(2) of its path, which walks every component of the path (several microseconds on a
// deep store). The descriptor is closed when the dirFD is garbage.
type dirFD struct{ fd int }

func openDirFD(path string) *dirFD {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	f := &dirFD{fd: fd}
	runtime.SetFinalizer(f, func(f *dirFD) { syscall.Close(f.fd) })
	return f
}

// fstatDir stats d's directory through the descriptor d keeps open, opening it or checking
// it against the path when due (now is the time in Unix nanoseconds); false leaves the stat
// to the path.
func (l *Local) fstatDir(d *stampDir, st *syscall.Stat_t, now int64) bool {
	f := d.fd.Load()
	if f != nil && now-d.verified.Load() < int64(stampVerify) {
		err := syscall.Fstat(f.fd, st)
		runtime.KeepAlive(f)
		if err == nil && st.Nlink > 0 {
			return true
		}
		// Removed: the path may name another directory now.
		l.dropFD(d, f)
		return false
	}
	// Stat the path, and keep its directory open if it is not yet (or no longer) the one
	// open.
	if err := statDir(d, st); err != nil {
		l.dropFD(d, f)
		return false
	}
	if f != nil {
		var fs syscall.Stat_t
		err := syscall.Fstat(f.fd, &fs)
		runtime.KeepAlive(f)
		if err == nil && fs.Dev == st.Dev && fs.Ino == st.Ino && fs.Nlink > 0 {
			d.verified.Store(now)
			return true
		}
	}
	if f == nil && l.nstampFDs.Load() >= stampFDs {
		return true // the path's stat is in st
	}
	nf := openDirFD(d.path)
	if nf == nil {
		l.dropFD(d, f)
		return true
	}
	var fs syscall.Stat_t
	if syscall.Fstat(nf.fd, &fs) != nil || fs.Dev != st.Dev || fs.Ino != st.Ino {
		// Replaced between the stat and the open: try again at the next Stamp.
		l.dropFD(d, f)
		return true
	}
	if d.fd.CompareAndSwap(f, nf) {
		if f == nil {
			l.nstampFDs.Add(1)
		}
		d.verified.Store(now)
	}
	return true
}

// dropFD forgets f, the directory d kept open (if it still is), so that the path is stat'ed
// or opened again; the descriptor closes when f is garbage, and no longer counts against
// stampFDs.
func (l *Local) dropFD(d *stampDir, f *dirFD) {
	if f != nil && d.fd.CompareAndSwap(f, nil) {
		l.nstampFDs.Add(-1)
	}
}

// stampPaths bounds the prefixes whose directories Local remembers for Stamp.
const stampPaths = 4096

// stampDir is a directory Stamp stats: its path, and the path as the system call takes it
// (ending in a NUL byte), made once rather than at every Stamp.
type stampDir struct {
	path  string
	cpath []byte
	// fd is the directory kept open, or nil; verified is when (Unix nanoseconds) the path
	// was last seen to name it.
	fd       atomic.Pointer[dirFD]
	verified atomic.Int64
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
