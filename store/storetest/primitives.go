package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/driftgate/driftgate/store"
)

// errNo is a caller's refusal.
var errNo = errors.New("no")

func testUpdateRun(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t, Options{})
	r := createRun(t, s, store.Run{Repo: "infra", Stack: "net",
		Attrs: map[store.AttrKey]string{store.AttrReasons: "x"}, Summary: &store.PlanSummary{Add: 1}})

	// A refusal writes nothing and returns the run as found, even though
	// change edited it (maps and pointers included) before refusing.
	got, err := s.UpdateRun(ctx, r.ID, func(run *store.Run) error {
		run.Status = store.StatusRunning
		run.Attrs[store.AttrReasons] = "changed"
		run.Summary.Add = 9
		return fmt.Errorf("refused: %w: %w", store.ErrConflict, errNo)
	})
	wantErr(t, "refused UpdateRun", err, store.ErrConflict, errNo)
	if got == nil || !same(*got, r) {
		t.Errorf("refused UpdateRun returned %+v, want the run as found %+v", got, r)
	}
	if stored := getRun(t, s, r.ID); !same(*stored, r) {
		t.Errorf("refused UpdateRun wrote %+v", stored)
	}

	got, err = s.UpdateRun(ctx, r.ID, func(run *store.Run) error {
		run.Status = store.StatusRunning
		run.StartedAt = at(5)
		return nil
	})
	mustNot(t, "UpdateRun", err)
	if got.Status != store.StatusRunning || !sameTime(got.StartedAt, at(5)) {
		t.Errorf("UpdateRun returned %+v, want it running", got)
	}
	if stored := getRun(t, s, r.ID); !same(*stored, *got) {
		t.Errorf("stored %+v, want what UpdateRun returned %+v", stored, got)
	}
	if active, err := s.ActiveRuns(ctx); err != nil || len(active) != 1 || active[0].Status != store.StatusRunning {
		t.Errorf("ActiveRuns = %v, %v; want the run, running", active, err)
	}
	got, err = s.UpdateRun(ctx, r.ID, func(run *store.Run) error { run.Status = store.StatusPlanned; return nil })
	mustNot(t, "UpdateRun to planned", err)
	if active, err := s.ActiveRuns(ctx); err != nil || len(active) != 0 {
		t.Errorf("ActiveRuns after the run finished = %v, %v; want none", runIDs(active), err)
	}
	if listed, _, err := s.ListRuns(ctx, store.RunFilter{Status: store.StatusPlanned}); err != nil || !slices.Equal(runIDs(listed), []string{r.ID}) {
		t.Errorf("ListRuns(planned) = %v, %v; want the updated run", runIDs(listed), err)
	}

	// Changes the store refuses, whatever the caller's rule says.
	for name, change := range map[string]func(*store.Run) error{
		"other stack":    func(run *store.Run) error { run.Stack = "dns"; return nil },
		"other repo":     func(run *store.Run) error { run.Repo = "app"; return nil },
		"unknown status": func(run *store.Run) error { run.Status = "sleeping"; return nil },
		"renamed":        func(run *store.Run) error { run.ID = unknownID; return nil },
	} {
		found, err := s.UpdateRun(ctx, r.ID, change)
		wantErr(t, "UpdateRun "+name, err, store.ErrInvalid)
		if found == nil || !same(*found, *got) {
			t.Errorf("UpdateRun %s returned %+v, want the run as found", name, found)
		}
		if stored := getRun(t, s, r.ID); !same(*stored, *got) {
			t.Errorf("UpdateRun %s wrote %+v", name, stored)
		}
	}
	_, err = s.UpdateRun(ctx, unknownID, func(*store.Run) error { return nil })
	wantErr(t, "UpdateRun unknown id", err, store.ErrNotFound)
	_, err = s.UpdateRun(ctx, badID, func(*store.Run) error { return nil })
	wantErr(t, "UpdateRun malformed id", err, store.ErrInvalid)
}

