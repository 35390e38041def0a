package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// pgSocketName is the name of PostgreSQL's unix-domain socket for port in dir, the one
// libpq, psql and pgx dial for host=DIR port=PORT.
func pgSocketName(dir string, port int) string {
	return filepath.Join(dir, ".s.PGSQL."+strconv.Itoa(port))
}

// listenUnix listens on the PostgreSQL socket for port in dir. A socket file left there by
// a server that is gone is removed first; one a live server answers on is not, and neither
// is a file that is not a socket. The socket is open to every local user (mode 0777, as
// PostgreSQL's default unix_socket_permissions): the authentication of the TCP listener
// applies to it, and dir's own permissions can narrow who reaches it. Closing the
// listener removes the socket file.
func listenUnix(dir string, port int) (*net.UnixListener, error) {
	path := pgSocketName(dir, port)
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode().Type() != os.ModeSocket {
			return nil, fmt.Errorf("listening on %s: the file exists and is not a socket", path)
		}
		c, err := net.DialTimeout("unix", path, 2*time.Second)
		if err == nil {
			c.Close()
			return nil, fmt.Errorf("listening on %s: another server is listening on it", path)
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			return nil, fmt.Errorf("listening on %s: checking the socket file there: %w", path, err)
		}
		// Nothing listens: the socket of a server that did not shut down cleanly.
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("removing stale socket %s: %w", path, err)
		}
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o777); err != nil {
		ln.Close()
		return nil, fmt.Errorf("setting the permissions of %s: %w", path, err)
	}
	return ln, nil
}
