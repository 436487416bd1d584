package tlscert

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"
)

// ACME gets and renews certificates from an ACME server (Let's Encrypt by
// default) for a fixed list of domains, answering TLS-ALPN-01 challenges on
// the HTTPS listener and, when HTTPListen is set, HTTP-01 challenges on a
// plain HTTP listener that redirects everything else to https.
type ACME struct {
	m          *autocert.Manager
	httpListen string
	logger     *slog.Logger
}

// ACMEOptions configure NewACME.
type ACMEOptions struct {
	Domains  []string
	Email    string
	CacheDir string
	// DirectoryURL is the ACME directory; empty is Let's Encrypt's.
	DirectoryURL string
	// CAFile, when set, is the PEM CA the ACME server's HTTPS certificate
	// is checked against instead of the system's.
	CAFile string
	// HTTPListen is the address of the HTTP-01 listener; empty: none.
	HTTPListen string
}

// NewACME returns an ACME certificate source. It contacts nobody until the
// first handshake asks for a certificate.
func NewACME(opts ACMEOptions, logger *slog.Logger) (*ACME, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	m := &autocert.Manager{
		Prompt:     autocert.AcceptTOS,
		HostPolicy: autocert.HostWhitelist(opts.Domains...),
		Cache:      autocert.DirCache(opts.CacheDir),
		Email:      opts.Email,
	}
	if opts.DirectoryURL != "" || opts.CAFile != "" {
		m.Client = &acme.Client{DirectoryURL: opts.DirectoryURL}
	}
	if opts.CAFile != "" {
		pem, err := os.ReadFile(opts.CAFile)
		if err != nil {
			return nil, fmt.Errorf("acme ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("acme ca_file %s holds no PEM certificate", opts.CAFile)
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		m.Client.HTTPClient = &http.Client{Transport: tr, Timeout: time.Minute}
	}
	return &ACME{m: m, httpListen: opts.HTTPListen, logger: logger}, nil
}

// Config is a server TLS configuration (TLS 1.2 and later) with the
// managed certificates and the TLS-ALPN-01 protocol.
func (a *ACME) Config() *tls.Config {
	c := a.m.TLSConfig()
	c.MinVersion = tls.VersionTLS12
	return c
}

// Run serves HTTP-01 challenges on HTTPListen, when set, until ctx ends;
// renewals happen during handshakes.
func (a *ACME) Run(ctx context.Context) error {
	if a.httpListen == "" {
		<-ctx.Done()
		return nil
	}
	ln, err := net.Listen("tcp", a.httpListen)
	if err != nil {
		return fmt.Errorf("acme http_listen %s: %w (free the port or change http_listen)", a.httpListen, err)
	}
	srv := &http.Server{Handler: a.m.HTTPHandler(nil), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	a.logger.Info("ACME HTTP-01 listener", "addr", ln.Addr().String())
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("acme http listener: %w", err)
	}
	return nil
}
