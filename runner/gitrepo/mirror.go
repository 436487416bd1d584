package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
)

// remoteName is the name of the mirror's one remote in its config.
const remoteName = "origin"

// Auth says how to reach a remote. The zero Auth fetches anonymously over
// HTTPS and with the SSH agent over SSH. Its String, GoString and LogValue
// hide the token, so an Auth may be printed or logged.
type Auth struct {
	// Token is sent over https:// and http:// as the password of HTTP
	// basic auth: a GitHub, GitLab or Gitea access token, or a Bitbucket
	// app password (which needs Username). Over plain http:// it travels
	// in clear text. Ignored for SSH and local remotes.
	Token string
	// Username is the basic-auth user sent with Token; empty means
	// "x-access-token", which GitHub requires and GitLab and Gitea accept
	// (GitLab also documents "oauth2"). Bitbucket wants the account's
	// user name. For SSH it is the user when the URL names none (then
	// "git").
	Username string
	// SSHKeyFile is the private key for ssh:// and user@host:path URLs;
	// keys with a passphrase are not supported. Empty means the SSH agent
	// at SSH_AUTH_SOCK.
	SSHKeyFile string
	// SSHKnownHostsFile lists the SSH hosts to trust, in OpenSSH
	// known_hosts format. Empty means go-git's default: the files listed
	// in the SSH_KNOWN_HOSTS environment variable (separated like PATH),
	// else those of ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts that
	// exist; when none exists every SSH fetch fails with ErrAuth. A host
	// not listed, or listed with another key, is refused (ErrAuth): there
	// is no trust on first use.
	SSHKnownHostsFile string
}

// String describes a without its token.
func (a Auth) String() string {
	tok := ""
	if a.Token != "" {
		tok = "xxxxx"
	}
	return fmt.Sprintf("{Token:%s Username:%s SSHKeyFile:%s SSHKnownHostsFile:%s}", tok, a.Username, a.SSHKeyFile, a.SSHKnownHostsFile)
}

// GoString is String, so %#v hides the token too.
func (a Auth) GoString() string { return "gitrepo.Auth" + a.String() }

// LogValue logs a without its token.
func (a Auth) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Bool("token_set", a.Token != ""),
		slog.String("username", a.Username),
		slog.String("ssh_key_file", a.SSHKeyFile),
		slog.String("ssh_known_hosts_file", a.SSHKnownHostsFile),
	)
}

// Mirror is a bare clone of one branch of a remote, kept under a
// directory of its own, and fetched on demand.
//
// A Mirror is safe for concurrent use. Fetches are serialized. Reads
// through Repo, Head and IsAncestor may run while a fetch is under way:
// the fetch holds the Repo's lock (the one guarding go-git's storage) only
// to read what the mirror has, to add the downloaded pack, and to move the
// branch, never while it waits on the network; the pack is downloaded to
// a temporary file in the mirror's directory first. Readers therefore see
// the old head or the new one, and every object of either.
type Mirror struct {
	dir      string
	branch   string
	ref      plumbing.ReferenceName
	dialer   *dialer
	repo     *Repo
	fetching chan struct{} // holds a token while a fetch runs
}

// tmpPackPattern names the packs a fetch downloads before adding them.
const tmpPackPattern = "driftgate-fetch-*.pack"

