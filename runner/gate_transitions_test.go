package runner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/driftgate/driftgate/store"
)

// testBinding is the binding of the apply runs of these tests.
var testBinding = store.Binding{
	PlanRun: "01J00000000000000000000000", PlanSHA256: strings.Repeat("ab", 32),
	Commit: "cafebabecafebabe", StateSerial: 4, StateLineage: "lin-1",
	TerraformVersion: "1.9.0",
}

// awaitingRun creates an apply run of infra/net awaiting approval of
// testBinding.
func awaitingRun(tb testing.TB, s *store.Store) store.Run {
	tb.Helper()
	b := testBinding
	return createRun(tb, s, store.Run{
		Repo: "infra", Stack: "net", Operation: "apply", Commit: b.Commit,
		Status: store.StatusAwaitingApproval, Binding: &b,
		Reason: store.ReasonNeedsApproval, Waiting: "waiting for 2 approvals",
	})
}

func approval(who string) store.Approval {
	return store.Approval{Approver: who, Decision: store.DecisionApprove, Binding: testBinding}
}

func rejection(who, comment string) store.Approval {
	return store.Approval{Approver: who, Decision: store.DecisionReject, Comment: comment, Binding: testBinding}
}

// countingStore is the real store, counting the run transactions made
// through it: a transaction that changes nothing is a write all the same.
type countingStore struct {
	*store.Store
	updates atomic.Int64
}

func (c *countingStore) UpdateRun(ctx context.Context, id string, change func(*store.Run) error) (*store.Run, error) {
	c.updates.Add(1)
	return c.Store.UpdateRun(ctx, id, change)
}

func activeIDs(tb testing.TB, s *store.Store) map[string]store.RunStatus {
	tb.Helper()
	active, err := s.ActiveRuns(tb.Context())
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]store.RunStatus{}
	for _, r := range active {
		out[r.ID] = r.Status
	}
	return out
}

func TestApproveRunQueuesAtRequired(t *testing.T) {
	tests := []struct {
		required   int
		approvers  []string
		wantQueued bool
	}{
		{-1, []string{"alice"}, true},
		{0, []string{"alice"}, true},
		{1, []string{"alice"}, true},
		{2, []string{"alice"}, false},
		{2, []string{"alice", "bob"}, true},
		{3, []string{"alice", "bob"}, false},
		{3, []string{"alice", "bob", "carol"}, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d of %d", len(tt.approvers), tt.required), func(t *testing.T) {
			s := openStore(t)
			r := awaitingRun(t, s)
			var got *store.Run
			for i, who := range tt.approvers {
				var err error
				if got, err = approveRun(t.Context(), s, r.ID, approval(who), tt.required); err != nil {
					t.Fatalf("approval %d by %s: %v", i+1, who, err)
				}
				if last := i == len(tt.approvers)-1; !last && got.Status != store.StatusAwaitingApproval {
					t.Fatalf("after %d approvals status = %s", i+1, got.Status)
				}
			}
			if stored, err := s.GetRun(t.Context(), r.ID); err != nil || !equalRuns(stored, got) {
				t.Errorf("stored = %+v, %v; returned %+v", stored, err, got)
			}
			want := store.StatusAwaitingApproval
			if tt.wantQueued {
				want = store.StatusQueued
			}
			if got.Status != want || activeIDs(t, s)[r.ID] != want {
				t.Errorf("status = %s, active = %s, want %s", got.Status, activeIDs(t, s)[r.ID], want)
			}
			if tt.wantQueued != (got.Reason == "" && got.Waiting == "") {
				t.Errorf("reason %q, waiting %q after queued=%v", got.Reason, got.Waiting, tt.wantQueued)
			}
			if len(got.Approvals) != len(tt.approvers) {
				t.Fatalf("approvals = %+v", got.Approvals)
			}
			for i, a := range got.Approvals {
				if a.Approver != tt.approvers[i] || a.Source != store.ApprovalSourceDriftgate ||
					a.At.IsZero() || time.Since(a.At) > time.Minute || a.At.Location() != time.UTC {
					t.Errorf("approval %d = %+v", i, a)
				}
			}
		})
	}
}

