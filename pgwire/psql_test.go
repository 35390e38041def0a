package pgwire

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// psql runs the psql client against s with args, returning stdout, stderr and the exit code.
func psql(t *testing.T, s *testServer, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	bin, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql not installed")
	}
	host, port, _ := strings.Cut(s.addr, ":")
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"-h", host, "-p", port, "-U", "bob", "-d", "db", "-X", "-A", "-t"}, args...)...)
	cmd.Env = []string{"HOME=" + t.TempDir(), "LC_ALL=C.UTF-8", "PGCONNECT_TIMEOUT=10", "PATH=" + os.Getenv("PATH")}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatalf("running psql: %v", err)
	}
	return out.String(), errOut.String(), code
}

func TestPsqlFormats(t *testing.T) {
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	s, stop := startServer(t, mem)
	defer stop()

	var want []string
	for _, row := range wantTypesText() {
		want = append(want, strings.Join(row, "|"))
	}
	for _, c := range floatCases {
		want = append(want, c.F8Text+"|"+c.F4Text)
	}
	out, errOut, code := psql(t, s, "-P", "null=NULL", "-c", "select types", "-c", "select floats")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	checkMessages(t, "psql output", strings.Split(strings.TrimSuffix(out, "\n"), "\n"), want)
}

func TestPsqlScripts(t *testing.T) {
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	s, stop := startServer(t, mem)
	defer stop()

	script := filepath.Join(t.TempDir(), "script.sql")
	err := os.WriteFile(script, []byte("select series 2;\nselect * from missing;\nselect series 1;\ncreate table t;\n"), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	wantErr := "psql:" + script + ":2: ERROR:  relation \"missing\" does not exist\nLINE 1: select * from missing;\n                      ^\n"
	for _, c := range []struct {
		name string
		args []string
		out  string
		err  string
		code int
	}{
		{"errors do not stop a script", []string{"-f", script}, "1\n2\n1\nCREATE TABLE\n", wantErr, 0},
		{"ON_ERROR_STOP stops it", []string{"-v", "ON_ERROR_STOP=1", "-f", script}, "1\n2\n", wantErr, 3},
		{"one query string stops at an error", []string{"-c", "select series 2; select * from missing; select series 1"},
			"1\n2\n", "ERROR:  relation \"missing\" does not exist\nLINE 1: select series 2; select * from missing; select series 1\n" +
				"                                       ^\n", 1},
		{"syntax error", []string{"-c", "frobnicate"}, "",
			"ERROR:  syntax error at or near \"frobnicate\"\nLINE 1: frobnicate\n        ^\n", 1},
		{"sslmode require", []string{"-c", "select series 1", "sslmode=require"}, "", "", 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := c.args
			if last := args[len(args)-1]; strings.HasPrefix(last, "sslmode=") {
				// A connection string as the database name.
				host, port, _ := strings.Cut(s.addr, ":")
				args = append(args[:len(args)-1:len(args)-1], "-d", "host="+host+" port="+port+" dbname=db "+last)
			}
			out, errOut, code := psql(t, s, args...)
			if out != c.out || code != c.code || (c.err != "" && errOut != c.err) {
				t.Errorf("exit %d, want %d\nstdout %q\nwant   %q\nstderr %q\nwant   %q", code, c.code, out, c.out, errOut, c.err)
			}
			if c.code == 2 && !strings.Contains(errOut, "server does not support SSL") {
				t.Errorf("stderr %q", errOut)
			}
		})
	}
}
