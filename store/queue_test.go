package store

import (
	"errors"
	"slices"
	"testing"
)

func TestEnqueueSupersedesOlderQueuedRuns(t *testing.T) {
	s := openTestStore(t, Options{})
	ctx := t.Context()
	enqueue := func(stack string, op Operation, commit string) (Run, []string) {
		t.Helper()
		r := Run{Repo: "infra", Stack: stack, Operation: op, Commit: commit, Trigger: "commit"}
		sup, err := s.EnqueueRun(ctx, &r)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != StatusQueued || r.ID == "" {
			t.Fatalf("enqueued run = %+v", r)
		}
		return r, sup
	}
	a, _ := enqueue("net", "plan", "aaaaaaaaaaaaaaaa")
	other, _ := enqueue("dns", "plan", "aaaaaaaaaaaaaaaa")
	drift, _ := enqueue("net", "drift", "aaaaaaaaaaaaaaaa")
	claimed, _ := enqueue("net", "plan", "bbbbbbbbbbbbbbbb")
	// claimed supersedes a; claim it so it is running, not queued.
	if _, err := s.ClaimRun(ctx, claimed.ID); err != nil {
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
	if err != nil || got.Status != StatusSuperseded || got.Attrs[AttrSupersededBy] != claimed.ID || got.FinishedAt.IsZero() {
		t.Errorf("first run = %+v, %v", got, err)
	}
	for _, id := range []string{other.ID, drift.ID, d.ID} {
		if r, _ := s.GetRun(ctx, id); r.Status != StatusQueued {
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
	s := openTestStore(t, Options{})
	ctx := t.Context()
	r := Run{Repo: "infra", Stack: "net", Operation: "plan"}
	if _, err := s.EnqueueRun(ctx, &r); err != nil {
		t.Fatal(err)
	}
	got, err := s.ClaimRun(ctx, r.ID)
	if err != nil || got.Status != StatusRunning || got.StartedAt.IsZero() {
		t.Fatalf("claim = %+v, %v", got, err)
	}
	if _, err := s.ClaimRun(ctx, r.ID); !errors.Is(err, ErrConflict) {
		t.Errorf("second claim err = %v, want ErrConflict", err)
	}
	if _, err := s.ClaimRun(ctx, "01M89WVQZCP27Y1P5KRF7261V2"); !errors.Is(err, ErrNotFound) {
		t.Errorf("claim unknown err = %v, want ErrNotFound", err)
	}
}

func TestCancelQueued(t *testing.T) {
	s := openTestStore(t, Options{})
	ctx := t.Context()
	q := Run{Repo: "infra", Stack: "net", Operation: "plan"}
	running := Run{Repo: "infra", Stack: "dns", Operation: "plan"}
	for _, r := range []*Run{&q, &running} {
		if _, err := s.EnqueueRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.ClaimRun(ctx, running.ID); err != nil {
		t.Fatal(err)
	}
	got, err := s.CancelQueued(ctx, q.ID, "canceled by test")
	if err != nil || got.Status != StatusCanceled || got.Error != "canceled by test" {
		t.Errorf("cancel queued = %+v, %v", got, err)
	}
	got, err = s.CancelQueued(ctx, running.ID, "x")
	if !errors.Is(err, ErrConflict) || got == nil || got.Status != StatusRunning {
		t.Errorf("cancel running = %+v, %v; want the running run and ErrConflict", got, err)
	}
	if _, err := s.CancelQueued(ctx, q.ID, "again"); !errors.Is(err, ErrConflict) {
		t.Errorf("cancel finished err = %v, want ErrConflict", err)
	}
}

func TestInterruptRunning(t *testing.T) {
	s := openTestStore(t, Options{})
	ctx := t.Context()
	var runs []Run
	for _, stack := range []string{"a", "b", "c"} {
		r := Run{Repo: "infra", Stack: stack, Operation: "plan"}
		if _, err := s.EnqueueRun(ctx, &r); err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r)
	}
	for _, r := range runs[:2] {
		if _, err := s.ClaimRun(ctx, r.ID); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.InterruptRunning(ctx, "driftgate stopped while the run was in progress")
	if err != nil || len(got) != 2 {
		t.Fatalf("interrupted = %+v, %v", got, err)
	}
	for _, r := range runs[:2] {
		if g, _ := s.GetRun(ctx, r.ID); g.Status != StatusInterrupted || g.FinishedAt.IsZero() {
			t.Errorf("run %s = %+v", r.ID, g)
		}
	}
	active, _ := s.ActiveRuns(ctx)
	if len(active) != 1 || active[0].ID != runs[2].ID || active[0].Status != StatusQueued {
		t.Errorf("active after interrupt = %+v", active)
	}
}
