package runner

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/driftgate/driftgate/planner/analysis"
	"github.com/driftgate/driftgate/runner/forge"
	"github.com/driftgate/driftgate/store"
)

// reviewStacks is a repo of stacks alpha, whose block gets the policy
// lines of a test, and beta.
const reviewStacks = `
stack "alpha" {
  dir = "alpha"
%s
}
stack "beta" {
  dir = "beta"
}
`

// reviewCase is a gate harness with a fake forge, planned once.
type reviewCase struct {
	*gateHarness
	fc *fakeForge
	rc RepoConfig
}

func newReviewCase(t *testing.T, policy string) *reviewCase {
	t.Helper()
	h := newGateHarness(t, fmt.Sprintf(reviewStacks, policy), "alpha", "beta")
	fake := newFakeForge()
	c := &reviewCase{gateHarness: h, fc: fake, rc: h.withForge(fake, nil)}
	h.poll()
	h.settle()
	return c
}

// openPR pushes two changes of alpha as PR n by bob, planning each, and
// returns the first head and the final one.
func (c *reviewCase) openPR(n int) (older, head string) {
	c.tb.Helper()
	for i, name := range []string{"first", "final"} {
		sha := c.pushPR(n, map[string]string{"alpha/main.tf": fmt.Sprintf("resource \"x\" %q {}\n", name)})
		action := forge.PROpened
		if i > 0 {
			action = forge.PRSynchronized
		}
		if err := c.d.handlePR(c.ctx, c.rc, prEvent(action, n, sha, nil)); err != nil {
			c.tb.Fatal(err)
		}
		c.settle()
		older, head = head, sha
	}
	return older, head
}

// merge has the forge say PR n merged at head (a fast-forward: head is the
// merge commit) with reviews, moves main there, and plans it. It returns
// alpha's newest apply run.
func (c *reviewCase) merge(n int, head string, reviews []forge.Review) store.Run {
	c.tb.Helper()
	c.fc.mu.Lock()
	c.fc.reviews[n] = reviews
	c.fc.mu.Unlock()
	if err := c.d.handlePR(c.ctx, c.rc, prEvent(forge.PRClosedAction, n, head, func(p *forge.PullRequest) {
		p.State, p.MergeCommitSHA = forge.PRMerged, head
	})); err != nil {
		c.tb.Fatal(err)
	}
	c.moveMain(head)
	c.poll()
	c.settle()
	return c.latest("alpha", OperationApply)
}

func (c *reviewCase) moveMain(sha string) {
	c.tb.Helper()
	if err := c.repo.Git.Storer.SetReference(plumbing.NewHashReference("refs/heads/main", plumbing.NewHash(sha))); err != nil {
		c.tb.Fatal(err)
	}
}

func (c *reviewCase) writers(users ...string) {
	c.fc.mu.Lock()
	defer c.fc.mu.Unlock()
	for _, u := range users {
		c.fc.writers[u] = true
	}
}

// review is a review of state by user on commit sha.
func review(id int64, user string, state forge.ReviewState, sha string) forge.Review {
	return forge.Review{ID: id, User: user, State: state, CommitSHA: sha, SubmittedAt: time.Date(2026, 1, 1, 0, 0, int(id), 0, time.UTC)}
}

