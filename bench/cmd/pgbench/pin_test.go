package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestPinTree pins a process and its descendants, started before the pinning, to one CPU,
// and checks that a grandchild's threads may run only there.
func TestPinTree(t *testing.T) {
	if _, err := exec.LookPath("taskset"); err != nil {
		t.Skip("no taskset")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	// A shell whose child sleeps, as a postmaster's processes hang below it.
	cmd := exec.CommandContext(ctx, "sh", "-c", `sleep 30 & echo $! > `+pidFile+`; wait`)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	var grandchild int
	for grandchild == 0 {
		if b, err := os.ReadFile(pidFile); err == nil && strings.HasSuffix(string(b), "\n") {
			grandchild, _ = strconv.Atoi(strings.TrimSpace(string(b)))
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("the shell did not start its child")
		case <-time.After(10 * time.Millisecond):
		}
	}
	kids, err := children(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if len(kids) != 1 || kids[0] != grandchild {
		t.Fatalf("children of the shell: %v, want [%d]", kids, grandchild)
	}
	if got := allowed(t, grandchild); got != allowed(t, os.Getpid()) {
		t.Fatalf("before pinning the child may run on %q, this process on %q", got, allowed(t, os.Getpid()))
	}
	if err := pinTree(ctx, cmd.Process.Pid, "0"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []int{cmd.Process.Pid, grandchild} {
		if got := allowed(t, p); got != "0" {
			t.Errorf("process %d may run on CPUs %q after pinning to 0", p, got)
		}
	}
}

// allowed is the CPU list process pid may run on.
func allowed(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("no Cpus_allowed_list in /proc/%d/status", pid)
	return ""
}
