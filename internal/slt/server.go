package slt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// Errors of the throwaway PostgreSQL server.
var (
	// ErrNoPostgres means the PostgreSQL server programs (initdb, pg_ctl, postgres) were not
	// found.
	ErrNoPostgres = errors.New("slt: PostgreSQL server programs not found")
	// ErrNoUser means the process runs as root and no unprivileged user to run PostgreSQL
	// as, or no program to switch to it (setpriv, runuser), was found.
	ErrNoUser = errors.New("slt: no unprivileged user to run PostgreSQL as")
)

// postgresDirs are where PostgreSQL's server programs are looked for after PATH: the
// symlinks some images install and Debian's versioned directories, newest first.
var postgresDirs = []string{"/usr/local/bin", "/usr/lib/postgresql/*/bin", "/usr/local/pgsql/bin"}

// FindPostgres returns the directory holding initdb, pg_ctl and postgres: the one of PATH's
// postgres if it has all three, else the first of /usr/local/bin and
// /usr/lib/postgresql/*/bin (highest version first) that has them.
func FindPostgres() (string, error) {
	has := func(dir string) bool {
		for _, p := range []string{"initdb", "pg_ctl", "postgres"} {
			fi, err := os.Stat(filepath.Join(dir, p))
			if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
				return false
			}
		}
		return true
	}
	if p, err := exec.LookPath("postgres"); err == nil && has(filepath.Dir(p)) {
		return filepath.Dir(p), nil
	}
	for _, pattern := range postgresDirs {
		dirs, _ := filepath.Glob(pattern)
		// Debian's directories are named by major version: try the highest first.
		for i := len(dirs) - 1; i >= 0; i-- {
			if has(dirs[i]) {
				return dirs[i], nil
			}
		}
	}
	return "", ErrNoPostgres
}

// Server is a throwaway PostgreSQL server: a fresh cluster in a temporary directory,
// listening only on a unix socket in that directory, with fsync off. It runs as user
// postgres with trust authentication. Stop stops it and deletes the directory.
type Server struct {
	bin    string        // directory of the server programs
	dir    string        // the temporary directory: socket, log and data/
	prefix []string      // the command prefix that drops root privileges, or nil
	port   int           // the port (Port unless a setting says otherwise)
	cmd    *exec.Cmd     // the postmaster (or the command running it)
	exited chan struct{} // closed when cmd has exited; err is then its exit status
	err    error
}

// Port is the port number the server's socket is named after (.s.PGSQL.5432) unless a
// setting of StartPostgres names another; no TCP port is opened unless a setting of
// listen_addresses asks for one.
const Port = 5432

// StartPostgres creates a cluster in a new temporary directory with the programs in bin and
// starts a server on it as a child process, returning once it accepts connections. When the
// process runs as root, the cluster belongs to and the server runs as the unprivileged user
// nobody (through setpriv or runuser), since PostgreSQL refuses to run as root. ctx bounds
// the start. settings (NAME=VALUE) are server settings given after the defaults, which they
// override: listen_addresses=127.0.0.1 and port=N add a TCP listener, for instance.
func StartPostgres(ctx context.Context, bin string, settings ...string) (*Server, error) {
	if bin == "" {
		return nil, errors.New("slt: empty PostgreSQL program directory")
	}
	port := Port
	for _, kv := range settings {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("slt: setting %q is not NAME=VALUE", kv)
		}
		if k == "port" {
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 || n > 65535 {
				return nil, fmt.Errorf("slt: bad port setting %q", kv)
			}
			port = n
		}
	}
	prefix, uid, gid, err := unprivileged()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "slt-pg-")
	if err != nil {
		return nil, fmt.Errorf("slt: creating the server directory: %w", err)
	}
	s := &Server{bin: bin, dir: dir, prefix: prefix, port: port}
	if prefix != nil {
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("slt: giving the server directory to uid %d: %w", uid, err)
		}
	}
	if err := s.run(ctx, "initdb", "-D", s.data(), "-U", "postgres", "-A", "trust", "-E", "UTF8",
		"--locale=C", "--lc-ctype=C.UTF-8", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	// The server runs as a child of this process, not detached as pg_ctl start would leave
	// it: when this process dies (a test timeout, a signal), the kernel sends the postmaster
	// SIGQUIT, its immediate shutdown.
	argv := append(append([]string(nil), s.prefix...), filepath.Join(bin, "postgres"), "-D", s.data(),
		"-c", "listen_addresses=",
		"-c", "unix_socket_directories="+dir,
		"-c", "port="+strconv.Itoa(port),
		"-c", "fsync=off",
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
		"-c", "max_connections=20",
		"-c", "shared_buffers=32MB",
		"-c", "TimeZone=UTC",
		"-c", "DateStyle=ISO, MDY",
		"-c", "extra_float_digits=1")
	for _, kv := range settings {
		argv = append(argv, "-c", kv)
	}
	if len(s.prefix) > 0 && strings.HasSuffix(s.prefix[0], "setpriv") {
		// setpriv sets the signal after dropping privileges, which clears it.
		argv = slices.Insert(argv, 1, "--pdeathsig=SIGQUIT")
	}
	log, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("slt: creating the server log: %w", err)
	}
	defer log.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "PGTZ=UTC")
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGQUIT}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("slt: starting %s: %w", strings.Join(argv, " "), err)
	}
	s.cmd = cmd
	s.exited = make(chan struct{})
	go func() {
		s.err = cmd.Wait()
		close(s.exited)
	}()
	if err := s.ready(ctx); err != nil {
		text, _ := os.ReadFile(filepath.Join(dir, "server.log"))
		s.Stop()
		return nil, fmt.Errorf("%w\nserver log:\n%s", err, text)
	}
	return s, nil
}