// equalRuns compares the fields the gate changes.
func equalRuns(a, b *store.Run) bool {
	return a.ID == b.ID && a.Status == b.Status && a.Reason == b.Reason &&
		a.Waiting == b.Waiting && len(a.Approvals) == len(b.Approvals) && a.Error == b.Error
}

func TestApproveRunKeepsGivenTimeAndSource(t *testing.T) {
	s := openStore(t)
	r := awaitingRun(t, s)
	a := approval("alice")
	a.At = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	a.Source = "github"
	a.Comment = "lgtm"
	got, err := approveRun(t.Context(), s, r.ID, a, 2)
	if err != nil {
		t.Fatal(err)
	}
	if g := got.Approvals[0]; g != a {
		t.Errorf("stored approval = %+v, want %+v", g, a)
	}
}

func TestApproveRunRefused(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, s *store.Store, r store.Run) // r awaits approval
		a       store.Approval
		wantErr error
		want    []string // in the error message
	}{
		{"reject decision", nil, rejection("alice", ""), store.ErrInvalid, []string{"decision"}},
		{"no decision", nil, store.Approval{Approver: "alice", Binding: testBinding}, store.ErrInvalid, nil},
		{"no approver", nil, approval(""), store.ErrInvalid, []string{"no approver"}},
		{"other binding", nil, func() store.Approval {
			a := approval("alice")
			a.Binding.StateSerial++
			return a
		}(), store.ErrConflict, []string{"changed since it was shown: approve again"}},
		{"same approver twice", func(t *testing.T, s *store.Store, r store.Run) {
			if _, err := approveRun(t.Context(), s, r.ID, approval("alice"), 2); err != nil {
				t.Fatal(err)
			}
		}, approval("alice"), store.ErrConflict, []string{"already approved by alice"}},
		{"no binding", func(t *testing.T, s *store.Store, r store.Run) {
			r.Binding = nil
			if err := s.SaveRun(t.Context(), &r); err != nil {
				t.Fatal(err)
			}
		}, approval("alice"), store.ErrConflict, []string{"no plan to approve"}},
		{"superseded", func(t *testing.T, s *store.Store, r store.Run) {
			if _, err := supersedeLive(t.Context(), s, "infra", "net", "apply", "01J11111111111111111111111", "0123456789abcdef"); err != nil {
				t.Fatal(err)
			}
		}, approval("alice"), store.ErrConflict, []string{"is superseded (superseded by run 01J11111111111111111111111 (0123456789ab))"}},
		{"already queued", func(t *testing.T, s *store.Store, r store.Run) {
			if _, err := queueAwaiting(t.Context(), s, r.ID); err != nil {
				t.Fatal(err)
			}
		}, approval("alice"), store.ErrConflict, []string{"is queued"}},
		{"applied", func(t *testing.T, s *store.Store, r store.Run) {
			r.Status = store.StatusApplied
			if err := s.SaveRun(t.Context(), &r); err != nil {
				t.Fatal(err)
			}
		}, approval("alice"), store.ErrConflict, []string{"is applied"}},
		{"refused", func(t *testing.T, s *store.Store, r store.Run) {
			r.Status, r.Reason, r.Error = store.StatusRefused, store.ReasonStaleState, "the state changed since the plan"
			if err := s.SaveRun(t.Context(), &r); err != nil {
				t.Fatal(err)
			}
		}, approval("alice"), store.ErrConflict, []string{"is refused (the state changed since the plan)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t)
			r := awaitingRun(t, s)
			if tt.setup != nil {
				tt.setup(t, s, r)
			}
			before, err := s.GetRun(t.Context(), r.ID)
			if err != nil {
				t.Fatal(err)
			}
			got, err := approveRun(t.Context(), s, r.ID, tt.a, 2)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %q, want it to say %q", err, w)
				}
			}
			if tt.wantErr == store.ErrConflict && (got == nil || !equalRuns(got, before)) {
				t.Errorf("returned run = %+v, want the run as found %+v", got, before)
			}
			if after, _ := s.GetRun(t.Context(), r.ID); !equalRuns(after, before) {
				t.Errorf("refused approval changed the run: %+v", after)
			}
		})
	}
}

