package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/driftgate/driftgate/runner/apiclient"
)

// Defaults of the commands that talk to a driftgate server.
const (
	envServer     = "DRIFTGATE_ADDR"
	envToken      = "DRIFTGATE_TOKEN"
	envCAFile     = "DRIFTGATE_CA_FILE"
	defaultServer = "http://127.0.0.1:8080"
	defaultEvery  = 2 * time.Second
)

// clientFlags are the flags of the commands that talk to a driftgate
// server: where it is, the token, and the output format.
type clientFlags struct {
	server string
	token  string
	output string
	caFile string
	// progress is how often waiting prints a progress line when stdout is
	// not a terminal (see addProgressFlag).
	progress time.Duration
}

// addClientFlags registers --server, --token and -o on cmd.
func addClientFlags(cmd *cobra.Command) *clientFlags {
	f := &clientFlags{progress: defaultProgress}
	cmd.Flags().StringVar(&f.server, "server", "", "driftgate server URL (default $"+envServer+", else "+defaultServer+")")
	// The token's default is read when the command runs, so --help never
	// prints it.
	cmd.Flags().StringVar(&f.token, "token", "", "API token (default $"+envToken+")")
	cmd.Flags().StringVarP(&f.output, "output", "o", "table", "output format: table or json")
	cmd.Flags().StringVar(&f.caFile, "ca-file", "", "PEM file of the CA that signed an https:// server's certificate (default $"+envCAFile+", else the system's)")
	return f
}

// serverURL is the server to talk to: --server, else $DRIFTGATE_ADDR, else
// the default; a bare host:port gets http://.
func (f *clientFlags) serverURL() string {
	s := f.server
	if s == "" {
		s = os.Getenv(envServer)
	}
	if s == "" {
		s = defaultServer
	}
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	return strings.TrimRight(s, "/")
}

// tokenValue is --token, else $DRIFTGATE_TOKEN.
func (f *clientFlags) tokenValue() string {
	if f.token != "" {
		return f.token
	}
	return os.Getenv(envToken)
}

// connect checks the output format and returns a client of the server.
func (f *clientFlags) connect() (*apiclient.Client, error) {
	if err := outputFormat(f.output, "table", "json"); err != nil {
		return nil, err
	}
	caFile := f.caFile
	if caFile == "" {
		caFile = os.Getenv(envCAFile)
	}
	if caFile == "" {
		return apiclient.New(f.serverURL(), f.tokenValue()), nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("--ca-file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--ca-file %s holds no PEM certificate; give the CA certificate that signed the server's", caFile)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	hc := &http.Client{Timeout: apiclient.DefaultTimeout, Transport: tr}
	return apiclient.New(f.serverURL(), f.tokenValue(), apiclient.WithHTTPClient(hc)), nil
}

// json reports whether -o json was asked for.
func (f *clientFlags) json() bool { return f.output == "json" }

// clientError is an API client error rewritten for a person at a terminal;
// it keeps the original for errors.Is and errors.As.
type clientError struct {
	msg string
	err error
}

// Error returns the rewritten message.
func (e *clientError) Error() string { return e.msg }

// Unwrap returns the original error.
func (e *clientError) Unwrap() error { return e.err }

// explain rewrites an API client error into what to do about it: an
// unreachable server names the URL and how to set it, a rejected token how
// to set one, and other API errors are the server's message, with the
// advice as a driftgate command rather than an API route.
func (f *clientFlags) explain(err error) error {
	if err == nil {
		return nil
	}
	var apiErr *apiclient.Error
	var opErr *net.OpError
	server := f.serverURL()
	switch {
	case errors.As(err, &apiErr) && apiErr.Status == http.StatusUnauthorized && f.tokenValue() == "":
		return &clientError{msg: "the server requires a token: set --token or " + envToken, err: err}
	case errors.As(err, &apiErr) && apiErr.Status == http.StatusUnauthorized:
		return &clientError{msg: "the server rejected the token: set --token or " + envToken, err: err}
	case errors.As(err, &apiErr):
		return &clientError{msg: apiErr.ForCLI(), err: err}
	case errors.Is(err, syscall.ECONNREFUSED):
		return &clientError{
			msg: fmt.Sprintf("cannot reach driftgate at %s: is `driftgate serve` running? (set --server or %s)", server, envServer),
			err: err,
		}
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return &clientError{
			msg: fmt.Sprintf("cannot reach driftgate at %s: %s (set --server or %s)", server, opErr.Err, envServer),
			err: err,
		}
	}
	return err
}
