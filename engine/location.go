package engine

import (
	"bufio"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// The locations of COPY to and from the server: an absolute local path, or
// s3://bucket/key. COPY FROM reads a file, every file of a directory (not its
// subdirectories, nor names starting with "."), or the files a glob matches: "*", "?" and
// "[...]" match within one path segment, as path.Match does ("**" is "*"). COPY TO writes a
// file, or for a table in Parquet a directory (a key prefix on S3) of one file per leaf.

// s3Scheme starts the URL of an S3 location.
const s3Scheme = "s3://"

// importFile is one file COPY FROM reads.
type importFile struct {
	// name is the file as errors show it: its path, or its s3:// URL.
	name string
	// open opens the file for reading by offset and tells its size; close releases it.
	open func(ctx context.Context) (r io.ReaderAt, size int64, close func() error, err error)
}

// hasGlob reports whether a location has glob characters.
func hasGlob(s string) bool { return strings.ContainsAny(s, "*?[") }

// splitS3 splits s3://bucket/key into the bucket and the key ("" for the whole bucket).
func splitS3(loc string) (bucket, key string, err error) {
	bucket, key, _ = strings.Cut(strings.TrimPrefix(loc, s3Scheme), "/")
	if bucket == "" || strings.ContainsAny(bucket, "*?[") {
		return "", "", errs.New(errs.InvalidParameter, "invalid S3 location %q: want s3://bucket/key", loc)
	}
	return bucket, key, nil
}

// externalStore opens the store of an S3 bucket, whose object names are its keys.
func (e *Engine) externalStore(ctx context.Context, bucket string) (objstore.Store, error) {
	var s objstore.Store
	var err error
	if e.opts.External != nil {
		s, err = e.opts.External(ctx, bucket)
	} else {
		s, err = objstore.NewS3(ctx, objstore.S3Options{Bucket: bucket})
	}
	if err != nil {
		return nil, errs.Wrap(errs.IOError, err, "could not open S3 bucket %q: %v", bucket, err)
	}
	return s, nil
}

// noFile is PostgreSQL's error for a file that is not there.
func noFile(name string) error {
	return errs.New(errs.UndefinedFile, "could not open file \"%s\" for reading: No such file or directory", name)
}

// openError reports a failure to open a server file for reading as PostgreSQL does: 58P01
// when it is missing, 42501 when permission is denied, 58030 otherwise, with the system's
// message.
func openError(name string, err error) error {
	kind := errs.IOError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		kind = errs.UndefinedFile
	case errors.Is(err, fs.ErrPermission):
		kind = errs.InsufficientPrivilege
	}
	msg := err.Error()
	var errno syscall.Errno
	if errors.As(err, &errno) {
		msg = errno.Error()
		if msg != "" {
			msg = strings.ToUpper(msg[:1]) + msg[1:]
		}
	}
	return errs.Wrap(kind, err, "could not open file \"%s\" for reading: %s", name, msg)
}

// importFiles resolves the location of COPY FROM into its files, sorted by name.
func (e *Engine) importFiles(ctx context.Context, loc string) ([]importFile, error) {
	if strings.HasPrefix(loc, s3Scheme) {
		return e.s3Files(ctx, loc)
	}
	return localFiles(loc)
}

func localFiles(loc string) ([]importFile, error) {
	var names []string
	switch {
	case hasGlob(loc):
		matches, err := filepath.Glob(loc)
		if err != nil {
			return nil, errs.New(errs.InvalidParameter, "invalid file pattern %q: %v", loc, err)
		}
		dots := strings.HasPrefix(filepath.Base(loc), ".")
		for _, m := range matches {
			if strings.HasPrefix(filepath.Base(m), ".") && !dots {
				// As in a shell, "*" does not match hidden files (such as the temporary
				// files of a COPY TO in progress).
				continue
			}
			if fi, err := os.Stat(m); err == nil && fi.Mode().IsRegular() {
				names = append(names, m)
			}
		}
		if len(names) == 0 {
			return nil, noFile(loc)
		}
	default:
		fi, err := os.Stat(loc)
		if err != nil {
			return nil, openError(loc, err)
		}
		if !fi.IsDir() {
			names = []string{loc}
			break
		}
		entries, err := os.ReadDir(loc)
		if err != nil {
			return nil, openError(loc, err)
		}
		for _, en := range entries {
			if strings.HasPrefix(en.Name(), ".") {
				continue
			}
			p := filepath.Join(loc, en.Name())
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
				names = append(names, p)
			}
		}
		if len(names) == 0 {
			return nil, errs.New(errs.UndefinedFile, "could not open file \"%s\" for reading: the directory holds no files", loc)
		}
	}
	sort.Strings(names)
	files := make([]importFile, len(names))
	for i, n := range names {
		files[i] = importFile{name: n, open: func(context.Context) (io.ReaderAt, int64, func() error, error) {
			f, err := os.Open(n)
			if err != nil {
				return nil, 0, nil, openError(n, err)
			}
			fi, err := f.Stat()
			if err != nil {
				f.Close()
				return nil, 0, nil, openError(n, err)
			}
			return f, fi.Size(), f.Close, nil
		}}
	}
	return files, nil
}