// cancel is a RunChange that cancels every run it sees.
func cancel(run *store.Run) (bool, error) {
	run.Status = store.StatusCanceled
	run.FinishedAt = at(9)
	return true, nil
}

func testUpdateStackRuns(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t, Options{})
	a := createRun(t, s, store.Run{Repo: "infra", Stack: "net", Status: store.StatusQueued})
	b := createRun(t, s, store.Run{Repo: "infra", Stack: "net", Status: store.StatusAwaitingApproval})
	c := createRun(t, s, store.Run{Repo: "infra", Stack: "net", Status: store.StatusQueued})
	dns := createRun(t, s, store.Run{Repo: "infra", Stack: "dns", Status: store.StatusQueued})
	app := createRun(t, s, store.Run{Repo: "app", Stack: "net", Status: store.StatusQueued})
	createRun(t, s, store.Run{Repo: "infra", Stack: "net", Status: store.StatusPlanned})
	live := []store.RunStatus{store.StatusQueued, store.StatusAwaitingApproval}

	// A refusal on the last run leaves the first ones unwritten too.
	_, err := s.UpdateStackRuns(ctx, "infra", "net", live, func(run *store.Run) (bool, error) {
		if run.ID == c.ID {
			return false, fmt.Errorf("%w: %w", store.ErrConflict, errNo)
		}
		return cancel(run)
	})
	wantErr(t, "refused UpdateStackRuns", err, store.ErrConflict, errNo)
	for _, id := range []string{a.ID, b.ID, c.ID} {
		if got := getRun(t, s, id); got.Status == store.StatusCanceled {
			t.Errorf("run %s canceled by a refused transaction", id)
		}
	}

	// Oldest first, only this stack and these statuses; only what change
	// changed is written and returned.
	var seen []string
	changed, err := s.UpdateStackRuns(ctx, "infra", "net", live, func(run *store.Run) (bool, error) {
		seen = append(seen, run.ID)
		if run.ID == b.ID {
			run.Status = store.StatusErrored // edited, but reported unchanged: not written
			return false, nil
		}
		return cancel(run)
	})
	mustNot(t, "UpdateStackRuns", err)
	if want := []string{a.ID, b.ID, c.ID}; !slices.Equal(seen, want) {
		t.Errorf("visited %v, want %v", seen, want)
	}
	if want := []string{a.ID, c.ID}; !slices.Equal(runIDs(changed), want) {
		t.Errorf("changed %v, want %v", runIDs(changed), want)
	}
	for _, r := range changed {
		if r.Status != store.StatusCanceled {
			t.Errorf("returned run %s is %s, want canceled", r.ID, r.Status)
		}
	}
	if got := getRun(t, s, b.ID); got.Status != store.StatusAwaitingApproval {
		t.Errorf("run b is %s; a change reported unchanged must not be written", got.Status)
	}
	active, err := s.ActiveRuns(ctx)
	mustNot(t, "ActiveRuns", err)
	if want := []string{b.ID, dns.ID, app.ID}; !slices.Equal(runIDs(active), want) {
		t.Errorf("ActiveRuns = %v, want %v", runIDs(active), want)
	}

	// The status filter: only queued runs now, and there are none left.
	changed, err = s.UpdateStackRuns(ctx, "infra", "net", []store.RunStatus{store.StatusQueued}, cancel)
	if err != nil || len(changed) != 0 {
		t.Errorf("UpdateStackRuns(queued) = %v, %v; want none", runIDs(changed), err)
	}
	changed, err = s.UpdateStackRuns(ctx, "infra", "nope", live, cancel)
	if err != nil || len(changed) != 0 {
		t.Errorf("UpdateStackRuns of a stack without runs = %v, %v; want none", runIDs(changed), err)
	}
	// A local stack is found with an empty repo or LocalRepo.
	local := createRun(t, s, store.Run{Stack: "net"})
	changed, err = s.UpdateStackRuns(ctx, store.LocalRepo, "net", live, cancel)
	if err != nil || !slices.Equal(runIDs(changed), []string{local.ID}) {
		t.Errorf("UpdateStackRuns(LocalRepo) = %v, %v; want the local run", runIDs(changed), err)
	}

	// Changes moving a run to another stack or an unknown status are
	// refused, and nothing is written.
	for name, change := range map[string]store.RunChange{
		"other stack":    func(run *store.Run) (bool, error) { run.Stack = "dns"; return true, nil },
		"unknown status": func(run *store.Run) (bool, error) { run.Status = "sleeping"; return true, nil },
	} {
		_, err := s.UpdateStackRuns(ctx, "infra", "net", live, change)
		wantErr(t, "UpdateStackRuns "+name, err, store.ErrInvalid)
		if got := getRun(t, s, b.ID); got.Stack != "net" || got.Status != store.StatusAwaitingApproval {
			t.Errorf("UpdateStackRuns %s wrote %+v", name, got)
		}
	}
	_, err = s.UpdateStackRuns(ctx, "infra", "", live, cancel)
	wantErr(t, "UpdateStackRuns empty stack", err, store.ErrInvalid)
}

