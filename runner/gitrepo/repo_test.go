package gitrepo

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

func TestOpen(t *testing.T) {
	work := newTestRepo(t, false)
	work.commit("one", map[string]entry{"a/b/c.tf": file("x")})
	if err := os.MkdirAll(filepath.Join(work.dir, "a", "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	bare := newTestRepo(t, true)
	bare.commit("one", map[string]entry{"x": file("x")})

	for _, dir := range []string{work.dir, filepath.Join(work.dir, "a", "b"), bare.dir, filepath.Join(bare.dir, "refs")} {
		r, err := Open(dir)
		if err != nil {
			t.Errorf("Open(%s): %v", dir, err)
			continue
		}
		if _, err := r.Resolve("HEAD"); err != nil {
			t.Errorf("Open(%s).Resolve(HEAD): %v", dir, err)
		}
	}
	if _, err := Open(t.TempDir()); !errors.Is(err, ErrNotRepository) {
		t.Errorf("Open(empty dir) = %v, want ErrNotRepository", err)
	}
}

func TestResolve(t *testing.T) {
	tr := newTestRepo(t, false)
	c1 := tr.commit("one", map[string]entry{"a": file("1")})
	c2 := tr.commit("two", map[string]entry{"a": file("2")}, c1)
	c3 := tr.commit("three", map[string]entry{"a": file("3")}, c2)
	if _, err := tr.git.CreateTag("v1", c1, nil); err != nil {
		t.Fatal(err)
	}
	sig := &object.Signature{Name: "T", Email: "t@example.com", When: tr.when}
	if _, err := tr.git.CreateTag("v2", c2, &git.CreateTagOptions{Message: "release", Tagger: sig}); err != nil {
		t.Fatal(err)
	}
	if err := tr.git.Storer.SetReference(plumbing.NewHashReference("refs/heads/feature", c2)); err != nil {
		t.Fatal(err)
	}
	r := tr.open()

	tests := []struct {
		rev  string
		want plumbing.Hash
	}{
		{"HEAD", c3},
		{"main", c3},
		{"refs/heads/main", c3},
		{"feature", c2},
		{"HEAD~1", c2},
		{"HEAD~2", c1},
		{"HEAD^", c2},
		{"main~2", c1},
		{"v1", c1},
		{"v2", c2}, // annotated: peeled to the commit
		{c2.String(), c2},
		{c1.String()[:8], c1},
		{c1.String()[:7], c1},
	}
	for _, tt := range tests {
		got, err := r.Resolve(tt.rev)
		if err != nil || got != tt.want {
			t.Errorf("Resolve(%q) = %s, %v; want %s", tt.rev, got, err, tt.want)
		}
	}
	for _, rev := range []string{"nope", "HEAD~9", "", "0000000"} {
		_, err := r.Resolve(rev)
		if err == nil || !strings.Contains(err.Error(), "\""+rev+"\"") {
			t.Errorf("Resolve(%q) = %v, want an error naming the revision", rev, err)
		}
	}
}