// TestForgeApprovalRules runs the counting rules through the real gate:
// which reviews of a merged PR let the apply of its merge commit go
// without a driftgate approval.
func TestForgeApprovalRules(t *testing.T) {
	approved := forge.ReviewApproved
	for _, tc := range []struct {
		name     string
		policy   string
		writers  []string
		destroys bool
		reviews  func(older, head string) []forge.Review
		// applied, else the run awaits approval with reason and a Waiting
		// containing waiting.
		applied   bool
		reason    store.RunReason
		waiting   string
		approvers []string
	}{
		{name: "a writer approved the final head", writers: []string{"carol"},
			reviews: func(_, head string) []forge.Review { return []forge.Review{review(41, "carol", approved, head)} },
			applied: true, approvers: []string{"github:carol"}},
		{name: "an approval of an older head is stale", writers: []string{"carol"},
			reviews: func(older, _ string) []forge.Review { return []forge.Review{review(41, "carol", approved, older)} },
			reason:  store.ReasonNeedsApproval, waiting: "github:carol approved commit"},
		{name: "the PR's author", writers: []string{"bob"},
			reviews: func(_, head string) []forge.Review { return []forge.Review{review(41, "bob", approved, head)} },
			reason:  store.ReasonNeedsApproval, waiting: "github:bob opened the PR"},
		{name: "the PR's author with self_approval", policy: "self_approval = true", writers: []string{"bob"},
			reviews: func(_, head string) []forge.Review { return []forge.Review{review(41, "bob", approved, head)} },
			applied: true, approvers: []string{"github:bob"}},
		{name: "no write access",
			reviews: func(_, head string) []forge.Review { return []forge.Review{review(41, "carol", approved, head)} },
			reason:  store.ReasonNeedsApproval, waiting: "github:carol has no write access"},
		{name: "not in approvers", policy: `approvers = ["github:dave"]`, writers: []string{"carol"},
			reviews: func(_, head string) []forge.Review { return []forge.Review{review(41, "carol", approved, head)} },
			reason:  store.ReasonNeedsApproval, waiting: "github:carol is not in approvers"},
		{name: "a driftgate name in approvers is not the forge user", policy: `approvers = ["carol"]`, writers: []string{"carol"},
			reviews: func(_, head string) []forge.Review { return []forge.Review{review(41, "carol", approved, head)} },
			reason:  store.ReasonNeedsApproval, waiting: "github:carol is not in approvers"},
		{name: "in approvers", policy: `approvers = ["github:dave"]`, writers: []string{"carol", "dave"},
			reviews: func(_, head string) []forge.Review {
				return []forge.Review{review(41, "carol", approved, head), review(42, "dave", approved, head)}
			},
			applied: true, approvers: []string{"github:dave"}},
		{name: "forge user names match regardless of case", policy: `approvers = ["github:Dave"]`, writers: []string{"dave"},
			reviews: func(_, head string) []forge.Review { return []forge.Review{review(42, "dave", approved, head)} },
			applied: true, approvers: []string{"github:dave"}},
		{name: "changes requested after approving", writers: []string{"carol"},
			reviews: func(_, head string) []forge.Review {
				return []forge.Review{review(41, "carol", approved, head), review(42, "carol", forge.ReviewChangesRequested, head)}
			},
			reason: store.ReasonNeedsApproval, waiting: "needs 1 approval"},
		{name: "dismissed after approving", writers: []string{"carol"},
			reviews: func(_, head string) []forge.Review {
				return []forge.Review{review(41, "carol", approved, head), review(42, "carol", forge.ReviewDismissed, head)}
			},
			reason: store.ReasonNeedsApproval, waiting: "needs 1 approval"},
		{name: "a comment after approving changes nothing", writers: []string{"carol"},
			reviews: func(_, head string) []forge.Review {
				return []forge.Review{review(41, "carol", approved, head), review(42, "carol", forge.ReviewCommented, head)}
			},
			applied: true, approvers: []string{"github:carol"}},
		{name: "pr_approvals off", policy: "pr_approvals = false", writers: []string{"carol"},
			reviews: func(_, head string) []forge.Review { return []forge.Review{review(41, "carol", approved, head)} },
			reason:  store.ReasonNeedsApproval, waiting: "needs 1 approval"},
		{name: "two required, two reviewers", policy: "approvals = 2", writers: []string{"carol", "dave"},
			reviews: func(_, head string) []forge.Review {
				return []forge.Review{review(41, "carol", approved, head), review(42, "dave", approved, head)}
			},
			applied: true, approvers: []string{"github:carol", "github:dave"}},
		{name: "two required, one reviewer approving twice", policy: "approvals = 2", writers: []string{"carol"},
			reviews: func(_, head string) []forge.Review {
				return []forge.Review{review(41, "carol", approved, head), review(42, "carol", approved, head)}
			},
			reason: store.ReasonNeedsApproval, waiting: "1 of 2 approvals", approvers: []string{"github:carol"}},
		{name: "a plan that destroys", destroys: true, writers: []string{"carol"},
			reviews: func(_, head string) []forge.Review { return []forge.Review{review(41, "carol", approved, head)} },
			reason:  store.ReasonNeedsApproval, waiting: "deletes or replaces resources"},
		{name: "a plan that destroys, allow_destroy", policy: "allow_destroy = true", destroys: true, writers: []string{"carol"},
			reviews: func(_, head string) []forge.Review { return []forge.Review{review(41, "carol", approved, head)} },
			applied: true, approvers: []string{"github:carol"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newReviewCase(t, tc.policy)
			c.fake.set(func(f *fakeTerraform) { f.destroys["alpha"] = tc.destroys })
			c.writers(tc.writers...)
			older, head := c.openPR(7)
			apply := c.merge(7, head, tc.reviews(older, head))
			if apply.Commit != head {
				t.Fatalf("alpha's newest apply run is of %s, want the merge commit %s", apply.Commit, head)
			}
			if tc.applied {
				if apply.Status != store.StatusApplied {
					t.Fatalf("apply run = %s %q (%s), want applied without a driftgate approval", apply.Status, apply.Reason, apply.Waiting)
				}
			} else if apply.Status != store.StatusAwaitingApproval || apply.Reason != tc.reason || !strings.Contains(apply.Waiting, tc.waiting) {
				t.Fatalf("apply run = %s %q %q, want awaiting_approval %q with %q", apply.Status, apply.Reason, apply.Waiting, tc.reason, tc.waiting)
			}
			if got := Approvers(apply.Binding, apply.Approvals); !slices.Equal(got, tc.approvers) {
				t.Errorf("approvers recorded = %v, want %v", got, tc.approvers)
			}
		})
	}
}

