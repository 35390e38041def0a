package objstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Local is a Store in a directory on a local disk, shared safely by several processes.
//
// Both writes make the object durable before they return, so that a commit naming an object
// written earlier never outlives it in a power cut: the data is written to a temporary file
// under <dir>/.tmp and fsynced; Put renames it into place and PutIfAbsent link(2)s it to the
// final name (which the kernel does atomically across processes); then the object's directory
// is fsynced, and so is the parent of every directory created on the way. Directories are
// created as needed and never removed.
//
// A writer that dies mid-call can leave a temporary file behind; SweepTemp removes old ones.
type Local struct {
	root string
	tmp  string
	// sync fsyncs an open file or directory; tests replace it to observe the sequence.
	sync func(f *os.File) error
	// stamps is whether the directory is on a file system whose directory times Stamp
	// trusts; stampDirs maps the prefixes stamped to their directories (see stampPath).
	stamps     bool
	stampDirs  sync.Map
	nstampDirs atomic.Int64
	nstampFDs  atomic.Int64 // directories Stamp keeps open (see stampDir.fd)
}

var (
	_ Store       = (*Local)(nil)
	_ WholeReader = (*Local)(nil)
	_ TempSweeper = (*Local)(nil)
	_ Stamper     = (*Local)(nil)
)

// NewLocal returns a store rooted at dir, creating the directory if needed.
func NewLocal(dir string) (*Local, error) {
	if dir == "" {
		return nil, errors.New("objstore: empty directory")
	}
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("objstore: %w", err)
	}
	tmp := filepath.Join(root, tmpDir)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return nil, fmt.Errorf("objstore: creating %s: %w", dir, err)
	}
	return &Local{root: root, tmp: tmp, sync: (*os.File).Sync, stamps: stampsTrusted(root)}, nil
}

// Dir returns the store's root directory.
func (l *Local) Dir() string { return l.root }

func (l *Local) path(name string) (string, error) {
	if err := CheckName(name); err != nil {
		return "", err
	}
	return filepath.Join(l.root, filepath.FromSlash(name)), nil
}

// notExist maps the errors of a missing object (or of a path through a file) to ErrNotExist.
func notExist(name string, err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return missingError(name)
	}
	return err
}

// missingError is fmt.Errorf("%s: %w", name, ErrNotExist) in one allocation: every
// statement looks for the next entry of each table's log it reads, which is missing.
type missingError string

func (e missingError) Error() string { return string(e) + ": " + ErrNotExist.Error() }
func (e missingError) Unwrap() error { return ErrNotExist }

