package runner

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/driftgate/driftgate/runner/gitrepo"
	"github.com/driftgate/driftgate/store"
	"github.com/driftgate/driftgate/test/gittest"
)

type watchHarness struct {
	w      *repoWatcher
	st     *store.Store
	queued []store.Run
}

func newWatchHarness(t *testing.T, url string) *watchHarness {
	t.Helper()
	h := &watchHarness{st: openStore(t)}
	h.w = newRepoWatcher(RepoConfig{Name: "infra", URL: url, Branch: "main", PollInterval: time.Second},
		t.TempDir(), h.st, func(_ context.Context, r *store.Run) error {
			h.queued = append(h.queued, *r)
			return nil
		}, slog.New(slog.DiscardHandler))
	return h
}

// poll runs one poll and returns the runs it queued.
func (h *watchHarness) poll(t *testing.T) ([]store.Run, error) {
	t.Helper()
	h.queued = nil
	err := h.w.poll(context.Background())
	return h.queued, err
}

func stacksOf(runs []store.Run) []string {
	var out []string
	for _, r := range runs {
		out = append(out, r.Stack)
	}
	slices.Sort(out)
	return out
}

var twoStacks = map[string]string{
	"a/main.tf":   `module "m" { source = "../mod" }`,
	"b/main.tf":   `module "m" { source = "../mod" }`,
	"mod/main.tf": `terraform {}`,
}

func TestWatcherDecidesWhatToPlan(t *testing.T) {
	up := gittest.New(t, twoStacks)
	h := newWatchHarness(t, up.Dir)

	runs, err := h.poll(t)
	if err != nil {
		t.Fatal(err)
	}
	if got := stacksOf(runs); !slices.Equal(got, []string{"a", "b"}) || runs[0].Trigger != TriggerInitial {
		t.Fatalf("initial runs = %+v", runs)
	}
	if runs, _ := h.poll(t); len(runs) != 0 {
		t.Errorf("unchanged head queued %d runs", len(runs))
	}

	tests := []struct {
		name    string
		change  func() string
		trigger string
		stacks  []string
	}{
		{"one stack", func() string { return up.Commit("c", map[string]string{"a/x.tf": "# x"}) }, TriggerCommit, []string{"a"}},
		{"module", func() string { return up.Commit("c", map[string]string{"mod/x.tf": "# x"}) }, TriggerCommit, []string{"a", "b"}},
		{"docs only", func() string { return up.Commit("c", map[string]string{"README.md": "# hi"}) }, TriggerCommit, nil},
		{"force-push", up.Rewrite, TriggerForcePush, []string{"a", "b"}},
		{"new stack", func() string { return up.Commit("c", map[string]string{"c/main.tf": "terraform {}"}) }, TriggerCommit, []string{"c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prev, err := h.st.GetRepo(context.Background(), "infra")
			if err != nil {
				t.Fatal(err)
			}
			head := tt.change()
			runs, err := h.poll(t)
			if err != nil {
				t.Fatal(err)
			}
			if got := stacksOf(runs); !slices.Equal(got, tt.stacks) {
				t.Errorf("stacks = %q, want %q", got, tt.stacks)
			}
			for _, r := range runs {
				if r.Trigger != tt.trigger || r.Commit != head || r.Attrs[store.AttrPreviousCommit] != prev.LastCommit || r.Attrs[store.AttrReasons] == "" {
					t.Errorf("run = %+v", r)
				}
			}
			rec, _ := h.st.GetRepo(context.Background(), "infra")
			if rec.LastCommit != head || rec.Status != string(RepoOK) {
				t.Errorf("repo = %+v", rec)
			}
		})
	}
	stacks, _ := h.st.ListStacks(context.Background(), "infra")
	if len(stacks) != 3 {
		t.Errorf("stacks recorded = %+v", stacks)
	}
	up.Commit("c", map[string]string{"c/main.tf": ""})
	if _, err := h.poll(t); err != nil {
		t.Fatal(err)
	}
	if stacks, _ := h.st.ListStacks(context.Background(), "infra"); len(stacks) != 2 {
		t.Errorf("removed stack still recorded: %+v", stacks)
	}
}

