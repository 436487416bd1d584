package store

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// testBinding is the binding of the apply runs of these tests.
var testBinding = Binding{
	PlanRun: "01J00000000000000000000000", PlanSHA256: strings.Repeat("ab", 32),
	Commit: "cafebabecafebabe", StateSerial: 4, StateLineage: "lin-1",
	TerraformVersion: "1.9.0",
}

// awaitingRun creates an apply run of infra/net awaiting approval of
// testBinding.
func awaitingRun(tb testing.TB, s *Store) Run {
	tb.Helper()
	b := testBinding
	return createRun(tb, s, Run{
		Repo: "infra", Stack: "net", Operation: "apply", Commit: b.Commit,
		Status: StatusAwaitingApproval, Binding: &b,
		Reason: ReasonNeedsApproval, Waiting: "waiting for 2 approvals",
	})
}

func approval(who string) Approval {
	return Approval{Approver: who, Decision: DecisionApprove, Binding: testBinding}
}

func rejection(who, comment string) Approval {
	return Approval{Approver: who, Decision: DecisionReject, Comment: comment, Binding: testBinding}
}

// txID is the id of the last committed write transaction.
func txID(tb testing.TB, s *Store) int {
	tb.Helper()
	var id int
	if err := s.db.View(func(tx *bbolt.Tx) error { id = tx.ID(); return nil }); err != nil {
		tb.Fatal(err)
	}
	return id
}

func activeIDs(tb testing.TB, s *Store) map[string]RunStatus {
	tb.Helper()
	active, err := s.ActiveRuns(tb.Context())
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]RunStatus{}
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
			s := openTestStore(t, Options{})
			r := awaitingRun(t, s)
			var got *Run
			for i, who := range tt.approvers {
				var err error
				if got, err = s.ApproveRun(t.Context(), r.ID, approval(who), tt.required); err != nil {
					t.Fatalf("approval %d by %s: %v", i+1, who, err)
				}
				if last := i == len(tt.approvers)-1; !last && got.Status != StatusAwaitingApproval {
					t.Fatalf("after %d approvals status = %s", i+1, got.Status)
				}
			}
			if stored, err := s.GetRun(t.Context(), r.ID); err != nil || !equalRuns(stored, got) {
				t.Errorf("stored = %+v, %v; returned %+v", stored, err, got)
			}
			want := StatusAwaitingApproval
			if tt.wantQueued {
				want = StatusQueued
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
				if a.Approver != tt.approvers[i] || a.Source != ApprovalSourceDriftgate ||
					a.At.IsZero() || time.Since(a.At) > time.Minute || a.At.Location() != time.UTC {
					t.Errorf("approval %d = %+v", i, a)
				}
			}
		})
	}
}

// equalRuns compares the fields the gate changes.
func equalRuns(a, b *Run) bool {
	return a.ID == b.ID && a.Status == b.Status && a.Reason == b.Reason &&
		a.Waiting == b.Waiting && len(a.Approvals) == len(b.Approvals) && a.Error == b.Error
}

