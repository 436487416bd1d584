package runner

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/driftgate/driftgate/store"
)

// createRun stores a copy of r and returns it with its assigned fields.
func createRun(tb testing.TB, s *store.Store, r store.Run) store.Run {
	tb.Helper()
	if err := s.CreateRun(context.Background(), &r); err != nil {
		tb.Fatalf("CreateRun(%s/%s): %v", r.Repo, r.Stack, err)
	}
	return r
}

func TestEnqueueSupersedesOlderQueuedRuns(t *testing.T) {
	s := openStore(t)
	ctx := t.Context()
	enqueue := func(stack string, op store.Operation, commit string) (store.Run, []string) {
		t.Helper()
		r := store.Run{Repo: "infra", Stack: stack, Operation: op, Commit: commit, Trigger: "commit"}
		sup, err := enqueueRun(ctx, s, &r)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != store.StatusQueued || r.ID == "" {
			t.Fatalf("enqueued run = %+v", r)
		}
		return r, sup
	}
	a, _ := enqueue("net", "plan", "aaaaaaaaaaaaaaaa")
	other, _ := enqueue("dns", "plan", "aaaaaaaaaaaaaaaa")
	drift, _ := enqueue("net", "drift", "aaaaaaaaaaaaaaaa")
	claimed, _ := enqueue("net", "plan", "bbbbbbbbbbbbbbbb")
	// claimed supersedes a; claim it so it is running, not queued.
	if _, err := claimRun(ctx, s, claimed.ID); err != nil {
		t.Fatal(err)
	}
	c, sup := enqueue("net", "plan", "cccccccccccccccc")
	if len(sup) != 0 {
		t.Errorf("a running run was superseded: %v", sup)
	}
	d, sup := enqueue("net", "plan", "dddddddddddddddd")
	if !slices.Equal(sup, []string{c.ID}) {
		t.Errorf("superseded = %v, want [%s]", sup, c.ID)
	}

	got, err := s.GetRun(ctx, a.ID)
	if err != nil || got.Status != store.StatusSuperseded || got.Attrs[store.AttrSupersededBy] != claimed.ID || got.FinishedAt.IsZero() {
		t.Errorf("first run = %+v, %v", got, err)
	}
	for _, id := range []string{other.ID, drift.ID, d.ID} {
		if r, _ := s.GetRun(ctx, id); r.Status != store.StatusQueued {
			t.Errorf("run %s (%s/%s) = %s, want queued", id, r.Stack, r.Operation, r.Status)
		}
	}
	active, err := s.ActiveRuns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range active {
		ids = append(ids, r.ID)
	}
	if want := []string{other.ID, drift.ID, claimed.ID, d.ID}; !slices.Equal(ids, want) {
		t.Errorf("active = %v, want %v (oldest first)", ids, want)
	}
}

func TestClaimRunOnce(t *testing.T) {
	s := openStore(t)
	ctx := t.Context()
	r := store.Run{Repo: "infra", Stack: "net", Operation: "plan"}
	if _, err := enqueueRun(ctx, s, &r); err != nil {
		t.Fatal(err)
	}
	got, err := claimRun(ctx, s, r.ID)
	if err != nil || got.Status != store.StatusRunning || got.StartedAt.IsZero() {
		t.Fatalf("claim = %+v, %v", got, err)
	}
	if _, err := claimRun(ctx, s, r.ID); !errors.Is(err, store.ErrConflict) {
		t.Errorf("second claim err = %v, want store.ErrConflict", err)
	}
	if _, err := claimRun(ctx, s, "01M89WVQZCP27Y1P5KRF7261V2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("claim unknown err = %v, want store.ErrNotFound", err)
	}
}

