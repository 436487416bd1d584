package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
)

func TestUpdateRunRefusalWritesNothing(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, Options{})
	r := createRun(t, s, Run{Repo: "infra", Stack: "net", Status: StatusQueued, Attrs: map[AttrKey]string{AttrSupersededBy: "x"}})

	refuse := errors.New("no")
	got, err := s.UpdateRun(ctx, r.ID, func(run *Run) error {
		run.Status = StatusRunning
		run.Attrs[AttrSupersededBy] = "changed"
		return fmt.Errorf("refused: %w: %w", ErrConflict, refuse)
	})
	if !errors.Is(err, ErrConflict) || !errors.Is(err, refuse) {
		t.Fatalf("UpdateRun error = %v, want the refusal wrapped", err)
	}
	if got.Status != StatusQueued || got.Attrs[AttrSupersededBy] != "x" {
		t.Errorf("refused UpdateRun returned %s %v, want the run as found", got.Status, got.Attrs)
	}
	stored, err := s.GetRun(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Status != StatusQueued || stored.Attrs[AttrSupersededBy] != "x" {
		t.Errorf("stored run changed by a refused update: %s %v", stored.Status, stored.Attrs)
	}

	got, err = s.UpdateRun(ctx, r.ID, func(run *Run) error { run.Status = StatusRunning; return nil })
	if err != nil || got.Status != StatusRunning {
		t.Fatalf("UpdateRun = %v, %v", got, err)
	}
	active, err := s.ActiveRuns(ctx)
	if err != nil || len(active) != 1 || active[0].Status != StatusRunning {
		t.Errorf("ActiveRuns after update = %v, %v; want the run, running", active, err)
	}
}

func TestUpdateRunRefusesBadChanges(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, Options{})
	r := createRun(t, s, Run{Repo: "infra", Stack: "net", Status: StatusQueued})
	for name, change := range map[string]func(*Run) error{
		"other stack":    func(run *Run) error { run.Stack = "dns"; return nil },
		"unknown status": func(run *Run) error { run.Status = "sleeping"; return nil },
		"renamed":        func(run *Run) error { run.ID = "01ARZ3NDEKTSV4RRFFQ69G5FAV"; return nil },
	} {
		if _, err := s.UpdateRun(ctx, r.ID, change); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: UpdateRun error = %v, want ErrInvalid", name, err)
		}
	}
	if _, err := s.UpdateRun(ctx, "01ARZ3NDEKTSV4RRFFQ69G5FAV", func(*Run) error { return nil }); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown id: error = %v, want ErrNotFound", err)
	}
}

