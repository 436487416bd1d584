package gitrepo

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// entry is a file of a test commit.
type entry struct {
	mode filemode.FileMode
	data string
}

func file(data string) entry   { return entry{filemode.Regular, data} }
func exec(data string) entry   { return entry{filemode.Executable, data} }
func link(target string) entry { return entry{filemode.Symlink, target} }

// testRepo is a real repository in a temporary directory, written with
// go-git's object storage so tests control every tree entry.
type testRepo struct {
	tb   testing.TB
	dir  string
	git  *git.Repository
	when time.Time
}

func newTestRepo(tb testing.TB, bare bool) *testRepo {
	tb.Helper()
	dir := tb.TempDir()
	r, err := git.PlainInit(dir, bare)
	if err != nil {
		tb.Fatal(err)
	}
	return &testRepo{tb: tb, dir: dir, git: r, when: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

// commit writes a commit of files on top of parents and moves the main
// branch (and HEAD) to it.
func (r *testRepo) commit(msg string, files map[string]entry, parents ...plumbing.Hash) plumbing.Hash {
	r.tb.Helper()
	tree := r.writeTree(files)
	r.when = r.when.Add(time.Minute)
	sig := object.Signature{Name: "Test", Email: "test@example.com", When: r.when}
	c := &object.Commit{Author: sig, Committer: sig, Message: msg, TreeHash: tree, ParentHashes: parents}
	h := r.store(c)
	if err := r.git.Storer.SetReference(plumbing.NewHashReference("refs/heads/main", h)); err != nil {
		r.tb.Fatal(err)
	}
	if err := r.git.Storer.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, "refs/heads/main")); err != nil {
		r.tb.Fatal(err)
	}
	return h
}

// writeTree stores the tree of files, paths slash-separated.
func (r *testRepo) writeTree(files map[string]entry) plumbing.Hash {
	r.tb.Helper()
	sub := make(map[string]map[string]entry)
	var entries []object.TreeEntry
	for p, e := range files {
		if dir, rest, ok := strings.Cut(p, "/"); ok {
			if sub[dir] == nil {
				sub[dir] = make(map[string]entry)
			}
			sub[dir][rest] = e
			continue
		}
		if e.mode == filemode.Submodule {
			entries = append(entries, object.TreeEntry{Name: p, Mode: e.mode, Hash: plumbing.NewHash(e.data)})
			continue
		}
		entries = append(entries, object.TreeEntry{Name: p, Mode: e.mode, Hash: r.blob(e.data)})
	}
	for dir, files := range sub {
		entries = append(entries, object.TreeEntry{Name: dir, Mode: filemode.Dir, Hash: r.writeTree(files)})
	}
	sort.Sort(object.TreeEntrySorter(entries))
	return r.store(&object.Tree{Entries: entries})
}

func (r *testRepo) blob(data string) plumbing.Hash {
	r.tb.Helper()
	o := r.git.Storer.NewEncodedObject()
	o.SetType(plumbing.BlobObject)
	w, err := o.Writer()
	if err != nil {
		r.tb.Fatal(err)
	}
	if _, err := w.Write([]byte(data)); err != nil {
		r.tb.Fatal(err)
	}
	if err := w.Close(); err != nil {
		r.tb.Fatal(err)
	}
	h, err := r.git.Storer.SetEncodedObject(o)
	if err != nil {
		r.tb.Fatal(err)
	}
	return h
}

type encoder interface {
	Encode(plumbing.EncodedObject) error
}

func (r *testRepo) store(v encoder) plumbing.Hash {
	r.tb.Helper()
	o := r.git.Storer.NewEncodedObject()
	if err := v.Encode(o); err != nil {
		r.tb.Fatal(err)
	}
	h, err := r.git.Storer.SetEncodedObject(o)
	if err != nil {
		r.tb.Fatal(err)
	}
	return h
}

// open opens the test repository with Open.
func (r *testRepo) open() *Repo {
	r.tb.Helper()
	repo, err := Open(r.dir)
	if err != nil {
		r.tb.Fatal(err)
	}
	return repo
}