func (l *Local) open(ctx context.Context, name string) (*os.File, os.FileInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	p, err := l.path(name)
	if err != nil {
		return nil, nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, nil, notExist(name, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, fmt.Errorf("%s: %w", name, ErrNotExist)
	}
	return f, fi, nil
}

// ReadAt implements Store. Each read opens the object afresh (so it sees the object's
// current version), with plain system calls: open, pread, close.
func (l *Local) ReadAt(ctx context.Context, name string, p []byte, off int64) error {
	if off < 0 {
		return fmt.Errorf("reading %s: negative offset %d", name, off)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	path, err := l.path(name)
	if err != nil {
		return err
	}
	var fd int
	for {
		fd, err = syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return notExist(name, &fs.PathError{Op: "open", Path: path, Err: err})
	}
	defer syscall.Close(fd)
	for n := 0; n < len(p); {
		m, err := syscall.Pread(fd, p[n:], off+int64(n))
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EISDIR:
			return fmt.Errorf("%s: %w", name, ErrNotExist)
		case err != nil:
			return fmt.Errorf("reading %s at %d: %w", name, off, err)
		case m == 0:
			return fmt.Errorf("reading %s at %d: %w", name, off, io.ErrUnexpectedEOF)
		}
		n += m
	}
	return nil
}

// ReadAll implements WholeReader. The open file is one version of the object, so the result
// is consistent even while Put replaces it.
func (l *Local) ReadAll(ctx context.Context, name string) ([]byte, error) {
	f, fi, err := l.open(ctx, name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p := make([]byte, fi.Size())
	if _, err := io.ReadFull(f, p); err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	return p, nil
}

// Size implements Store.
func (l *Local) Size(ctx context.Context, name string) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	p, err := l.path(name)
	if err != nil {
		return 0, err
	}
	fi, err := os.Stat(p)
	if err != nil {
		return 0, notExist(name, err)
	}
	if !fi.Mode().IsRegular() {
		return 0, fmt.Errorf("%s: %w", name, ErrNotExist)
	}
	return fi.Size(), nil
}

// writeTemp writes a durable temporary file and returns its path; the caller removes it.
func (l *Local) writeTemp(ctx context.Context, data io.Reader) (string, error) {
	f, err := os.CreateTemp(l.tmp, "obj-*")
	if err != nil {
		return "", err
	}
	_, err = io.Copy(f, ctxReader{ctx, data})
	if err == nil {
		err = l.sync(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// ensureDir creates dir and any missing parents, syncing each parent that gained an entry.
func (l *Local) ensureDir(dir string) error {
	if fi, err := os.Stat(dir); err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("%w: %s is an object", ErrInvalidName, dir[len(l.root)+1:])
		}
		return nil
	} else if errors.Is(err, syscall.ENOTDIR) {
		return fmt.Errorf("%w: a directory of %s is an object", ErrInvalidName, dir[len(l.root)+1:])
	}
	parent := filepath.Dir(dir)
	if len(parent) < len(l.root) {
		return fmt.Errorf("objstore: %s is outside the store", dir)
	}
	if err := l.ensureDir(parent); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return l.syncDir(parent)
}

// notDir fails with ErrInvalidName when p is a directory of other objects.
func notDir(name, p string) error {
	if fi, err := os.Lstat(p); err == nil && fi.IsDir() {
		return fmt.Errorf("%w: %s is a directory", ErrInvalidName, name)
	}
	return nil
}

// syncDir fsyncs a directory, making the entries added to it durable.
func (l *Local) syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = l.sync(d)
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// Put implements Store.
func (l *Local) Put(ctx context.Context, name string, data io.Reader) error {
	p, err := l.path(name)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	tmp, err := l.writeTemp(ctx, data)
	if err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if err := l.ensureDir(filepath.Dir(p)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if err := notDir(name, p); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, p); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if err := l.syncDir(filepath.Dir(p)); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}

// PutIfAbsent implements Store.
func (l *Local) PutIfAbsent(ctx context.Context, name string, data []byte) error {
	p, err := l.path(name)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	tmp, err := l.writeTemp(ctx, bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	defer os.Remove(tmp)
	dir := filepath.Dir(p)
	if err := l.ensureDir(dir); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if err := notDir(name, p); err != nil {
		return err
	}
	if err := os.Link(tmp, p); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s: %w", name, ErrExists)
		}
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if err := l.syncDir(dir); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}

// List implements Store.
func (l *Local) List(ctx context.Context, prefix string) ([]string, error) {
	var out []string
	err := l.walk(ctx, prefix, func(rel string, _ fs.DirEntry) error {
		out = append(out, rel)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(out)
	return out, nil
}

// ListInfo implements Store. An object's ModTime is its file's modification time: the last
// write of its data, before it was put in place.
func (l *Local) ListInfo(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	var out []ObjectInfo
	err := l.walk(ctx, prefix, func(rel string, d fs.DirEntry) error {
		fi, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil // deleted while walking
		}
		if err != nil {
			return err
		}
		out = append(out, ObjectInfo{Name: rel, Size: fi.Size(), ModTime: fi.ModTime()})
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// walk calls fn for every object whose name starts with prefix, in no particular order. It
// walks only the directory named by prefix up to its last slash.
func (l *Local) walk(ctx context.Context, prefix string, fn func(rel string, d fs.DirEntry) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkPrefix(prefix); err != nil {
		return err
	}
	start := l.root
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		start = filepath.Join(l.root, filepath.FromSlash(prefix[:i]))
	}
	err := filepath.WalkDir(start, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
				return nil // removed while walking, or the prefix names no directory
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if path == l.root {
			return nil
		}
		rel := filepath.ToSlash(path[len(l.root)+1:])
		if d.IsDir() {
			if rel == tmpDir {
				return fs.SkipDir
			}
			dir := rel + "/"
			if !strings.HasPrefix(dir, prefix) && !strings.HasPrefix(prefix, dir) {
				return fs.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() && strings.HasPrefix(rel, prefix) {
			return fn(rel, d)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("listing %q: %w", prefix, err)
	}
	return nil
}

// SweepTemp implements TempSweeper: it removes the temporary files of writes that died,
// those last modified before the given time. A live write keeps modifying its file until it
// is renamed or linked into place and removed, so only a write that made no progress since
// before can lose its file (and then fails).
func (l *Local) SweepTemp(ctx context.Context, before time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	entries, err := os.ReadDir(l.tmp)
	if err != nil {
		return 0, fmt.Errorf("objstore: sweeping %s: %w", l.tmp, err)
	}
	n := 0
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		fi, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // its write finished meanwhile
		}
		if err != nil {
			return n, fmt.Errorf("objstore: sweeping %s: %w", l.tmp, err)
		}
		if !fi.Mode().IsRegular() || !fi.ModTime().Before(before) {
			continue
		}
		if err := os.Remove(filepath.Join(l.tmp, e.Name())); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return n, fmt.Errorf("objstore: sweeping %s: %w", l.tmp, err)
		}
		n++
	}
	return n, nil
}

// Delete implements Store.
func (l *Local) Delete(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p, err := l.path(name)
	if err != nil {
		return err
	}
	fi, err := os.Lstat(p)
	if err != nil {
		if errors.Is(notExist(name, err), ErrNotExist) {
			return nil
		}
		return err
	}
	if fi.IsDir() {
		return nil // a directory is not an object
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("deleting %s: %w", name, err)
	}
	return nil
}
