package gitrepo

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/driftgate/driftgate/test/gittest"
)

// bareRemote makes a bare repository whose main holds files.
func bareRemote(t *testing.T, files map[string]string) string {
	t.Helper()
	up := gittest.New(t, files)
	bare := filepath.Join(t.TempDir(), "remote.git")
	if _, err := git.PlainClone(bare, true, &git.CloneOptions{URL: up.Dir}); err != nil {
		t.Fatal(err)
	}
	return bare
}

// remoteFile reads path at the head of branch of the bare repo.
func remoteFile(t *testing.T, bare, branch, path string) (string, *object.Commit) {
	t.Helper()
	repo, err := git.PlainOpen(bare)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := repo.Reference(plumbing.NewBranchReferenceName(branch), true)
	if err != nil {
		t.Fatal(err)
	}
	c, err := repo.CommitObject(ref.Hash())
	if err != nil {
		t.Fatal(err)
	}
	f, err := c.File(path)
	if err != nil {
		t.Fatal(err)
	}
	body, err := f.Contents()
	if err != nil {
		t.Fatal(err)
	}
	return body, c
}

// replaceEdit rewrites one line of file; a fake of the variable editor
// that only answers with the new content.
func replaceEdit(file, from, to string) EditFunc {
	return func(_ context.Context, dir string) (string, error) {
		p := filepath.Join(dir, file)
		src, err := os.ReadFile(p)
		if err != nil {
			return "", err
		}
		out := strings.Replace(string(src), from, to, 1)
		if out == string(src) {
			return "", nil
		}
		return "set " + to, os.WriteFile(p, []byte(out), 0o644)
	}
}

func TestPushConcurrentBothLand(t *testing.T) {
	for _, round := range []string{"first", "second"} {
		t.Run(round, func(t *testing.T) {
			bare := bareRemote(t, map[string]string{"app.tfvars": "x = 1\ny = 1\n"})
			// Both jobs clone before either pushes: one of them must lose
			// the race and re-apply its edit on the other's commit.
			var cloned sync.WaitGroup
			cloned.Add(2)
			barrier := func(e EditFunc) EditFunc {
				var once sync.Once
				return func(ctx context.Context, dir string) (string, error) {
					once.Do(func() { cloned.Done(); cloned.Wait() })
					return e(ctx, dir)
				}
			}
			edits := []EditFunc{barrier(replaceEdit("app.tfvars", "x = 1", "x = 2")), barrier(replaceEdit("app.tfvars", "y = 1", "y = 2"))}
			results := make([]*PushResult, 2)
			errs := make([]error, 2)
			var wg sync.WaitGroup
			for i := range edits {
				wg.Add(1)
				go func() {
					defer wg.Done()
					results[i], errs[i] = Push(context.Background(), PushOptions{
						URL: bare, Branch: "main", AuthorName: "ci", AuthorEmail: "ci@example.com",
					}, edits[i])
				}()
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("push %d: %v", i, err)
				}
			}
			body, head := remoteFile(t, bare, "main", "app.tfvars")
			if body != "x = 2\ny = 2\n" {
				t.Errorf("remote has %q, want both edits", body)
			}
			if head.Author.Name != "ci" || head.Author.Email != "ci@example.com" {
				t.Errorf("author = %v", head.Author)
			}
			if results[0].Attempts+results[1].Attempts != 3 {
				t.Errorf("attempts = %d and %d, want one retry", results[0].Attempts, results[1].Attempts)
			}
		})
	}
}

func TestPushAttemptsBounded(t *testing.T) {
	bare := bareRemote(t, map[string]string{"app.tfvars": "x = 1\ny = 1\n"})
	var cloned sync.WaitGroup
	cloned.Add(2)
	barrier := func(e EditFunc) EditFunc {
		return func(ctx context.Context, dir string) (string, error) {
			cloned.Done()
			cloned.Wait()
			return e(ctx, dir)
		}
	}
	edits := []EditFunc{barrier(replaceEdit("app.tfvars", "x = 1", "x = 2")), barrier(replaceEdit("app.tfvars", "y = 1", "y = 2"))}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range edits {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = Push(context.Background(), PushOptions{URL: bare, Attempts: 1}, edits[i])
		}()
	}
	wg.Wait()
	// With one attempt each, exactly one loses the race and says so.
	raced := 0
	for _, err := range errs {
		if errors.Is(err, ErrPushRaced) {
			raced++
		} else if err != nil {
			t.Errorf("push: %v", err)
		}
	}
	if raced != 1 {
		t.Errorf("errors %v: want exactly one ErrPushRaced", errs)
	}
}

func TestPushNoChangeNoCommit(t *testing.T) {
	bare := bareRemote(t, map[string]string{"app.tfvars": "x = 2\n"})
	_, before := remoteFile(t, bare, "main", "app.tfvars")
	res, err := Push(context.Background(), PushOptions{URL: bare}, replaceEdit("app.tfvars", "x = 1", "x = 2"))
	if err != nil {
		t.Fatal(err)
	}
	_, after := remoteFile(t, bare, "main", "app.tfvars")
	if res.Changed || after.Hash != before.Hash {
		t.Errorf("changed %v, head %s -> %s: want no commit", res.Changed, before.Hash, after.Hash)
	}
}

func TestPushNewBranch(t *testing.T) {
	bare := bareRemote(t, map[string]string{"app.tfvars": "x = 1\n"})
	opts := PushOptions{URL: bare, Branch: "main", PushBranch: "driftgate/set-x-abc123", AuthorName: "ci", AuthorEmail: "ci@example.com"}
	res, err := Push(context.Background(), opts, replaceEdit("app.tfvars", "x = 1", "x = 2"))
	if err != nil {
		t.Fatal(err)
	}
	if body, _ := remoteFile(t, bare, "driftgate/set-x-abc123", "app.tfvars"); body != "x = 2\n" {
		t.Errorf("new branch has %q", body)
	}
	if body, _ := remoteFile(t, bare, "main", "app.tfvars"); body != "x = 1\n" {
		t.Errorf("main changed to %q", body)
	}
	if res.Branch != opts.PushBranch || res.Attempts != 1 {
		t.Errorf("result %+v", res)
	}
	// Pushing the same new branch again is an error, not a race.
	if _, err := Push(context.Background(), opts, replaceEdit("app.tfvars", "x = 1", "x = 3")); !errors.Is(err, ErrBranchExists) || errors.Is(err, ErrPushRaced) {
		t.Errorf("second push to the new branch: %v", err)
	}
}

func TestPushErrorHidesSecrets(t *testing.T) {
	_, err := Push(context.Background(), PushOptions{URL: "https://bob:url-secret-1@127.0.0.1:1/acme/infra.git", Auth: Auth{Token: "tok-secret-2"}},
		replaceEdit("a", "b", "c"))
	if err == nil {
		t.Fatal("push to a closed port succeeded")
	}
	for _, s := range []string{"url-secret-1", "tok-secret-2"} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error shows a secret: %v", err)
		}
	}
}
