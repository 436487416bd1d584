package gitrepo

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/transport"
)

// remoteKind is how a remote is reached.
type remoteKind int

const (
	remoteHTTP  remoteKind = iota + 1 // https:// or http://, token auth
	remoteSSH                         // ssh:// or scp-like user@host:path, key auth
	remoteLocal                       // a path or file:// URL, read in process
)

// remote is a parsed remote URL.
type remote struct {
	kind remoteKind
	// endpoint is what go-git connects to. It never holds credentials:
	// those found in an http(s) URL are moved to user and password.
	endpoint *transport.Endpoint
	// display is the URL without its password, for messages and the
	// mirror's config. A local remote shows as its absolute path.
	display  string
	user     string
	password string
}

// parseRemote parses a remote URL: https://, http://, ssh://, the
// scp-like user@host:path, file:// with an absolute path, or a plain path,
// which is made absolute against the working directory. As in git, a
// string whose first colon comes before any slash is scp-like, so a
// relative path holding a colon needs a leading "./". Errors never quote
// the URL, which may hold a password.
func parseRemote(raw string) (remote, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return remote{}, fmt.Errorf("empty URL: %w", ErrInvalidURL)
	}
	if hasScheme(raw) {
		return parseSchemeURL(raw)
	}
	if isSCPLike(raw) {
		ep, err := transport.NewEndpoint(raw)
		if err != nil || ep.Protocol != "ssh" || ep.Host == "" || ep.Path == "" {
			return remote{}, fmt.Errorf("scp-like URL: want user@host:path: %w", ErrInvalidURL)
		}
		return remote{kind: remoteSSH, endpoint: ep, display: raw, user: ep.User}, nil
	}
	return localRemote(raw)
}

// hasScheme reports whether raw starts with scheme://, as git decides it.
func hasScheme(raw string) bool {
	i := strings.Index(raw, "://")
	return i > 0 && !strings.ContainsAny(raw[:i], "/:@")
}

// isSCPLike reports whether raw is host:path or user@host:path: a colon
// with no slash before it (and, on Windows, not a drive letter).
func isSCPLike(raw string) bool {
	before, _, ok := strings.Cut(raw, ":")
	if !ok || before == "" || strings.ContainsAny(before, `/\`) {
		return false
	}
	if runtime.GOOS == "windows" && len(before) == 1 {
		return false // C:\path
	}
	return true
}

func parseSchemeURL(raw string) (remote, error) {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error quotes the whole URL, password included
		}
		return remote{}, fmt.Errorf("%w: %w", ErrInvalidURL, err)
	}
	scheme := strings.ToLower(u.Scheme)
	var r remote
	if u.User != nil {
		r.user = u.User.Username()
		r.password, _ = u.User.Password()
	}
	switch scheme {
	case "https", "http":
		if u.Host == "" {
			return remote{}, fmt.Errorf("%s URL without a host: %w", scheme, ErrInvalidURL)
		}
		r.kind = remoteHTTP
		u.User = nil
	case "ssh", "git+ssh", "ssh+git":
		if u.Host == "" {
			return remote{}, fmt.Errorf("ssh URL without a host: %w", ErrInvalidURL)
		}
		r.kind = remoteSSH
		scheme = "ssh"
		u.User = nil
		if r.user != "" {
			u.User = url.User(r.user)
		}
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return remote{}, fmt.Errorf("file URL with a host: %w", ErrInvalidURL)
		}
		p := filepath.FromSlash(u.Path)
		if runtime.GOOS == "windows" && len(p) >= 3 && p[0] == '\\' && p[2] == ':' {
			p = p[1:] // file:///C:/repo
		}
		if !filepath.IsAbs(p) {
			return remote{}, fmt.Errorf("file URL with a relative path (use a plain path instead): %w", ErrInvalidURL)
		}
		return localRemote(p)
	default:
		return remote{}, fmt.Errorf("scheme %q: want https, http, ssh, file or a path: %w", u.Scheme, ErrInvalidURL)
	}
	u.Scheme = scheme
	r.display = u.String()
	ep, err := transport.NewEndpoint(r.display)
	if err != nil {
		return remote{}, fmt.Errorf("%w: %w", ErrInvalidURL, err)
	}
	r.endpoint = ep
	return r, nil
}

// localRemote is a repository on this machine, by absolute path.
func localRemote(p string) (remote, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return remote{}, fmt.Errorf("local path: %w: %w", ErrInvalidURL, err)
	}
	return remote{
		kind:     remoteLocal,
		endpoint: &transport.Endpoint{Protocol: "file", Path: abs},
		display:  abs,
	}, nil
}