// ready waits until the server accepts connections, it exits, or ctx is done.
func (s *Server) ready(ctx context.Context) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		conn, err := pgconn.Connect(cctx, s.DSN(""))
		cancel()
		if err == nil {
			return conn.Close(ctx)
		}
		select {
		case <-s.exited:
			return fmt.Errorf("slt: PostgreSQL exited during startup: %v", s.err)
		case <-ctx.Done():
			return fmt.Errorf("slt: PostgreSQL did not start: %w (last error: %v)", ctx.Err(), err)
		case <-tick.C:
		}
	}
}

// DSN is a connection string for database db (postgres when empty) as user postgres.
func (s *Server) DSN(db string) string {
	if db == "" {
		db = "postgres"
	}
	return fmt.Sprintf("host=%s port=%d user=postgres dbname=%s sslmode=disable", s.dir, s.port, db)
}

// ListenPort is the server's port: of its socket, and of its TCP listener if it has one.
func (s *Server) ListenPort() int { return s.port }

// Pid is the process id of the server's postmaster (of the program that runs it as the
// unprivileged user, when that program does not exec it), the parent of its backends.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// Stop stops the server at once (pg_ctl stop -m immediate: the cluster is thrown away),
// waits for it to exit and deletes its directory.
func (s *Server) Stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var err error
	if s.cmd != nil {
		select {
		case <-s.exited:
		default:
			err = s.run(ctx, "pg_ctl", "stop", "-D", s.data(), "-m", "immediate", "-w")
			if err != nil {
				s.cmd.Process.Kill()
			}
			select {
			case <-s.exited:
			case <-ctx.Done():
				if err == nil {
					err = fmt.Errorf("slt: PostgreSQL did not exit: %w", ctx.Err())
				}
			}
		}
	}
	if rerr := os.RemoveAll(s.dir); rerr != nil && err == nil {
		err = fmt.Errorf("slt: removing the server directory: %w", rerr)
	}
	return err
}

func (s *Server) data() string { return filepath.Join(s.dir, "data") }

// run runs one of the server programs as the server's user, in its directory.
func (s *Server) run(ctx context.Context, prog string, args ...string) error {
	argv := append(append(append([]string(nil), s.prefix...), filepath.Join(s.bin, prog)), args...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "PGTZ=UTC")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("slt: %s: %w\n%s", strings.Join(argv, " "), err, out.Bytes())
	}
	return nil
}

// unprivileged returns the command prefix that runs a program as user nobody, and that
// user's ids, when the process runs as root; nil otherwise.
func unprivileged() ([]string, int, int, error) {
	if os.Geteuid() != 0 {
		return nil, 0, 0, nil
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		return nil, 0, 0, fmt.Errorf("%w: %v", ErrNoUser, err)
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err1 != nil || err2 != nil {
		return nil, 0, 0, fmt.Errorf("%w: user nobody has ids %s:%s", ErrNoUser, u.Uid, u.Gid)
	}
	if p, err := exec.LookPath("setpriv"); err == nil {
		return []string{p, "--reuid=" + u.Uid, "--regid=" + u.Gid, "--clear-groups", "--"}, uid, gid, nil
	}
	for _, p := range []string{"runuser", "/usr/sbin/runuser", "/sbin/runuser"} {
		if p, err := exec.LookPath(p); err == nil {
			return []string{p, "-u", "nobody", "--"}, uid, gid, nil
		}
	}
	return nil, 0, 0, fmt.Errorf("%w: neither setpriv nor runuser found", ErrNoUser)
}