func testUpdateActiveRuns(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t, Options{})
	q := createRun(t, s, store.Run{Repo: "infra", Stack: "net", Status: store.StatusQueued})
	running := createRun(t, s, store.Run{Repo: "infra", Stack: "dns", Status: store.StatusRunning})
	createRun(t, s, store.Run{Repo: "infra", Stack: "dns", Status: store.StatusErrored})
	waiting := createRun(t, s, store.Run{Repo: "app", Stack: "web", Status: store.StatusAwaitingApproval})

	// A refusal writes nothing.
	_, err := s.UpdateActiveRuns(ctx, func(r *store.Run) (bool, error) {
		if r.ID == waiting.ID {
			return false, errNo
		}
		return cancel(r)
	})
	wantErr(t, "refused UpdateActiveRuns", err, errNo)
	if got := getRun(t, s, q.ID); got.Status != store.StatusQueued {
		t.Errorf("refused UpdateActiveRuns wrote run %s as %s", q.ID, got.Status)
	}

	var seen []string
	changed, err := s.UpdateActiveRuns(ctx, func(r *store.Run) (bool, error) {
		seen = append(seen, r.ID)
		if r.Status != store.StatusRunning {
			return false, nil
		}
		r.Status = store.StatusInterrupted
		r.Error = "daemon stopped"
		return true, nil
	})
	mustNot(t, "UpdateActiveRuns", err)
	if want := []string{q.ID, running.ID, waiting.ID}; !slices.Equal(seen, want) {
		t.Errorf("visited %v, want %v (every unfinished run, oldest first)", seen, want)
	}
	if len(changed) != 1 || changed[0].ID != running.ID || changed[0].Status != store.StatusInterrupted {
		t.Errorf("changed = %+v, want the running run, interrupted", changed)
	}
	if got := getRun(t, s, running.ID); got.Status != store.StatusInterrupted || got.Error != "daemon stopped" {
		t.Errorf("stored %+v, want it interrupted", got)
	}
	_, err = s.UpdateActiveRuns(ctx, func(r *store.Run) (bool, error) { r.Stack = "x"; return true, nil })
	wantErr(t, "UpdateActiveRuns to another stack", err, store.ErrInvalid)
	_, err = s.UpdateActiveRuns(ctx, func(r *store.Run) (bool, error) { r.Status = "sleeping"; return true, nil })
	wantErr(t, "UpdateActiveRuns unknown status", err, store.ErrInvalid)
	if active, _ := s.ActiveRuns(ctx); !slices.Equal(runIDs(active), []string{q.ID, waiting.ID}) {
		t.Errorf("ActiveRuns = %v, want the queued and the waiting run", runIDs(active))
	}
}
