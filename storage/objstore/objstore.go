// Package objstore is a small object-store interface with local-disk, in-memory and S3 stores.
//
// Objects are whole byte strings under slash-separated relative names such as
// "tables/t1/log/00000000000000000001.json". Objects are immutable in the sense that a reader
// never sees a partial write: Put replaces an object atomically and PutIfAbsent, the commit
// primitive of the state store, creates one only when the name is free.
package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Errors returned by every Store, tested with errors.Is.
var (
	// ErrNotExist: no object has the name.
	ErrNotExist = errors.New("object does not exist")
	// ErrExists: PutIfAbsent found the name taken.
	ErrExists = errors.New("object already exists")
	// ErrInvalidName: the name is empty, absolute, has empty, "." or ".." segments, lies in
	// the reserved ".tmp" directory, or clashes with the directories of other objects (see
	// Store).
	ErrInvalidName = errors.New("invalid object name")
)

// Store is an object store. Every method is safe for concurrent use, also by several
// processes sharing one store where the implementation is shared (a directory, a bucket).
//
// As in a file system, a name cannot be both an object and a directory of other objects:
// with "a/b" stored, putting "a/b/c" fails with ErrInvalidName, and so does putting "a"
// (every store enforces this, so that code tested on Mem behaves the same on Local).
type Store interface {
	// ReadAt fills all of p with the bytes of the object starting at off. Reading past the end
	// fails with io.ErrUnexpectedEOF; a missing object with ErrNotExist.
	ReadAt(ctx context.Context, name string, p []byte, off int64) error
	// Size returns the object's length in bytes, or ErrNotExist.
	Size(ctx context.Context, name string) (int64, error)
	// Put creates or replaces the object with everything read from data. The replacement is
	// atomic: readers see either the old object or the whole new one, never a mix.
	Put(ctx context.Context, name string, data io.Reader) error
	// PutIfAbsent creates the object only if the name is free, and fails with ErrExists
	// otherwise. Of several concurrent calls for one name exactly one succeeds. On success
	// the object is durable.
	PutIfAbsent(ctx context.Context, name string, data []byte) error
	// List returns, sorted, the names of all objects whose name starts with prefix. The
	// prefix is a string prefix, not only a directory: "log/0001" matches "log/00012".
	List(ctx context.Context, prefix string) ([]string, error)
	// ListInfo is List with each object's size and the time it was last written (by Put or
	// PutIfAbsent; writing an object never takes effect before that time).
	ListInfo(ctx context.Context, prefix string) ([]ObjectInfo, error)
	// Delete removes the object. Deleting a missing object is not an error.
	Delete(ctx context.Context, name string) error
}

// ObjectInfo describes a listed object.
type ObjectInfo struct {
	Name    string
	Size    int64
	ModTime time.Time
}

// TempSweeper is an optional capability of a Store that keeps temporary files of its own
// (Local does, under its reserved .tmp directory): a writer that dies mid-write leaves one
// behind. SweepTemp removes those last written before the given time and returns how many it
// removed. The caller chooses a time before which no live write can have last written.
type TempSweeper interface {
	SweepTemp(ctx context.Context, before time.Time) (int, error)
}

// WholeReader is an optional capability of a Store: reading a whole object in one
// consistent step, even while it is being replaced by Put.
type WholeReader interface {
	ReadAll(ctx context.Context, name string) ([]byte, error)
}

// SizedReader is an optional capability of a Store: ReadAt told the object's size (as
// ReaderAt knows it), so that a store with slow requests can fetch more than asked at the
// end of an object, where file formats such as Parquet read a trailer and then the footer
// before it.
type SizedReader interface {
	ReadAtSized(ctx context.Context, name string, p []byte, off, size int64) error
}

// ReadAll returns the whole object. It uses the store's WholeReader when it has one;
// otherwise it reads Size bytes, which is consistent for objects that are never replaced.
func ReadAll(ctx context.Context, s Store, name string) ([]byte, error) {
	if w, ok := s.(WholeReader); ok {
		return w.ReadAll(ctx, name)
	}
	n, err := s.Size(ctx, name)
	if err != nil {
		return nil, err
	}
	p := make([]byte, n)
	if err := s.ReadAt(ctx, name, p, 0); err != nil {
		return nil, err
	}
	return p, nil
}

// tmpDir is the reserved top-level directory where stores may keep temporary objects.
const tmpDir = ".tmp"

// CheckName reports whether name is a valid object name: a non-empty relative path of
// slash-separated, non-empty segments other than "." and "..", without NUL bytes, and not
// inside the reserved top-level ".tmp" directory.
func CheckName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty", ErrInvalidName)
	}
	if strings.IndexByte(name, 0) >= 0 {
		return fmt.Errorf("%w: %q has a NUL byte", ErrInvalidName, name)
	}
	for i, rest := 0, name; ; i++ { // the segments between slashes, without splitting
		seg, after, more := strings.Cut(rest, "/")
		rest = after
		switch {
		case seg == "":
			return fmt.Errorf("%w: %q has an empty segment", ErrInvalidName, name)
		case seg == "." || seg == "..":
			return fmt.Errorf("%w: %q has a %q segment", ErrInvalidName, name, seg)
		case i == 0 && seg == tmpDir:
			return fmt.Errorf("%w: %q is in the reserved %s directory", ErrInvalidName, name, tmpDir)
		}
		if !more {
			return nil
		}
	}
}

// checkPrefix validates a List prefix: it may be empty or end in "/" or a partial segment,
// but must not climb out of the store.
func checkPrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	if strings.HasPrefix(prefix, "/") || strings.IndexByte(prefix, 0) >= 0 {
		return fmt.Errorf("%w: prefix %q", ErrInvalidName, prefix)
	}
	for _, seg := range strings.Split(prefix, "/") {
		if seg == ".." {
			return fmt.Errorf("%w: prefix %q", ErrInvalidName, prefix)
		}
	}
	return nil
}

// ReaderAt reads an object as an io.ReaderAt (for file formats such as Parquet that read
// by offset). Reads use Ctx; a read past the end returns the bytes there are and io.EOF.
type ReaderAt struct {
	Ctx   context.Context
	Store Store
	Name  string
	Size  int64
	// OnRead, if set, is told how many bytes each read returned.
	OnRead func(n int64)
}

// ReadAt implements io.ReaderAt.
func (r *ReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= r.Size {
		return 0, io.EOF
	}
	n := len(p)
	var eof error
	if off+int64(n) > r.Size {
		n = int(r.Size - off)
		eof = io.EOF
	}
	var err error
	if sr, ok := r.Store.(SizedReader); ok {
		err = sr.ReadAtSized(r.Ctx, r.Name, p[:n], off, r.Size)
	} else {
		err = r.Store.ReadAt(r.Ctx, r.Name, p[:n], off)
	}
	if err != nil {
		return 0, err
	}
	if r.OnRead != nil {
		r.OnRead(int64(n))
	}
	return n, eof
}
