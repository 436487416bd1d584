package gitrepo

import (
	"context"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
)

// noise is incompressible text, so pack sizes show what was sent.
func noise(n int) string {
	r := rand.New(rand.NewChaCha8([32]byte{1}))
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = letters[r.IntN(len(letters))]
	}
	return string(b)
}

func TestMirrorFetch(t *testing.T) {
	for _, bare := range []bool{false, true} {
		name := map[bool]string{false: "worktree upstream", true: "bare upstream"}[bare]
		t.Run(name, func(t *testing.T) {
			up := newTestRepo(t, bare)
			big := noise(200_000)
			c1 := up.commit("one", map[string]entry{"big.txt": file(big), "main.tf": file("a")})
			m := openTestMirror(t, up.dir, Auth{})
			if _, err := m.Head(); !errors.Is(err, ErrNotFetched) {
				t.Fatalf("Head before the first fetch = %v, want ErrNotFetched", err)
			}

			mustFetch(t, m, c1)
			first := packBytes(t, m)
			if first < 150_000 {
				t.Fatalf("first fetch stored %d pack bytes, want the whole history", first)
			}
			if got, err := m.Repo().Resolve("HEAD"); err != nil || got != c1 {
				t.Errorf("Repo().Resolve(HEAD) = %s, %v; want %s", got, err, c1)
			}

			c2 := up.commit("two", map[string]entry{"big.txt": file(big), "main.tf": file("b")}, c1)
			mustFetch(t, m, c2)
			if sent := packBytes(t, m) - first; sent > 20_000 {
				t.Errorf("incremental fetch stored %d pack bytes, want only the new objects", sent)
			}
			fsys, err := m.Repo().TreeFS(c2)
			if err != nil {
				t.Fatal(err)
			}
			if data, err := fs.ReadFile(fsys, "main.tf"); err != nil || string(data) != "b" {
				t.Errorf("main.tf at the new head = %q, %v", data, err)
			}
			changed, err := m.Repo().ChangedFiles(context.Background(), c1, c2)
			if err != nil || strings.Join(changed, ",") != "main.tf" {
				t.Errorf("ChangedFiles = %v, %v; want [main.tf]", changed, err)
			}
			if ok, err := m.IsAncestor(context.Background(), c1, c2); err != nil || !ok {
				t.Errorf("IsAncestor(old, new) = %v, %v; want true", ok, err)
			}

			before := packBytes(t, m)
			mustFetch(t, m, c2) // nothing new
			if after := packBytes(t, m); after != before {
				t.Errorf("an up-to-date fetch stored %d pack bytes", after-before)
			}
			if tmp, _ := filepath.Glob(filepath.Join(m.dir, tmpPackPattern)); len(tmp) != 0 {
				t.Errorf("temporary packs left behind: %v", tmp)
			}
		})
	}
}

func TestMirrorForcePush(t *testing.T) {
	tests := []struct {
		name string
		// rewrite replaces the upstream branch with an unrelated commit.
		rewrite func(t *testing.T, up *testRepo) plumbing.Hash
	}{
		{"old commits kept upstream", func(t *testing.T, up *testRepo) plumbing.Hash {
			return up.commit("rewritten", map[string]entry{"other.tf": file("x")})
		}},
		{"old commits gone upstream", func(t *testing.T, up *testRepo) plumbing.Hash {
			fresh := reinit(t, up)
			return fresh.commit("rewritten", map[string]entry{"other.tf": file("x")})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newTestRepo(t, false)
			c1 := up.commit("one", map[string]entry{"main.tf": file("1")})
			c2 := up.commit("two", map[string]entry{"main.tf": file("2")}, c1)
			m := openTestMirror(t, up.dir, Auth{})
			mustFetch(t, m, c2)

			rewritten := tt.rewrite(t, up)
			mustFetch(t, m, rewritten)
			ctx := context.Background()
			if ok, err := m.IsAncestor(ctx, c2, rewritten); err != nil || ok {
				t.Errorf("IsAncestor(old, rewritten) = %v, %v; want false", ok, err)
			}
			if ok, err := m.IsAncestor(ctx, rewritten, rewritten); err != nil || !ok {
				t.Errorf("IsAncestor(new, new) = %v, %v; want true", ok, err)
			}
			changed, err := m.Repo().ChangedFiles(ctx, c2, rewritten)
			if err != nil || strings.Join(changed, ",") != "main.tf,other.tf" {
				t.Errorf("ChangedFiles(old, rewritten) = %v, %v", changed, err)
			}
		})
	}
}

