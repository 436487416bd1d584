package test

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/driftgate/driftgate/test/certtest"
	"github.com/driftgate/driftgate/test/tftest"
)

// TestHTTPS serves the API over HTTPS with a certificate made in the test:
// the CLI talks to it with --ca-file, plain HTTP to the port is refused, a
// certificate rotated on disk is served without a restart (at once on
// SIGHUP), and a broken one is kept out.
func TestHTTPS(t *testing.T) {
	env := tftest.Setup(t)
	bin := buildDriftgate(t)
	work := t.TempDir()
	ca := certtest.NewCA(t, work)
	certFile, keyFile := filepath.Join(work, "cert.pem"), filepath.Join(work, "key.pem")
	ca.Issue(t, "first", certFile, keyFile)
	addr := freeAddr(t)
	config := filepath.Join(work, "driftgate.hcl")
	if err := os.WriteFile(config, []byte(fmt.Sprintf(`
data_dir = %q
listen   = %q
tls {
  cert_file = "cert.pem"
  key_file  = "key.pem"
}
`, filepath.Join(work, "data"), addr)), 0o600); err != nil {
		t.Fatal(err)
	}
	d := newDaemon(t, env, bin, config)
	d.startWith(func() bool {
		return exec.Command(bin, "repos", "--server", "https://"+addr, "--token", testToken, "--ca-file", ca.File).Run() == nil
	})

	cli := func(args ...string) (string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "DRIFTGATE_TOKEN="+testToken)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	// The CLI over https, trusting the test CA.
	if out, err := cli("repos", "--server", "https://"+addr, "--ca-file", ca.File); err != nil {
		t.Fatalf("repos over https: %v\n%s", err, out)
	}
	// Not trusting it, the CLI refuses the server.
	if out, err := cli("repos", "--server", "https://"+addr); err == nil || !strings.Contains(out, "certificate") {
		t.Errorf("repos without --ca-file: %v\n%s", err, out)
	}
	// Plain HTTP to the TLS port is refused.
	resp, err := http.Get("http://" + addr + "/healthz")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("plain http to the TLS port answered 200")
		}
	}
	if out, err := cli("repos", "--server", "http://"+addr); err == nil {
		t.Errorf("repos over plain http to the TLS port succeeded:\n%s", out)
	}

	served := func() string {
		conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.Pool(), ServerName: "127.0.0.1"})
		if err != nil {
			t.Fatalf("tls dial: %v", err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].Subject.CommonName
	}
	waitServed := func(want string, within time.Duration) {
		t.Helper()
		deadline := time.Now().Add(within)
		for served() != want {
			if time.Now().After(deadline) {
				t.Fatalf("served %q after %s, want %q\n%s", served(), within, want, d.log())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if got := served(); got != "first" {
		t.Fatalf("served %q, want first", got)
	}
	// Rotated on disk: picked up by the file watch, no restart.
	ca.Issue(t, "second", certFile, keyFile)
	waitServed("second", 15*time.Second)
	// Rotated and SIGHUP: picked up at once.
	ca.Issue(t, "third", certFile, keyFile)
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitServed("third", 2*time.Second)
	// A broken certificate is kept out; the daemon keeps serving the last.
	if err := os.WriteFile(certFile, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if got := served(); got != "third" {
		t.Errorf("after a broken certificate served %q, want third", got)
	}
	if out, err := cli("repos", "--server", "https://"+addr, "--ca-file", ca.File); err != nil {
		t.Errorf("repos after a broken certificate: %v\n%s", err, out)
	}
	if !strings.Contains(d.log(), "TLS certificate not reloaded; the previous one stays") {
		t.Errorf("the log does not say the broken certificate was kept out:\n%s", d.log())
	}
	d.stop(30 * time.Second)
}