func TestApproveRunKeepsGivenTimeAndSource(t *testing.T) {
	s := openTestStore(t, Options{})
	r := awaitingRun(t, s)
	a := approval("alice")
	a.At = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	a.Source = "github"
	a.Comment = "lgtm"
	got, err := s.ApproveRun(t.Context(), r.ID, a, 2)
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
		setup   func(t *testing.T, s *Store, r Run) // r awaits approval
		a       Approval
		wantErr error
		want    []string // in the error message
	}{
		{"reject decision", nil, rejection("alice", ""), ErrInvalid, []string{"decision"}},
		{"no decision", nil, Approval{Approver: "alice", Binding: testBinding}, ErrInvalid, nil},
		{"no approver", nil, approval(""), ErrInvalid, []string{"no approver"}},
		{"other binding", nil, func() Approval {
			a := approval("alice")
			a.Binding.StateSerial++
			return a
		}(), ErrConflict, []string{"changed since it was shown: approve again"}},
		{"same approver twice", func(t *testing.T, s *Store, r Run) {
			if _, err := s.ApproveRun(t.Context(), r.ID, approval("alice"), 2); err != nil {
				t.Fatal(err)
			}
		}, approval("alice"), ErrConflict, []string{"already approved by alice"}},
		{"no binding", func(t *testing.T, s *Store, r Run) {
			r.Binding = nil
			if err := s.SaveRun(t.Context(), &r); err != nil {
				t.Fatal(err)
			}
		}, approval("alice"), ErrConflict, []string{"no plan to approve"}},
		{"superseded", func(t *testing.T, s *Store, r Run) {
			if _, err := s.SupersedeLive(t.Context(), "infra", "net", "apply", "01J11111111111111111111111", "0123456789abcdef"); err != nil {
				t.Fatal(err)
			}
		}, approval("alice"), ErrConflict, []string{"is superseded (superseded by run 01J11111111111111111111111 (0123456789ab))"}},
		{"already queued", func(t *testing.T, s *Store, r Run) {
			if _, err := s.QueueAwaiting(t.Context(), r.ID); err != nil {
				t.Fatal(err)
			}
		}, approval("alice"), ErrConflict, []string{"is queued"}},
		{"applied", func(t *testing.T, s *Store, r Run) {
			r.Status = StatusApplied
			if err := s.SaveRun(t.Context(), &r); err != nil {
				t.Fatal(err)
			}
		}, approval("alice"), ErrConflict, []string{"is applied"}},
		{"refused", func(t *testing.T, s *Store, r Run) {
			r.Status, r.Reason, r.Error = StatusRefused, ReasonStaleState, "the state changed since the plan"
			if err := s.SaveRun(t.Context(), &r); err != nil {
				t.Fatal(err)
			}
		}, approval("alice"), ErrConflict, []string{"is refused (the state changed since the plan)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTestStore(t, Options{})
			r := awaitingRun(t, s)
			if tt.setup != nil {
				tt.setup(t, s, r)
			}
			before, err := s.GetRun(t.Context(), r.ID)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.ApproveRun(t.Context(), r.ID, tt.a, 2)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %q, want it to say %q", err, w)
				}
			}
			if tt.wantErr == ErrConflict && (got == nil || !equalRuns(got, before)) {
				t.Errorf("returned run = %+v, want the run as found %+v", got, before)
			}
			if after, _ := s.GetRun(t.Context(), r.ID); !equalRuns(after, before) {
				t.Errorf("refused approval changed the run: %+v", after)
			}
		})
	}
}

func TestApproveRunUnknown(t *testing.T) {
	s := openTestStore(t, Options{})
	if _, err := s.ApproveRun(t.Context(), "01M89WVQZCP27Y1P5KRF7261V2", approval("alice"), 1); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown run: err = %v, want ErrNotFound", err)
	}
	if _, err := s.ApproveRun(t.Context(), "run-1", approval("alice"), 1); !errors.Is(err, ErrInvalid) {
		t.Errorf("malformed id: err = %v, want ErrInvalid", err)
	}
}

// TestApproveRunConcurrent has two approvers (and a repeat of one) race on
// runs needing two approvals: each run is queued exactly once, by the
// second distinct approval.
func TestApproveRunConcurrent(t *testing.T) {
	s := openTestStore(t, Options{})
	for range 20 {
		r := awaitingRun(t, s)
		who := []string{"alice", "bob", "alice"}
		results := make([]*Run, len(who))
		errs := make([]error, len(who))
		var wg sync.WaitGroup
		for i := range who {
			wg.Go(func() {
				results[i], errs[i] = s.ApproveRun(t.Context(), r.ID, approval(who[i]), 2)
			})
		}
		wg.Wait()
		var ok, conflicts, queued int
		for i, err := range errs {
			switch {
			case err == nil:
				ok++
				if results[i].Status == StatusQueued {
					queued++
				}
			case errors.Is(err, ErrConflict):
				conflicts++
			default:
				t.Fatalf("approval by %s: %v", who[i], err)
			}
		}
		if ok != 2 || conflicts != 1 || queued != 1 {
			t.Errorf("run %s: %d accepted, %d conflicts, %d queued it; want 2, 1, 1 (%v)", r.ID, ok, conflicts, queued, errs)
		}
		got, err := s.GetRun(t.Context(), r.ID)
		if err != nil || got.Status != StatusQueued || len(got.Approvals) != 2 {
			t.Errorf("run = %+v, %v", got, err)
		}
	}
}

