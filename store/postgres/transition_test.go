package postgres

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/driftgate/driftgate/store"
)

func TestUpdateRunRefusalWritesNothing(t *testing.T) {
	s, _ := openTest(t, Options{})
	ctx := t.Context()
	r := createRun(t, s, store.Run{Repo: "infra", Stack: "net"})
	got, err := s.UpdateRun(ctx, r.ID, func(run *store.Run) error {
		run.Status = store.StatusRunning
		return &store.ConflictError{Reason: "no"}
	})
	if !errors.Is(err, store.ErrConflict) || got == nil || got.Status != store.StatusQueued {
		t.Fatalf("UpdateRun = %+v, %v; want the run as found and ErrConflict", got, err)
	}
	stored, _ := s.GetRun(ctx, r.ID)
	if stored.Status != store.StatusQueued {
		t.Fatalf("stored status %s after a refusal", stored.Status)
	}
	for _, change := range []func(*store.Run) error{
		func(run *store.Run) error { run.Stack = "other"; return nil },
		func(run *store.Run) error { run.Status = "done"; return nil },
	} {
		if _, err := s.UpdateRun(ctx, r.ID, change); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("UpdateRun(bad change) = %v, want ErrInvalid", err)
		}
	}
	if _, err := s.UpdateRun(ctx, "01ARZ3NDEKTSV4RRFFQ69G5FAV", func(*store.Run) error { return nil }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateRun(unknown) = %v, want ErrNotFound", err)
	}
}

// The schema allows one running run per stack; a write that would make a
// second fails with ErrConflict and writes nothing.
func TestSecondRunningRunOfStackConflicts(t *testing.T) {
	s, _ := openTest(t, Options{})
	ctx := t.Context()
	createRun(t, s, store.Run{Repo: "infra", Stack: "net", Status: store.StatusRunning})
	second := createRun(t, s, store.Run{Repo: "infra", Stack: "net"})
	createRun(t, s, store.Run{Repo: "infra", Stack: "db", Status: store.StatusRunning}) // another stack may run

	got, err := s.UpdateRun(ctx, second.ID, func(run *store.Run) error { run.Status = store.StatusRunning; return nil })
	if !errors.Is(err, store.ErrConflict) || got == nil || got.Status != store.StatusQueued {
		t.Errorf("UpdateRun(second running) = %+v, %v; want the run as found and ErrConflict", got, err)
	}
	if n := strings.Count(err.Error(), "already running"); n != 1 {
		t.Errorf("error %q says %d times that another run is running, want once", err, n)
	}
	running := second
	running.Status = store.StatusRunning
	if err := s.SaveRun(ctx, &running); !errors.Is(err, store.ErrConflict) {
		t.Errorf("SaveRun(second running) = %v, want ErrConflict", err)
	}
	if err := s.CreateRun(ctx, &store.Run{Repo: "infra", Stack: "net", Status: store.StatusRunning}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("CreateRun(second running) = %v, want ErrConflict", err)
	}
	page, _, _ := s.ListRuns(ctx, store.RunFilter{Repo: "infra", Stack: "net", Status: store.StatusRunning})
	if len(page) != 1 {
		t.Errorf("%d running runs of infra/net, want 1", len(page))
	}
}

// Several processes (pools) claiming the queued runs of one stack at once:
// exactly one claim succeeds, the others see ErrConflict.
func TestConcurrentClaimsRunOneRunPerStack(t *testing.T) {
	s, url := openTest(t, Options{})
	ctx := t.Context()
	var queued []store.Run
	for range 6 {
		queued = append(queued, createRun(t, s, store.Run{Repo: "infra", Stack: "net"}))
	}
	nodes := []*Store{s}
	for range 3 {
		nodes = append(nodes, openURL(t, url, Options{}))
	}
	claim := func(run *store.Run) error {
		if run.Status != store.StatusQueued {
			return &store.ConflictError{Reason: "not queued"}
		}
		run.Status = store.StatusRunning
		return nil
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	won, conflicts := 0, 0
	for i, node := range nodes {
		for j := range queued {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := node.UpdateRun(ctx, queued[(i+j)%len(queued)].ID, claim)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					won++
				case errors.Is(err, store.ErrConflict):
					conflicts++
				default:
					t.Errorf("claim: %v", err)
				}
			}()
		}
	}
	wg.Wait()
	if won != 1 || conflicts != len(nodes)*len(queued)-1 {
		t.Fatalf("%d claims won and %d conflicted, want 1 and %d", won, conflicts, len(nodes)*len(queued)-1)
	}
}

