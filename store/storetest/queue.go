package storetest

import (
	"context"
	"slices"
	"testing"

	"github.com/driftgate/driftgate/store"
)

// supersede is a RunChange that marks every run it sees superseded by the
// run of id *by.
func supersede(by *string) store.RunChange {
	return func(old *store.Run) (bool, error) {
		old.Status = store.StatusSuperseded
		old.FinishedAt = at(10)
		old.Attrs = map[store.AttrKey]string{store.AttrSupersededBy: *by}
		return true, nil
	}
}

func testEnqueue(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t, Options{})
	old := createRun(t, s, store.Run{Repo: "infra", Stack: "net", Status: store.StatusQueued})
	older := createRun(t, s, store.Run{Repo: "infra", Stack: "net", Status: store.StatusQueued})
	running := createRun(t, s, store.Run{Repo: "infra", Stack: "net", Status: store.StatusRunning})
	waiting := createRun(t, s, store.Run{Repo: "infra", Stack: "net", Status: store.StatusAwaitingApproval})
	other := createRun(t, s, store.Run{Repo: "infra", Stack: "dns", Status: store.StatusQueued})

	// A refusal stores neither the new run nor a change.
	r := store.Run{Repo: "infra", Stack: "net", Commit: "c2"}
	_, err := s.Enqueue(ctx, &r, func(*store.Run) (bool, error) { return false, errNo })
	wantErr(t, "refused Enqueue", err, errNo)
	if latest, _ := s.LatestRun(ctx, "infra", "net"); latest == nil || latest.ID != waiting.ID {
		t.Errorf("LatestRun after a refused Enqueue = %v, want %s: the run must not be stored", latest, waiting.ID)
	}

	r = store.Run{Repo: "infra", Stack: "net", Commit: "c3", Status: store.StatusPlanned}
	var seen []string
	var idSeen string
	change := supersede(&r.ID)
	changed, err := s.Enqueue(ctx, &r, func(run *store.Run) (bool, error) {
		seen = append(seen, run.ID)
		idSeen = r.ID
		return change(run)
	})
	mustNot(t, "Enqueue", err)
	if r.ID == "" || r.Status != store.StatusQueued || r.CreatedAt.IsZero() {
		t.Fatalf("enqueued run = %+v, want an id, queued (whatever status it was given), CreatedAt", r)
	}
	if idSeen != r.ID {
		t.Errorf("change ran while r.ID was %q, want the new id %s", idSeen, r.ID)
	}
	if want := []string{old.ID, older.ID}; !slices.Equal(seen, want) || !slices.Equal(runIDs(changed), want) {
		t.Errorf("change saw %v and changed %v, want the older queued runs of the stack, oldest first: %v", seen, runIDs(changed), want)
	}
	for _, c := range changed {
		if c.Status != store.StatusSuperseded || c.Attrs[store.AttrSupersededBy] != r.ID {
			t.Errorf("returned run %+v, want it superseded by %s", c, r.ID)
		}
		if got := getRun(t, s, c.ID); got.Status != store.StatusSuperseded {
			t.Errorf("stored run %s is %s, want superseded", c.ID, got.Status)
		}
	}
	if got := getRun(t, s, r.ID); got.Status != store.StatusQueued || got.Commit != "c3" {
		t.Errorf("stored new run = %+v, want it queued", got)
	}
	active, err := s.ActiveRuns(ctx)
	mustNot(t, "ActiveRuns", err)
	if want := []string{running.ID, waiting.ID, other.ID, r.ID}; !slices.Equal(runIDs(active), want) {
		t.Errorf("ActiveRuns = %v, want %v", runIDs(active), want)
	}

	// A change the store refuses refuses the Enqueue.
	bad := store.Run{Repo: "infra", Stack: "net"}
	_, err = s.Enqueue(ctx, &bad, func(run *store.Run) (bool, error) { run.Stack = "dns"; return true, nil })
	wantErr(t, "Enqueue moving a run to another stack", err, store.ErrInvalid)
	_, err = s.Enqueue(ctx, &bad, func(run *store.Run) (bool, error) { run.Status = "sleeping"; return true, nil })
	wantErr(t, "Enqueue with an unknown status", err, store.ErrInvalid)
	if got := getRun(t, s, r.ID); got.Status != store.StatusQueued {
		t.Errorf("refused Enqueue wrote run %s as %s", r.ID, got.Status)
	}
	wantNoErr := func(changed []store.Run, err error) {
		t.Helper()
		if err != nil || len(changed) != 0 {
			t.Errorf("Enqueue on another stack = %v, %v; want nothing changed", runIDs(changed), err)
		}
	}
	local := store.Run{Stack: "net"}
	wantNoErr(s.Enqueue(ctx, &local, supersede(&local.ID)))
	_, err = s.Enqueue(ctx, &store.Run{Repo: "infra"}, supersede(&local.ID))
	wantErr(t, "Enqueue without a stack", err, store.ErrInvalid)
}

func testActiveRuns(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t, Options{})
	if active, err := s.ActiveRuns(ctx); err != nil || len(active) != 0 {
		t.Fatalf("ActiveRuns of an empty store = %v, %v", active, err)
	}
	var want []string
	for i, st := range []store.RunStatus{
		store.StatusQueued, store.StatusPlanned, store.StatusRunning, store.StatusAwaitingApproval,
		store.StatusErrored, store.StatusQueued, store.StatusApplied, store.StatusCanceled,
	} {
		r := createRun(t, s, store.Run{Repo: "infra", Stack: []string{"a", "b", "c"}[i%3], Status: st})
		if !st.Terminal() {
			want = append(want, r.ID)
		}
	}
	// Every unfinished run (queued, running, awaiting approval), oldest
	// first; the runner's drift scheduler counts awaiting applies.
	active, err := s.ActiveRuns(ctx)
	if err != nil || !slices.Equal(runIDs(active), want) {
		t.Errorf("ActiveRuns = %v, %v; want %v", runIDs(active), err, want)
	}
	// A finished run leaves it, SaveRun back to queued returns it.
	first := active[0]
	first.Status = store.StatusErrored
	mustNot(t, "SaveRun", s.SaveRun(ctx, &first))
	active, _ = s.ActiveRuns(ctx)
	if !slices.Equal(runIDs(active), want[1:]) {
		t.Errorf("ActiveRuns after a run finished = %v, want %v", runIDs(active), want[1:])
	}
	first.Status = store.StatusQueued
	mustNot(t, "SaveRun", s.SaveRun(ctx, &first))
	active, _ = s.ActiveRuns(ctx)
	if !slices.Equal(runIDs(active), want) {
		t.Errorf("ActiveRuns after a run was queued again = %v, want %v", runIDs(active), want)
	}
}