// OpenMirror opens the mirror of branch of url in dir, creating dir and a
// bare repository in it if missing, and records the remote in its config
// (without credentials). It does not touch the network: Fetch does. url
// is https://, http://, ssh://, scp-like user@host:path, file:// or a
// plain path; a relative path is made absolute against the working
// directory now. branch may be given as "main" or "refs/heads/main".
// Reopening a directory keeps what earlier fetches stored; a different url
// or branch replaces the recorded remote.
func OpenMirror(ctx context.Context, dir, url, branch string, auth Auth) (*Mirror, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("open mirror %s: %w", dir, err)
	}
	rem, err := parseRemote(url)
	if err != nil {
		return nil, fmt.Errorf("open mirror %s: %w", dir, err)
	}
	branch = strings.TrimPrefix(branch, "refs/heads/")
	ref := plumbing.NewBranchReferenceName(branch)
	if err := ref.Validate(); err != nil || branch == "" {
		return nil, fmt.Errorf("open mirror %s: branch %q: %w", dir, branch, plumbing.ErrInvalidReferenceName)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open mirror %s: %w", dir, err)
	}
	repo, err := openBare(abs)
	if err != nil {
		return nil, fmt.Errorf("open mirror %s: %w", abs, err)
	}
	if err := configure(repo, rem.display, ref); err != nil {
		return nil, fmt.Errorf("open mirror %s: %w", abs, err)
	}
	removeTempPacks(abs)
	return &Mirror{
		dir:      abs,
		branch:   branch,
		ref:      ref,
		dialer:   newDialer(rem, auth),
		repo:     &Repo{repo: repo},
		fetching: make(chan struct{}, 1),
	}, nil
}

// openBare opens the bare repository in dir, or creates one when dir is
// missing or empty. Anything else in dir is left alone.
func openBare(dir string) (*git.Repository, error) {
	if isBare(dir) {
		return git.PlainOpen(dir)
	}
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	case len(entries) > 0:
		return nil, fmt.Errorf("directory is not empty and not a bare repository: %w", ErrNotRepository)
	}
	return git.PlainInit(dir, true)
}

// configure records the remote and its refspec, and points HEAD at the
// branch, writing only what changed.
func configure(repo *git.Repository, url string, ref plumbing.ReferenceName) error {
	cfg, err := repo.Config()
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	spec := config.RefSpec(fmt.Sprintf("+%s:%s", ref, ref))
	want := &config.RemoteConfig{Name: remoteName, URLs: []string{url}, Fetch: []config.RefSpec{spec}}
	if have, ok := cfg.Remotes[remoteName]; !ok || !slices.Equal(have.URLs, want.URLs) || !slices.Equal(have.Fetch, want.Fetch) {
		cfg.Remotes[remoteName] = want
		if err := repo.SetConfig(cfg); err != nil {
			return fmt.Errorf("write config: %w", err)
		}
	}
	head := plumbing.NewSymbolicReference(plumbing.HEAD, ref)
	if have, err := repo.Storer.Reference(plumbing.HEAD); err != nil || have.Target() != ref {
		if err := repo.Storer.SetReference(head); err != nil {
			return fmt.Errorf("set HEAD: %w", err)
		}
	}
	return nil
}

// removeTempPacks deletes packs left by a fetch that did not finish.
func removeTempPacks(dir string) {
	stale, _ := filepath.Glob(filepath.Join(dir, tmpPackPattern))
	for _, p := range stale {
		_ = os.Remove(p)
	}
}

// Repo returns the mirror's repository, for Resolve, ChangedFiles and TreeFS.
// Its HEAD is the branch.
func (m *Mirror) Repo() *Repo {
	return m.repo
}

// Head returns the branch head of the last successful fetch, without the
// network; ErrNotFetched before the first.
func (m *Mirror) Head() (plumbing.Hash, error) {
	m.repo.mu.Lock()
	defer m.repo.mu.Unlock()
	ref, err := m.repo.repo.Storer.Reference(m.ref)
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return plumbing.ZeroHash, fmt.Errorf("head of %s: %w", m.branch, ErrNotFetched)
	}
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("head of %s: %w", m.branch, err)
	}
	return ref.Hash(), nil
}

// IsAncestor reports whether ancestor is descendant or one of its
// ancestors, as git merge-base --is-ancestor does: after a force-push the
// old head is usually not an ancestor of the new one. It is false, not an
// error, when ancestor is not in the mirror (any more); descendant must
// be.
func (m *Mirror) IsAncestor(ctx context.Context, ancestor, descendant plumbing.Hash) (bool, error) {
	return m.repo.isAncestor(ctx, ancestor, descendant)
}