func TestUpdateStackRunsOneTransaction(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, Options{})
	a := createRun(t, s, Run{Repo: "infra", Stack: "net", Status: StatusQueued})
	b := createRun(t, s, Run{Repo: "infra", Stack: "net", Status: StatusAwaitingApproval})
	c := createRun(t, s, Run{Repo: "infra", Stack: "net", Status: StatusQueued})
	createRun(t, s, Run{Repo: "infra", Stack: "dns", Status: StatusQueued})
	createRun(t, s, Run{Repo: "infra", Stack: "net", Status: StatusPlanned})

	// A refusal on the last run leaves the first ones unwritten too.
	_, err := s.UpdateStackRuns(ctx, "infra", "net", []RunStatus{StatusQueued, StatusAwaitingApproval}, func(run *Run) (bool, error) {
		if run.ID == c.ID {
			return false, conflict("stop")
		}
		run.Status = StatusCanceled
		return true, nil
	})
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("error = %v, want ErrConflict", err)
	}
	if got, _ := s.GetRun(ctx, a.ID); got.Status != StatusQueued {
		t.Errorf("run a is %s after a refused transaction", got.Status)
	}

	var seen []string
	changed, err := s.UpdateStackRuns(ctx, "infra", "net", []RunStatus{StatusQueued, StatusAwaitingApproval}, func(run *Run) (bool, error) {
		seen = append(seen, run.ID)
		if run.ID == b.ID {
			return false, nil
		}
		run.Status = StatusCanceled
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{a.ID, b.ID, c.ID}; !slices.Equal(seen, want) {
		t.Errorf("visited %v, want %v (oldest first, this stack, these statuses)", seen, want)
	}
	if want := []string{a.ID, c.ID}; !slices.Equal(runIDs(changed), want) {
		t.Errorf("changed %v, want %v", runIDs(changed), want)
	}
	active, _ := s.ActiveRuns(ctx)
	if len(active) != 2 || active[0].ID != b.ID || active[1].Stack != "dns" {
		t.Errorf("active runs = %v, want run b and dns's", runIDs(active))
	}
}

func TestEnqueueChangesOlderQueuedRuns(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, Options{})
	old := createRun(t, s, Run{Repo: "infra", Stack: "net", Status: StatusQueued})
	running := createRun(t, s, Run{Repo: "infra", Stack: "net", Status: StatusRunning})
	r := Run{Repo: "infra", Stack: "net"}
	changed, err := s.Enqueue(ctx, &r, func(run *Run) (bool, error) {
		if run.ID == r.ID || run.ID == running.ID {
			t.Errorf("change saw run %s; want only older queued runs", run.ID)
		}
		run.Status = StatusSuperseded
		run.Attrs = map[AttrKey]string{AttrSupersededBy: r.ID}
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.ID == "" || r.Status != StatusQueued {
		t.Fatalf("enqueued run = %+v", r)
	}
	if len(changed) != 1 || changed[0].ID != old.ID || changed[0].Attrs[AttrSupersededBy] != r.ID {
		t.Errorf("changed = %+v, want the old queued run, superseded by %s", changed, r.ID)
	}
}

func TestUpdateActiveRuns(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, Options{})
	q := createRun(t, s, Run{Repo: "infra", Stack: "net", Status: StatusQueued})
	run := createRun(t, s, Run{Repo: "infra", Stack: "dns", Status: StatusRunning})
	createRun(t, s, Run{Repo: "infra", Stack: "dns", Status: StatusErrored})
	var seen []string
	changed, err := s.UpdateActiveRuns(ctx, func(r *Run) (bool, error) {
		seen = append(seen, r.ID)
		if r.Status != StatusRunning {
			return false, nil
		}
		r.Status = StatusInterrupted
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{q.ID, run.ID}; !slices.Equal(seen, want) {
		t.Errorf("visited %v, want %v", seen, want)
	}
	if len(changed) != 1 || changed[0].ID != run.ID || changed[0].Status != StatusInterrupted {
		t.Errorf("changed = %+v", changed)
	}
}

func TestEnqueueRefusedLeavesRunAndAuditAlone(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, Options{})
	createRun(t, s, Run{Repo: "infra", Stack: "net", Status: StatusQueued})
	e := &AuditEntry{Actor: "alice", Action: AuditPlan, Result: AuditOK}
	r := Run{Repo: "infra", Stack: "net", Commit: "abc"}
	_, err := s.Enqueue(WithAuditOf(ctx, e), &r, func(*Run) (bool, error) { return false, conflict("no") })
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("error = %v, want ErrConflict", err)
	}
	if r.ID != "" || r.Status != "" {
		t.Errorf("refused Enqueue changed r to %s %s", r.ID, r.Status)
	}
	if e.RunID != "" {
		t.Errorf("refused Enqueue left the audit entry naming run %s", e.RunID)
	}

	given := Run{ID: "01ARZ3NDEKTSV4RRFFQ69G5FAV", Repo: "infra", Stack: "dns"}
	if _, err := s.Enqueue(ctx, &given, func(*Run) (bool, error) { return false, nil }); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetRun(ctx, "01ARZ3NDEKTSV4RRFFQ69G5FAV"); err != nil || got.Status != StatusQueued {
		t.Errorf("Enqueue with a given id: %v, %v", got, err)
	}
}
