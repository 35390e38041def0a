package statestore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/sleeperd/sleeperd/storage/objstore"
)

// Log is a sequence of immutable entries numbered 1, 2, 3, ... stored as the objects
// <prefix><%020d>.json of an object store. Appending entry n is a put-if-absent, so of
// several writers racing for one number exactly one wins: the basis of optimistic
// concurrency for any small log kept in an object store.
type Log struct {
	store  objstore.Store
	prefix string
}

// NewLog returns the log stored under prefix, which must end in "/".
func NewLog(s objstore.Store, prefix string) (*Log, error) {
	if s == nil {
		return nil, errors.New("statestore: nil object store")
	}
	if !strings.HasSuffix(prefix, "/") || objstore.CheckName(prefix+"x") != nil {
		return nil, fmt.Errorf("statestore: invalid log prefix %q", prefix)
	}
	return &Log{store: s, prefix: prefix}, nil
}

// Name returns the object name of entry n.
func (l *Log) Name(n uint64) string {
	// fmt.Sprintf("%s%020d.json", l.prefix, n) without fmt: every statement looks for the
	// next entry of each table it reads.
	b := make([]byte, 0, len(l.prefix)+25)
	b = append(b, l.prefix...)
	var d [20]byte
	digits := strconv.AppendUint(d[:0], n, 10)
	for range 20 - len(digits) {
		b = append(b, '0')
	}
	b = append(b, digits...)
	return string(append(b, ".json"...))
}

// Append writes entry n if it does not exist yet, and fails with an error wrapping
// objstore.ErrExists if it does.
func (l *Log) Append(ctx context.Context, n uint64, data []byte) error {
	if n == 0 {
		return errors.New("statestore: log entries start at 1")
	}
	return l.store.PutIfAbsent(ctx, l.Name(n), data)
}

// Read returns entry n, or an error wrapping objstore.ErrNotExist.
func (l *Log) Read(ctx context.Context, n uint64) ([]byte, error) {
	return objstore.ReadAll(ctx, l.store, l.Name(n))
}

// Entries returns the numbers of the entries present, ascending. Objects under the prefix
// that are not entries are ignored.
func (l *Log) Entries(ctx context.Context) ([]uint64, error) {
	names, err := l.store.List(ctx, l.prefix)
	if err != nil {
		return nil, err
	}
	var out []uint64
	for _, name := range names {
		base, ok := strings.CutSuffix(name[len(l.prefix):], ".json")
		if !ok || len(base) != 20 {
			continue
		}
		n, err := strconv.ParseUint(base, 10, 64)
		if err != nil {
			continue
		}
		out = append(out, n) // zero-padded names list in numeric order
	}
	return out, nil
}

// exists reports whether entry n exists, without reading it.
func (l *Log) exists(ctx context.Context, n uint64) (bool, error) {
	_, err := l.store.Size(ctx, l.Name(n))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, objstore.ErrNotExist):
		return false, nil
	}
	return false, err
}

// missing reports whether entry n does not exist.
func (l *Log) missing(ctx context.Context, n uint64) (bool, error) {
	ok, err := l.exists(ctx, n)
	return !ok && err == nil, err
}

// Delete removes entry n; removing a missing entry is not an error.
func (l *Log) Delete(ctx context.Context, n uint64) error {
	return l.store.Delete(ctx, l.Name(n))
}

// Backoff is exponential backoff with full jitter between attempts of an optimistic commit.
// The wait before retry r (0 for the first retry) is uniform in [0, min(Max, First*2^r)).
type Backoff struct {
	Attempts int           // total attempts, at least 1
	First    time.Duration // ceiling of the first wait
	Max      time.Duration // cap on the ceiling
}

// DefaultBackoff is Sleeper's: 10 attempts, a first ceiling of 200ms, capped at 30s.
var DefaultBackoff = Backoff{Attempts: 10, First: 200 * time.Millisecond, Max: 30 * time.Second}

// withDefaults fills zero fields from DefaultBackoff.
func (b Backoff) withDefaults() Backoff {
	if b.Attempts <= 0 {
		b.Attempts = DefaultBackoff.Attempts
	}
	if b.First <= 0 {
		b.First = DefaultBackoff.First
	}
	if b.Max <= 0 {
		b.Max = DefaultBackoff.Max
	}
	return b
}

// Ceiling returns the upper bound of the wait before retry r.
func (b Backoff) Ceiling(retry int) time.Duration {
	c := b.First
	for range retry {
		if c >= b.Max/2 {
			return b.Max
		}
		c *= 2
	}
	return min(c, b.Max)
}

// Wait sleeps for the jittered wait before retry r, or until ctx is done.
func (b Backoff) Wait(ctx context.Context, retry int) error {
	c := b.Ceiling(retry)
	if c <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(rand.N(c))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