func TestApproveRunUnknown(t *testing.T) {
	s := openStore(t)
	if _, err := approveRun(t.Context(), s, "01M89WVQZCP27Y1P5KRF7261V2", approval("alice"), 1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown run: err = %v, want store.ErrNotFound", err)
	}
	if _, err := approveRun(t.Context(), s, "run-1", approval("alice"), 1); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("malformed id: err = %v, want store.ErrInvalid", err)
	}
}

// TestApproveRunConcurrent has two approvers (and a repeat of one) race on
// runs needing two approvals: each run is queued exactly once, by the
// second distinct approval.
func TestApproveRunConcurrent(t *testing.T) {
	s := openStore(t)
	for range 20 {
		r := awaitingRun(t, s)
		who := []string{"alice", "bob", "alice"}
		results := make([]*store.Run, len(who))
		errs := make([]error, len(who))
		var wg sync.WaitGroup
		for i := range who {
			wg.Go(func() {
				results[i], errs[i] = approveRun(t.Context(), s, r.ID, approval(who[i]), 2)
			})
		}
		wg.Wait()
		var ok, conflicts, queued int
		for i, err := range errs {
			switch {
			case err == nil:
				ok++
				if results[i].Status == store.StatusQueued {
					queued++
				}
			case errors.Is(err, store.ErrConflict):
				conflicts++
			default:
				t.Fatalf("approval by %s: %v", who[i], err)
			}
		}
		if ok != 2 || conflicts != 1 || queued != 1 {
			t.Errorf("run %s: %d accepted, %d conflicts, %d queued it; want 2, 1, 1 (%v)", r.ID, ok, conflicts, queued, errs)
		}
		got, err := s.GetRun(t.Context(), r.ID)
		if err != nil || got.Status != store.StatusQueued || len(got.Approvals) != 2 {
			t.Errorf("run = %+v, %v", got, err)
		}
	}
}

func TestRejectRun(t *testing.T) {
	tests := []struct {
		name      string
		status    store.RunStatus
		a         store.Approval
		wantErr   error
		wantError string // the run's Error once rejected
	}{
		{"awaiting", store.StatusAwaitingApproval, rejection("alice", ""), nil, "rejected by alice"},
		{"awaiting with comment", store.StatusAwaitingApproval, rejection("alice", "not on a Friday"), nil, "rejected by alice: not on a Friday"},
		{"queued", store.StatusQueued, rejection("bob", ""), nil, "rejected by bob"},
		{"running", store.StatusRunning, rejection("alice", ""), store.ErrConflict, ""},
		{"applied", store.StatusApplied, rejection("alice", ""), store.ErrConflict, ""},
		{"rejected", store.StatusRejected, rejection("alice", ""), store.ErrConflict, ""},
		{"approve decision", store.StatusAwaitingApproval, approval("alice"), store.ErrInvalid, ""},
		{"no approver", store.StatusAwaitingApproval, rejection("", "x"), store.ErrInvalid, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t)
			r := awaitingRun(t, s)
			r.Status = tt.status
			if err := s.SaveRun(t.Context(), &r); err != nil {
				t.Fatal(err)
			}
			got, err := rejectRun(t.Context(), s, r.ID, tt.a)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			stored, gerr := s.GetRun(t.Context(), r.ID)
			if gerr != nil {
				t.Fatal(gerr)
			}
			if tt.wantErr != nil {
				if stored.Status != tt.status || len(stored.Approvals) != 0 {
					t.Errorf("refused rejection changed the run: %+v", stored)
				}
				return
			}
			if got.Status != store.StatusRejected || stored.Status != store.StatusRejected || stored.Error != tt.wantError ||
				stored.FinishedAt.IsZero() || stored.Reason != "" || stored.Waiting != "" {
				t.Errorf("rejected run = %+v", stored)
			}
			if len(stored.Approvals) != 1 || stored.Approvals[0].Decision != store.DecisionReject || stored.Approvals[0].Source != store.ApprovalSourceDriftgate {
				t.Errorf("approvals = %+v", stored.Approvals)
			}
			if _, ok := activeIDs(t, s)[r.ID]; ok {
				t.Error("rejected run is still in the queue")
			}
			if _, err := approveRun(t.Context(), s, r.ID, approval("carol"), 1); !errors.Is(err, store.ErrConflict) || !strings.Contains(err.Error(), tt.wantError) {
				t.Errorf("approving a rejected run: err = %v", err)
			}
		})
	}
}

