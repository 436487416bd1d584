package storetest

import (
	"context"
	"slices"
	"testing"

	"github.com/driftgate/driftgate/store"
)

// testWithAudit checks the audit entry attached to a context: written in
// the same transaction as the first write made with the context, whatever
// that write is, once; not written when the write is refused or fails;
// and when the entry cannot be stored, the write is not made either.
func testWithAudit(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t, Options{})
	count := func() int {
		t.Helper()
		es, _, err := s.ListAudit(ctx, store.AuditFilter{Limit: store.MaxListLimit})
		mustNot(t, "ListAudit", err)
		return len(es)
	}
	queued := createRun(t, s, store.Run{Repo: "infra", Stack: "net"})

	// An entry that cannot be stored (no result): the write is not made.
	bad := &store.AuditEntry{Actor: "alice", Action: store.AuditCancel}
	_, err := s.UpdateRun(store.WithAudit(ctx, bad), queued.ID, func(r *store.Run) error { r.Status = store.StatusCanceled; return nil })
	wantErr(t, "UpdateRun with a bad entry", err, store.ErrInvalid)
	if got := getRun(t, s, queued.ID); got.Status != store.StatusQueued {
		t.Errorf("run is %s after a write whose entry was refused, want still queued", got.Status)
	}
	badHold := &store.AuditEntry{Action: store.AuditHold, Result: store.AuditOK}
	err = s.HoldStack(store.WithAudit(ctx, badHold), &store.Hold{Repo: "infra", Stack: "net", RunID: queued.ID})
	wantErr(t, "HoldStack with an entry without actor", err, store.ErrInvalid)
	_, err = s.GetHold(ctx, "infra", "net")
	wantErr(t, "GetHold after a hold whose entry was refused", err, store.ErrNotFound)
	if n := count(); n != 0 {
		t.Fatalf("%d audit entries after refused entries, want 0", n)
	}

	// A refused write stores no entry.
	refused := store.WithAudit(ctx, &store.AuditEntry{Actor: "bob", Action: store.AuditCancel, Result: store.AuditOK})
	_, err = s.UpdateRun(refused, queued.ID, func(*store.Run) error { return store.ErrConflict })
	wantErr(t, "refused UpdateRun", err, store.ErrConflict)
	if store.AuditWritten(refused) || count() != 0 {
		t.Errorf("a refused write stored its entry: written %v, %d entries", store.AuditWritten(refused), count())
	}
	_, err = s.ReleaseStack(refused, "infra", "net")
	wantErr(t, "ReleaseStack of a stack not held", err, store.ErrNotFound)
	if store.AuditWritten(refused) || count() != 0 {
		t.Errorf("a failed write stored its entry: written %v, %d entries", store.AuditWritten(refused), count())
	}

	// The write is made: the entry is stored with it, once, whatever the
	// write.
	writes := []struct {
		name  string
		write func(ctx context.Context) error
	}{
		{"UpdateRun", func(ctx context.Context) error {
			_, err := s.UpdateRun(ctx, queued.ID, func(r *store.Run) error { r.Status = store.StatusCanceled; return nil })
			return err
		}},
		{"HoldStack", func(ctx context.Context) error {
			return s.HoldStack(ctx, &store.Hold{Repo: "infra", Stack: "net", RunID: queued.ID})
		}},
		{"ReleaseStack", func(ctx context.Context) error { _, err := s.ReleaseStack(ctx, "infra", "net"); return err }},
		{"UpdateStackRuns", func(ctx context.Context) error {
			_, err := s.UpdateStackRuns(ctx, "infra", "net", []store.RunStatus{store.StatusCanceled}, func(*store.Run) (bool, error) { return false, nil })
			return err
		}},
		{"FinishRun", func(ctx context.Context) error {
			done := *getRun(t, s, queued.ID)
			done.Status = store.StatusErrored
			return s.FinishRun(ctx, &done, nil, []byte("log"))
		}},
	}
	for i, w := range writes {
		e := &store.AuditEntry{Actor: "alice", Action: store.AuditAction(w.name), RunID: queued.ID, Result: store.AuditOK}
		actx := store.WithAudit(ctx, e)
		mustNot(t, w.name, w.write(actx))
		if !store.AuditWritten(actx) || e.ID == "" || e.Time.IsZero() || count() != i+1 {
			t.Errorf("%s: written %v, id %q, %d entries; want the entry stored with it", w.name, store.AuditWritten(actx), e.ID, count())
		}
		// The same context writes no second entry.
		if err := s.PutRepo(actx, &store.RepoRecord{Name: "again"}); err != nil || count() != i+1 {
			t.Errorf("%s: a second write with the context: %v, %d entries; want still %d", w.name, err, count(), i+1)
		}
	}
	es, _, err := s.ListAudit(ctx, store.AuditFilter{Actor: "alice"})
	mustNot(t, "ListAudit", err)
	var actions []string
	for _, e := range es {
		actions = append(actions, string(e.Action))
	}
	if want := []string{"FinishRun", "UpdateStackRuns", "ReleaseStack", "HoldStack", "UpdateRun"}; !slices.Equal(actions, want) {
		t.Errorf("entries = %v, want %v", actions, want)
	}

	// WithAuditOf on Enqueue names the run the write creates.
	e := &store.AuditEntry{Actor: "alice", Action: store.AuditPlan, Repo: "infra", Stack: "net", Result: store.AuditOK}
	octx := store.WithAuditOf(ctx, e)
	r := store.Run{Repo: "infra", Stack: "net"}
	_, err = s.Enqueue(octx, &r, func(*store.Run) (bool, error) { return false, nil })
	mustNot(t, "Enqueue", err)
	if !store.AuditWritten(octx) || e.RunID != r.ID {
		t.Errorf("WithAuditOf + Enqueue: written %v, entry run id %q; want the new run %s", store.AuditWritten(octx), e.RunID, r.ID)
	}
	if es, _, _ := s.ListAudit(ctx, store.AuditFilter{Limit: 1}); len(es) != 1 || es[0].RunID != r.ID {
		t.Errorf("stored entry = %+v, want run id %s", es, r.ID)
	}

	// AppendAudit with a context carrying an entry writes only its own.
	before := count()
	other := store.WithAudit(ctx, &store.AuditEntry{Actor: "carol", Action: store.AuditApprove, Result: store.AuditOK})
	mustNot(t, "AppendAudit", s.AppendAudit(other, &store.AuditEntry{Actor: "carol", Action: store.AuditApprove, Result: store.AuditRefused}))
	if store.AuditWritten(other) || count() != before+1 {
		t.Errorf("AppendAudit wrote the attached entry too: written %v, %d entries, want %d", store.AuditWritten(other), count(), before+1)
	}
}
