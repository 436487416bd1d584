package gitrepo

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// sshServer listens on loopback and refuses every client key after the
// key exchange. It returns its address and host key.
func sshServer(tb testing.TB) (string, ssh.PublicKey) {
	tb.Helper()
	hostKey := newSSHKey(tb)
	cfg := &ssh.ServerConfig{
		PublicKeyCallback: func(ssh.ConnMetadata, ssh.PublicKey) (*ssh.Permissions, error) {
			return nil, errors.New("key not authorized")
		},
	}
	cfg.AddHostKey(hostKey)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer conn.Close()
				_, _, _, _ = ssh.NewServerConn(conn, cfg)
			})
		}
	})
	tb.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return ln.Addr().String(), hostKey.PublicKey()
}

func newSSHKey(tb testing.TB) ssh.Signer {
	tb.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// writeSSHKeyFile writes a new private key in OpenSSH format.
func writeSSHKeyFile(tb testing.TB) string {
	tb.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "test")
	if err != nil {
		tb.Fatal(err)
	}
	p := filepath.Join(tb.TempDir(), "id_ed25519")
	if err := os.WriteFile(p, pem.EncodeToMemory(block), 0o600); err != nil {
		tb.Fatal(err)
	}
	return p
}

// writeKnownHosts writes a known_hosts file listing key for addr.
func writeKnownHosts(tb testing.TB, addr string, key ssh.PublicKey) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), "known_hosts")
	line := knownhosts.Line([]string{knownhosts.Normalize(addr)}, key) + "\n"
	if err := os.WriteFile(p, []byte(line), 0o600); err != nil {
		tb.Fatal(err)
	}
	return p
}

func TestMirrorSSHErrors(t *testing.T) {
	addr, hostKey := sshServer(t)
	keyFile := writeSSHKeyFile(t)
	known := writeKnownHosts(t, addr, hostKey)
	otherHost := writeKnownHosts(t, "git.example.com:22", hostKey)
	changed := writeKnownHosts(t, addr, newSSHKey(t).PublicKey())
	missing := filepath.Join(t.TempDir(), "missing")
	t.Setenv("SSH_AUTH_SOCK", "")

	url := "ssh://git@" + addr + "/org/infra.git"
	scp := "git@" + addr + ":org/infra.git" // go-git reads host:port:path
	tests := []struct {
		name, url string
		auth      Auth
		hint      string
	}{
		{"key refused", url, Auth{SSHKeyFile: keyFile, SSHKnownHostsFile: known}, hintAuthSSH},
		{"host unknown", url, Auth{SSHKeyFile: keyFile, SSHKnownHostsFile: otherHost}, hintHostUnknown},
		{"host key changed", url, Auth{SSHKeyFile: keyFile, SSHKnownHostsFile: changed}, hintHostChanged},
		{"missing key file", url, Auth{SSHKeyFile: missing, SSHKnownHostsFile: known}, "check that Auth.SSHKeyFile names a readable private key without a passphrase"},
		{"key file not a key", url, Auth{SSHKeyFile: known, SSHKnownHostsFile: known}, "check that Auth.SSHKeyFile names a readable private key without a passphrase"},
		{"missing known hosts", url, Auth{SSHKeyFile: keyFile, SSHKnownHostsFile: missing}, "check Auth.SSHKnownHostsFile"},
		{"no key and no agent", url, Auth{SSHKnownHostsFile: known}, "set Auth.SSHKeyFile, or run an SSH agent and set SSH_AUTH_SOCK"},
		{"scp-like, key refused", scp, Auth{SSHKeyFile: keyFile, SSHKnownHostsFile: known}, hintAuthSSH},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := openTestMirror(t, tt.url, tt.auth)
			_, err := m.Fetch(context.Background())
			fe := checkFetchError(t, err, ErrAuth, tt.url)
			if fe.Hint != tt.hint {
				t.Errorf("hint = %q, want %q; err = %v", fe.Hint, tt.hint, err)
			}
		})
	}
}

// TestMirrorSSHCancelled fetches from a server that accepts connections
// and never speaks: go-git's SSH handshake has no context, and the fetch
// must still end with ctx.
func TestMirrorSSHCancelled(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	addr := ln.Addr().String()
	url := "ssh://git@" + addr + "/r.git"
	m := openTestMirror(t, url, Auth{
		SSHKeyFile:        writeSSHKeyFile(t),
		SSHKnownHostsFile: writeKnownHosts(t, addr, newSSHKey(t).PublicKey()),
	})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	within(t, 5*time.Second, func() {
		_, err := m.Fetch(ctx)
		checkFetchError(t, err, nil, url)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Fetch = %v, want context.DeadlineExceeded", err)
		}
	})
}
