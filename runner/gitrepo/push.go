package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
)

// DefaultPushAttempts is how many times Push tries when others push to
// the branch at the same time.
const DefaultPushAttempts = 5

// Log keys of Push.
const (
	logKeyAttempt = "attempt"
	logKeyBranch  = "branch"
	logKeyCommit  = "commit"
)

// ErrPushRaced reports that the branch kept moving under Push for all its
// attempts.
var ErrPushRaced = errors.New("the branch kept moving: every push attempt lost the race")

// ErrBranchExists reports that PushOptions.PushBranch, a new branch, is on
// the remote already.
var ErrBranchExists = errors.New("the new branch exists on the remote already")

// PushOptions says where Push commits, and as whom.
type PushOptions struct {
	// URL is the remote, as for OpenMirror. Credentials go in Auth, never
	// in the URL.
	URL string
	// Branch is the branch to start from; empty means the remote's HEAD.
	Branch string
	// PushBranch is the branch to push to; empty means Branch. When it
	// differs, it is created from Branch (a branch for a pull request).
	PushBranch string
	Auth       Auth
	// AuthorName and AuthorEmail sign the commit.
	AuthorName, AuthorEmail string
	// Attempts bounds the tries; 0 means DefaultPushAttempts.
	Attempts int
	Logger   *slog.Logger
}

// EditFunc changes the checkout in dir and returns the commit message, or
// "" when there is nothing to change. Push calls it once per attempt, on
// a fresh checkout of the branch's head.
type EditFunc func(ctx context.Context, dir string) (message string, err error)

// PushResult is what Push did.
type PushResult struct {
	// Changed is false when edit changed nothing: nothing was committed.
	Changed bool
	// Commit is the pushed commit; Base the head it was made on.
	Commit, Base string
	// From is the branch started from; Branch the branch pushed to (or
	// that would have been).
	From, Branch string
	Attempts     int
}

// Push clones the branch of the remote into a temporary directory, lets
// edit change it, commits and pushes. When the push is refused because
// the branch moved (someone pushed meanwhile), it starts again from the
// new head, so concurrent edits of different values all land. Nothing
// runs the git binary except go-git's transport for local remotes (a path
// or file:// URL), which runs git-receive-pack as git does.
func Push(ctx context.Context, opts PushOptions, edit EditFunc) (*PushResult, error) {
	rem, err := parseRemote(opts.URL)
	if err != nil {
		return nil, err
	}
	d := newDialer(rem, opts.Auth)
	auth, err := d.pushAuth()
	if err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	attempts := opts.Attempts
	if attempts <= 0 {
		attempts = DefaultPushAttempts
	}
	fail := func(what string, err error) error {
		return fmt.Errorf("%s %s: %w", what, rem.display, &redactedError{err: err, secrets: d.secrets()})
	}
	for attempt := 1; ; attempt++ {
		res, err := pushOnce(ctx, rem, auth, opts, edit)
		if res != nil {
			res.Attempts = attempt
		}
		if err == nil {
			if res.Changed {
				log.Info("pushed", logKeyBranch, res.Branch, logKeyCommit, res.Commit, logKeyAttempt, attempt)
			}
			return res, nil
		}
		var edited *editError
		if errors.As(err, &edited) {
			return nil, edited.err // the caller's own error, as it made it
		}
		var raced *raceError
		if !errors.As(err, &raced) {
			return nil, fail("push to", err)
		}
		if attempt >= attempts {
			return nil, fail("push to", fmt.Errorf("%w (%d attempts): %w", ErrPushRaced, attempt, raced.err))
		}
		log.Info("branch moved while pushing: retrying on its new head", logKeyBranch, res.Branch, logKeyAttempt, attempt)
		wait := time.Duration(50+rand.IntN(200)) * time.Millisecond * time.Duration(attempt)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
	}
}

// raceError is a push refused because the branch moved.
type raceError struct{ err error }

func (e *raceError) Error() string { return e.err.Error() }
func (e *raceError) Unwrap() error { return e.err }

// editError is the error of the caller's EditFunc.
type editError struct{ err error }

func (e *editError) Error() string { return e.err.Error() }
func (e *editError) Unwrap() error { return e.err }

