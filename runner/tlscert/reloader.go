// Package tlscert serves the daemon's TLS certificate from files and
// reloads it when they change or when asked (SIGHUP), without dropping
// connections: each new handshake takes the certificate loaded last, and a
// pair that does not load keeps the one before it.
package tlscert

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultInterval is how often Run looks at the files for changes.
const DefaultInterval = 5 * time.Second

// Log keys.
const (
	logCert   = "cert_file"
	logErr    = "error"
	logExpiry = "not_after"
)

// ErrNoCertificate is returned by GetCertificate before a pair was loaded.
var ErrNoCertificate = errors.New("no TLS certificate loaded")

// Reloader keeps a certificate and key pair loaded from CertFile and
// KeyFile. Build it with New.
type Reloader struct {
	certFile, keyFile string
	logger            *slog.Logger

	cert atomic.Pointer[tls.Certificate]
	mu   sync.Mutex // serializes loads
	sum  [32]byte   // hash of the files last loaded
}

// New loads the pair and returns a Reloader serving it; an unloadable pair
// is an error naming the files and the fix.
func New(certFile, keyFile string, logger *slog.Logger) (*Reloader, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	r := &Reloader{certFile: certFile, keyFile: keyFile, logger: logger}
	if _, err := r.Reload(); err != nil {
		return nil, err
	}
	return r, nil
}

// Reload reads the files again. When they changed and load, the new pair
// serves every later handshake and Reload reports true; when they do not
// load, the pair before stays and the error says why.
func (r *Reloader) Reload() (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	certPEM, err := os.ReadFile(r.certFile)
	if err != nil {
		return false, fmt.Errorf("tls cert_file: %w", err)
	}
	keyPEM, err := os.ReadFile(r.keyFile)
	if err != nil {
		return false, fmt.Errorf("tls key_file: %w", err)
	}
	h := sha256.New()
	h.Write(certPEM)
	h.Write(keyPEM)
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	if r.cert.Load() != nil && sum == r.sum {
		return false, nil
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return false, fmt.Errorf("tls: load %s and %s: %w (give a PEM certificate chain and its matching PEM private key)",
			r.certFile, r.keyFile, err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return false, fmt.Errorf("tls: parse %s: %w", r.certFile, err)
	}
	pair.Leaf = leaf
	r.cert.Store(&pair)
	r.sum = sum
	r.logger.Info("TLS certificate loaded", logCert, r.certFile, logExpiry, leaf.NotAfter.UTC().Format(time.RFC3339))
	return true, nil
}

// GetCertificate is a tls.Config.GetCertificate serving the pair loaded
// last.
func (r *Reloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c := r.cert.Load()
	if c == nil {
		return nil, ErrNoCertificate
	}
	return c, nil
}

// Config is a server TLS configuration (TLS 1.2 and later, Go's default
// cipher suites) serving the Reloader's certificate.
func (r *Reloader) Config() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: r.GetCertificate}
}

// Run reloads the pair whenever the files change, looking every
// DefaultInterval, until ctx ends. A pair that does not load is logged and
// retried at the next look.
func (r *Reloader) Run(ctx context.Context) error {
	return r.watch(ctx, DefaultInterval)
}

func (r *Reloader) watch(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	var lastErr string
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if _, err := r.Reload(); err != nil {
			// Say it once per distinct failure, not every interval.
			if err.Error() != lastErr {
				r.logger.Error("TLS certificate not reloaded; the previous one stays", logCert, r.certFile, logErr, err)
			}
			lastErr = err.Error()
			continue
		}
		lastErr = ""
	}
}
