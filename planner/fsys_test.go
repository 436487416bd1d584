package planner

import (
	"errors"
	"io/fs"
	"testing"
	"testing/fstest"
)

func TestResolve(t *testing.T) {
	fsys := fstest.MapFS{
		"a/b/file":  {Data: []byte("x")},
		"a/up":      {Data: []byte(".."), Mode: fs.ModeSymlink},
		"a/self":    {Data: []byte("."), Mode: fs.ModeSymlink},
		"a/tob":     {Data: []byte("b"), Mode: fs.ModeSymlink},
		"a/chain":   {Data: []byte("tob"), Mode: fs.ModeSymlink},
		"c/deep":    {Data: []byte("../a/chain/file"), Mode: fs.ModeSymlink},
		"abs":       {Data: []byte("/etc"), Mode: fs.ModeSymlink},
		"win":       {Data: []byte(`C:\x`), Mode: fs.ModeSymlink},
		"esc":       {Data: []byte("../outside"), Mode: fs.ModeSymlink},
		"a/esc2":    {Data: []byte("../../x"), Mode: fs.ModeSymlink},
		"loop1":     {Data: []byte("loop2"), Mode: fs.ModeSymlink},
		"loop2":     {Data: []byte("loop1"), Mode: fs.ModeSymlink},
		"dangling":  {Data: []byte("nowhere"), Mode: fs.ModeSymlink},
		"via/esc":   {Data: []byte("../esc/x"), Mode: fs.ModeSymlink},
		"dotdot/in": {Data: []byte("../a/up/a/b"), Mode: fs.ModeSymlink},
	}
	tests := []struct {
		name    string
		want    string
		wantErr error
	}{
		{name: ".", want: "."},
		{name: "a/b/file", want: "a/b/file"},
		{name: "a/up/a/b/file", want: "a/b/file"},
		{name: "a/self/self/b", want: "a/b"},
		{name: "a/chain/file", want: "a/b/file"},
		{name: "c/deep", want: "a/b/file"},
		{name: "dotdot/in/file", want: "a/b/file"},
		{name: "abs", wantErr: ErrLinkAbsolute},
		{name: "win/x", wantErr: ErrLinkAbsolute},
		{name: "esc", wantErr: ErrLinkEscapes},
		{name: "a/esc2", wantErr: ErrLinkEscapes},
		{name: "via/esc", wantErr: ErrLinkEscapes},
		{name: "loop1", wantErr: ErrLinkLoop},
		{name: "dangling", wantErr: fs.ErrNotExist},
		{name: "missing/x", wantErr: fs.ErrNotExist},
	}
	r := newResolver(fsys)
	for _, tt := range tests {
		got, err := r.resolve(tt.name)
		if tt.wantErr != nil {
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("resolve(%q) = %q, %v; want error %v", tt.name, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("resolve(%q) = %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
}

// noLinksFS hides fs.ReadLinkFS: links then cannot be seen, and paths are
// taken as they are.
type noLinksFS struct{ fs.FS }

func TestResolveWithoutReadLinkFS(t *testing.T) {
	r := newResolver(noLinksFS{fstest.MapFS{"a/b": {}}})
	if got, err := r.resolve("a/b"); err != nil || got != "a/b" {
		t.Errorf("resolve = %q, %v; want a/b", got, err)
	}
}

func TestCleanRepoPath(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr error
	}{
		{in: "a/b/", want: "a/b"},
		{in: "./a//b/../c", want: "a/c"},
		{in: ".", want: "."},
		{in: "", want: "."},
		{in: "a/../..", wantErr: ErrPathEscapes},
		{in: "..", wantErr: ErrPathEscapes},
		{in: "/a", wantErr: ErrPathAbsolute},
		{in: `\a`, wantErr: ErrPathAbsolute},
		{in: "c:/a", wantErr: ErrPathAbsolute},
	}
	for _, tt := range tests {
		got, err := cleanRepoPath(tt.in)
		if !errors.Is(err, tt.wantErr) || got != tt.want {
			t.Errorf("cleanRepoPath(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

// TestDiscoverMapFSLinks runs discovery over an in-memory tree with links:
// a directory reached through several links and a loop is visited once.
func TestDiscoverMapFSLinks(t *testing.T) {
	fsys := fstest.MapFS{
		"real/main.tf":  {Data: []byte(`module "m" { source = "./mod" }`)},
		"real/mod":      {Data: []byte("../shared/m"), Mode: fs.ModeSymlink},
		"shared/m/m.tf": {Data: []byte("")},
		"alias1":        {Data: []byte("real"), Mode: fs.ModeSymlink},
		"alias2":        {Data: []byte("alias1"), Mode: fs.ModeSymlink},
		"real/loop":     {Data: []byte(".."), Mode: fs.ModeSymlink},
		"loop/a":        {Data: []byte("../loop"), Mode: fs.ModeSymlink},
	}
	d, err := Discover(t.Context(), fsys, DiscoverOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []Stack{{Name: "real", Dir: "real", Workspace: "default", Modules: []string{"shared/m"}}}
	if g, w := asJSON(t, d.Stacks), asJSON(t, want); g != w {
		t.Errorf("stacks:\ngot  %s\nwant %s", g, w)
	}
	if len(d.Problems) != 0 {
		t.Errorf("problems = %v", d.Problems)
	}
}
