package tfrun

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestInitWithoutLockFileDoesNotWaitForCacheLock holds the shared plugin
// cache's lock, as a long init of another stack (or another process) does,
// and plans a stack without a lock file: its init must run meanwhile,
// against its private cache, and the plan finish once the lock is free.
func TestInitWithoutLockFileDoesNotWaitForCacheLock(t *testing.T) {
	h := newHarness(t)
	h.write(t, map[string]string{"web/main.tf": h.stack(`resource "dgtest_server" "web" { name = "web" }`)})
	unlock, err := lockDir(context.Background(), h.planner.Executor.PluginCacheDir)
	if err != nil {
		t.Fatal(err)
	}
	var log syncBuffer
	type result struct {
		res *PlanResult
		err error
	}
	done := make(chan result, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		res, err := h.planner.Plan(ctx, StackPlan{
			Source: os.DirFS(h.src), Layout: Layout{Dir: "web"}, Key: "test/web", Log: &log,
		})
		done <- result{res, err}
	}()
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(log.String(), "has been successfully initialized") {
		if time.Now().After(deadline) {
			unlock()
			<-done
			t.Fatalf("init did not run while the plugin cache was locked:\n%s", log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	unlock()
	r := <-done
	if r.err != nil {
		t.Fatalf("plan: %v\n%s", r.err, r.res.logOrEmpty())
	}
	// What the init installed is in the shared cache now, and the run's
	// providers do not depend on the work dir it was installed from.
	entry := filepath.Join(h.planner.Executor.PluginCacheDir, "registry.terraform.io", "driftgate", "dgtest", "0.1.0")
	if _, err := os.Stat(entry); err != nil {
		t.Errorf("provider not published to the shared cache: %v", err)
	}
	if res, err := h.plan(t, "web"); err != nil || res.Analysis.Summary.Add != 1 {
		t.Fatalf("second plan: %v\n%s", err, res.logOrEmpty())
	}
}

// TestInitWithLockFileWaitsForCacheLock: a stack that brings a lock file
// inits against the shared cache, which terraform may write to for what
// the lock file does not cover, so it waits while the cache is locked.
func TestInitWithLockFileWaitsForCacheLock(t *testing.T) {
	lock := providerLockFile(t)
	h := newHarness(t)
	h.write(t, map[string]string{
		"web/main.tf":         h.stack(`resource "dgtest_server" "web" { name = "web" }`),
		"web/" + lockFileName: lock,
	})
	unlock, err := lockDir(context.Background(), h.planner.Executor.PluginCacheDir)
	if err != nil {
		t.Fatal(err)
	}
	var log syncBuffer
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		res, err := h.planner.Plan(ctx, StackPlan{
			Source: os.DirFS(h.src), Layout: Layout{Dir: "web"}, Key: "test/web", Log: &log,
		})
		if err != nil {
			err = fmt.Errorf("%w\n%s", err, res.logOrEmpty())
		}
		done <- err
	}()
	time.Sleep(2 * time.Second)
	if strings.Contains(log.String(), "successfully initialized") {
		t.Errorf("a stack with a lock file initialized while the shared cache was locked:\n%s", log.String())
	}
	unlock()
	if err := <-done; err != nil {
		t.Fatalf("plan: %v", err)
	}
	entry := filepath.Join(h.planner.Executor.PluginCacheDir, "registry.terraform.io", "driftgate", "dgtest", "0.1.0")
	if _, err := os.Stat(entry); err != nil {
		t.Errorf("init did not install into the shared cache: %v", err)
	}
}

// TestParallelColdInitsNoFailures plans stacks, half of them with a lock
// file, all at once on a cold data dir (empty plugin cache), several
// times: none may fail. Inits sharing a plugin cache by hand fail this
// way ("there is no package ... cached in .terraform/providers").
func TestParallelColdInitsNoFailures(t *testing.T) {
	const stacks, rounds = 6, 2
	lock := providerLockFile(t)
	for round := 0; round < rounds; round++ {
		h := newHarness(t)
		for i := 0; i < stacks; i++ {
			dir := fmt.Sprintf("s%d", i)
			files := map[string]string{dir + "/main.tf": h.stack(`resource "dgtest_server" "s" { name = "` + dir + `" }`)}
			if i%2 == 0 {
				files[dir+"/"+lockFileName] = lock
			}
			h.write(t, files)
		}
		var wg sync.WaitGroup
		errs := make(chan string, stacks)
		for i := 0; i < stacks; i++ {
			dir := fmt.Sprintf("s%d", i)
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := h.plan(t, dir)
				switch {
				case err != nil:
					errs <- fmt.Sprintf("round %d, %s: %v\n%s", round, dir, err, res.logOrEmpty())
				case res.Analysis.Summary.Add != 1:
					errs <- fmt.Sprintf("round %d, %s: summary %+v", round, dir, res.Analysis.Summary)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Error(e)
		}
	}
}

// providerLockFile returns the lock file terraform init writes for a stack
// of the test provider.
func providerLockFile(t *testing.T) string {
	t.Helper()
	h := newHarness(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(h.stack("")), 0o600); err != nil {
		t.Fatal(err)
	}
	h.env.Terraform(t, dir, "init", "-input=false")
	lock, err := os.ReadFile(filepath.Join(dir, lockFileName))
	if err != nil {
		t.Fatal(err)
	}
	return string(lock)
}

func TestPublishProviders(t *testing.T) {
	base := t.TempDir()
	private, shared := filepath.Join(base, "private"), filepath.Join(base, "shared")
	write := func(p, s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	entry := func(root, name, ver string) string {
		return filepath.Join(root, "h", "ns", name, ver, "linux_amd64")
	}
	// new: only in the private cache; same: identical in both; differs:
	// other bytes in the shared cache; mirror: a link to a mirror.
	write(filepath.Join(entry(private, "new", "1"), "bin"), "new")
	write(filepath.Join(entry(private, "same", "1"), "bin"), "same")
	write(filepath.Join(entry(shared, "same", "1"), "bin"), "same")
	write(filepath.Join(entry(private, "differs", "1"), "bin"), "ours")
	write(filepath.Join(entry(shared, "differs", "1"), "bin"), "theirs")
	mirror := filepath.Join(base, "mirror", "pkg")
	write(filepath.Join(mirror, "bin"), "mirror")
	if err := os.MkdirAll(filepath.Dir(entry(private, "mirror", "1")), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(mirror, entry(private, "mirror", "1")); err != nil {
		t.Fatal(err)
	}

	if err := publishProviders(private, shared); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, want  string
		privateLink bool // the private entry now links to the shared one
	}{
		{"new", "new", true},
		{"same", "same", true},
		{"differs", "ours", false},
		{"mirror", "mirror", false},
	}
	for _, tt := range tests {
		p := entry(private, tt.name, "1")
		got, err := os.ReadFile(filepath.Join(p, "bin"))
		if err != nil || string(got) != tt.want {
			t.Errorf("%s: private reads %q, %v; want %q", tt.name, got, err, tt.want)
		}
		target, _ := os.Readlink(p)
		if gotLink := target == entry(shared, tt.name, "1"); gotLink != tt.privateLink {
			t.Errorf("%s: private links to shared = %v, want %v", tt.name, gotLink, tt.privateLink)
		}
	}
	if got, err := os.ReadFile(filepath.Join(entry(shared, "mirror", "1"), "bin")); err != nil || string(got) != "mirror" {
		t.Errorf("mirror link not published: %q, %v", got, err)
	}
	if got, _ := os.ReadFile(filepath.Join(entry(shared, "differs", "1"), "bin")); string(got) != "theirs" {
		t.Errorf("shared entry overwritten: %q", got)
	}
}
