package testca

import (
	"crypto/x509"
	"os"
	"testing"
)

// The server certificate verifies against the CA for both loopback names, and not for
// another host or against another test's CA.
func TestServerVerifies(t *testing.T) {
	ca := New(t)
	leaf, err := x509.ParseCertificate(ca.Server.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"localhost", "127.0.0.1"} {
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: ca.Pool, DNSName: host}); err != nil {
			t.Errorf("verifying for %s: %v", host, err)
		}
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: ca.Pool, DNSName: "example.com"}); err == nil {
		t.Error("verifies for example.com")
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: New(t).Pool, DNSName: "localhost"}); err == nil {
		t.Error("verifies against another CA")
	}
	pem, err := os.ReadFile(ca.File(t))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("the CA file holds no certificate")
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "localhost"}); err != nil {
		t.Errorf("verifying against the CA file: %v", err)
	}
}
