package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/go-git/go-git/v5/plumbing/transport/server"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"golang.org/x/crypto/ssh"
)

const (
	// tokenUser is the basic-auth user sent with a token when Auth.Username
	// is empty. GitHub, GitLab and Gitea accept any user with a token;
	// this one is GitHub's documented choice.
	tokenUser = "x-access-token"
	// sshUser is the SSH user when neither the URL nor Auth names one.
	sshUser = "git"
	// sshDialTimeout bounds the TCP connect of an SSH fetch, which go-git
	// does without a context.
	sshDialTimeout = 30 * time.Second
)

// dialer opens upload-pack sessions to one remote. Each transport is the
// mirror's own: go-git's global protocol table is never consulted, so
// nothing here runs the git binary (go-git's file transport would).
type dialer struct {
	rem  remote
	auth Auth
	http transport.Transport
	ssh  transport.Transport
}

func newDialer(rem remote, auth Auth) *dialer {
	d := &dialer{rem: rem, auth: auth}
	switch rem.kind {
	case remoteHTTP:
		d.http = githttp.NewClient(nil)
	case remoteSSH:
		d.ssh = gitssh.NewClient(nil)
	}
	return d
}

// secrets lists the strings no message may show.
func (d *dialer) secrets() []string {
	return []string{d.auth.Token, d.rem.password}
}

// open starts an upload-pack session. For SSH that means connecting,
// which go-git does without a context; a cancelled ctx returns at once and
// the connection, once made, is closed.
func (d *dialer) open(ctx context.Context) (transport.UploadPackSession, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	switch d.rem.kind {
	case remoteHTTP:
		return d.http.NewUploadPackSession(d.rem.endpoint, d.httpAuth())
	case remoteSSH:
		auth, err := d.sshAuth()
		if err != nil {
			return nil, err
		}
		return openAsync(ctx, func() (transport.UploadPackSession, error) {
			return d.ssh.NewUploadPackSession(d.rem.endpoint, auth)
		})
	default:
		return openLocal(d.rem.endpoint)
	}
}

// httpAuth is basic auth with the token as password, or none.
func (d *dialer) httpAuth() transport.AuthMethod {
	user, pass := d.auth.Username, d.auth.Token
	if pass == "" {
		user, pass = d.rem.user, d.rem.password
	}
	if pass == "" {
		return nil
	}
	if user == "" {
		user = tokenUser
	}
	return &githttp.BasicAuth{Username: user, Password: pass}
}

// sshAuth loads the key (or asks the SSH agent) and the known hosts, each
// fetch, so rotated files are picked up.
func (d *dialer) sshAuth() (gitssh.AuthMethod, error) {
	ep := d.rem.endpoint
	user := ep.User
	if user == "" {
		user = d.auth.Username
	}
	if user == "" {
		user = sshUser
	}
	var files []string
	if f := d.auth.SSHKnownHostsFile; f != "" {
		if _, err := os.Stat(f); err != nil {
			return nil, &authSetupError{hint: "check Auth.SSHKnownHostsFile", err: fmt.Errorf("known hosts: %w", err)}
		}
		files = []string{f}
	}
	db, err := gitssh.NewKnownHostsDb(files...)
	if err != nil {
		return nil, &authSetupError{
			hint: "set Auth.SSHKnownHostsFile, or SSH_KNOWN_HOSTS, or create ~/.ssh/known_hosts",
			err:  fmt.Errorf("known hosts: %w", err),
		}
	}
	port := ep.Port
	if port <= 0 {
		port = gitssh.DefaultPort
	}
	hosts := gitssh.HostKeyCallbackHelper{
		HostKeyCallback:   db.HostKeyCallback(),
		HostKeyAlgorithms: db.HostKeyAlgorithms(net.JoinHostPort(ep.Host, strconv.Itoa(port))),
	}
	if f := d.auth.SSHKeyFile; f != "" {
		keys, err := gitssh.NewPublicKeysFromFile(user, f, "")
		if err != nil {
			return nil, &authSetupError{
				hint: "check that Auth.SSHKeyFile names a readable private key without a passphrase",
				err:  fmt.Errorf("ssh key: %w", err),
			}
		}
		keys.HostKeyCallbackHelper = hosts
		return &sshDialAuth{AuthMethod: keys}, nil
	}
	agent, err := gitssh.NewSSHAgentAuth(user)
	if err != nil {
		return nil, &authSetupError{
			hint: "set Auth.SSHKeyFile, or run an SSH agent and set SSH_AUTH_SOCK",
			err:  fmt.Errorf("ssh agent: %w", err),
		}
	}
	agent.HostKeyCallbackHelper = hosts
	return &sshDialAuth{AuthMethod: agent}, nil
}

// authSetupError is a local credential problem found before connecting.
type authSetupError struct {
	hint string
	err  error
}

func (e *authSetupError) Error() string { return e.err.Error() }
func (e *authSetupError) Unwrap() error { return e.err }

// sshDialAuth adds a connect timeout to an SSH auth method. (go-git's
// ssh.NewClient config override would copy nil Auth and host key fields
// over the method's own, so the timeout is set here instead.)
type sshDialAuth struct {
	gitssh.AuthMethod
}

// ClientConfig returns the method's config with a connect timeout.
func (a *sshDialAuth) ClientConfig() (*ssh.ClientConfig, error) {
	c, err := a.AuthMethod.ClientConfig()
	if err != nil {
		return nil, err
	}
	c.Timeout = sshDialTimeout
	return c, nil
}

// openAsync runs open, which cannot be cancelled, and returns when it does
// or when ctx ends. In the second case the goroutine closes the session
// itself when open finally returns; it lives no longer than open.
func openAsync(ctx context.Context, open func() (transport.UploadPackSession, error)) (transport.UploadPackSession, error) {
	type result struct {
		s   transport.UploadPackSession
		err error
	}
	done := make(chan result) // unbuffered: a send hands the session over
	go func() {
		s, err := open()
		select {
		case done <- result{s, err}:
		case <-ctx.Done():
			if err == nil { // on error s may be a typed nil
				_ = s.Close()
			}
		}
	}()
	select {
	case r := <-done:
		return r.s, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// openLocal serves upload-pack in process from the repository at
// ep.Path, bare or not, with go-git's server over its storage.
func openLocal(ep *transport.Endpoint) (transport.UploadPackSession, error) {
	repo, err := git.PlainOpenWithOptions(ep.Path, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return nil, transport.ErrRepositoryNotFound
	}
	if err != nil {
		return nil, err
	}
	// The storage is not closed after the session: opened this way it
	// keeps no file open between reads, and closing it could race with
	// the pack encoder of a session cut short.
	sto := repo.Storer
	s, err := server.NewClient(server.MapLoader{ep.String(): sto}).NewUploadPackSession(ep, nil)
	if err != nil {
		return nil, err
	}
	return &localSession{UploadPackSession: s, sto: sto}, nil
}

// localSession is go-git's in-process upload-pack. Unlike git it fails on
// a "have" it does not hold (one lost to a force-push and gc upstream), so
// those are dropped from requests.
type localSession struct {
	transport.UploadPackSession
	sto storer.Storer
}

// UploadPack sends the request without haves unknown to the source.
func (s *localSession) UploadPack(ctx context.Context, req *packp.UploadPackRequest) (*packp.UploadPackResponse, error) {
	known := make([]plumbing.Hash, 0, len(req.Haves))
	for _, h := range req.Haves {
		if s.sto.HasEncodedObject(h) == nil {
			known = append(known, h)
		}
	}
	req.Haves = known
	return s.UploadPackSession.UploadPack(ctx, req)
}
