package runner

import (
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/driftgate/driftgate/runner/forge"
	"github.com/driftgate/driftgate/runner/prcomment"
	"github.com/driftgate/driftgate/store"
)

const prStacks = `
stack "alpha" {
  dir = "alpha"
}
stack "beta" {
  dir = "beta"
}
`

func prEvent(action forge.PRAction, n int, head string, mod func(*forge.PullRequest)) *forge.PREvent {
	pr := forge.PullRequest{Number: n, Author: "bob", HeadSHA: head, HeadRef: "feature", BaseRef: "main", State: forge.PROpen}
	if mod != nil {
		mod(&pr)
	}
	return &forge.PREvent{Action: action, PR: pr}
}

// prRuns lists the runs of PR n, newest first.
func (h *gateHarness) prRuns(n int) []store.Run {
	h.tb.Helper()
	runs, _, err := h.st.ListRuns(h.ctx, store.RunFilter{Repo: "infra", PR: n})
	if err != nil {
		h.tb.Fatal(err)
	}
	return runs
}

func TestPRFlow(t *testing.T) {
	h := newGateHarness(t, prStacks, "alpha", "beta")
	fake := newFakeForge()
	rc := h.withForge(fake, nil)
	h.poll()
	h.settle()
	branchApplies := len(h.runs("alpha", OperationApply))
	awaiting := h.latest("alpha", OperationApply)
	driftBefore, _ := h.st.StackDriftStatus(h.ctx, "infra", "alpha")

	// A PR touching alpha only: one comment with alpha, success status.
	head1 := h.pushPR(7, map[string]string{"alpha/main.tf": `resource "x" "z" {}` + "\n"})
	if err := h.d.handlePR(h.ctx, rc, prEvent(forge.PROpened, 7, head1, nil)); err != nil {
		t.Fatal(err)
	}
	runs := h.prRuns(7)
	if len(runs) != 1 || runs[0].Stack != "alpha" || runs[0].Trigger != TriggerPullRequest || runs[0].Commit != head1 || runs[0].PR != 7 {
		t.Fatalf("PR runs = %+v, want one pull_request plan of alpha at %s", runs, head1)
	}
	h.d.deliverOutbox(h.ctx)
	if st, _ := fake.lastStatus(head1, statusPlan); st.State != forge.StatusPending {
		t.Errorf("status while queued = %+v, want pending", st)
	}
	h.settle()
	h.d.deliverOutbox(h.ctx)
	comments := fake.commentsOf(7)
	body := comments[prcomment.Marker(1)]
	if len(comments) != 1 || !strings.Contains(body, "alpha") || strings.Contains(body, "beta") {
		t.Fatalf("PR comments = %v, want one comment about alpha only", comments)
	}
	st, _ := fake.lastStatus(head1, statusPlan)
	if st.State != forge.StatusSuccess || st.TargetURL != "https://driftgate.example.com/runs/"+runs[0].ID {
		t.Errorf("plan status = %+v, want success linking the run", st)
	}
	if n := len(h.runs("alpha", OperationApply)); n != branchApplies {
		t.Errorf("a PR plan opened an apply run (%d apply runs, had %d)", n, branchApplies)
	}
	if r := h.run(awaiting.ID); awaiting.ID != "" && r.Status != awaiting.Status {
		t.Errorf("the branch's apply run went from %s to %s after a PR plan", awaiting.Status, r.Status)
	}
	if after, _ := h.st.StackDriftStatus(h.ctx, "infra", "alpha"); after != nil && driftBefore != nil && after.RunID != driftBefore.RunID {
		t.Errorf("a PR plan fed the drift state: last check run %s, was %s", after.RunID, driftBefore.RunID)
	}

	// Two more pushes before planning: the first is superseded, the same
	// comment is updated.
	head2 := h.pushPR(7, map[string]string{"alpha/main.tf": `resource "x" "w" {}` + "\n"})
	if err := h.d.handlePR(h.ctx, rc, prEvent(forge.PRSynchronized, 7, head2, nil)); err != nil {
		t.Fatal(err)
	}
	head3 := h.pushPR(7, map[string]string{"alpha/main.tf": `resource "x" "v" {}` + "\n"})
	if err := h.d.handlePR(h.ctx, rc, prEvent(forge.PRSynchronized, 7, head3, nil)); err != nil {
		t.Fatal(err)
	}
	h.settle()
	h.d.deliverOutbox(h.ctx)
	runs = h.prRuns(7)
	if len(runs) != 3 || runs[1].Commit != head2 || runs[1].Status != store.StatusSuperseded || runs[0].Status != store.StatusPlanned {
		t.Fatalf("PR runs after two pushes = %v, want the middle one superseded", statuses(runs))
	}
	comments = fake.commentsOf(7)
	if len(comments) != 1 || !strings.Contains(comments[prcomment.Marker(1)], head3) {
		t.Errorf("comments after pushes = %v, want the one comment, at %s", comments, head3)
	}
	if st, _ := fake.lastStatus(head3, statusPlan); st.State != forge.StatusSuccess {
		t.Errorf("status of the new head = %+v, want success", st)
	}

	// A draft is not planned until asked.
	draft := h.pushPR(6, map[string]string{"beta/main.tf": `resource "x" "d" {}` + "\n"})
	if err := h.d.handlePR(h.ctx, rc, prEvent(forge.PROpened, 6, draft, func(p *forge.PullRequest) { p.Draft = true })); err != nil {
		t.Fatal(err)
	}
	if runs := h.prRuns(6); len(runs) != 0 {
		t.Errorf("draft PR planned: %v", statuses(runs))
	}

	// A fork PR is not planned.
	fork := h.pushPR(8, map[string]string{"beta/main.tf": `resource "x" "f" {}` + "\n"})
	if err := h.d.handlePR(h.ctx, rc, prEvent(forge.PROpened, 8, fork, func(p *forge.PullRequest) { p.FromFork = true })); err != nil {
		t.Fatal(err)
	}
	if runs := h.prRuns(8); len(runs) != 0 {
		t.Errorf("fork PR planned: %v", statuses(runs))
	}

	// Closed without merge: its queued runs are canceled.
	head9 := h.pushPR(9, map[string]string{"beta/main.tf": `resource "x" "n" {}` + "\n"})
	if err := h.d.handlePR(h.ctx, rc, prEvent(forge.PROpened, 9, head9, nil)); err != nil {
		t.Fatal(err)
	}
	if err := h.d.handlePR(h.ctx, rc, prEvent(forge.PRClosedAction, 9, head9, func(p *forge.PullRequest) { p.State = forge.PRClosed })); err != nil {
		t.Fatal(err)
	}
	closed := h.prRuns(9)
	if len(closed) == 0 {
		t.Fatal("PR 9 queued nothing")
	}
	for _, r := range closed {
		if r.Status != store.StatusCanceled {
			t.Errorf("closed PR's runs = %v, want all canceled", statuses(closed))
			break
		}
	}

	// Merged: the PR is recorded on its merge commit, with its reviews.
	fake.reviews[7] = []forge.Review{{ID: 41, User: "carol", State: forge.ReviewApproved, CommitSHA: head3}}
	if err := h.d.handlePR(h.ctx, rc, prEvent(forge.PRClosedAction, 7, head3, func(p *forge.PullRequest) {
		p.State, p.MergeCommitSHA = forge.PRMerged, head3
	})); err != nil {
		t.Fatal(err)
	}
	rec, err := h.st.PRByMergeCommit(h.ctx, "infra", head3)
	if err != nil || rec.Number != 7 || rec.Author != "bob" || rec.HeadSHA != head3 || rec.State != string(forge.PRMerged) ||
		len(rec.Reviews) != 1 || rec.Reviews[0].User != "carol" || rec.Reviews[0].CommitSHA != head3 {
		t.Fatalf("PR on the merge commit = %+v, %v", rec, err)
	}
	// The merge reaches the branch: driftgate/apply on the merge commit
	// follows its apply run.
	if err := h.repo.Git.Storer.SetReference(plumbing.NewHashReference("refs/heads/main", plumbing.NewHash(head3))); err != nil {
		t.Fatal(err)
	}
	h.poll()
	h.settle()
	h.d.deliverOutbox(h.ctx)
	apply := h.latest("alpha", OperationApply)
	st, ok := fake.lastStatus(head3, statusApply)
	if apply.Commit != head3 || !ok {
		t.Fatalf("no driftgate/apply status on the merge commit (apply run %s at %s)", apply.Status, apply.Commit)
	}
	want := forge.StatusPending
	if apply.Status == store.StatusApplied {
		want = forge.StatusSuccess
	}
	if st.State != want {
		t.Errorf("apply status = %+v for an apply run %s, want %s", st, apply.Status, want)
	}
}