// s3Files lists the objects of s3://bucket/key: the object key, else the objects directly
// under key/ (the bucket's top level for an empty key or one ending in "/"), or those a glob
// matches.
func (e *Engine) s3Files(ctx context.Context, loc string) ([]importFile, error) {
	bucket, key, err := splitS3(loc)
	if err != nil {
		return nil, err
	}
	store, err := e.externalStore(ctx, bucket)
	if err != nil {
		return nil, err
	}
	list := func(prefix string) ([]objstore.ObjectInfo, error) {
		infos, err := store.ListInfo(ctx, prefix)
		if err != nil {
			return nil, errs.Wrap(errs.IOError, err, "could not list \"%s%s/%s\": %v", s3Scheme, bucket, prefix, err)
		}
		return infos, nil
	}
	var found []objstore.ObjectInfo
	switch {
	case hasGlob(key):
		if _, err := path.Match(key, ""); err != nil {
			return nil, errs.New(errs.InvalidParameter, "invalid file pattern %q: %v", loc, err)
		}
		// List from the segments before the first with glob characters.
		segs := strings.Split(key, "/")
		prefix := ""
		for _, s := range segs {
			if hasGlob(s) {
				break
			}
			prefix += s + "/"
		}
		infos, err := list(prefix)
		if err != nil {
			return nil, err
		}
		dots := strings.HasPrefix(path.Base(key), ".")
		for _, o := range infos {
			if strings.HasPrefix(path.Base(o.Name), ".") && !dots {
				continue
			}
			if ok, _ := path.Match(key, o.Name); ok {
				found = append(found, o)
			}
		}
	default:
		dir := key
		if key != "" && !strings.HasSuffix(key, "/") {
			infos, err := list(key)
			if err != nil {
				return nil, err
			}
			for _, o := range infos {
				if o.Name == key {
					found = append(found, o)
				}
			}
			dir = key + "/"
		}
		if len(found) == 0 {
			infos, err := list(dir)
			if err != nil {
				return nil, err
			}
			for _, o := range infos {
				rest := strings.TrimPrefix(o.Name, dir)
				if !strings.Contains(rest, "/") && !strings.HasPrefix(rest, ".") {
					found = append(found, o)
				}
			}
		}
	}
	if len(found) == 0 {
		return nil, noFile(loc)
	}
	files := make([]importFile, len(found))
	for i, o := range found {
		files[i] = importFile{name: s3Scheme + bucket + "/" + o.Name,
			open: func(ctx context.Context) (io.ReaderAt, int64, func() error, error) {
				return &objstore.ReaderAt{Ctx: ctx, Store: store, Name: o.Name, Size: o.Size}, o.Size, func() error { return nil }, nil
			}}
	}
	return files, nil
}

// output is where COPY TO writes: local files, or the objects of an S3 bucket.
type output struct {
	store  objstore.Store // nil for local files
	bucket string
}

// openOutput resolves the location of COPY TO into its output and the path or key there.
func (e *Engine) openOutput(ctx context.Context, loc string) (output, string, error) {
	if !strings.HasPrefix(loc, s3Scheme) {
		return output{}, loc, nil
	}
	bucket, key, err := splitS3(loc)
	if err != nil {
		return output{}, "", err
	}
	key = strings.TrimSuffix(key, "/")
	if key != "" {
		if err := objstore.CheckName(key); err != nil {
			return output{}, "", errs.New(errs.InvalidParameter, "invalid S3 location %q: %v", loc, err)
		}
	}
	store, err := e.externalStore(ctx, bucket)
	if err != nil {
		return output{}, "", err
	}
	return output{store: store, bucket: bucket}, key, nil
}

// show is the name of a file or directory of the output as errors show it.
func (o output) show(name string) string {
	if o.store == nil {
		return name
	}
	return s3Scheme + o.bucket + "/" + name
}

// mkdir creates a directory for files (nothing on S3, which has none).
func (o output) mkdir(dir string) error {
	if o.store != nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fileError("create directory", dir, err)
	}
	return nil
}

// join names the file file in the directory dir.
func (o output) join(dir, file string) string {
	if o.store == nil {
		return filepath.Join(dir, file)
	}
	if dir == "" {
		return file
	}
	return dir + "/" + file
}

// write writes the file name through write. A local file is written beside and renamed
// over name once complete; an object is streamed to the store's Put (a multipart upload
// when large), which makes it visible only once complete. Either way a failed copy leaves
// no partial file behind.
func (o output) write(ctx context.Context, name string, write func(io.Writer) (int64, error)) (int64, error) {
	if o.store == nil {
		return writeFile(name, write)
	}
	if name == "" {
		return 0, errs.New(errs.InvalidParameter, "COPY to %q: no key", o.show(name))
	}
	pr, pw := io.Pipe()
	type result struct {
		n   int64
		err error
	}
	done := make(chan result, 1)
	go func() {
		bw := bufio.NewWriterSize(pw, 1<<20)
		n, err := write(bw)
		if err == nil {
			err = bw.Flush()
		}
		if err != nil {
			pw.CloseWithError(err)
		} else {
			pw.Close()
		}
		done <- result{n, err}
	}()
	perr := o.store.Put(ctx, name, pr)
	if perr != nil {
		pr.CloseWithError(perr)
	} else {
		// Put read to the end; unblock a writer that still writes (it cannot, having closed).
		pr.Close()
	}
	r := <-done
	switch {
	case r.err != nil && (perr == nil || !errors.Is(r.err, perr)):
		// The writer failed first (Put then failed reading it), or alone.
		return 0, r.err
	case perr != nil:
		return 0, errs.Wrap(errs.IOError, perr, "could not write file \"%s\": %v", o.show(name), perr)
	}
	return r.n, nil
}