// Enqueues of one stack from several processes are serialised: each sees
// every run queued before it, so each supersedes exactly the one queued
// run before it, and one queued run is left.
func TestConcurrentEnqueueSerialisesPerStack(t *testing.T) {
	s, url := openTest(t, Options{})
	ctx := t.Context()
	nodes := []*Store{s, openURL(t, url, Options{}), openURL(t, url, Options{})}
	supersede := func(old *store.Run) (bool, error) {
		old.Status = store.StatusSuperseded
		return true, nil
	}
	var wg sync.WaitGroup
	const perNode = 8
	for _, node := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perNode {
				r := store.Run{Repo: "infra", Stack: "net", Commit: fmt.Sprint(i)}
				changed, err := node.Enqueue(ctx, &r, supersede)
				if err != nil {
					t.Error(err)
				}
				if len(changed) > 1 {
					t.Errorf("an enqueue superseded %d runs: an earlier enqueue missed a run queued meanwhile", len(changed))
				}
			}
		}()
	}
	wg.Wait()
	page, _, err := s.ListRuns(ctx, store.RunFilter{Repo: "infra", Stack: "net", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var queued int
	for _, r := range page {
		if r.Status == store.StatusQueued {
			queued++
		}
	}
	if len(page) != len(nodes)*perNode || queued != 1 {
		t.Fatalf("%d runs, %d queued; want %d runs and 1 queued", len(page), queued, len(nodes)*perNode)
	}
}

func TestUpdateStackAndActiveRuns(t *testing.T) {
	s, _ := openTest(t, Options{})
	ctx := t.Context()
	a := createRun(t, s, store.Run{Repo: "infra", Stack: "net"})
	b := createRun(t, s, store.Run{Repo: "infra", Stack: "net", Status: store.StatusAwaitingApproval})
	c := createRun(t, s, store.Run{Repo: "infra", Stack: "db", Status: store.StatusRunning})
	createRun(t, s, store.Run{Repo: "infra", Stack: "net", Status: store.StatusPlanned})

	var seen []string
	changed, err := s.UpdateStackRuns(ctx, "infra", "net", []store.RunStatus{store.StatusQueued, store.StatusAwaitingApproval},
		func(run *store.Run) (bool, error) {
			seen = append(seen, run.ID)
			if run.Status != store.StatusQueued {
				return false, nil
			}
			run.Status = store.StatusCanceled
			return true, nil
		})
	if err != nil || !slices.Equal(seen, []string{a.ID, b.ID}) || !slices.Equal(ids(changed), []string{a.ID}) {
		t.Fatalf("UpdateStackRuns saw %v, changed %v, %v; want [a b] and [a]", seen, ids(changed), err)
	}
	active, err := s.ActiveRuns(ctx)
	if err != nil || !slices.Equal(ids(active), []string{b.ID, c.ID}) {
		t.Fatalf("ActiveRuns = %v, %v; want [b c]", ids(active), err)
	}
	changed, err = s.UpdateActiveRuns(ctx, func(run *store.Run) (bool, error) {
		if run.Status != store.StatusRunning {
			return false, nil
		}
		run.Status = store.StatusInterrupted
		return true, nil
	})
	if err != nil || !slices.Equal(ids(changed), []string{c.ID}) {
		t.Fatalf("UpdateActiveRuns changed %v, %v; want [c]", ids(changed), err)
	}
	// A refusal refuses the whole transaction, changes to earlier runs too.
	createRun(t, s, store.Run{Repo: "infra", Stack: "db"})
	_, err = s.UpdateActiveRuns(ctx, func(run *store.Run) (bool, error) {
		run.Status = store.StatusCanceled
		if run.ID == b.ID {
			return true, nil
		}
		return false, errors.New("refused")
	})
	if err == nil {
		t.Fatal("UpdateActiveRuns with a refusal succeeded")
	}
	if got, _ := s.GetRun(ctx, b.ID); got.Status != store.StatusAwaitingApproval {
		t.Errorf("run b is %s after a refused transaction", got.Status)
	}
}

// An action's audit entry commits with it: an enqueue names its new run,
// and a write the schema refuses (a second running run) stores neither.
func TestAuditInTheActionsTransaction(t *testing.T) {
	s, _ := openTest(t, Options{})
	entry := &store.AuditEntry{Actor: "alice", Action: store.AuditPlan, Result: store.AuditOK}
	ctx := store.WithAuditOf(t.Context(), entry)
	r := store.Run{Repo: "infra", Stack: "net"}
	if _, err := s.Enqueue(ctx, &r, func(*store.Run) (bool, error) { return false, nil }); err != nil {
		t.Fatal(err)
	}
	if !store.AuditWritten(ctx) || entry.RunID != r.ID || entry.ID == "" {
		t.Fatalf("entry %+v (written %v), want it stored naming run %s", entry, store.AuditWritten(ctx), r.ID)
	}

	createRun(t, s, store.Run{Repo: "infra", Stack: "net", Status: store.StatusRunning})
	refused := &store.AuditEntry{Actor: "bob", Action: "claim", Result: store.AuditOK}
	ctx = store.WithAudit(t.Context(), refused)
	_, err := s.UpdateRun(ctx, r.ID, func(run *store.Run) error { run.Status = store.StatusRunning; return nil })
	if !errors.Is(err, store.ErrConflict) || store.AuditWritten(ctx) {
		t.Fatalf("UpdateRun = %v, audit written %v; want ErrConflict and no entry", err, store.AuditWritten(ctx))
	}
	entries, _, err := s.ListAudit(t.Context(), store.AuditFilter{})
	if err != nil || len(entries) != 1 || entries[0].Actor != "alice" {
		t.Fatalf("audit log %+v, %v; want only alice's entry", entries, err)
	}
}

// A change to one run holds its stack: another node's enqueue in that
// stack waits for it to commit, one in another stack does not.
func TestUpdateRunHoldsItsStack(t *testing.T) {
	s, url := openTest(t, Options{})
	other := openURL(t, url, Options{})
	ctx := t.Context()
	// Running, not queued: the enqueue locks no row the change holds.
	r := createRun(t, s, store.Run{Repo: "infra", Stack: "net", Status: store.StatusRunning})
	inside, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	t.Cleanup(unblock) // before the stores close: a failure must not leave the change blocked
	updated := make(chan error, 1)
	go func() {
		_, err := s.UpdateRun(ctx, r.ID, func(run *store.Run) error {
			close(inside)
			<-release
			run.Error = "changed"
			return nil
		})
		updated <- err
	}()
	<-inside
	if _, err := other.Enqueue(ctx, &store.Run{Repo: "infra", Stack: "db"}, func(*store.Run) (bool, error) { return false, nil }); err != nil {
		t.Fatalf("enqueue in another stack: %v", err)
	}
	enqueued := make(chan error, 1)
	go func() {
		_, err := other.Enqueue(ctx, &store.Run{Repo: "infra", Stack: "net"}, func(*store.Run) (bool, error) { return false, nil })
		enqueued <- err
	}()
	select {
	case err := <-enqueued:
		t.Fatalf("enqueue in the stack returned (%v) while a change to its run was under way", err)
	case <-time.After(300 * time.Millisecond):
	}
	unblock()
	if err := <-updated; err != nil {
		t.Fatal(err)
	}
	if err := <-enqueued; err != nil {
		t.Fatal(err)
	}
}

// A sweep of the active runs holds their stacks: an enqueue in one of
// them waits for the sweep to commit.
func TestUpdateActiveRunsHoldsTheirStacks(t *testing.T) {
	s, url := openTest(t, Options{})
	other := openURL(t, url, Options{})
	ctx := t.Context()
	// Running, not queued: the enqueue locks no row the sweep holds.
	createRun(t, s, store.Run{Repo: "infra", Stack: "net", Status: store.StatusRunning})
	inside, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	t.Cleanup(unblock) // before the stores close: a failure must not leave the change blocked
	swept := make(chan error, 1)
	go func() {
		_, err := s.UpdateActiveRuns(ctx, func(*store.Run) (bool, error) {
			close(inside)
			<-release
			return false, nil
		})
		swept <- err
	}()
	<-inside
	enqueued := make(chan error, 1)
	go func() {
		_, err := other.Enqueue(ctx, &store.Run{Repo: "infra", Stack: "net"}, func(*store.Run) (bool, error) { return false, nil })
		enqueued <- err
	}()
	select {
	case err := <-enqueued:
		t.Fatalf("enqueue returned (%v) while a sweep of its stack's runs was under way", err)
	case <-time.After(300 * time.Millisecond):
	}
	unblock()
	if err := <-swept; err != nil {
		t.Fatal(err)
	}
	if err := <-enqueued; err != nil {
		t.Fatal(err)
	}
}

// Enqueue keeps a given id, and a refused enqueue leaves r and the
// attached audit entry as they were.
func TestEnqueueGivenIDAndRefusal(t *testing.T) {
	s, _ := openTest(t, Options{})
	ctx := t.Context()
	id := "01ARZ3NDEKTSV4RRFFQ69G5FAV"
	r := store.Run{ID: strings.ToLower(id), Repo: "infra", Stack: "net"}
	if _, err := s.Enqueue(ctx, &r, func(*store.Run) (bool, error) { return false, nil }); err != nil || r.ID != id {
		t.Fatalf("Enqueue(given id) = %v, run id %s; want %s", err, r.ID, id)
	}
	entry := &store.AuditEntry{Actor: "alice", Action: store.AuditPlan, Result: store.AuditOK}
	actx := store.WithAuditOf(ctx, entry)
	refused := store.Run{Repo: "infra", Stack: "net", Commit: "c2"}
	_, err := s.Enqueue(actx, &refused, func(*store.Run) (bool, error) { return false, &store.ConflictError{Reason: "no"} })
	if !errors.Is(err, store.ErrConflict) || refused.ID != "" || refused.Status != "" || entry.RunID != "" || store.AuditWritten(actx) {
		t.Fatalf("refused Enqueue = %v, run %+v, entry %+v; want ErrConflict and both as they were", err, refused, entry)
	}
	if page, _, _ := s.ListRuns(ctx, store.RunFilter{}); len(page) != 1 {
		t.Errorf("%d runs after a refused enqueue, want 1", len(page))
	}
}