// pushOnce is one attempt: clone, edit, commit, push.
func pushOnce(ctx context.Context, rem remote, auth transport.AuthMethod, opts PushOptions, edit EditFunc) (*PushResult, error) {
	dir, err := os.MkdirTemp("", "driftgate-set-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	clone := &git.CloneOptions{URL: rem.endpoint.String(), Auth: auth, SingleBranch: true, Tags: git.NoTags}
	if opts.Branch != "" {
		clone.ReferenceName = plumbing.NewBranchReferenceName(opts.Branch)
	}
	repo, err := git.PlainCloneContext(ctx, dir, false, clone)
	if err != nil {
		return nil, fmt.Errorf("clone: %w", err)
	}
	head, err := repo.Head()
	if err != nil {
		return nil, fmt.Errorf("clone: %w", err)
	}
	res := &PushResult{Base: head.Hash().String(), From: head.Name().Short(), Branch: opts.PushBranch}
	if res.Branch == "" {
		res.Branch = head.Name().Short()
	}
	msg, err := edit(ctx, dir)
	if err != nil {
		return res, &editError{err: err}
	}
	if msg == "" {
		return res, nil
	}
	wt, err := repo.Worktree()
	if err != nil {
		return res, err
	}
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		return res, fmt.Errorf("stage: %w", err)
	}
	sig := &object.Signature{Name: opts.AuthorName, Email: opts.AuthorEmail, When: time.Now()}
	commit, err := wt.Commit(msg, &git.CommitOptions{Author: sig, Committer: sig})
	if err != nil {
		return res, fmt.Errorf("commit: %w", err)
	}
	spec := config.RefSpec(head.Name().String() + ":" + plumbing.NewBranchReferenceName(res.Branch).String())
	err = repo.PushContext(ctx, &git.PushOptions{RemoteName: git.DefaultRemoteName, Auth: auth, RefSpecs: []config.RefSpec{spec}})
	newBranch := res.Branch != head.Name().Short()
	switch {
	case err == nil:
		res.Changed, res.Commit = true, commit.String()
		return res, nil
	case errors.Is(err, git.NoErrAlreadyUpToDate) && !newBranch:
		// The very same commit (same tree, author, second) is there.
		res.Changed, res.Commit = true, commit.String()
		return res, nil
	}
	// go-git words a refused update without a sentinel; ask the remote
	// where the branch is now.
	at, found := remoteBranch(ctx, repo, auth, res.Branch)
	switch {
	case newBranch && found:
		return res, fmt.Errorf("branch %s: %w", res.Branch, ErrBranchExists)
	case !newBranch && found && at != head.Hash():
		return res, &raceError{err: err}
	}
	return res, err
}

// remoteBranch asks the remote where branch is.
func remoteBranch(ctx context.Context, repo *git.Repository, auth transport.AuthMethod, branch string) (plumbing.Hash, bool) {
	r, err := repo.Remote(git.DefaultRemoteName)
	if err != nil {
		return plumbing.ZeroHash, false
	}
	refs, err := r.ListContext(ctx, &git.ListOptions{Auth: auth})
	if err != nil {
		return plumbing.ZeroHash, false
	}
	want := plumbing.NewBranchReferenceName(branch)
	for _, ref := range refs {
		if ref.Name() == want {
			return ref.Hash(), true
		}
	}
	return plumbing.ZeroHash, false
}

// pushAuth is the auth go-git's clone and push send: basic auth with the
// token over http(s), the key (or agent) over SSH, none for local paths.
func (d *dialer) pushAuth() (transport.AuthMethod, error) {
	switch d.rem.kind {
	case remoteHTTP:
		return d.httpAuth(), nil
	case remoteSSH:
		a, err := d.sshAuth()
		if err != nil {
			return nil, err
		}
		return a, nil
	default:
		return nil, nil
	}
}

// Origin returns the URL of the remote "origin" of the checkout at dir and
// its current branch, for pushing from a clone.
func Origin(dir string) (url, branch string, err error) {
	repo, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	if err != nil {
		return "", "", fmt.Errorf("open %s: %w: %w", dir, ErrNotRepository, err)
	}
	r, err := repo.Remote(git.DefaultRemoteName)
	if err != nil {
		return "", "", fmt.Errorf("%s has no remote origin to push to: %w", dir, err)
	}
	if urls := r.Config().URLs; len(urls) > 0 {
		url = urls[0]
	}
	if url != "" && !hasScheme(url) && !isSCPLike(url) && !filepath.IsAbs(url) {
		url = filepath.Join(dir, url) // a relative path is relative to the clone
	}
	if head, err := repo.Head(); err == nil && head.Name().IsBranch() {
		branch = head.Name().Short()
	}
	return url, branch, nil
}

// IsBare reports whether dir is a bare repository, which set treats as a
// remote to push to rather than a checkout to edit.
func IsBare(dir string) bool { return isBare(dir) }
