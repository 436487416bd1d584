package gitrepo

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"golang.org/x/crypto/ssh/knownhosts"
)

func TestClassify(t *testing.T) {
	urlErr := func(err error) error {
		return &url.Error{Op: "Get", URL: "https://host/r.git/info/refs", Err: err}
	}
	dial := func(err error) error {
		return &net.OpError{Op: "dial", Net: "tcp", Err: err}
	}
	tests := []struct {
		name string
		err  error
		kind error
		hint string
	}{
		{"nil", nil, nil, ""},
		{"cancelled", fmt.Errorf("x: %w", context.Canceled), nil, ""},
		{"deadline", urlErr(context.DeadlineExceeded), nil, ""},
		{"unknown", errors.New("something else"), nil, ""},
		{"missing branch", &missingBranchError{ref: "refs/heads/main"}, ErrBranchNotFound, hintBranch},
		{"empty remote", fmt.Errorf("list: %w", transport.ErrEmptyRemoteRepository), ErrBranchNotFound, hintEmpty},
		{"http 401", fmt.Errorf("%w: Unauthorized", transport.ErrAuthenticationRequired), ErrAuth, hintAuthHTTP},
		{"http 403", fmt.Errorf("%w: Forbidden", transport.ErrAuthorizationFailed), ErrAuth, hintForbidden},
		{"bad auth method", transport.ErrInvalidAuthMethod, ErrAuth, hintAuthHTTP},
		{"ssh key refused", errors.New("ssh: handshake failed: ssh: unable to authenticate, attempted methods [none publickey], no supported methods remain"), ErrAuth, hintAuthSSH},
		{"ssh host unknown", fmt.Errorf("ssh: handshake failed: %w", &knownhosts.KeyError{}), ErrAuth, hintHostUnknown},
		{"ssh host changed", fmt.Errorf("ssh: handshake failed: %w", &knownhosts.KeyError{Want: []knownhosts.KnownKey{{Filename: "kh"}}}), ErrAuth, hintHostChanged},
		{"ssh host revoked", fmt.Errorf("ssh: handshake failed: %w", &knownhosts.RevokedError{}), ErrAuth, hintHostChanged},
		{"ssh key file", &authSetupError{hint: "check the key", err: os.ErrNotExist}, ErrAuth, "check the key"},
		{"repository not found", transport.ErrRepositoryNotFound, ErrUnreachable, hintNotFound},
		{"not a repository", git.ErrRepositoryNotExists, ErrUnreachable, hintNotFound},
		{"dns", urlErr(dial(&net.DNSError{Err: "no such host", Name: "nope.invalid", IsNotFound: true})), ErrUnreachable, hintDNS},
		{"refused", urlErr(dial(os.NewSyscallError("connect", syscall.ECONNREFUSED))), ErrUnreachable, hintRefused},
		{"dial other", dial(errors.New("network is unreachable")), ErrUnreachable, hintRefused},
		{"read reset", &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}, ErrUnreachable, hintNetwork},
		{"timeout", urlErr(dial(&timeoutError{})), ErrUnreachable, hintTimeout},
		{"tls", urlErr(x509.UnknownAuthorityError{}), ErrUnreachable, hintTLS},
		{"tls host", urlErr(x509.HostnameError{Host: "h", Certificate: &x509.Certificate{}}), ErrUnreachable, hintTLS},
		// go-git's UnexpectedError hides its cause from errors.Is.
		{"hidden refused", plumbing.NewUnexpectedError(urlErr(dial(os.NewSyscallError("connect", syscall.ECONNREFUSED)))), ErrUnreachable, hintRefused},
		{"hidden permanent", fmt.Errorf("x: %w", plumbing.NewPermanentError(transport.ErrAuthenticationRequired)), ErrAuth, hintAuthHTTP},
		{"joined", errors.Join(errors.New("a"), transport.ErrRepositoryNotFound), ErrUnreachable, hintNotFound},
	}
	for _, tt := range tests {
		hint, kind := classify(tt.err)
		if kind != tt.kind || hint != tt.hint {
			t.Errorf("%s: classify(%v) = %v, %q; want %v, %q", tt.name, tt.err, kind, hint, tt.kind, tt.hint)
		}
	}
}

type timeoutError struct{}

func (*timeoutError) Error() string   { return "i/o timeout" }
func (*timeoutError) Timeout() bool   { return true }
func (*timeoutError) Temporary() bool { return true }

func TestFetchErrorMessage(t *testing.T) {
	cause := fmt.Errorf("list remote branches: %w: bad token t0k\nen? no: t0ken\n", transport.ErrAuthenticationRequired)
	e := &FetchError{
		URL:    "https://host/r.git",
		Branch: "main",
		Hint:   hintAuthHTTP,
		kind:   ErrAuth,
		cause:  &redactedError{err: cause, secrets: []string{"", "t0ken"}},
	}
	want := "fetch branch main of https://host/r.git: authentication failed: list remote branches: authentication required: bad token t0k en? no: xxxxx; " + hintAuthHTTP
	if got := e.Error(); got != want {
		t.Errorf("Error() =\n%q, want\n%q", got, want)
	}
	if !errors.Is(e, ErrAuth) || !errors.Is(e, transport.ErrAuthenticationRequired) || errors.Is(e, ErrUnreachable) {
		t.Errorf("errors.Is does not see the kind and the cause")
	}
	for _, w := range e.Unwrap() {
		if strings.Contains(w.Error(), "t0ken") {
			t.Errorf("unwrapped error shows the token: %v", w)
		}
	}

	none := &FetchError{URL: "/r", Branch: "b", cause: &redactedError{err: context.Canceled}}
	if got, want := none.Error(), "fetch branch b of /r: context canceled"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if len(none.Unwrap()) != 1 || !errors.Is(none, context.Canceled) {
		t.Errorf("Unwrap() = %v", none.Unwrap())
	}
}