// reinit replaces a test repository by an empty one at the same path,
// as if its history had been rewritten and garbage-collected.
func reinit(tb testing.TB, r *testRepo) *testRepo {
	tb.Helper()
	if err := os.RemoveAll(r.dir); err != nil {
		tb.Fatal(err)
	}
	g, err := git.PlainInit(r.dir, false)
	if err != nil {
		tb.Fatal(err)
	}
	return &testRepo{tb: tb, dir: r.dir, git: g, when: r.when}
}

func TestOpenMirrorReopen(t *testing.T) {
	up := newTestRepo(t, true)
	c1 := up.commit("one", map[string]entry{"main.tf": file("1")})
	dir := filepath.Join(t.TempDir(), "data", "mirror")
	ctx := context.Background()
	m, err := OpenMirror(ctx, dir, up.dir, "main", Auth{})
	if err != nil {
		t.Fatal(err)
	}
	mustFetch(t, m, c1)
	if err := os.RemoveAll(up.dir); err != nil {
		t.Fatal(err)
	}

	again, err := OpenMirror(ctx, dir, up.dir, "refs/heads/main", Auth{})
	if err != nil {
		t.Fatal(err)
	}
	if head, err := again.Head(); err != nil || head != c1 {
		t.Fatalf("Head after reopening = %s, %v; want %s", head, err, c1)
	}
	fsys, err := again.Repo().TreeFS(c1)
	if err != nil {
		t.Fatal(err)
	}
	if data, err := fs.ReadFile(fsys, "main.tf"); err != nil || string(data) != "1" {
		t.Errorf("main.tf after reopening = %q, %v", data, err)
	}
	_, err = again.Fetch(ctx)
	checkFetchError(t, err, ErrUnreachable, up.dir)
	if head, err := again.Head(); err != nil || head != c1 {
		t.Errorf("Head after a failed fetch = %s, %v; want %s", head, err, c1)
	}
}

func TestOpenMirrorURLForms(t *testing.T) {
	base := t.TempDir()
	up := newTestRepo(t, false)
	c1 := up.commit("one", map[string]entry{"main.tf": file("1")})
	upDir := filepath.Join(base, "up")
	if err := os.Rename(up.dir, upDir); err != nil {
		t.Fatal(err)
	}
	t.Chdir(base)

	tests := []struct{ name, url string }{
		{"absolute path", upDir},
		{"relative path", "up"},
		{"dot relative path", "./up/"},
		{"file URL", "file://" + filepath.ToSlash(upDir)},
	}
	var mirrors []*Mirror
	for _, tt := range tests {
		m, err := OpenMirror(context.Background(), filepath.Join(t.TempDir(), "m"), tt.url, "main", Auth{})
		if err != nil {
			t.Fatalf("%s: OpenMirror(%q): %v", tt.name, tt.url, err)
		}
		if m.dialer.rem.display != upDir {
			t.Errorf("%s: remote = %q, want %q", tt.name, m.dialer.rem.display, upDir)
		}
		mirrors = append(mirrors, m)
	}
	t.Chdir(t.TempDir()) // relative paths were resolved when opened
	for i, m := range mirrors {
		if got, err := m.Fetch(context.Background()); err != nil || got != c1 {
			t.Errorf("%s: Fetch = %s, %v; want %s", tests[i].name, got, err, c1)
		}
	}
}

func TestOpenMirrorRecordsRemote(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "m")
	url := "https://x-access-token:s3cret@git.example.com/org/infra.git"
	if _, err := OpenMirror(context.Background(), dir, url, "main", Auth{Token: "t0ken"}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "config"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(data)
	for _, want := range []string{"https://git.example.com/org/infra.git", "+refs/heads/main:refs/heads/main", "bare = true"} {
		if !strings.Contains(cfg, want) {
			t.Errorf("config lacks %q:\n%s", want, cfg)
		}
	}
	if strings.Contains(cfg, "s3cret") || strings.Contains(cfg, "t0ken") {
		t.Errorf("config holds a credential:\n%s", cfg)
	}
	head, err := os.ReadFile(filepath.Join(dir, "HEAD"))
	if err != nil || strings.TrimSpace(string(head)) != "ref: refs/heads/main" {
		t.Errorf("HEAD = %q, %v", head, err)
	}
}

