// Package gittest makes real git repositories for tests with go-git: commit
// files, delete them, rewrite history as a force-push does. No git binary.
package gittest

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Repo is a non-bare repository whose branch main tests commit to.
type Repo struct {
	tb  testing.TB
	Dir string
	Git *git.Repository
}

// New makes a repository in a temp dir and commits files to main.
func New(tb testing.TB, files map[string]string) *Repo {
	tb.Helper()
	r := Init(tb, filepath.Join(tb.TempDir(), "upstream"))
	r.Commit("initial", files)
	return r
}

// Init makes a repository in dir (which may already hold files) with main
// as its branch, without committing.
func Init(tb testing.TB, dir string) *Repo {
	tb.Helper()
	repo, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return &Repo{tb: tb, Dir: dir, Git: repo}
}

// Commit writes files (an empty body deletes the file), commits them with
// msg, and returns the new head.
func (r *Repo) Commit(msg string, files map[string]string) string {
	r.tb.Helper()
	wt := r.worktree()
	for name, body := range files {
		if body == "" {
			if _, err := wt.Remove(name); err != nil {
				r.tb.Fatal(err)
			}
			continue
		}
		p := filepath.Join(r.Dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			r.tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			r.tb.Fatal(err)
		}
		if _, err := wt.Add(name); err != nil {
			r.tb.Fatal(err)
		}
	}
	return r.commit(wt, msg)
}

// CommitAll commits every file in the work tree.
func (r *Repo) CommitAll(msg string) string {
	r.tb.Helper()
	wt := r.worktree()
	if err := wt.AddGlob("."); err != nil {
		r.tb.Fatal(err)
	}
	return r.commit(wt, msg)
}

// Rewrite force-pushes: main becomes a new root commit with the head's
// tree, so the old head is no longer its ancestor. It returns the new head.
func (r *Repo) Rewrite() string {
	r.tb.Helper()
	head, err := r.Git.Head()
	if err != nil {
		r.tb.Fatal(err)
	}
	c, err := r.Git.CommitObject(head.Hash())
	if err != nil {
		r.tb.Fatal(err)
	}
	orphan := &object.Commit{Author: c.Author, Committer: c.Committer, Message: "rewritten history", TreeHash: c.TreeHash}
	obj := r.Git.Storer.NewEncodedObject()
	if err := orphan.Encode(obj); err != nil {
		r.tb.Fatal(err)
	}
	h, err := r.Git.Storer.SetEncodedObject(obj)
	if err != nil {
		r.tb.Fatal(err)
	}
	if err := r.Git.Storer.SetReference(plumbing.NewHashReference(head.Name(), h)); err != nil {
		r.tb.Fatal(err)
	}
	return h.String()
}

// Head returns the current head commit.
func (r *Repo) Head() string {
	r.tb.Helper()
	head, err := r.Git.Head()
	if err != nil {
		r.tb.Fatal(err)
	}
	return head.Hash().String()
}

func (r *Repo) worktree() *git.Worktree {
	r.tb.Helper()
	wt, err := r.Git.Worktree()
	if err != nil {
		r.tb.Fatal(err)
	}
	return wt
}

func (r *Repo) commit(wt *git.Worktree, msg string) string {
	r.tb.Helper()
	h, err := wt.Commit(msg, &git.CommitOptions{Author: &object.Signature{Name: "test", Email: "test@example.test", When: time.Now()}})
	if err != nil {
		r.tb.Fatal(err)
	}
	return h.String()
}
