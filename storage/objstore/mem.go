package objstore

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"
)

// Mem is an in-memory Store for tests. The zero value is not usable; call NewMem.
type Mem struct {
	mu   sync.RWMutex
	objs map[string][]byte    // values are never modified after insertion
	mods map[string]time.Time // when each object was last written
	dirs map[string]int       // directory name -> number of objects below it
}

var (
	_ Store       = (*Mem)(nil)
	_ WholeReader = (*Mem)(nil)
)

// NewMem returns an empty in-memory store.
func NewMem() *Mem {
	return &Mem{objs: make(map[string][]byte), mods: make(map[string]time.Time), dirs: make(map[string]int)}
}

func (m *Mem) get(ctx context.Context, name string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := CheckName(name); err != nil {
		return nil, err
	}
	m.mu.RLock()
	b, ok := m.objs[name]
	m.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%s: %w", name, ErrNotExist)
	}
	return b, nil
}

// ReadAt implements Store.
func (m *Mem) ReadAt(ctx context.Context, name string, p []byte, off int64) error {
	b, err := m.get(ctx, name)
	if err != nil {
		return err
	}
	if off < 0 {
		return fmt.Errorf("reading %s: negative offset %d", name, off)
	}
	if off > int64(len(b)) || int64(len(b))-off < int64(len(p)) {
		return fmt.Errorf("reading %s at %d: %w", name, off, io.ErrUnexpectedEOF)
	}
	copy(p, b[off:])
	return nil
}

// ReadAll implements WholeReader.
func (m *Mem) ReadAll(ctx context.Context, name string) ([]byte, error) {
	b, err := m.get(ctx, name)
	if err != nil {
		return nil, err
	}
	return bytes.Clone(b), nil
}

// Size implements Store.
func (m *Mem) Size(ctx context.Context, name string) (int64, error) {
	b, err := m.get(ctx, name)
	if err != nil {
		return 0, err
	}
	return int64(len(b)), nil
}

// Put implements Store.
func (m *Mem) Put(ctx context.Context, name string, data io.Reader) error {
	if err := CheckName(name); err != nil {
		return err
	}
	b, err := io.ReadAll(ctxReader{ctx, data})
	if err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if b == nil {
		b = []byte{}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.store(name, b)
}

// store inserts or replaces an object, keeping dirs up to date. m.mu is held.
func (m *Mem) store(name string, b []byte) error {
	if _, ok := m.objs[name]; ok {
		m.objs[name] = b
		m.mods[name] = time.Now()
		return nil
	}
	if m.dirs[name] > 0 {
		return fmt.Errorf("%w: %s is a directory", ErrInvalidName, name)
	}
	for i := range len(name) {
		if name[i] == '/' {
			if _, ok := m.objs[name[:i]]; ok {
				return fmt.Errorf("%w: %s is an object", ErrInvalidName, name[:i])
			}
		}
	}
	for i := range len(name) {
		if name[i] == '/' {
			m.dirs[name[:i]]++
		}
	}
	m.objs[name] = b
	m.mods[name] = time.Now()
	return nil
}

// PutIfAbsent implements Store.
func (m *Mem) PutIfAbsent(ctx context.Context, name string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := CheckName(name); err != nil {
		return err
	}
	b := bytes.Clone(data)
	if b == nil {
		b = []byte{}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.objs[name]; ok {
		return fmt.Errorf("%s: %w", name, ErrExists)
	}
	return m.store(name, b)
}

// List implements Store.
func (m *Mem) List(ctx context.Context, prefix string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkPrefix(prefix); err != nil {
		return nil, err
	}
	var out []string
	m.mu.RLock()
	for name := range m.objs {
		if strings.HasPrefix(name, prefix) {
			out = append(out, name)
		}
	}
	m.mu.RUnlock()
	sort.Strings(out)
	return out, nil
}

// ListInfo implements Store.
func (m *Mem) ListInfo(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkPrefix(prefix); err != nil {
		return nil, err
	}
	var out []ObjectInfo
	m.mu.RLock()
	for name, b := range m.objs {
		if strings.HasPrefix(name, prefix) {
			out = append(out, ObjectInfo{Name: name, Size: int64(len(b)), ModTime: m.mods[name]})
		}
	}
	m.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Delete implements Store.
func (m *Mem) Delete(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := CheckName(name); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.objs[name]; !ok {
		return nil
	}
	delete(m.objs, name)
	delete(m.mods, name)
	for i := range len(name) {
		if name[i] == '/' {
			if m.dirs[name[:i]]--; m.dirs[name[:i]] == 0 {
				delete(m.dirs, name[:i])
			}
		}
	}
	return nil
}

// ctxReader stops a copy when its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