func TestOpenMirrorErrors(t *testing.T) {
	notEmpty := t.TempDir()
	if err := os.WriteFile(filepath.Join(notEmpty, "precious"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, dir, url, branch string
		want                   error
	}{
		{"directory in use", notEmpty, "/repo", "main", ErrNotRepository},
		{"empty branch", t.TempDir(), "/repo", "", plumbing.ErrInvalidReferenceName},
		{"bad branch", t.TempDir(), "/repo", "a..b", plumbing.ErrInvalidReferenceName},
		{"empty URL", t.TempDir(), " ", "main", ErrInvalidURL},
		{"unknown scheme", t.TempDir(), "ftp://host/repo", "main", ErrInvalidURL},
	}
	for _, tt := range tests {
		_, err := OpenMirror(context.Background(), tt.dir, tt.url, tt.branch, Auth{})
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: OpenMirror = %v, want %v", tt.name, err, tt.want)
		}
	}
	if entries, _ := os.ReadDir(notEmpty); len(entries) != 1 {
		t.Errorf("OpenMirror wrote into a directory in use: %v", entries)
	}
}

// TestMirrorConcurrentReads reads the mirror while it fetches; run it
// with -race.
func TestMirrorConcurrentReads(t *testing.T) {
	up := newTestRepo(t, false)
	head := up.commit("0", map[string]entry{"main.tf": file("0")})
	m := openTestMirror(t, up.dir, Auth{})
	mustFetch(t, m, head)

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for ctx.Err() == nil {
				h, err := m.Head()
				if err != nil {
					t.Errorf("Head: %v", err)
					return
				}
				fsys, err := m.Repo().TreeFS(h)
				if err != nil {
					t.Errorf("TreeFS: %v", err)
					return
				}
				if _, err := fs.ReadFile(fsys, "main.tf"); err != nil {
					t.Errorf("ReadFile: %v", err)
					return
				}
				if _, err := m.Repo().Resolve("HEAD~0"); err != nil {
					t.Errorf("Resolve: %v", err)
					return
				}
				if _, err := m.IsAncestor(ctx, h, h); err != nil && ctx.Err() == nil {
					t.Errorf("IsAncestor: %v", err)
					return
				}
			}
		})
	}
	for i := range 10 {
		head = up.commit("next", map[string]entry{"main.tf": file(strings.Repeat("x", i+1))}, head)
		mustFetch(t, m, head)
	}
	// Two fetches at once are serialized, not interleaved.
	var fetches sync.WaitGroup
	for range 2 {
		fetches.Go(func() {
			if got, err := m.Fetch(ctx); err != nil || got != head {
				t.Errorf("concurrent Fetch = %s, %v; want %s", got, err, head)
			}
		})
	}
	fetches.Wait()
	cancel()
	wg.Wait()
}

func TestIsAncestor(t *testing.T) {
	up := newTestRepo(t, false)
	root := up.commit("root", map[string]entry{"a": file("0")})
	left := up.commit("left", map[string]entry{"a": file("l")}, root)
	right := up.commit("right", map[string]entry{"a": file("r")}, root)
	merge := up.commit("merge", map[string]entry{"a": file("m")}, left, right)
	other := up.commit("other", map[string]entry{"b": file("x")})
	up.commit("main", map[string]entry{"a": file("m")}, merge, other)
	m := openTestMirror(t, up.dir, Auth{})
	if _, err := m.Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	missing := plumbing.NewHash(strings.Repeat("ab", 20))

	tests := []struct {
		ancestor, descendant plumbing.Hash
		want                 bool
	}{
		{root, merge, true},
		{right, merge, true},
		{left, right, false},
		{merge, root, false},
		{merge, merge, true},
		{other, merge, false},
		{missing, merge, false}, // not in the mirror: false, not an error
	}
	for _, tt := range tests {
		got, err := m.IsAncestor(context.Background(), tt.ancestor, tt.descendant)
		if err != nil || got != tt.want {
			t.Errorf("IsAncestor(%s, %s) = %v, %v; want %v", short(tt.ancestor), short(tt.descendant), got, err, tt.want)
		}
	}
	if _, err := m.IsAncestor(context.Background(), root, missing); !errors.Is(err, plumbing.ErrObjectNotFound) {
		t.Errorf("IsAncestor(root, missing) = %v, want ErrObjectNotFound", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.IsAncestor(ctx, root, merge); !errors.Is(err, context.Canceled) {
		t.Errorf("IsAncestor with a cancelled context = %v", err)
	}
}