func TestQueueAwaiting(t *testing.T) {
	s := openStore(t)
	r := awaitingRun(t, s)
	got, err := queueAwaiting(t.Context(), s, r.ID)
	if err != nil || got.Status != store.StatusQueued || got.Reason != "" || got.Waiting != "" {
		t.Fatalf("queue = %+v, %v", got, err)
	}
	if activeIDs(t, s)[r.ID] != store.StatusQueued {
		t.Error("queued run not in the queue as queued")
	}
	if _, err := queueAwaiting(t.Context(), s, r.ID); !errors.Is(err, store.ErrConflict) {
		t.Errorf("queueing twice: err = %v, want store.ErrConflict", err)
	}
}

func TestSetWaiting(t *testing.T) {
	cs := &countingStore{Store: openStore(t)}
	s := cs.Store
	ctx := t.Context()
	r := awaitingRun(t, s)

	steps := []struct {
		name      string
		reason    store.RunReason
		waiting   string
		wantWrite bool
	}{
		{"unchanged", store.ReasonNeedsApproval, "waiting for 2 approvals", false},
		{"new reason", store.ReasonWaitingForDependency, "waiting for infra/vpc to apply cafebabe", true},
		{"same again", store.ReasonWaitingForDependency, "waiting for infra/vpc to apply cafebabe", false},
		{"new text only", store.ReasonWaitingForDependency, "waiting for infra/vpc and infra/dns", true},
		{"cleared", "", "", true},
		{"cleared again", "", "", false},
	}
	for _, st := range steps {
		before := cs.updates.Load()
		got, err := setWaiting(ctx, cs, r.ID, st.reason, st.waiting)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if wrote := cs.updates.Load() != before; wrote != st.wantWrite {
			t.Errorf("%s: wrote = %v, want %v", st.name, wrote, st.wantWrite)
		}
		stored, _ := s.GetRun(ctx, r.ID)
		if got.Reason != st.reason || got.Waiting != st.waiting || stored.Reason != st.reason || stored.Waiting != st.waiting {
			t.Errorf("%s: returned %q/%q, stored %q/%q", st.name, got.Reason, got.Waiting, stored.Reason, stored.Waiting)
		}
	}

	if _, err := queueAwaiting(ctx, s, r.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := setWaiting(ctx, cs, r.ID, store.ReasonStackHeld, "held"); err != nil || got.Reason != store.ReasonStackHeld {
		t.Errorf("on a queued run: %+v, %v", got, err)
	}
	if _, err := claimRun(ctx, s, r.ID); err != nil {
		t.Fatal(err)
	}
	before := cs.updates.Load()
	for _, reason := range []store.RunReason{store.ReasonStackHeld, store.ReasonNeedsApproval} {
		if _, err := setWaiting(ctx, cs, r.ID, reason, "held"); !errors.Is(err, store.ErrConflict) {
			t.Errorf("on a running run (%s): err = %v, want store.ErrConflict", reason, err)
		}
	}
	if cs.updates.Load() != before {
		t.Error("refused setWaiting wrote")
	}
	if _, err := setWaiting(ctx, cs, "01M89WVQZCP27Y1P5KRF7261V2", "", ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown run: err = %v", err)
	}
}

func TestSupersedeLive(t *testing.T) {
	s := openStore(t)
	ctx := t.Context()
	old := awaitingRun(t, s)
	queued := createRun(t, s, store.Run{Repo: "infra", Stack: "net", Operation: "apply", Status: store.StatusQueued, Waiting: "w"})
	running := createRun(t, s, store.Run{Repo: "infra", Stack: "net", Operation: "apply", Status: store.StatusRunning})
	plan := createRun(t, s, store.Run{Repo: "infra", Stack: "net", Operation: "plan", Status: store.StatusQueued})
	otherStack := createRun(t, s, store.Run{Repo: "infra", Stack: "dns", Operation: "apply", Status: store.StatusAwaitingApproval})
	otherRepo := createRun(t, s, store.Run{Repo: "apps", Stack: "net", Operation: "apply", Status: store.StatusQueued})
	finished := createRun(t, s, store.Run{Repo: "infra", Stack: "net", Operation: "apply", Status: store.StatusApplied})
	by := createRun(t, s, store.Run{Repo: "infra", Stack: "net", Operation: "apply", Status: store.StatusAwaitingApproval, Commit: "feedfacefeedface"})

	got, err := supersedeLive(ctx, s, "infra", "net", "apply", by.ID, by.Commit)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{old.ID, queued.ID}; !slices.Equal(got, want) {
		t.Errorf("superseded = %v, want %v", got, want)
	}
	for _, id := range got {
		r, err := s.GetRun(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		wantErr := "superseded by run " + by.ID + " (feedfacefeed)"
		if r.Status != store.StatusSuperseded || r.Reason != store.ReasonSuperseded || r.Error != wantErr ||
			r.Attrs[store.AttrSupersededBy] != by.ID || r.FinishedAt.IsZero() || r.Waiting != "" {
			t.Errorf("superseded run = %+v", r)
		}
	}
	untouched := map[string]store.RunStatus{
		running.ID: store.StatusRunning, plan.ID: store.StatusQueued, otherStack.ID: store.StatusAwaitingApproval,
		otherRepo.ID: store.StatusQueued, finished.ID: store.StatusApplied, by.ID: store.StatusAwaitingApproval,
	}
	for id, want := range untouched {
		if r, _ := s.GetRun(ctx, id); r.Status != want {
			t.Errorf("run %s (%s/%s %s) = %s, want %s", id, r.Repo, r.Stack, r.Operation, r.Status, want)
		}
	}
	active := activeIDs(t, s)
	for _, id := range got {
		if _, ok := active[id]; ok {
			t.Errorf("superseded run %s still in the queue", id)
		}
	}

	again, err := supersedeLive(ctx, s, "infra", "net", "apply", by.ID, by.Commit)
	if err != nil || len(again) != 0 {
		t.Errorf("second call = %v, %v; want nothing", again, err)
	}
	if got, err := supersedeLive(ctx, s, "infra", "nope", "apply", by.ID, ""); err != nil || len(got) != 0 {
		t.Errorf("unknown stack = %v, %v", got, err)
	}
	for _, bad := range []struct{ stack, by string }{{"", by.ID}, {"net", ""}, {"net", "run-1"}} {
		if _, err := supersedeLive(ctx, s, "infra", bad.stack, "apply", bad.by, ""); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("stack %q by %q: err = %v, want store.ErrInvalid", bad.stack, bad.by, err)
		}
	}
}