func statuses(runs []store.Run) []string {
	var out []string
	for _, r := range runs {
		out = append(out, r.Stack+"@"+r.Commit[:7]+":"+string(r.Status))
	}
	return out
}

func TestParseCommand(t *testing.T) {
	for _, tc := range []struct {
		body    string
		stack   string
		ok, bad bool
	}{
		{"/driftgate plan", "", true, false},
		{"  /driftgate plan net\nthanks", "net", true, false},
		{"/driftgate apply", "", true, true},
		{"/driftgate", "", true, true},
		{"looks good", "", false, false},
		{"/driftgateplan", "", false, false},
	} {
		stack, ok, bad := parseCommand(tc.body)
		if stack != tc.stack || ok != tc.ok || bad != tc.bad {
			t.Errorf("parseCommand(%q) = %q, %v, %v; want %q, %v, %v", tc.body, stack, ok, bad, tc.stack, tc.ok, tc.bad)
		}
	}
}

func TestPlanCommandNeedsWriteAccess(t *testing.T) {
	h := newGateHarness(t, prStacks, "alpha", "beta")
	fake := newFakeForge()
	rc := h.withForge(fake, nil)
	h.poll()
	h.settle()
	head := h.pushPR(5, map[string]string{"beta/main.tf": `resource "x" "c" {}` + "\n"})
	fake.prs[5] = &prEvent(forge.PROpened, 5, head, nil).PR
	fake.writers["carol"] = true

	if err := h.d.handleCommand(h.ctx, rc, &forge.CommentEvent{PRNumber: 5, Author: "mallory", Body: "/driftgate plan", ID: 11}); err != nil {
		t.Fatal(err)
	}
	h.d.deliverOutbox(h.ctx)
	if runs := h.prRuns(5); len(runs) != 0 {
		t.Errorf("a user without write access got a plan: %v", statuses(runs))
	}
	if c := fake.commentsOf(5)["<!-- driftgate:reply:11 -->"]; !strings.Contains(c, "write access") {
		t.Errorf("refusal reply = %q", c)
	}
	if err := h.d.handleCommand(h.ctx, rc, &forge.CommentEvent{PRNumber: 5, Author: "carol", Body: "/driftgate plan alpha", ID: 12}); err != nil {
		t.Fatal(err)
	}
	if runs := h.prRuns(5); len(runs) != 1 || runs[0].Stack != "alpha" {
		t.Errorf("/driftgate plan alpha queued %v, want alpha only", statuses(runs))
	}
}

