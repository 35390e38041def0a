package flightsql

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"testing"

	"github.com/apache/arrow-adbc/go/adbc"
	adbcfsql "github.com/apache/arrow-adbc/go/adbc/driver/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/sleeperd/sleeperd/internal/testca"
)

// testCert returns a server certificate for localhost and 127.0.0.1, a pool that trusts
// the CA that signed it, and that CA's certificate in PEM form.
func testCert(t *testing.T) (tls.Certificate, *x509.CertPool, []byte) {
	t.Helper()
	ca := testca.New(t)
	return ca.Server, ca.Pool, ca.PEM
}

func TestAuthAndTLS(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := testCtx(t)
	cert, pool, certPEM := testCert(t)
	auth := func(user, password string) bool { return user == "alice" && password == "secret" }
	for _, tc := range []struct {
		name      string
		auth      bool
		tls       bool
		creds     map[string]string
		wantError adbc.Status // of a query; 0 for success
	}{
		{name: "no auth", creds: nil},
		{name: "auth, good credentials", auth: true, creds: map[string]string{adbc.OptionKeyUsername: "alice", adbc.OptionKeyPassword: "secret"}},
		{name: "auth, bad password", auth: true, creds: map[string]string{adbc.OptionKeyUsername: "alice", adbc.OptionKeyPassword: "nope"}, wantError: adbc.StatusUnauthenticated},
		{name: "auth, no credentials", auth: true, creds: nil, wantError: adbc.StatusUnauthenticated},
		{name: "tls and auth", auth: true, tls: true, creds: map[string]string{adbc.OptionKeyUsername: "alice", adbc.OptionKeyPassword: "secret"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{Engine: openEngine(t, mem), Alloc: mem}
			if tc.auth {
				cfg.Authenticate = auth
			}
			if tc.tls {
				cfg.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
			}
			srv := serve(t, cfg)
			opts := map[string]string{}
			for k, v := range tc.creds {
				opts[k] = v
			}
			if tc.tls {
				opts["tls"] = ""
				opts[adbcfsql.OptionSSLRootCerts] = string(certPEM)
			}
			err := func() error {
				cnx, err := tryADBC(srv, mem, opts)
				if err != nil {
					return err
				}
				defer cnx.Close()
				return adbcExec(ctx, cnx, "SELECT 1")
			}()
			if tc.wantError == 0 && err != nil {
				t.Fatalf("query failed: %v", err)
			}
			if tc.wantError != 0 {
				ae, ok := err.(adbc.Error)
				if !ok || ae.Code != tc.wantError {
					t.Fatalf("query error %v, want status %v", err, tc.wantError)
				}
			}
			if !tc.auth {
				return
			}
			// arrow-go's client: refused without a token, served with the token the
			// handshake returns.
			var dial []grpc.DialOption
			if tc.tls {
				dial = append(dial, grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: pool})))
			}
			cl := client(t, srv, dial...)
			if _, err := cl.Execute(ctx, "SELECT 1"); status.Code(err) != codes.Unauthenticated {
				t.Errorf("unauthenticated call: %v, want Unauthenticated", err)
			}
			if _, err := cl.Client.AuthenticateBasicToken(ctx, "alice", "wrong"); status.Code(err) != codes.Unauthenticated {
				t.Errorf("bad password handshake: %v, want Unauthenticated", err)
			}
			actx, err := cl.Client.AuthenticateBasicToken(ctx, "alice", "secret")
			if err != nil {
				t.Fatal(err)
			}
			if md, _ := metadata.FromOutgoingContext(actx); len(md.Get("authorization")) == 0 {
				t.Error("handshake returned no bearer token")
			}
			bs, err := tryFetch(actx, cl, mem, "SELECT 1 AS one")
			releaseAll(bs)
			if err != nil {
				t.Errorf("authenticated query: %v", err)
			}
		})
	}
}

func TestServeRefusesOpenNonLoopback(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	srv, err := NewServer(Config{Engine: openEngine(t, mem), Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	ln := fakeListener{addr: &net.TCPAddr{IP: net.ParseIP("10.1.2.3"), Port: 32010}}
	if err := srv.Serve(ln); err != ErrNoAuth {
		t.Errorf("Serve on a non-loopback address without auth: %v, want ErrNoAuth", err)
	}
	if _, err := NewServer(Config{}); err != ErrNoEngine {
		t.Errorf("NewServer without engine: %v, want ErrNoEngine", err)
	}
	_ = context.Background
}

// fakeListener is a listener that only has an address.
type fakeListener struct{ addr net.Addr }

func (fakeListener) Accept() (net.Conn, error) { return nil, net.ErrClosed }
func (fakeListener) Close() error              { return nil }
func (l fakeListener) Addr() net.Addr          { return l.addr }
