package flightsql

import (
	"context"
	"crypto/tls"
	"testing"
	"time"

	"github.com/apache/arrow-adbc/go/adbc"
	adbcfsql "github.com/apache/arrow-adbc/go/adbc/driver/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// roleServer serves an engine whose roles are checked, with the engine's passwords for
// the basic-auth handshake, over TLS.
func roleServer(t *testing.T, mem memory.Allocator, configure func(*Config)) (*Server, *engine.Engine, []byte) {
	t.Helper()
	ctx := context.Background()
	eng, err := engine.Open(ctx, engine.Options{Store: objstore.NewMem(), Alloc: mem, RequireRole: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	if _, err := eng.EnsureSuperuser(ctx, "admin", "secret"); err != nil {
		t.Fatal(err)
	}
	cert, _, certPEM := testCert(t)
	cfg := Config{Engine: eng, Alloc: mem, TLS: &tls.Config{Certificates: []tls.Certificate{cert}},
		Authenticate: func(user, password string) bool {
			_, err := eng.Authenticate(context.Background(), user, password)
			return err == nil
		}}
	if configure != nil {
		configure(&cfg)
	}
	return serve(t, cfg), eng, certPEM
}

func adbcExec(ctx context.Context, cnx adbc.Connection, sql string) error {
	st, err := cnx.NewStatement()
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.SetSqlQuery(sql); err != nil {
		return err
	}
	rdr, _, err := st.ExecuteQuery(ctx)
	if err != nil {
		return err
	}
	defer rdr.Release()
	for rdr.Next() {
	}
	return rdr.Err()
}

// ADBC over TLS with the engine's users: right password in, wrong out, and the grants of
// the role are enforced on queries and on bulk ingest.
func TestRolesOverFlight(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := testCtx(t)
	srv, _, certPEM := roleServer(t, mem, nil)
	open := func(user, password string) (adbc.Connection, error) {
		return tryADBC(srv, mem, map[string]string{"tls": "", adbcfsql.OptionSSLRootCerts: string(certPEM),
			adbc.OptionKeyUsername: user, adbc.OptionKeyPassword: password})
	}
	admin, err := open("admin", "secret")
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	for _, q := range []string{"CREATE TABLE t (id int PRIMARY KEY)", "INSERT INTO t VALUES (1)", "CREATE USER bob PASSWORD 'pw'"} {
		if err := adbcExec(ctx, admin, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for _, creds := range [][2]string{{"bob", "wrong"}, {"nobody", "pw"}} {
		cnx, err := open(creds[0], creds[1])
		if err == nil {
			err = adbcExec(ctx, cnx, "SELECT 1")
			cnx.Close()
		}
		if ae, ok := err.(adbc.Error); !ok || ae.Code != adbc.StatusUnauthenticated {
			t.Errorf("%s/%s: %v, want unauthenticated", creds[0], creds[1], err)
		}
	}
	bob, err := open("bob", "pw")
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Close()
	if err := adbcExec(ctx, bob, "SELECT * FROM t"); err == nil {
		t.Error("bob read t without SELECT")
	} else if ae, ok := err.(adbc.Error); !ok || ae.Code != adbc.StatusUnauthorized {
		t.Errorf("bob reading t: %v, want unauthorized", err)
	}
	if err := adbcExec(ctx, admin, "GRANT SELECT ON t TO bob"); err != nil {
		t.Fatal(err)
	}
	if err := adbcExec(ctx, bob, "SELECT * FROM t"); err != nil {
		t.Errorf("bob reading t after GRANT SELECT: %v", err)
	}
	if err := adbcExec(ctx, bob, "INSERT INTO t VALUES (2)"); err == nil {
		t.Error("bob inserted without INSERT")
	}
}

// A prepared statement unused for longer than StatementIdle is closed.
func TestPreparedStatementsExpire(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := testCtx(t)
	srv := serve(t, Config{Engine: openEngine(t, mem), Alloc: mem, StatementIdle: 50 * time.Millisecond})
	cl := client(t, srv)
	old, err := cl.Prepare(ctx, "SELECT 1")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(150 * time.Millisecond)
	fresh, err := cl.Prepare(ctx, "SELECT 2") // a new statement sweeps the idle ones
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close(ctx)
	if _, err := old.Execute(ctx); status.Code(err) != codes.NotFound {
		t.Errorf("executing an expired prepared statement: %v, want NotFound", err)
	}
	info, err := fresh.Execute(ctx)
	if err != nil {
		t.Fatalf("executing a fresh prepared statement: %v", err)
	}
	bs, err := readInfo(ctx, cl, mem, info)
	releaseAll(bs)
	if err != nil {
		t.Error(err)
	}
}
