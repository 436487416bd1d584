package gitrepo

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Repo is an open git repository. It is safe for concurrent use: go-git's
// object storage is not, so every read of it holds mu.
type Repo struct {
	repo *git.Repository
	mu   sync.Mutex
}

// Open opens the repository at or above path: the first directory, going
// up, that holds a .git directory or file (a worktree), or that is itself
// a bare repository.
func Open(path string) (*Repo, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open repository %s: %w", path, err)
	}
	for dir := abs; ; {
		var repo *git.Repository
		switch {
		case exists(filepath.Join(dir, git.GitDirName)):
			repo, err = git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
		case isBare(dir):
			repo, err = git.PlainOpen(dir)
		default:
			parent := filepath.Dir(dir)
			if parent == dir {
				return nil, fmt.Errorf("open repository %s: %w", path, ErrNotRepository)
			}
			dir = parent
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("open repository %s: %w", dir, err)
		}
		return &Repo{repo: repo}, nil
	}
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// isBare reports whether dir looks like a bare repository.
func isBare(dir string) bool {
	head, err := os.Stat(filepath.Join(dir, "HEAD"))
	if err != nil || !head.Mode().IsRegular() {
		return false
	}
	for _, sub := range []string{"objects", "refs"} {
		if fi, err := os.Stat(filepath.Join(dir, sub)); err != nil || !fi.IsDir() {
			return false
		}
	}
	return true
}

// Resolve finds the commit a revision names: a branch, a tag (annotated
// tags are peeled), a full or short hash, HEAD, and the ~N and ^N suffixes
// go-git supports.
func (r *Repo) Resolve(rev string) (plumbing.Hash, error) {
	if strings.TrimSpace(rev) == "" {
		return plumbing.ZeroHash, fmt.Errorf("resolve revision %q: %w", rev, plumbing.ErrReferenceNotFound)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	h, err := r.repo.ResolveRevision(plumbing.Revision(rev))
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("resolve revision %q: %w", rev, err)
	}
	return *h, nil
}

// commitTree returns the root tree of a commit; r.mu must be held. The zero
// hash gives a nil tree, which go-git diffs as empty.
func (r *Repo) commitTree(commit plumbing.Hash) (*object.Tree, error) {
	if commit.IsZero() {
		return nil, nil
	}
	c, err := r.repo.CommitObject(commit)
	if err != nil {
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			return nil, fmt.Errorf("commit %s: %w", commit, err)
		}
		return nil, fmt.Errorf("read commit %s: %w", commit, err)
	}
	t, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("read tree of commit %s: %w", commit, err)
	}
	return t, nil
}
