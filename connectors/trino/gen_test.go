package trino

import (
	"bytes"
	"go/format"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGeneratedCodeCurrent regenerates the Go and Python code from trino.thrift with the
// Thrift compiler, when version 0.17.0 is installed, and checks the committed code is what
// it writes. The compiler is not needed otherwise (make test does not install it).
func TestGeneratedCodeCurrent(t *testing.T) {
	out, err := exec.Command("thrift", "--version").Output()
	if err != nil || !strings.Contains(string(out), "0.17.0") {
		t.Skip("Thrift compiler 0.17.0 not installed (Debian's thrift-compiler)")
	}
	dir := t.TempDir()
	for _, args := range [][]string{
		{"--gen", "go:package_prefix=github.com/sleeperd/sleeperd/connectors/trino/,skip_remote", "-out", dir, "trino.thrift"},
		{"--gen", "py:no_utf8strings", "-out", filepath.Join(dir, "gen-py"), "trino.thrift"},
	} {
		if err := os.MkdirAll(filepath.Join(dir, "gen-py"), 0o755); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("thrift", args...).CombinedOutput(); err != nil {
			t.Fatalf("thrift %v: %v\n%s", args, err, out)
		}
	}
	compare := func(gen, committed string, gofmt bool) {
		want, err := os.ReadFile(gen)
		if err != nil {
			t.Fatal(err)
		}
		if gofmt {
			if want, err = format.Source(want); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(committed)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from what thrift generates from trino.thrift: run go generate ./connectors/trino", committed)
		}
	}
	for _, f := range []string{"trino.go", "trino-consts.go", "GoUnusedProtection__.go"} {
		compare(filepath.Join(dir, "trinothrift", f), filepath.Join("trinothrift", f), true)
	}
	for _, f := range []string{"__init__.py", "constants.py", "ttypes.py", "TrinoThriftService.py"} {
		compare(filepath.Join(dir, "gen-py", "trinothrift", f), filepath.Join("testdata", "gen-py", "trinothrift", f), false)
	}
}