// TestForgeApprovalAuditedOnce: a counted review is recorded on the run
// with its source and review id and audited once, however often the gate
// looks again; the reviewer's write access is asked once per run; and a
// driftgate approver counts next to a forge one.
func TestForgeApprovalAuditedOnce(t *testing.T) {
	c := newReviewCase(t, "approvals = 2")
	c.writers("carol")
	_, head := c.openPR(7)
	apply := c.merge(7, head, []forge.Review{review(41, "carol", forge.ReviewApproved, head)})
	if apply.Status != store.StatusAwaitingApproval || !strings.Contains(apply.Waiting, "1 of 2 approvals") {
		t.Fatalf("apply run = %s %q, want awaiting with 1 of 2", apply.Status, apply.Waiting)
	}
	if len(apply.Approvals) != 1 || apply.Approvals[0].Source != "github" || apply.Approvals[0].ReviewID != 41 || apply.Approvals[0].Approver != "github:carol" {
		t.Fatalf("approvals on the run = %+v, want github:carol's review 41", apply.Approvals)
	}
	// The gate looks again: the merge webhook redelivered, an apply asked for.
	c.d.gateMerged(c.ctx, "infra", head)
	c.d.gateMerged(c.ctx, "infra", head)
	if _, err := (service{c.d}).ApplyRun(c.as(alice), apply.ID); err == nil {
		t.Fatal("apply with 1 of 2 approvals was queued")
	}
	if n := c.fc.canWrite["carol"]; n != 1 {
		t.Errorf("carol's write access was asked %d times, want once per run", n)
	}
	entries, _, err := c.st.ListAudit(c.ctx, store.AuditFilter{Repo: "infra", Actor: "github:carol", Limit: store.MaxListLimit})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Action != store.AuditApprove || entries[0].RunID != apply.ID ||
		!strings.Contains(entries[0].Detail, "github review 41 by carol of PR #7") {
		t.Fatalf("audit entries of github:carol = %+v, want one approve of run %s naming github review 41", entries, apply.ID)
	}
	if got := c.approve(alice, apply.ID); got.Status != store.StatusQueued {
		t.Fatalf("after alice's driftgate approval: %s %q, want queued (github:carol + alice)", got.Status, got.Waiting)
	}
	c.settle()
	if r := c.run(apply.ID); r.Status != store.StatusApplied {
		t.Errorf("apply run = %s %s, want applied", r.Status, r.Error)
	}
}

// TestForgeApprovalWebhookAfterPoll: the merge commit was planned before
// the merge webhook came; its apply waits until the PR's reviews are
// recorded, then goes.
func TestForgeApprovalWebhookAfterPoll(t *testing.T) {
	c := newReviewCase(t, "")
	c.writers("carol")
	_, head := c.openPR(7)
	c.moveMain(head)
	c.poll()
	c.settle()
	apply := c.latest("alpha", OperationApply)
	if apply.Commit != head || apply.Status != store.StatusAwaitingApproval {
		t.Fatalf("apply run before the webhook = %s at %s, want awaiting at %s", apply.Status, apply.Commit, head)
	}
	c.merge(7, head, []forge.Review{review(41, "carol", forge.ReviewApproved, head)})
	if r := c.run(apply.ID); r.Status != store.StatusApplied {
		t.Fatalf("apply run after the merge webhook = %s %q, want applied", r.Status, r.Waiting)
	}
}

