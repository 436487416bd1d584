package test

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/driftgate/driftgate/test/certtest"
	"github.com/driftgate/driftgate/test/tftest"
)

// TestACME serves the API over HTTPS with a certificate driftgate gets
// from Pebble, Let's Encrypt's ACME test server (built by
// test/tools/build-pebble.sh; the test skips without it), told to take
// every challenge as passed: nothing outside the machine is contacted.
func TestACME(t *testing.T) {
	pebble := filepath.Join(moduleRoot(t), ".build", "pebble", "pebble")
	if _, err := os.Stat(pebble); err != nil {
		t.Skip("Pebble is not built; run test/tools/build-pebble.sh")
	}
	env := tftest.Setup(t)
	bin := buildDriftgate(t)
	work := t.TempDir()

	// Pebble's own HTTPS certificate, from a CA the daemon is told to trust.
	ca := certtest.NewCA(t, work)
	ca.Issue(t, "pebble", filepath.Join(work, "pebble-cert.pem"), filepath.Join(work, "pebble-key.pem"))
	pebbleAddr := freeAddr(t)
	pebbleConfig := filepath.Join(work, "pebble.json")
	if err := os.WriteFile(pebbleConfig, []byte(fmt.Sprintf(`{"pebble": {
  "listenAddress": %q, "managementListenAddress": %q,
  "certificate": %q, "privateKey": %q,
  "httpPort": 5002, "tlsPort": 5001, "ocspResponderURL": "", "externalAccountBindingRequired": false
}}`, pebbleAddr, freeAddr(t), filepath.Join(work, "pebble-cert.pem"), filepath.Join(work, "pebble-key.pem"))), 0o600); err != nil {
		t.Fatal(err)
	}
	pb := exec.Command(pebble, "-config", pebbleConfig)
	pb.Env = append(os.Environ(), "PEBBLE_VA_ALWAYS_VALID=1", "PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0", "PEBBLE_AUTHZREUSE=100")
	pebbleLog := filepath.Join(work, "pebble.log")
	logf, err := os.Create(pebbleLog)
	if err != nil {
		t.Fatal(err)
	}
	pb.Stdout, pb.Stderr = logf, logf
	if err := pb.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pb.Process.Kill(); _ = pb.Wait(); logf.Close() })
	waitListening(t, pebbleAddr)
	dirAddr := finalizeLocationProxy(t, ca, pebbleAddr)

	addr := freeAddr(t)
	config := filepath.Join(work, "driftgate.hcl")
	if err := os.WriteFile(config, []byte(fmt.Sprintf(`
data_dir = %q
listen   = %q
tls {
  acme {
    domains       = ["driftgate.test"]
    email         = "ops@driftgate.test"
    directory_url = "https://%s/dir"
    ca_file       = %q
  }
}
`, filepath.Join(work, "data"), addr, dirAddr, ca.File)), 0o600); err != nil {
		t.Fatal(err)
	}
	d := newDaemon(t, env, bin, config)
	d.startWith(func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	})

	// The first handshake for the domain gets a certificate issued by
	// Pebble; a name not in domains gets none.
	var leafNames []string
	var issuer string
	deadline := time.Now().Add(60 * time.Second)
	for {
		conn, err := tls.Dial("tcp", addr, &tls.Config{ServerName: "driftgate.test", InsecureSkipVerify: true})
		if err == nil {
			leaf := conn.ConnectionState().PeerCertificates[0]
			leafNames, issuer = leaf.DNSNames, leaf.Issuer.CommonName
			conn.Close()
			break
		}
		if time.Now().After(deadline) {
			raw, _ := os.ReadFile(pebbleLog)
			t.Fatalf("no certificate for driftgate.test: %v\ndaemon log:\n%s\npebble log:\n%s", err, d.log(), raw)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if !slices.Contains(leafNames, "driftgate.test") || !strings.Contains(issuer, "Pebble") {
		t.Errorf("served a certificate for %q issued by %q, want driftgate.test from Pebble", leafNames, issuer)
	}
	if _, err := tls.Dial("tcp", addr, &tls.Config{ServerName: "other.test", InsecureSkipVerify: true}); err == nil {
		t.Error("a name outside domains got a certificate")
	}
	// The certificate is cached in the data dir for the next start.
	entries, _ := os.ReadDir(filepath.Join(work, "data", "acme"))
	if len(entries) == 0 {
		t.Error("nothing cached in data_dir/acme")
	}
	d.stop(30 * time.Second)
}

// finalizeLocationProxy serves Pebble through a reverse proxy that adds the
// order's URL as the Location header of finalize answers. Pebble finalizes
// asynchronously and sends no Location there, and golang.org/x/crypto/acme
// polls the order at that header (Let's Encrypt sends it); the proxy is a
// test shim for that gap, it decides nothing.
func finalizeLocationProxy(t *testing.T, ca *certtest.CA, pebbleAddr string) string {
	t.Helper()
	target := &url.URL{Scheme: "https", Host: pebbleAddr}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}}
	rp.ModifyResponse = func(resp *http.Response) error {
		if id, ok := strings.CutPrefix(resp.Request.URL.Path, "/finalize-order/"); ok && resp.Header.Get("Location") == "" {
			resp.Header.Set("Location", "https://"+resp.Request.Host+"/my-order/"+id)
		}
		return nil
	}
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	ca.Issue(t, "pebble proxy", certFile, keyFile)
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(rp)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

// waitListening waits until something accepts connections at addr.
func waitListening(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens at %s: %v", addr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