func TestCancelQueued(t *testing.T) {
	s := openStore(t)
	ctx := t.Context()
	q := store.Run{Repo: "infra", Stack: "net", Operation: "plan"}
	running := store.Run{Repo: "infra", Stack: "dns", Operation: "plan"}
	for _, r := range []*store.Run{&q, &running} {
		if _, err := enqueueRun(ctx, s, r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := claimRun(ctx, s, running.ID); err != nil {
		t.Fatal(err)
	}
	got, err := cancelQueued(ctx, s, q.ID, "canceled by test")
	if err != nil || got.Status != store.StatusCanceled || got.Error != "canceled by test" {
		t.Errorf("cancel queued = %+v, %v", got, err)
	}
	got, err = cancelQueued(ctx, s, running.ID, "x")
	if !errors.Is(err, store.ErrConflict) || got == nil || got.Status != store.StatusRunning {
		t.Errorf("cancel running = %+v, %v; want the running run and store.ErrConflict", got, err)
	}
	if _, err := cancelQueued(ctx, s, q.ID, "again"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("cancel finished err = %v, want store.ErrConflict", err)
	}
}

func TestInterruptRunning(t *testing.T) {
	s := openStore(t)
	ctx := t.Context()
	var runs []store.Run
	for _, stack := range []string{"a", "b", "c"} {
		r := store.Run{Repo: "infra", Stack: stack, Operation: "plan"}
		if _, err := enqueueRun(ctx, s, &r); err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r)
	}
	for _, r := range runs[:2] {
		if _, err := claimRun(ctx, s, r.ID); err != nil {
			t.Fatal(err)
		}
	}
	got, err := interruptRunning(ctx, s, "driftgate stopped while the run was in progress")
	if err != nil || len(got) != 2 {
		t.Fatalf("interrupted = %+v, %v", got, err)
	}
	for _, r := range runs[:2] {
		if g, _ := s.GetRun(ctx, r.ID); g.Status != store.StatusInterrupted || g.FinishedAt.IsZero() {
			t.Errorf("run %s = %+v", r.ID, g)
		}
	}
	active, _ := s.ActiveRuns(ctx)
	if len(active) != 1 || active[0].ID != runs[2].ID || active[0].Status != store.StatusQueued {
		t.Errorf("active after interrupt = %+v", active)
	}
}

// TestPRRunsSupersedeOnlyTheirOwn: a pull request's runs supersede the
// queued runs of the same PR only, the tracked branch's only its own.
func TestPRRunsSupersedeOnlyTheirOwn(t *testing.T) {
	s := openStore(t)
	ctx := t.Context()
	enqueue := func(pr int, commit string) (store.Run, []string) {
		t.Helper()
		r := store.Run{Repo: "infra", Stack: "net", Operation: "plan", Commit: commit, PR: pr}
		sup, err := enqueueRun(ctx, s, &r)
		if err != nil {
			t.Fatal(err)
		}
		return r, sup
	}
	branch, _ := enqueue(0, "aaaaaaaaaaaa")
	pr7, sup := enqueue(7, "bbbbbbbbbbbb")
	if len(sup) != 0 {
		t.Errorf("a PR run superseded %v, want nothing (the branch's run stays)", sup)
	}
	pr8, _ := enqueue(8, "cccccccccccc")
	pr7b, sup := enqueue(7, "dddddddddddd")
	if !slices.Equal(sup, []string{pr7.ID}) {
		t.Errorf("PR 7's new push superseded %v, want [%s]", sup, pr7.ID)
	}
	_, sup = enqueue(0, "eeeeeeeeeeee")
	if !slices.Equal(sup, []string{branch.ID}) {
		t.Errorf("a branch run superseded %v, want only [%s]", sup, branch.ID)
	}
	for _, id := range []string{pr8.ID, pr7b.ID} {
		if r, _ := s.GetRun(ctx, id); r.Status != store.StatusQueued {
			t.Errorf("run %s is %s, want queued", id, r.Status)
		}
	}
	runs, _, err := s.ListRuns(ctx, store.RunFilter{PR: 7})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := runIDs(runs), []string{pr7b.ID, pr7.ID}; !slices.Equal(got, want) {
		t.Errorf("ListRuns(PR 7) = %v, want %v", got, want)
	}
}

// TestConflictsAreTyped checks that the store's refusals are a
// *store.ConflictError whose Reason is the whole user-facing text, so callers
// show it without cutting the error's string apart.
func TestConflictsAreTyped(t *testing.T) {
	s := openStore(t)
	ctx := t.Context()
	run := awaitingRun(t, s)
	if _, err := approveRun(ctx, s, run.ID, approval("alice"), 2); err != nil {
		t.Fatal(err)
	}
	queued := createRun(t, s, store.Run{Repo: "infra", Stack: "db", Operation: "plan"})
	if _, err := cancelQueued(ctx, s, queued.ID, "test"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		err  func() error
		want string
	}{
		{"approve twice", func() error {
			_, err := approveRun(ctx, s, run.ID, approval("alice"), 2)
			return err
		}, "run " + run.ID + " is already approved by alice"},
		{"reject a finished run", func() error {
			_, err := rejectRun(ctx, s, queued.ID, rejection("bob", ""))
			return err
		}, "run " + queued.ID + " is canceled (test), not awaiting approval or queued"},
		{"cancel twice", func() error {
			_, err := cancelQueued(ctx, s, queued.ID, "again")
			return err
		}, "run " + queued.ID + " is canceled"},
	}
	for _, tt := range tests {
		err := tt.err()
		var c *store.ConflictError
		if !errors.As(err, &c) || c.Reason != tt.want || !errors.Is(err, store.ErrConflict) {
			t.Errorf("%s: %v, want a *store.ConflictError with reason %q wrapping store.ErrConflict", tt.name, err, tt.want)
		}
	}
}