// TestForgeApprovalPlanDiffers: when the merge commit's plan makes other
// changes than the PR's last plan showed, no review counts; the apply
// waits with plan_differs_from_review, the PR is told, and a driftgate
// approval lets it go.
func TestForgeApprovalPlanDiffers(t *testing.T) {
	change := func(after string) []analysis.ResourceChange {
		return []analysis.ResourceChange{{Address: "x.final", Mode: "managed", Type: "x", Name: "final", Action: analysis.ActionUpdate,
			Attributes: []analysis.AttributeChange{{Path: "size", Before: "small", After: after}}}}
	}
	for _, tc := range []struct {
		name    string
		merge   func(c *reviewCase, head string) // what happens between review and merge
		waiting string
	}{
		{"other attribute values", func(c *reviewCase, _ string) {
			c.fake.set(func(f *fakeTerraform) { f.changes["alpha"] = change("huge") })
		}, "x.final changes other attribute values than reviewed"},
		{"the final head not planned", func(c *reviewCase, head string) {
			c.pushPR(7, map[string]string{"alpha/main.tf": "resource \"x\" \"unplanned\" {}\n"})
		}, "is of commit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newReviewCase(t, "")
			c.writers("carol")
			c.fake.set(func(f *fakeTerraform) { f.changes["alpha"] = change("large") })
			_, head := c.openPR(7)
			tc.merge(c, head)
			final := c.prHead(7)
			apply := c.merge(7, final, []forge.Review{review(41, "carol", forge.ReviewApproved, final)})
			if apply.Status != store.StatusAwaitingApproval || apply.Reason != store.ReasonPlanDiffersFromReview ||
				!strings.Contains(apply.Waiting, tc.waiting) || !strings.Contains(apply.Waiting, "do not carry over") {
				t.Fatalf("apply run = %s %q %q, want awaiting plan_differs_from_review with %q", apply.Status, apply.Reason, apply.Waiting, tc.waiting)
			}
			if len(apply.Approvals) != 0 {
				t.Errorf("approvals recorded = %+v, want none", apply.Approvals)
			}
			c.d.deliverOutbox(c.ctx)
			body := c.fc.commentsOf(7)[reviewDiffersMarker("alpha")]
			if !strings.Contains(body, "do not apply to stack `alpha`") || !strings.Contains(body, apply.ID) {
				t.Errorf("PR comment = %q, want one saying alpha's approvals do not apply, naming run %s", body, apply.ID)
			}
			if got := c.approve(alice, apply.ID); got.Status != store.StatusQueued {
				t.Fatalf("after a driftgate approval: %s %q, want queued", got.Status, got.Waiting)
			}
		})
	}
}

// prHead is the commit refs/pull/n/head points at.
func (c *reviewCase) prHead(n int) string {
	c.tb.Helper()
	ref, err := c.repo.Git.Reference(plumbing.ReferenceName(fmt.Sprintf("refs/pull/%d/head", n)), true)
	if err != nil {
		c.tb.Fatal(err)
	}
	return ref.Hash().String()
}

func TestChangeDiff(t *testing.T) {
	res := func(addr string, action analysis.Action, after any) analysis.ResourceChange {
		return analysis.ResourceChange{Address: addr, Action: action, Attributes: []analysis.AttributeChange{{Path: "v", Before: "a", After: after}}}
	}
	plan := func(cs ...analysis.ResourceChange) *analysis.Analysis { return &analysis.Analysis{Changes: cs} }
	for _, tc := range []struct {
		name              string
		reviewed, applied *analysis.Analysis
		want              string
	}{
		{"same", plan(res("a.x", analysis.ActionUpdate, "b"), res("a.y", analysis.ActionCreate, "c")),
			plan(res("a.y", analysis.ActionCreate, "c"), res("a.x", analysis.ActionUpdate, "b")), ""},
		{"both empty", plan(), nil, ""},
		{"redacted values compare equal", plan(res("a.x", analysis.ActionUpdate, "(sensitive value)")),
			plan(res("a.x", analysis.ActionUpdate, "(sensitive value)")), ""},
		{"value", plan(res("a.x", analysis.ActionUpdate, "b")), plan(res("a.x", analysis.ActionUpdate, "c")),
			"a.x changes other attribute values than reviewed"},
		{"action", plan(res("a.x", analysis.ActionUpdate, "b")), plan(res("a.x", analysis.ActionReplace, "b")),
			"a.x is replace, reviewed as update"},
		{"added", plan(), plan(res("a.x", analysis.ActionCreate, "b")), "a.x is changed (create) but was not in the reviewed plan"},
		{"gone", plan(res("a.x", analysis.ActionDelete, nil)), plan(), "a.x was in the reviewed plan (delete) but is not changed"},
		{"output", &analysis.Analysis{Outputs: []analysis.OutputChange{{Name: "ip", Action: analysis.ActionUpdate, After: "1"}}},
			&analysis.Analysis{Outputs: []analysis.OutputChange{{Name: "ip", Action: analysis.ActionUpdate, After: "2"}}},
			"output.ip changes other attribute values than reviewed"},
		{"many", plan(), plan(res("a.1", analysis.ActionCreate, 1), res("a.2", analysis.ActionCreate, 1), res("a.3", analysis.ActionCreate, 1), res("a.4", analysis.ActionCreate, 1)),
			"a.1 is changed (create) but was not in the reviewed plan; a.2 is changed (create) but was not in the reviewed plan; a.3 is changed (create) but was not in the reviewed plan; and 1 more"},
	} {
		if got := changeDiff(tc.reviewed, tc.applied); got != tc.want {
			t.Errorf("%s: changeDiff = %q, want %q", tc.name, got, tc.want)
		}
	}
}
