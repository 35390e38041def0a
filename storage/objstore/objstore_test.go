package objstore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/objstore/objstoretest"
)

func TestConformance(t *testing.T) {
	for _, tc := range []struct {
		name string
		open func(t *testing.T) objstore.Store
	}{
		{"Mem", func(t *testing.T) objstore.Store { return objstore.NewMem() }},
		{"Local", func(t *testing.T) objstore.Store {
			s, err := objstore.NewLocal(filepath.Join(t.TempDir(), "store"))
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
	} {
		t.Run(tc.name, func(t *testing.T) { objstoretest.Run(t, tc.open) })
	}
}

func TestLocalTempFilesHidden(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := objstore.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutIfAbsent(ctx, "t/1", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := s.PutIfAbsent(ctx, "t/1", []byte("y")); !errors.Is(err, objstore.ErrExists) {
		t.Fatalf("error = %v, want ErrExists", err)
	}
	// No temporary file outlives a call, won or lost.
	tmp, err := os.ReadDir(filepath.Join(dir, ".tmp"))
	if err != nil || len(tmp) != 0 {
		t.Errorf(".tmp holds %v (%v), want nothing", tmp, err)
	}
	// A crashed writer's leftover is not an object.
	if err := os.WriteFile(filepath.Join(dir, ".tmp", "obj-123"), []byte("junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := s.List(ctx, "")
	if err != nil || !slices.Equal(got, []string{"t/1"}) {
		t.Errorf("List = %q, %v; want [t/1]", got, err)
	}
	// A second store on the same directory sees the objects.
	s2, err := objstore.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := objstore.ReadAll(ctx, s2, "t/1"); err != nil || string(b) != "x" {
		t.Errorf("reopened ReadAll = %q, %v", b, err)
	}
}

func TestNewLocalRejectsEmptyDir(t *testing.T) {
	if _, err := objstore.NewLocal(""); err == nil {
		t.Error("NewLocal(\"\") succeeded")
	}
}

// TestLocalSweepTemp checks that SweepTemp removes the temporary files of writes that died
// and are older than the cutoff, and nothing else.
func TestLocalSweepTemp(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := objstore.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutIfAbsent(ctx, "t/1", []byte("x")); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(dir, ".tmp")
	old, fresh := filepath.Join(tmp, "obj-old"), filepath.Join(tmp, "obj-fresh")
	for _, p := range []string{old, fresh} {
		if err := os.WriteFile(p, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	if err := os.Chtimes(old, now.Add(-2*time.Hour), now.Add(-2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	n, err := s.SweepTemp(ctx, now.Add(-time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("SweepTemp = %d, %v; want 1", n, err)
	}
	if _, err := os.Stat(old); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the old temporary file is still there: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("the fresh temporary file was removed: %v", err)
	}
	if b, err := objstore.ReadAll(ctx, s, "t/1"); err != nil || string(b) != "x" {
		t.Errorf("object after the sweep: %q, %v", b, err)
	}
}
