package pgwire

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// pg_backend_pid() is the process ID the session announced in its BackendKeyData, which
// pg_stat_activity shows and pg_cancel_backend takes; inet_client_addr(), inet_client_port(),
// inet_server_addr() and inet_server_port() are the two ends of a TCP connection and NULL
// over a unix-domain socket, as in PostgreSQL.
func TestBackendFunctions(t *testing.T) {
	mem := newMem(t)
	eng, err := engine.Open(context.Background(), engine.Options{Store: objstore.NewMem(), Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	srv, addr, shutdown := serveLoopback(t, eng.Connect)
	dir, err := os.MkdirTemp("", "pgw")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ln, err := net.Listen("unix", filepath.Join(dir, ".s.PGSQL.5432"))
	if err != nil {
		t.Fatal(err)
	}
	unixServed := make(chan error, 1)
	go func() { unixServed <- srv.Serve(ln) }()
	defer func() {
		shutdown()
		if err := <-unixServed; !errors.Is(err, ErrClosed) {
			t.Errorf("Serve on the unix socket returned %v, want ErrClosed", err)
		}
		eng.Close()
		mem.AssertSize(t, 0)
	}()
	ctx := testContext(t)

	tcp, err := pgx.Connect(ctx, "postgres://alice@"+addr+"/db?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close(ctx)
	local, err := pgx.Connect(ctx, "host="+dir+" port=5432 user=bob dbname=db")
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close(ctx)

	for _, c := range []*pgx.Conn{tcp, local} {
		for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeCacheStatement} {
			var pid, activity int32
			if err := c.QueryRow(ctx, "SELECT pg_backend_pid(), (SELECT pid FROM pg_stat_activity WHERE pid = pg_backend_pid())", mode).Scan(&pid, &activity); err != nil {
				t.Fatal(err)
			}
			if want := int32(c.PgConn().PID()); pid != want || activity != want {
				t.Errorf("pg_backend_pid() %d, its pg_stat_activity row's pid %d, want the BackendKeyData's %d", pid, activity, want)
			}
		}
	}

	var clientAddr, serverAddr *string
	var clientPort, serverPort *int32
	const q = "SELECT inet_client_addr(), inet_client_port(), inet_server_addr(), inet_server_port()"
	if err := tcp.QueryRow(ctx, q).Scan(&clientAddr, &clientPort, &serverAddr, &serverPort); err != nil {
		t.Fatal(err)
	}
	_, sport, _ := net.SplitHostPort(addr)
	_, cport, _ := net.SplitHostPort(tcp.PgConn().Conn().LocalAddr().String())
	str := func(s *string) string {
		if s == nil {
			return "NULL"
		}
		return *s
	}
	num := func(n *int32) string {
		if n == nil {
			return "NULL"
		}
		return strconv.Itoa(int(*n))
	}
	if str(clientAddr) != "127.0.0.1" || num(clientPort) != cport || str(serverAddr) != "127.0.0.1" || num(serverPort) != sport {
		t.Errorf("over TCP: client %s:%s, server %s:%s, want 127.0.0.1:%s and 127.0.0.1:%s", str(clientAddr), num(clientPort), str(serverAddr), num(serverPort), cport, sport)
	}
	if err := local.QueryRow(ctx, q).Scan(&clientAddr, &clientPort, &serverAddr, &serverPort); err != nil {
		t.Fatal(err)
	}
	if clientAddr != nil || clientPort != nil || serverAddr != nil || serverPort != nil {
		t.Errorf("over a unix-domain socket: client %s:%s, server %s:%s, want NULLs", str(clientAddr), num(clientPort), str(serverAddr), num(serverPort))
	}
}