// brokenRepoConfig is a .driftgate.hcl with two errors, and
// brokenRepoConfigDiagnostics what a repo's LastError must show of them.
const brokenRepoConfig = `stack "a" {
  dir  = "a"
  aply = "auto"
}

stack "b" {
  dir        = "b"
  depends_on = ["nope"]
}
`

var brokenRepoConfigDiagnostics = []string{
	".driftgate.hcl:3:3: error: Unsupported argument\n    3 |   aply = \"auto\"\n      |   ^^^^\n",
	`Did you mean "apply"?`,
	".driftgate.hcl:8:17: error: Unknown stack\n    8 |   depends_on = [\"nope\"]\n",
	"Declare it or fix the name.",
}

func TestWatcherBrokenRepoConfigPlansNothing(t *testing.T) {
	up := gittest.New(t, twoStacks)
	h := newWatchHarness(t, up.Dir)
	if _, err := h.poll(t); err != nil {
		t.Fatal(err)
	}
	good, _ := h.st.GetRepo(context.Background(), "infra")
	up.Commit("c", map[string]string{".driftgate.hcl": brokenRepoConfig})
	runs, err := h.poll(t)
	if err == nil || !strings.Contains(err.Error(), ".driftgate.hcl") || len(runs) != 0 {
		t.Fatalf("poll = %d runs, %v", len(runs), err)
	}
	h.w.recordError(context.Background(), err)
	rec, _ := h.st.GetRepo(context.Background(), "infra")
	if rec.Status != string(RepoError) || rec.LastCommit != good.LastCommit {
		t.Errorf("repo = %+v", rec)
	}
	// Every diagnostic, located, with its source line and its fix.
	for _, want := range brokenRepoConfigDiagnostics {
		if !strings.Contains(rec.LastError, want) {
			t.Errorf("last error lacks %q:\n%s", want, rec.LastError)
		}
	}
	// Fixing it plans the stacks changed since the last good commit.
	up.Commit("c", map[string]string{".driftgate.hcl": `stack "a" {
  dir = "a"
}
`})
	runs, err = h.poll(t)
	if err != nil || !slices.Equal(stacksOf(runs), []string{"a"}) {
		t.Errorf("after the fix: %+v, %v", runs, err)
	}
}

func TestWatcherBranchDeleted(t *testing.T) {
	up := gittest.New(t, twoStacks)
	h := newWatchHarness(t, up.Dir)
	if _, err := h.poll(t); err != nil {
		t.Fatal(err)
	}
	// Move the work to another branch and delete main.
	head, _ := up.Git.Head()
	if err := up.Git.Storer.SetReference(plumbing.NewHashReference("refs/heads/other", head.Hash())); err != nil {
		t.Fatal(err)
	}
	if err := up.Git.Storer.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, "refs/heads/other")); err != nil {
		t.Fatal(err)
	}
	if err := up.Git.Storer.RemoveReference("refs/heads/main"); err != nil {
		t.Fatal(err)
	}
	_, err := h.poll(t)
	if !errors.Is(err, gitrepo.ErrBranchNotFound) {
		t.Fatalf("err = %v, want ErrBranchNotFound", err)
	}
	h.w.recordError(context.Background(), err)
	rec, _ := h.st.GetRepo(context.Background(), "infra")
	if rec.Status != string(RepoError) || !strings.Contains(rec.LastError, "main") {
		t.Errorf("repo = %+v", rec)
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		failures int
		min, max time.Duration
	}{
		{1, 54 * time.Second, 66 * time.Second},
		{2, 108 * time.Second, 132 * time.Second},
		{4, 432 * time.Second, 528 * time.Second},
		{10, 9 * time.Minute, 11 * time.Minute},
	}
	for _, tt := range tests {
		if got := backoff(time.Minute, tt.failures); got < tt.min || got > tt.max {
			t.Errorf("backoff(1m, %d) = %s, want within [%s, %s]", tt.failures, got, tt.min, tt.max)
		}
	}
}
