package tlscert

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/driftgate/driftgate/test/certtest"
)

// servedName is the common name of the certificate a TLS client is given
// by srv.
func servedName(t *testing.T, ca *certtest.CA, addr string) string {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.Pool(), ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].Subject.CommonName
}

func TestReloaderRotates(t *testing.T) {
	dir := t.TempDir()
	ca := certtest.NewCA(t, dir)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	ca.Issue(t, "first", certFile, keyFile)
	r, err := New(certFile, keyFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	addr := serveTLS(t, r)
	if got := servedName(t, ca, addr); got != "first" {
		t.Fatalf("served %q, want first", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.watch(ctx, 20*time.Millisecond) }()
	defer func() { cancel(); <-done }()

	// A new pair on disk is picked up without a restart.
	ca.Issue(t, "second", certFile, keyFile)
	waitServed(t, ca, addr, "second")

	// A broken certificate keeps the pair before it.
	if err := os.WriteFile(certFile, []byte("-----BEGIN CERTIFICATE-----\nbroken\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Reload(); err == nil || !strings.Contains(err.Error(), "cert.pem") {
		t.Errorf("reload of a broken certificate: %v, want an error naming the file", err)
	}
	time.Sleep(100 * time.Millisecond)
	if got := servedName(t, ca, addr); got != "second" {
		t.Errorf("after a broken certificate served %q, want second", got)
	}

	// Fixed again, it serves the new one.
	ca.Issue(t, "third", certFile, keyFile)
	waitServed(t, ca, addr, "third")
}

// serveTLS serves HTTPS with r's configuration on a loopback port until
// the test ends, as the daemon does (httptest's StartTLS would put its own
// certificate first).
func serveTLS(t *testing.T, r *Reloader) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.NotFoundHandler(), ErrorLog: log.New(io.Discard, "", 0)}
	go srv.Serve(tls.NewListener(ln, r.Config()))
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

func waitServed(t *testing.T, ca *certtest.CA, addr, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := servedName(t, ca, addr)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("served %q, want %q", got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestNewErrors(t *testing.T) {
	dir := t.TempDir()
	ca := certtest.NewCA(t, dir)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	ca.Issue(t, "one", certFile, keyFile)
	otherCert, otherKey := filepath.Join(dir, "other.pem"), filepath.Join(dir, "other-key.pem")
	ca.Issue(t, "other", otherCert, otherKey)
	tests := []struct {
		name, cert, key, want string
	}{
		{"missing cert", filepath.Join(dir, "nope.pem"), keyFile, "tls cert_file"},
		{"missing key", certFile, filepath.Join(dir, "nope.pem"), "tls key_file"},
		{"mismatched key", certFile, otherKey, "matching PEM private key"},
		{"key as cert", keyFile, keyFile, "key.pem"},
	}
	for _, tt := range tests {
		_, err := New(tt.cert, tt.key, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
}

func TestMinVersion(t *testing.T) {
	dir := t.TempDir()
	ca := certtest.NewCA(t, dir)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	ca.Issue(t, "one", certFile, keyFile)
	r, err := New(certFile, keyFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tls.Dial("tcp", serveTLS(t, r), &tls.Config{
		RootCAs: ca.Pool(), ServerName: "127.0.0.1", MaxVersion: tls.VersionTLS11,
	})
	if err == nil {
		t.Error("a TLS 1.1 client was served")
	}
}
