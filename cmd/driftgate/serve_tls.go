package main

import (
	"context"
	"crypto/tls"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/driftgate/driftgate/runner/tlscert"
)

// tlsSource is what serve hands the daemon for HTTPS.
type tlsSource interface {
	Config() *tls.Config
	Run(ctx context.Context) error
}

// newTLSSource builds the daemon's HTTPS from the tls block: nil without
// one. reload re-reads a certificate pair (SIGHUP); it is a no-op for ACME.
func newTLSSource(c TLSConfig, logger *slog.Logger) (src tlsSource, reload func(), err error) {
	switch {
	case c.ACME != nil:
		a := c.ACME
		m, err := tlscert.NewACME(tlscert.ACMEOptions{
			Domains: a.Domains, Email: a.Email, CacheDir: a.CacheDir,
			DirectoryURL: a.DirectoryURL, CAFile: a.CAFile, HTTPListen: a.HTTPListen,
		}, logger)
		if err != nil {
			return nil, nil, err
		}
		return m, func() {}, nil
	case c.CertFile != "":
		r, err := tlscert.New(c.CertFile, c.KeyFile, logger)
		if err != nil {
			return nil, nil, err
		}
		return r, func() {
			if _, err := r.Reload(); err != nil {
				logger.Error("SIGHUP: TLS certificate not reloaded; the previous one stays", "error", err)
			}
		}, nil
	}
	return nil, func() {}, nil
}

// onHangup calls fn on every SIGHUP until ctx ends. Without it a SIGHUP
// would end the process.
func onHangup(ctx context.Context, fn func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGHUP)
	go func() {
		defer signal.Stop(ch)
		for {
			select {
			case <-ctx.Done():
				return
			case <-ch:
				fn()
			}
		}
	}()
}
