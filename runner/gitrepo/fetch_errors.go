package gitrepo

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strings"
	"syscall"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"golang.org/x/crypto/ssh/knownhosts"
)

// FetchError is the error of a failed Fetch. errors.Is matches it against
// its kind (ErrAuth, ErrUnreachable or ErrBranchNotFound; none when the
// failure fits no kind or ctx ended) and against its cause, go-git's or
// the network's error (so context.Canceled matches a cancelled fetch).
// Credentials never appear in Error(), nor in the cause's Error(): a
// token, or the password of a URL, is replaced by "xxxxx" even when a
// server echoes it back.
type FetchError struct {
	// URL is the remote, without its password.
	URL string
	// Branch is the branch fetched.
	Branch string
	// Hint says, for people, what to check; empty when there is nothing
	// more specific to say than the cause.
	Hint string

	kind  error
	cause error
}

// Error reads "fetch branch B of URL: kind: cause; hint".
func (e *FetchError) Error() string {
	var b strings.Builder
	b.WriteString("fetch branch ")
	b.WriteString(e.Branch)
	b.WriteString(" of ")
	b.WriteString(e.URL)
	b.WriteString(": ")
	if e.kind != nil {
		b.WriteString(e.kind.Error())
		b.WriteString(": ")
	}
	b.WriteString(e.cause.Error())
	if e.Hint != "" {
		b.WriteString("; ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// Unwrap returns the kind, when there is one, and the cause.
func (e *FetchError) Unwrap() []error {
	if e.kind == nil {
		return []error{e.cause}
	}
	return []error{e.kind, e.cause}
}

// redactedError hides secrets in the message of the error it wraps.
type redactedError struct {
	err     error
	secrets []string
}

// Error is the wrapped message, redacted, on one line: a server's reason
// may span several.
func (e *redactedError) Error() string {
	msg := strings.TrimSpace(redact(e.err.Error(), e.secrets))
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(msg)
}
func (e *redactedError) Unwrap() error { return e.err }

// redact replaces every secret in s by "xxxxx".
func redact(s string, secrets []string) string {
	for _, secret := range secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "xxxxx")
		}
	}
	return s
}

// Hints, for people reading a repository's status.
const (
	hintBranch      = "check the branch name: it may have been deleted or renamed on the remote"
	hintEmpty       = "the remote repository has no branches yet: push the branch first"
	hintAuthHTTP    = "the remote wants credentials or refused them: check Auth.Token, and Auth.Username if the host needs a particular user"
	hintForbidden   = "the credentials were accepted but may not read this repository: check the token's scopes and the repository's access settings"
	hintAuthSSH     = "the SSH server refused the key: check that Auth.SSHKeyFile holds a key with read access to this repository"
	hintHostUnknown = "the server's host key is not in known_hosts: add it to Auth.SSHKnownHostsFile (or ~/.ssh/known_hosts)"
	hintHostChanged = "the server's host key does not match known_hosts: check for a changed key or an attack before updating Auth.SSHKnownHostsFile"
	hintNotFound    = "no repository at this URL or path: check it; some hosts also answer this way when the credentials may not read a private repository"
	hintDNS         = "the host name does not resolve: check the URL and DNS"
	hintRefused     = "the connection was refused: check the host and port, and that the server is up"
	hintTimeout     = "the connection timed out: check the network, firewall and proxy"
	hintTLS         = "TLS verification failed: check the server's certificate and the system's CA certificates"
	hintNetwork     = "check the host, the network, firewall and proxy"
)

// classify sorts a fetch error into ErrAuth, ErrUnreachable or
// ErrBranchNotFound, with a hint; nil and "" when it fits none. It looks
// through go-git's UnexpectedError and PermanentError, which hide their
// cause from errors.Is.
func classify(err error) (hint string, kind error) {
	var setup *authSetupError
	var keyErr *knownhosts.KeyError
	var revoked *knownhosts.RevokedError
	var dnsErr *net.DNSError
	var opErr *net.OpError
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var netErr net.Error
	switch {
	case err == nil, anyIs(err, context.Canceled), anyIs(err, context.DeadlineExceeded):
		return "", nil
	case anyAs(err, new(*missingBranchError)), anyIs(err, ErrBranchNotFound):
		return hintBranch, ErrBranchNotFound
	case anyIs(err, transport.ErrEmptyRemoteRepository):
		return hintEmpty, ErrBranchNotFound
	case anyAs(err, &setup):
		return setup.hint, ErrAuth
	case anyIs(err, transport.ErrAuthenticationRequired), anyIs(err, transport.ErrInvalidAuthMethod):
		return hintAuthHTTP, ErrAuth
	case anyIs(err, transport.ErrAuthorizationFailed):
		return hintForbidden, ErrAuth
	case anyAs(err, &keyErr):
		if len(keyErr.Want) == 0 {
			return hintHostUnknown, ErrAuth
		}
		return hintHostChanged, ErrAuth
	case anyAs(err, &revoked):
		return hintHostChanged, ErrAuth
	case anyMatch(err, func(e error) bool { return strings.Contains(e.Error(), "ssh: unable to authenticate") }):
		return hintAuthSSH, ErrAuth
	case anyIs(err, transport.ErrRepositoryNotFound), anyIs(err, git.ErrRepositoryNotExists):
		return hintNotFound, ErrUnreachable
	case anyAs(err, &dnsErr):
		return hintDNS, ErrUnreachable
	case anyIs(err, syscall.ECONNREFUSED):
		return hintRefused, ErrUnreachable
	case anyAs(err, &certErr), anyAs(err, &unknownAuth), anyAs(err, &hostErr):
		return hintTLS, ErrUnreachable
	case anyAs(err, &netErr) && netErr.Timeout():
		return hintTimeout, ErrUnreachable
	case anyAs(err, &opErr):
		if opErr.Op == "dial" {
			return hintRefused, ErrUnreachable
		}
		return hintNetwork, ErrUnreachable
	}
	return "", nil
}

// anyMatch reports whether match holds for err or any error it wraps,
// looking inside go-git's UnexpectedError and PermanentError too.
func anyMatch(err error, match func(error) bool) bool {
	if err == nil {
		return false
	}
	if match(err) {
		return true
	}
	switch e := err.(type) {
	case *plumbing.UnexpectedError:
		return anyMatch(e.Err, match)
	case *plumbing.PermanentError:
		return anyMatch(e.Err, match)
	case interface{ Unwrap() error }:
		return anyMatch(e.Unwrap(), match)
	case interface{ Unwrap() []error }:
		for _, w := range e.Unwrap() {
			if anyMatch(w, match) {
				return true
			}
		}
	}
	return false
}

func anyIs(err, target error) bool {
	return anyMatch(err, func(e error) bool { return errors.Is(e, target) })
}

func anyAs[T any](err error, target *T) bool {
	return anyMatch(err, func(e error) bool { return errors.As(e, target) })
}