// TestForgeOutageDelaysComments: with the forge down a PR is still
// planned; its comment waits in the outbox and is sent once it is back.
func TestForgeOutageDelaysComments(t *testing.T) {
	h := newGateHarness(t, prStacks, "alpha", "beta")
	fake := newFakeForge()
	fake.fail = forge.ErrUnauthorized
	rc := h.withForge(fake, nil)
	h.poll()
	h.settle()
	head := h.pushPR(3, map[string]string{"beta/main.tf": `resource "x" "o" {}` + "\n"})
	if err := h.d.handlePR(h.ctx, rc, prEvent(forge.PROpened, 3, head, nil)); err != nil {
		t.Fatal(err)
	}
	h.settle()
	h.d.deliverOutbox(h.ctx)
	runs := h.prRuns(3)
	if len(runs) == 0 || runs[0].Status != store.StatusPlanned {
		t.Fatalf("PR runs with the forge down = %v, want planned", statuses(runs))
	}
	pending, err := h.st.PendingOutbox(h.ctx, "infra", time.Now().Add(time.Hour))
	if err != nil || len(pending) == 0 || pending[0].Attempts != 1 {
		t.Fatalf("outbox = %+v, %v; want the comment kept with one failed attempt", pending, err)
	}
	fake.mu.Lock()
	fake.fail = nil
	fake.mu.Unlock()
	for _, it := range pending { // as if the backoff had passed
		if err := h.st.QueueOutbox(h.ctx, it); err != nil {
			t.Fatal(err)
		}
	}
	h.d.deliverOutbox(h.ctx)
	if c := fake.commentsOf(3); len(c) != 1 {
		t.Errorf("comments once the forge is back = %v, want one", c)
	}
}

