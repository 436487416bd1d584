package gitrepo

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

func TestChangedFiles(t *testing.T) {
	tr := newTestRepo(t, false)
	base := map[string]entry{
		"envs/prod/main.tf":    file("a"),
		"envs/prod/vars.tf":    file("v"),
		"modules/vpc/main.tf":  file("m"),
		"scripts/run.sh":       exec("#!/bin/sh"),
		"docs/readme.md":       file("r"),
		"envs/staging/main.tf": file("s"),
	}
	c0 := tr.commit("base", base)
	with := func(change func(map[string]entry)) map[string]entry {
		m := make(map[string]entry, len(base))
		for k, v := range base {
			m[k] = v
		}
		change(m)
		return m
	}
	tests := []struct {
		name  string
		files map[string]entry
		want  string
	}{
		{"nothing", base, ""},
		{"edit", with(func(m map[string]entry) { m["modules/vpc/main.tf"] = file("m2") }), "modules/vpc/main.tf"},
		{"add", with(func(m map[string]entry) { m["envs/qa/main.tf"] = file("q") }), "envs/qa/main.tf"},
		{"delete dir", with(func(m map[string]entry) { delete(m, "envs/staging/main.tf") }), "envs/staging/main.tf"},
		{"rename", with(func(m map[string]entry) {
			m["envs/production/main.tf"] = m["envs/prod/main.tf"]
			delete(m, "envs/prod/main.tf")
		}), "envs/prod/main.tf envs/production/main.tf"},
		{"mode only", with(func(m map[string]entry) { m["scripts/run.sh"] = file("#!/bin/sh") }), "scripts/run.sh"},
		{"file becomes link", with(func(m map[string]entry) { m["docs/readme.md"] = link("../README.md") }), "docs/readme.md"},
	}
	r := tr.open()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tr.commit(tt.name, tt.files, c0)
			got, err := r.ChangedFiles(context.Background(), c0, c)
			if err != nil {
				t.Fatal(err)
			}
			if g := strings.Join(got, " "); g != tt.want {
				t.Errorf("ChangedFiles = %q, want %q", g, tt.want)
			}
		})
	}

	t.Run("from zero lists everything", func(t *testing.T) {
		got, err := r.ChangedFiles(context.Background(), plumbing.ZeroHash, c0)
		if err != nil {
			t.Fatal(err)
		}
		want := "docs/readme.md envs/prod/main.tf envs/prod/vars.tf envs/staging/main.tf modules/vpc/main.tf scripts/run.sh"
		if g := strings.Join(got, " "); g != want {
			t.Errorf("ChangedFiles = %q, want %q", g, want)
		}
	})
	t.Run("unknown commit", func(t *testing.T) {
		if _, err := r.ChangedFiles(context.Background(), c0, plumbing.NewHash("1234567890123456789012345678901234567890")); err == nil {
			t.Error("want an error")
		}
	})
}

// TestChangedFilesWorktree drives a real worktree with go-git: commit,
// rename, delete and a symbolic link, as a user would.
func TestChangedFilesWorktree(t *testing.T) {
	dir := t.TempDir()
	g, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	wt, err := g.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, data string) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	when := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	commit := func(msg string) plumbing.Hash {
		when = when.Add(time.Hour)
		h, err := wt.Commit(msg, &git.CommitOptions{
			All:    true,
			Author: &object.Signature{Name: "T", Email: "t@example.com", When: when},
		})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	add := func(p string) {
		if _, err := wt.Add(p); err != nil {
			t.Fatal(err)
		}
	}

	write("envs/prod/main.tf", `module "vpc" { source = "../../modules/vpc" }`)
	write("modules/vpc/main.tf", `resource "null_resource" "x" {}`)
	write("old/name.tf", "x")
	add(".")
	c1 := commit("initial")

	if _, err := wt.Move("old/name.tf", "new/name.tf"); err != nil {
		t.Fatal(err)
	}
	if _, err := wt.Remove("modules/vpc/main.tf"); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../envs/prod/main.tf", filepath.Join(dir, "new", "link.tf")); err != nil {
		t.Skipf("symlinks unsupported: %v", err)
	}
	add("new/link.tf")
	c2 := commit("rename, delete, link")

	r, err := Open(filepath.Join(dir, "envs", "prod"))
	if err != nil {
		t.Fatal(err)
	}
	head, err := r.Resolve("HEAD")
	if err != nil || head != c2 {
		t.Fatalf("Resolve(HEAD) = %s, %v; want %s", head, err, c2)
	}
	got, err := r.ChangedFiles(context.Background(), c1, c2)
	if err != nil {
		t.Fatal(err)
	}
	want := "modules/vpc/main.tf new/link.tf new/name.tf old/name.tf"
	if g := strings.Join(got, " "); g != want {
		t.Errorf("ChangedFiles = %q, want %q", g, want)
	}
	fsys, err := r.TreeFS(c2)
	if err != nil {
		t.Fatal(err)
	}
	if target, err := readLink(fsys, "new/link.tf"); err != nil || target != "../envs/prod/main.tf" {
		t.Errorf("ReadLink(new/link.tf) = %q, %v", target, err)
	}
}

func TestChangedFilesCancelled(t *testing.T) {
	tr := newTestRepo(t, false)
	c1 := tr.commit("one", map[string]entry{"a/b": file("1")})
	c2 := tr.commit("two", map[string]entry{"a/b": file("2")}, c1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := tr.open().ChangedFiles(ctx, c1, c2); err == nil {
		t.Error("ChangedFiles with a cancelled context: want an error")
	}
}
