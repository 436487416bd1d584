package test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"code.gitea.io/sdk/gitea"

	"github.com/driftgate/driftgate/runner/prcomment"
	"github.com/driftgate/driftgate/store"
	"github.com/driftgate/driftgate/test/giteatest"
	"github.com/driftgate/driftgate/test/tftest"
)

// TestPullRequestOnGitea runs the PR flow against a real Gitea (built by
// make gitea; skipped without it) and real terraform: a PR touching one of
// two stacks gets one comment with that stack's plan and a success status
// on its head, delivered through Gitea's webhook; a second push updates
// that same comment; and driftgate set --pr opens a PR that gets the plan
// comment of the stack using the file.
func TestPullRequestOnGitea(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	srv := giteatest.Start(t)
	env := tftest.Setup(t)
	bin := buildDriftgate(t)
	work := t.TempDir()
	objects := filepath.Join(work, "objects")

	repo := srv.CreateRepo(t, "", "infra")
	srv.Commit(t, srv.Admin, repo, "main", "two stacks", map[string]string{
		"stacks/a/main.tf": stackTF("a", ""),
		"stacks/b/main.tf": stackTF("b", `variable "size" {
  type = string
}
`),
		"stacks/b/terraform.tfvars": "size = \"small\"\n",
		"modules/shared/main.tf":    sharedModule,
	})

	const secret = "gitea-webhook-secret-7d1e"
	addr := freeAddr(t)
	config := writeGiteaConfig(t, work, addr, srv, repo, fmt.Sprintf("public_url        = \"http://%s\"\nmax_parallel_runs = 2\n", addr))
	d := newDaemon(t, env, bin, config, "DGTEST_ROOT="+objects,
		"DG_TEST_GITEA_TOKEN="+srv.Admin.Token, "DG_TEST_GITEA_SECRET="+secret)
	d.start()
	d.waitRuns("the first plans of main", 3*time.Minute, func(runs []store.Run) bool {
		planned := 0
		for _, r := range runs {
			if r.Operation == store.OperationPlan && r.Status.Terminal() {
				planned++
			}
		}
		return planned >= 2
	})
	srv.AddWebhook(t, repo, "http://"+addr+"/webhooks/infra", secret)

	head := srv.Commit(t, srv.Admin, repo, "change-a", "resize a", map[string]string{
		"stacks/a/main.tf": stackTF("a-renamed", ""),
	})
	pr := srv.OpenPR(t, srv.Admin, repo, "change-a", "main", "Rename a")
	owner, name, _ := strings.Cut(repo, "/")
	c := srv.Client(t, srv.Admin)

	// comments returns the bodies of driftgate's comments on the PR.
	comments := func() []string {
		list, _, err := c.ListIssueComments(owner, name, pr.Index, gitea.ListIssueCommentOptions{})
		if err != nil {
			t.Fatalf("list comments: %v", err)
		}
		var out []string
		for _, cm := range list {
			if strings.Contains(cm.Body, prcomment.Marker(1)) {
				out = append(out, cm.Body)
			}
		}
		return out
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(3 * time.Minute)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s; comments %q\ndaemon log:\n%s", what, comments(), d.log())
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	statusOf := func(sha string) gitea.StatusState {
		st, _, err := c.GetCombinedStatus(owner, name, sha)
		if err != nil || st == nil {
			return ""
		}
		for _, s := range st.Statuses {
			if s.Context == "driftgate/plan" {
				return s.State
			}
		}
		return ""
	}
	waitFor("the plan comment and a success status", func() bool {
		cs := comments()
		return len(cs) == 1 && strings.Contains(cs[0], "stacks/a") && statusOf(head) == gitea.StatusSuccess
	})
	body := comments()[0]
	if strings.Contains(body, "stacks/b") {
		t.Errorf("the comment names stacks/b, which the PR does not touch:\n%s", body)
	}

	// A second push updates the same comment; it never adds one.
	head2 := srv.Commit(t, srv.Admin, repo, "change-a", "resize a again", map[string]string{
		"stacks/a/main.tf": stackTF("a-renamed-again", ""),
	})
	waitFor("the comment updated for the second push", func() bool {
		cs := comments()
		return len(cs) == 1 && cs[0] != body && statusOf(head2) == gitea.StatusSuccess
	})

	// The CI handoff: driftgate set --pr opens a PR on Gitea, and the
	// daemon comments its plan there.
	set := exec.Command(bin, "set", srv.URL+"/"+repo+".git", "--file", "stacks/b/terraform.tfvars", "--var", "size=large",
		"--pr", "--forge", "gitea", "--forge-url", srv.URL, "--forge-project", repo,
		"--forge-token-env", "DG_TEST_GITEA_TOKEN", "--token-env", "DG_TEST_GITEA_TOKEN", "--author", "ci <ci@example.com>")
	set.Env = append(os.Environ(), "DG_TEST_GITEA_TOKEN="+srv.Admin.Token)
	out, err := set.CombinedOutput()
	if err != nil {
		t.Fatalf("driftgate set --pr: %v\n%s", err, out)
	}
	var setPR int64
	waitFor("the PR driftgate set opened", func() bool {
		prs, _, err := c.ListRepoPullRequests(owner, name, gitea.ListPullRequestsOptions{State: gitea.StateOpen})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range prs {
			if p.Head != nil && strings.HasPrefix(p.Head.Ref, "driftgate/set-") {
				setPR = p.Index
				return true
			}
		}
		return false
	})
	waitFor("the plan comment on the set PR", func() bool {
		list, _, err := c.ListIssueComments(owner, name, setPR, gitea.ListIssueCommentOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, cm := range list {
			if strings.Contains(cm.Body, prcomment.Marker(1)) && strings.Contains(cm.Body, "stacks/b") {
				return true
			}
		}
		return false
	})
	d.stop(30 * time.Second)
}

// TestPullRequestGuardsOnGitea checks, on a real Gitea, that a PR from a
// fork is not planned (it would run the fork's code with driftgate's
// credentials) and that a /driftgate plan comment from a user without
// write access is refused with a reply.
func TestPullRequestGuardsOnGitea(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	srv := giteatest.Start(t)
	env := tftest.Setup(t)
	bin := buildDriftgate(t)
	work := t.TempDir()
	repo := srv.CreateRepo(t, "", "infra")
	srv.Commit(t, srv.Admin, repo, "main", "one stack", map[string]string{
		"stacks/a/main.tf":       stackTF("a", ""),
		"modules/shared/main.tf": sharedModule,
	})
	const secret = "gitea-webhook-secret-guards"
	addr := freeAddr(t)
	config := writeGiteaConfig(t, work, addr, srv, repo, "")
	d := newDaemon(t, env, bin, config, "DGTEST_ROOT="+filepath.Join(work, "objects"),
		"DG_TEST_GITEA_TOKEN="+srv.Admin.Token, "DG_TEST_GITEA_SECRET="+secret)
	d.start()
	srv.AddWebhook(t, repo, "http://"+addr+"/webhooks/infra", secret)

	reader := srv.CreateUser(t, "reader")
	srv.AddCollaborator(t, repo, reader.Name, gitea.AccessModeRead)
	fork := srv.Fork(t, reader, repo)
	srv.Commit(t, reader, fork, "evil", "from a fork", map[string]string{"stacks/a/main.tf": stackTF("evil", "")})
	pr := srv.OpenPR(t, reader, repo, reader.Name+":evil", "main", "from a fork")
	srv.Comment(t, reader, repo, pr.Index, "/driftgate plan")

	owner, name, _ := strings.Cut(repo, "/")
	c := srv.Client(t, srv.Admin)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		list, _, err := c.ListIssueComments(owner, name, pr.Index, gitea.ListIssueCommentOptions{})
		if err != nil {
			t.Fatal(err)
		}
		refused := false
		for _, cm := range list {
			refused = refused || strings.Contains(cm.Body, "only users with write access")
		}
		if refused {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no refusal reply to the reader's /driftgate plan\ndaemon log:\n%s", d.log())
		}
		time.Sleep(500 * time.Millisecond)
	}
	for _, r := range d.runs() {
		if r.PR == int(pr.Index) {
			t.Errorf("the fork PR was planned: run %s %s", r.ID, r.Status)
		}
	}
	d.stop(30 * time.Second)
}

// writeGiteaConfig writes a server config watching repo on the Gitea srv
// with its forge block (token and webhook secret from DG_TEST_GITEA_TOKEN
// and DG_TEST_GITEA_SECRET), plus extra top-level settings.
func writeGiteaConfig(t *testing.T, work, addr string, srv *giteatest.Server, repo, extra string) string {
	t.Helper()
	config := filepath.Join(work, "driftgate.hcl")
	if err := os.WriteFile(config, []byte(fmt.Sprintf(`
data_dir = %q
listen   = %q
%s
terraform {
  install = false
}
repo "infra" {
  url           = "%s/%s.git"
  poll_interval = "2s"
  forge {
    type               = "gitea"
    base_url           = %q
    project            = %q
    token_env          = "DG_TEST_GITEA_TOKEN"
    webhook_secret_env = "DG_TEST_GITEA_SECRET"
  }
}
`, filepath.Join(work, "data"), addr, extra, srv.URL, repo, srv.URL, repo)), 0o600); err != nil {
		t.Fatal(err)
	}
	return config
}