func TestPREventsOtherBranchAndPush(t *testing.T) {
	h := newGateHarness(t, prStacks, "alpha", "beta")
	fake := newFakeForge()
	rc := h.withForge(fake, nil)
	h.poll()
	h.settle()
	head := h.pushPR(4, map[string]string{"alpha/main.tf": `resource "x" "r" {}` + "\n"})
	if err := h.d.handlePR(h.ctx, rc, prEvent(forge.PROpened, 4, head, func(p *forge.PullRequest) { p.BaseRef = "release" })); err != nil {
		t.Fatal(err)
	}
	if runs := h.prRuns(4); len(runs) != 0 {
		t.Errorf("a PR into another branch was planned: %v", statuses(runs))
	}

	// A push to the tracked branch pokes the watcher; to another, not.
	for _, tc := range []struct {
		branch string
		poked  bool
	}{{"feature", false}, {"main", true}} {
		ev := &forge.Event{Kind: forge.EventPush, Project: "acme/infra", Push: &forge.PushEvent{Branch: tc.branch}}
		if err := h.d.handleEvent(h.ctx, "infra", ev); err != nil {
			t.Fatal(err)
		}
		select {
		case <-h.w.poke:
			if !tc.poked {
				t.Errorf("push to %s poked the watcher", tc.branch)
			}
		default:
			if tc.poked {
				t.Errorf("push to %s did not poke the watcher", tc.branch)
			}
		}
	}

	// An unknown /driftgate command gets the usage.
	if err := h.d.handleCommand(h.ctx, rc, &forge.CommentEvent{PRNumber: 4, Author: "bob", Body: "/driftgate apply", ID: 9}); err != nil {
		t.Fatal(err)
	}
	h.d.deliverOutbox(h.ctx)
	if c := fake.commentsOf(4)["<!-- driftgate:reply:9 -->"]; !strings.Contains(c, "/driftgate plan STACK") {
		t.Errorf("reply to an unknown command = %q, want the usage", c)
	}
}

func TestApplyStatusOnMergeCommit(t *testing.T) {
	h := newGateHarness(t, prStacks, "alpha", "beta")
	fake := newFakeForge()
	h.withForge(fake, nil)
	const merge = "0123456789abcdef0123456789abcdef01234567"
	if _, err := h.st.UpdatePR(h.ctx, "infra", 7, func(r *store.PRRecord) error {
		r.State, r.MergeCommit = string(forge.PRMerged), merge
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		status store.RunStatus
		want   forge.StatusState
	}{
		{store.StatusAwaitingApproval, forge.StatusPending},
		{store.StatusApplied, forge.StatusSuccess},
		{store.StatusRefused, forge.StatusFailure},
		{store.StatusRejected, forge.StatusFailure},
		{store.StatusErrored, forge.StatusFailure},
	} {
		run := &store.Run{Repo: "infra", Stack: "alpha", Commit: merge, Operation: OperationApply, Status: tc.status}
		if err := h.st.CreateRun(h.ctx, run); err != nil {
			t.Fatal(err)
		}
		h.d.reportApply(h.ctx, run)
		h.d.deliverOutbox(h.ctx)
		if st, _ := fake.lastStatus(merge, statusApply); st.State != tc.want {
			t.Errorf("apply run %s: driftgate/apply = %+v, want %s", tc.status, st, tc.want)
		}
	}
}