func TestRejectRun(t *testing.T) {
	tests := []struct {
		name      string
		status    RunStatus
		a         Approval
		wantErr   error
		wantError string // the run's Error once rejected
	}{
		{"awaiting", StatusAwaitingApproval, rejection("alice", ""), nil, "rejected by alice"},
		{"awaiting with comment", StatusAwaitingApproval, rejection("alice", "not on a Friday"), nil, "rejected by alice: not on a Friday"},
		{"queued", StatusQueued, rejection("bob", ""), nil, "rejected by bob"},
		{"running", StatusRunning, rejection("alice", ""), ErrConflict, ""},
		{"applied", StatusApplied, rejection("alice", ""), ErrConflict, ""},
		{"rejected", StatusRejected, rejection("alice", ""), ErrConflict, ""},
		{"approve decision", StatusAwaitingApproval, approval("alice"), ErrInvalid, ""},
		{"no approver", StatusAwaitingApproval, rejection("", "x"), ErrInvalid, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTestStore(t, Options{})
			r := awaitingRun(t, s)
			r.Status = tt.status
			if err := s.SaveRun(t.Context(), &r); err != nil {
				t.Fatal(err)
			}
			got, err := s.RejectRun(t.Context(), r.ID, tt.a)
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
			if got.Status != StatusRejected || stored.Status != StatusRejected || stored.Error != tt.wantError ||
				stored.FinishedAt.IsZero() || stored.Reason != "" || stored.Waiting != "" {
				t.Errorf("rejected run = %+v", stored)
			}
			if len(stored.Approvals) != 1 || stored.Approvals[0].Decision != DecisionReject || stored.Approvals[0].Source != ApprovalSourceDriftgate {
				t.Errorf("approvals = %+v", stored.Approvals)
			}
			if _, ok := activeIDs(t, s)[r.ID]; ok {
				t.Error("rejected run is still in the queue")
			}
			if _, err := s.ApproveRun(t.Context(), r.ID, approval("carol"), 1); !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), tt.wantError) {
				t.Errorf("approving a rejected run: err = %v", err)
			}
		})
	}
}

func TestQueueAwaiting(t *testing.T) {
	s := openTestStore(t, Options{})
	r := awaitingRun(t, s)
	got, err := s.QueueAwaiting(t.Context(), r.ID)
	if err != nil || got.Status != StatusQueued || got.Reason != "" || got.Waiting != "" {
		t.Fatalf("queue = %+v, %v", got, err)
	}
	if activeIDs(t, s)[r.ID] != StatusQueued {
		t.Error("queued run not in the queue as queued")
	}
	if _, err := s.QueueAwaiting(t.Context(), r.ID); !errors.Is(err, ErrConflict) {
		t.Errorf("queueing twice: err = %v, want ErrConflict", err)
	}
}

