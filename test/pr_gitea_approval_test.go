package test

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"code.gitea.io/sdk/gitea"

	"github.com/driftgate/driftgate/store"
	"github.com/driftgate/driftgate/test/giteatest"
	"github.com/driftgate/driftgate/test/tftest"
)

// TestPullRequestApprovalOnGitea runs approved merges through the apply
// gate on a real Gitea (built by make gitea; skipped without it) with real
// terraform. A reviewer with write access approves a PR's head and it is
// merged: the merge commit's apply goes without a driftgate approval (the
// stack needs one), the approval is on the run and in the audit log, and
// driftgate/apply turns success. Then a second PR is approved, the target
// branch changes the stack before the merge, and the merge commit's plan
// is not the reviewed one: its apply waits with plan_differs_from_review,
// the PR gets a comment saying so, and a driftgate approval lets it go.
func TestPullRequestApprovalOnGitea(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	srv := giteatest.Start(t)
	env := tftest.Setup(t)
	bin := buildDriftgate(t)
	work := t.TempDir()

	repo := srv.CreateRepo(t, "", "infra")
	owner, name, _ := strings.Cut(repo, "/")
	srv.Commit(t, srv.Admin, repo, "main", "one stack", map[string]string{
		"stacks/a/main.tf":       stackTF("a", ""),
		"modules/shared/main.tf": sharedModule,
	})
	reviewer := srv.CreateUser(t, "reviewer")
	srv.AddCollaborator(t, repo, reviewer.Name, gitea.AccessModeWrite)

	const secret = "gitea-webhook-secret-approvals"
	addr := freeAddr(t)
	config := writeGiteaConfig(t, work, addr, srv, repo, fmt.Sprintf("public_url = \"http://%s\"\nmax_parallel_runs = 2\n%s", addr, gateTokens()))
	d := newDaemon(t, env, bin, config, "DGTEST_ROOT="+filepath.Join(work, "objects"),
		"DG_TEST_GITEA_TOKEN="+srv.Admin.Token, "DG_TEST_GITEA_SECRET="+secret)
	d.start()
	d.applyRun("the first plan's apply run, awaiting approval", "stacks/a", "", store.StatusAwaitingApproval)
	srv.AddWebhook(t, repo, "http://"+addr+"/webhooks/infra", secret)
	c := srv.Client(t, srv.Admin)

	// prPlanned waits until the PR's head has driftgate/plan success: the
	// plan reviewers see is in the comment.
	statusOf := func(sha, context string) gitea.StatusState {
		st, _, err := c.GetCombinedStatus(owner, name, sha)
		if err != nil || st == nil {
			return ""
		}
		for _, s := range st.Statuses {
			if s.Context == context {
				return s.State
			}
		}
		return ""
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(3 * time.Minute)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s\nruns:\n%s\ndaemon log:\n%s", what, describe(d.runs()), d.log())
			}
			time.Sleep(500 * time.Millisecond)
		}
	}

	// 1. Approved and merged as reviewed: applied without a driftgate approval.
	head := srv.Commit(t, srv.Admin, repo, "rename-a", "rename a", map[string]string{"stacks/a/main.tf": stackTF("a-v1", "")})
	pr := srv.OpenPR(t, srv.Admin, repo, "rename-a", "main", "Rename a")
	waitFor("the PR's plan", func() bool { return statusOf(head, "driftgate/plan") == gitea.StatusSuccess })
	rv := srv.Review(t, reviewer, repo, pr.Index, gitea.ReviewStateApproved, head)
	merged := srv.Merge(t, repo, pr.Index)
	if merged.MergedCommitID == nil {
		t.Fatal("Gitea gave no merge commit")
	}
	merge := *merged.MergedCommitID
	apply := d.applyRun("the merge commit applied", "stacks/a", merge, store.StatusApplied)
	approver := "gitea:" + reviewer.Name
	if len(apply.Approvals) != 1 || apply.Approvals[0].Approver != approver || apply.Approvals[0].Source != "gitea" || apply.Approvals[0].ReviewID != rv.ID {
		t.Errorf("approvals of the applied run = %+v, want %s's review %d only", apply.Approvals, approver, rv.ID)
	}
	status, body := d.call("GET", "/api/v1/audit?actor="+approver, testToken)
	if status != 200 || strings.Count(string(body), `"action":"approve"`) != 1 || !strings.Contains(string(body), fmt.Sprintf("gitea review %d by %s", rv.ID, reviewer.Name)) {
		t.Errorf("audit entries of %s: %d %s; want one approve naming the review", approver, status, body)
	}
	waitFor("driftgate/apply success on the merge commit", func() bool { return statusOf(merge, "driftgate/apply") == gitea.StatusSuccess })

	// 2. Approved, then the target branch changes the stack before the
	// merge: the merge commit's plan is not the reviewed one.
	head2 := srv.Commit(t, srv.Admin, repo, "rename-a-again", "rename a again", map[string]string{"stacks/a/main.tf": stackTF("a-v2", "")})
	pr2 := srv.OpenPR(t, srv.Admin, repo, "rename-a-again", "main", "Rename a again")
	waitFor("the second PR's plan", func() bool { return statusOf(head2, "driftgate/plan") == gitea.StatusSuccess })
	srv.Review(t, reviewer, repo, pr2.Index, gitea.ReviewStateApproved, head2)
	srv.Commit(t, srv.Admin, repo, "main", "another server in a", map[string]string{"stacks/a/extra.tf": `module "extra" {
  source = "../../modules/shared"
  name   = "a-extra"
}
`})
	merged2 := srv.Merge(t, repo, pr2.Index)
	if merged2.MergedCommitID == nil {
		t.Fatal("Gitea gave no merge commit")
	}
	merge2 := *merged2.MergedCommitID
	waiting := d.applyRun("the second merge commit's apply run, waiting", "stacks/a", merge2, store.StatusAwaitingApproval)
	deadline := time.Now().Add(time.Minute)
	for waiting.Reason != store.ReasonPlanDiffersFromReview && time.Now().Before(deadline) {
		time.Sleep(300 * time.Millisecond)
		waiting = d.run(waiting.ID)
	}
	if waiting.Status != store.StatusAwaitingApproval || waiting.Reason != store.ReasonPlanDiffersFromReview ||
		!strings.Contains(waiting.Waiting, "do not carry over") || len(waiting.Approvals) != 0 {
		t.Fatalf("apply run of the second merge = %s %q %q, approvals %+v; want awaiting plan_differs_from_review and none counted\ndaemon log:\n%s",
			waiting.Status, waiting.Reason, waiting.Waiting, waiting.Approvals, d.log())
	}
	waitFor("the plan-differs comment on the second PR", func() bool {
		list, _, err := c.ListIssueComments(owner, name, pr2.Index, gitea.ListIssueCommentOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, cm := range list {
			if strings.Contains(cm.Body, "do not apply to stack `stacks/a`") && strings.Contains(cm.Body, waiting.ID) {
				return true
			}
		}
		return false
	})
	// The CLI shows why it waits.
	out, err := exec.Command(bin, "show", waiting.ID, "--server", "http://"+addr, "--token", testToken).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "plan_differs_from_review") || !strings.Contains(string(out), "Waiting:") {
		t.Errorf("driftgate show %s: %v\n%s\nwant the reason and what it waits for", waiting.ID, err, out)
	}
	d.approve(waiting.ID, bobToken) // the rename replaces: bob holds destroy
	d.waitStatus(waiting.ID, 2*time.Minute, store.StatusApplied)
	d.stop(30 * time.Second)
}
