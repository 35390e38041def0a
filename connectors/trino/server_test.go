package trino

import (
	"errors"
	"net"
	"testing"

	"github.com/sleeperd/sleeperd/storage/objstore"
)

func TestParseAdvertise(t *testing.T) {
	got, err := ParseAdvertise(" a.example:7779, 10.0.0.2:7780 ,")
	if err != nil || len(got) != 2 || got[0] != "a.example:7779" || got[1] != "10.0.0.2:7780" {
		t.Errorf("ParseAdvertise: %v, %v", got, err)
	}
	for _, bad := range []string{"nohost", ":7779", "h:0", "h:port", "h:70000"} {
		if _, err := ParseAdvertise(bad); err == nil {
			t.Errorf("ParseAdvertise(%q) accepted", bad)
		}
	}
}

// TestWildcardListenNamesNoHost checks that a server listening on a wildcard address, with
// nothing advertised, puts no host in its splits: Trino then sends them to any server.
func TestWildcardListenNamesNoHost(t *testing.T) {
	eng := openEngine(t, objstore.NewMem())
	run(t, eng, "CREATE TABLE w (id bigint) WITH (row_keys = 'id')")
	srv, err := NewServer(Config{Engine: eng})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Skipf("cannot listen on a wildcard address: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; !errors.Is(err, ErrClosed) {
			t.Errorf("serve: %v", err)
		}
	})
	c := dial(t, net.JoinHostPort("127.0.0.1", portOf(t, ln.Addr())))
	s := splits(t, c, "w", all(), 10)
	if len(s) != 1 || len(s[0].Hosts) != 0 {
		t.Errorf("splits %v, want one with no hosts", s)
	}
}

func portOf(t *testing.T, a net.Addr) string {
	_, port, err := net.SplitHostPort(a.String())
	if err != nil {
		t.Fatal(err)
	}
	return port
}
