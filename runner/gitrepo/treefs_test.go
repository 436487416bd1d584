package gitrepo

import (
	"errors"
	"io/fs"
	"testing"
	"testing/fstest"
	"time"

	"github.com/go-git/go-git/v5/plumbing/filemode"
)

func readLink(fsys fs.FS, name string) (string, error) { return fs.ReadLink(fsys, name) }

// linkTree is a commit with links of every kind.
var linkTree = map[string]entry{
	"README.md":              file("hello\n"),
	"envs/prod/main.tf":      file(`module "vpc" { source = "../../modules/vpc" }`),
	"envs/prod/providers.tf": link("../../shared/providers.tf"),
	"envs/prod/vpc":          link("../../modules/vpc"),
	"envs/alias":             link("prod"),
	"envs/chain":             link("alias"),
	"modules/vpc/main.tf":    file("resource {}"),
	"scripts/run.sh":         exec("#!/bin/sh\n"),
	"shared/providers.tf":    file("terraform {}"),
	"vendor/lib":             {mode: filemode.Submodule, data: "0123456789012345678901234567890123456789"},
}

func TestTreeFS(t *testing.T) {
	tr := newTestRepo(t, false)
	c := tr.commit("links", linkTree)
	fsys, err := tr.open().TreeFS(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := fstest.TestFS(fsys,
		"README.md", "envs/prod/main.tf", "envs/prod/providers.tf", "envs/prod/vpc", "envs/alias",
		"modules/vpc/main.tf", "scripts/run.sh", "shared/providers.tf", "vendor/lib",
	); err != nil {
		t.Fatal(err)
	}
}

func TestTreeFSLinks(t *testing.T) {
	tr := newTestRepo(t, false)
	files := map[string]entry{
		"abs":           link("/etc/passwd"),
		"win":           link(`C:\Windows`),
		"escape":        link("../outside"),
		"a/deep-escape": link("../../outside"),
		"a/up":          link(".."),
		"a/sneaky":      link("up/.."), // ".." of the root, reached through a link
		"loop1":         link("loop2"),
		"loop2":         link("loop1"),
		"dangling":      link("nowhere"),
		"file":          file("data"),
		"through-file":  link("file/x"),
	}
	for k, v := range linkTree {
		files[k] = v
	}
	c := tr.commit("links", files)
	fsys, err := tr.open().TreeFS(c)
	if err != nil {
		t.Fatal(err)
	}

	reads := []struct {
		name    string
		want    string
		wantErr error
	}{
		{name: "envs/prod/providers.tf", want: "terraform {}"},
		{name: "envs/prod/vpc/main.tf", want: "resource {}"},
		{name: "envs/chain/vpc/main.tf", want: "resource {}"},
		{name: "a/up/README.md", want: "hello\n"},
		{name: "a/up/a/up/shared/providers.tf", want: "terraform {}"},
		{name: "abs", wantErr: ErrLinkAbsolute},
		{name: "win", wantErr: ErrLinkAbsolute},
		{name: "escape", wantErr: ErrLinkEscapes},
		{name: "a/deep-escape", wantErr: ErrLinkEscapes},
		{name: "a/sneaky/x", wantErr: ErrLinkEscapes},
		{name: "loop1", wantErr: ErrLinkLoop},
		{name: "dangling", wantErr: fs.ErrNotExist},
		{name: "through-file", wantErr: ErrNotDir},
		{name: "missing", wantErr: fs.ErrNotExist},
		{name: "../x", wantErr: fs.ErrInvalid},
		{name: "envs/prod", wantErr: errIsDir},
	}
	for _, tt := range reads {
		got, err := fs.ReadFile(fsys, tt.name)
		if tt.wantErr != nil {
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("ReadFile(%q) = %q, %v; want error %v", tt.name, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || string(got) != tt.want {
			t.Errorf("ReadFile(%q) = %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}

	links := []struct {
		name string
		want string
	}{
		{"envs/prod/vpc", "../../modules/vpc"},
		{"abs", "/etc/passwd"},
		{"escape", "../outside"},
		{"loop1", "loop2"},
		{"envs/alias/vpc", "../../modules/vpc"}, // a link inside a linked directory
	}
	for _, tt := range links {
		got, err := fs.ReadLink(fsys, tt.name)
		if err != nil || got != tt.want {
			t.Errorf("ReadLink(%q) = %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
	if _, err := fs.ReadLink(fsys, "README.md"); !errors.Is(err, ErrNotLink) {
		t.Errorf("ReadLink(README.md) = %v, want ErrNotLink", err)
	}

	modes := []struct {
		name  string
		lstat fs.FileMode
		stat  fs.FileMode
	}{
		{"envs/prod/vpc", fs.ModeSymlink | 0o777, fs.ModeDir | 0o755},
		{"envs/prod/providers.tf", fs.ModeSymlink | 0o777, 0o644},
		{"scripts/run.sh", 0o755, 0o755},
		{"vendor/lib", fs.ModeDir | 0o755, fs.ModeDir | 0o755},
		{".", fs.ModeDir | 0o755, fs.ModeDir | 0o755},
	}
	for _, tt := range modes {
		li, err := fs.Lstat(fsys, tt.name)
		if err != nil || li.Mode() != tt.lstat {
			t.Errorf("Lstat(%q) mode = %v, %v; want %v", tt.name, modeOf(li), err, tt.lstat)
		}
		si, err := fs.Stat(fsys, tt.name)
		if err != nil || si.Mode() != tt.stat {
			t.Errorf("Stat(%q) mode = %v, %v; want %v", tt.name, modeOf(si), err, tt.stat)
		}
		if err == nil && !si.ModTime().Equal(tr.when) {
			t.Errorf("Stat(%q) time = %v, want the commit time %v", tt.name, si.ModTime(), tr.when)
		}
	}

	entries, err := fs.ReadDir(fsys, "envs/prod")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, fs.FormatDirEntry(e))
	}
	want := []string{"- main.tf", "L providers.tf", "L vpc"}
	if len(got) != len(want) {
		t.Fatalf("ReadDir = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("ReadDir[%d] = %q, want %q", i, got[i], want[i])
		}
	}
}

func modeOf(fi fs.FileInfo) fs.FileMode {
	if fi == nil {
		return 0
	}
	return fi.Mode()
}

func TestTreeFSConcurrent(t *testing.T) {
	tr := newTestRepo(t, false)
	c := tr.commit("links", linkTree)
	fsys, err := tr.open().TreeFS(c)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	for range 8 {
		go func() {
			var err error
			for range 50 {
				if _, err = fs.ReadFile(fsys, "envs/chain/vpc/main.tf"); err != nil {
					break
				}
				if _, err = fs.ReadDir(fsys, "envs/prod"); err != nil {
					break
				}
			}
			done <- err
		}()
	}
	deadline := time.After(30 * time.Second)
	for range 8 {
		select {
		case err := <-done:
			if err != nil {
				t.Error(err)
			}
		case <-deadline:
			t.Fatal("timed out")
		}
	}
}