func TestSetWaiting(t *testing.T) {
	s := openTestStore(t, Options{})
	ctx := t.Context()
	r := awaitingRun(t, s)

	steps := []struct {
		name      string
		reason    RunReason
		waiting   string
		wantWrite bool
	}{
		{"unchanged", ReasonNeedsApproval, "waiting for 2 approvals", false},
		{"new reason", ReasonWaitingForDependency, "waiting for infra/vpc to apply cafebabe", true},
		{"same again", ReasonWaitingForDependency, "waiting for infra/vpc to apply cafebabe", false},
		{"new text only", ReasonWaitingForDependency, "waiting for infra/vpc and infra/dns", true},
		{"cleared", "", "", true},
		{"cleared again", "", "", false},
	}
	for _, st := range steps {
		before := txID(t, s)
		got, err := s.SetWaiting(ctx, r.ID, st.reason, st.waiting)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if wrote := txID(t, s) != before; wrote != st.wantWrite {
			t.Errorf("%s: wrote = %v, want %v", st.name, wrote, st.wantWrite)
		}
		stored, _ := s.GetRun(ctx, r.ID)
		if got.Reason != st.reason || got.Waiting != st.waiting || stored.Reason != st.reason || stored.Waiting != st.waiting {
			t.Errorf("%s: returned %q/%q, stored %q/%q", st.name, got.Reason, got.Waiting, stored.Reason, stored.Waiting)
		}
	}

	if _, err := s.QueueAwaiting(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := s.SetWaiting(ctx, r.ID, ReasonStackHeld, "held"); err != nil || got.Reason != ReasonStackHeld {
		t.Errorf("on a queued run: %+v, %v", got, err)
	}
	if _, err := s.ClaimRun(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	before := txID(t, s)
	for _, reason := range []RunReason{ReasonStackHeld, ReasonNeedsApproval} {
		if _, err := s.SetWaiting(ctx, r.ID, reason, "held"); !errors.Is(err, ErrConflict) {
			t.Errorf("on a running run (%s): err = %v, want ErrConflict", reason, err)
		}
	}
	if txID(t, s) != before {
		t.Error("refused SetWaiting wrote")
	}
	if _, err := s.SetWaiting(ctx, "01M89WVQZCP27Y1P5KRF7261V2", "", ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown run: err = %v", err)
	}
}

func TestSupersedeLive(t *testing.T) {
	s := openTestStore(t, Options{})
	ctx := t.Context()
	old := awaitingRun(t, s)
	queued := createRun(t, s, Run{Repo: "infra", Stack: "net", Operation: "apply", Status: StatusQueued, Waiting: "w"})
	running := createRun(t, s, Run{Repo: "infra", Stack: "net", Operation: "apply", Status: StatusRunning})
	plan := createRun(t, s, Run{Repo: "infra", Stack: "net", Operation: "plan", Status: StatusQueued})
	otherStack := createRun(t, s, Run{Repo: "infra", Stack: "dns", Operation: "apply", Status: StatusAwaitingApproval})
	otherRepo := createRun(t, s, Run{Repo: "apps", Stack: "net", Operation: "apply", Status: StatusQueued})
	finished := createRun(t, s, Run{Repo: "infra", Stack: "net", Operation: "apply", Status: StatusApplied})
	by := createRun(t, s, Run{Repo: "infra", Stack: "net", Operation: "apply", Status: StatusAwaitingApproval, Commit: "feedfacefeedface"})

	got, err := s.SupersedeLive(ctx, "infra", "net", "apply", by.ID, by.Commit)
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
		if r.Status != StatusSuperseded || r.Reason != ReasonSuperseded || r.Error != wantErr ||
			r.Attrs[AttrSupersededBy] != by.ID || r.FinishedAt.IsZero() || r.Waiting != "" {
			t.Errorf("superseded run = %+v", r)
		}
	}
	untouched := map[string]RunStatus{
		running.ID: StatusRunning, plan.ID: StatusQueued, otherStack.ID: StatusAwaitingApproval,
		otherRepo.ID: StatusQueued, finished.ID: StatusApplied, by.ID: StatusAwaitingApproval,
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

	again, err := s.SupersedeLive(ctx, "infra", "net", "apply", by.ID, by.Commit)
	if err != nil || len(again) != 0 {
		t.Errorf("second call = %v, %v; want nothing", again, err)
	}
	if got, err := s.SupersedeLive(ctx, "infra", "nope", "apply", by.ID, ""); err != nil || len(got) != 0 {
		t.Errorf("unknown stack = %v, %v", got, err)
	}
	for _, bad := range []struct{ stack, by string }{{"", by.ID}, {"net", ""}, {"net", "run-1"}} {
		if _, err := s.SupersedeLive(ctx, "infra", bad.stack, "apply", bad.by, ""); !errors.Is(err, ErrInvalid) {
			t.Errorf("stack %q by %q: err = %v, want ErrInvalid", bad.stack, bad.by, err)
		}
	}
}

func TestListRunsOperationAndCommit(t *testing.T) {
	s := openTestStore(t, Options{})
	var runs []Run
	for i, op := range []Operation{OperationPlan, OperationApply, OperationPlan, OperationDrift, OperationApply} {
		commit := []string{"aaaa", "bbbb"}[i%2]
		runs = append(runs, createRun(t, s, Run{Repo: "infra", Stack: []string{"net", "dns"}[i%2], Operation: op, Commit: commit}))
	}
	tests := []struct {
		name   string
		filter RunFilter
		keep   func(Run) bool
	}{
		{"operation", RunFilter{Operation: "apply"}, func(r Run) bool { return r.Operation == "apply" }},
		{"commit", RunFilter{Commit: "aaaa"}, func(r Run) bool { return r.Commit == "aaaa" }},
		{"operation and commit", RunFilter{Operation: "plan", Commit: "aaaa"}, func(r Run) bool { return r.Operation == "plan" && r.Commit == "aaaa" }},
		{"with repo and stack", RunFilter{Repo: "infra", Stack: "net", Operation: "apply"}, func(r Run) bool { return r.Stack == "net" && r.Operation == "apply" }},
		{"commit prefix does not match", RunFilter{Commit: "aa"}, func(Run) bool { return false }},
		{"unknown operation", RunFilter{Operation: "destroy"}, func(Run) bool { return false }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, next, err := s.ListRuns(t.Context(), tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			if want := newestFirst(runs, tt.keep); !slices.Equal(runIDs(got), want) || next != "" {
				t.Errorf("got %v (next %q), want %v", runIDs(got), next, want)
			}
		})
	}
}
