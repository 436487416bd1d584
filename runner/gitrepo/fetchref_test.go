package gitrepo

import (
	"errors"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

func TestFetchRefAndMergeBase(t *testing.T) {
	up := newTestRepo(t, true)
	base := up.commit("base", map[string]entry{"a/main.tf": file("a"), "b/main.tf": file("b")})
	pr := up.commit("pr", map[string]entry{"a/main.tf": file("a2"), "b/main.tf": file("b")}, base)
	main := up.commit("main moves on", map[string]entry{"a/main.tf": file("a"), "b/main.tf": file("b2")}, base)
	if err := up.git.Storer.SetReference(plumbing.NewHashReference("refs/pull/7/head", pr)); err != nil {
		t.Fatal(err)
	}
	m := openTestMirror(t, up.dir, Auth{})
	mustFetch(t, m, main)

	got, err := m.FetchRef(t.Context(), "refs/pull/7/head")
	if err != nil || got != pr {
		t.Fatalf("FetchRef = %s, %v; want %s", got, err, pr)
	}
	if head, _ := m.Head(); head != main {
		t.Errorf("the tracked branch moved to %s, want %s", head, main)
	}
	mb, err := m.Repo().MergeBase(t.Context(), main, pr)
	if err != nil || mb != base {
		t.Fatalf("MergeBase = %s, %v; want %s", mb, err, base)
	}
	changed, err := m.Repo().ChangedFiles(t.Context(), mb, pr)
	if err != nil || len(changed) != 1 || changed[0] != "a/main.tf" {
		t.Errorf("changed files base..pr = %v, %v; want [a/main.tf] (not main's change)", changed, err)
	}

	_, err = m.FetchRef(t.Context(), "refs/pull/8/head")
	var fe *FetchError
	if !errors.As(err, &fe) {
		t.Errorf("FetchRef of a missing ref = %v, want a *FetchError", err)
	}
	if _, err := m.FetchRef(t.Context(), "pull/7/head"); err == nil {
		t.Error("FetchRef accepted a short ref name")
	}
}
