package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/driftgate/driftgate/test/giteatest"
	"github.com/driftgate/driftgate/test/tftest"
)

// giteaBinary is the Gitea the tests run: $DRIFTGATE_TEST_GITEA, else
// .build/gitea/gitea (make gitea); "" when there is none.
func giteaBinary(tb testing.TB) string {
	tb.Helper()
	bin := os.Getenv(giteatest.EnvBinary)
	if bin == "" {
		bin = filepath.Join(moduleRoot(tb), ".build", "gitea", "gitea")
	}
	if _, err := os.Stat(bin); err != nil {
		return ""
	}
	return bin
}

// TestPullRequestExample runs examples/pr/run.sh, what `make example-pr`
// runs, against a freshly built binary and the built Gitea (skipped when
// Gitea is not built): it starts Gitea, pushes the bundled example, starts
// driftgate with a forge block and its webhook, opens a PR changing the app
// stack, and prints the PR's address and driftgate's plan comment, fetched
// back from Gitea once the PR head's driftgate/plan status is success; with
// EXAMPLE_STOP=1 it stops both daemons.
func TestPullRequestExample(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	gitea := giteaBinary(t)
	if gitea == "" {
		t.Skip("no Gitea binary: run `make gitea` (builds it from the Go module proxy) or set " + giteatest.EnvBinary)
	}
	env := tftest.Setup(t)
	bin := buildDriftgate(t)
	work := t.TempDir()
	giteaAddr := freeAddr(t)
	cmd := exec.Command(filepath.Join(moduleRoot(t), "examples", "pr", "run.sh"), bin, env.MirrorDir, gitea)
	cmd.Env = append(env.Environ(), "EXAMPLE_DIR="+work, "EXAMPLE_ADDR="+freeAddr(t), "EXAMPLE_GITEA_ADDR="+giteaAddr, "EXAMPLE_STOP=1")
	out, err := cmd.CombinedOutput()
	text := string(out)
	if err != nil {
		t.Fatalf("run.sh: %v\n%s", err, text)
	}
	if !regexp.MustCompile(`(?m)^Pull request: http://` + regexp.QuoteMeta(giteaAddr) + `/quickstart/infra/pulls/1$`).MatchString(text) {
		t.Error("the output lacks the PR's address")
	}
	_, comment, ok := strings.Cut(text, "The plan comment driftgate posted on it:")
	if !ok {
		t.Fatalf("the output lacks the plan comment:\n%s", text)
	}
	for _, want := range []string{
		"driftgate/plan status: success",
		"stopping driftgate and Gitea",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the output lacks %q", want)
		}
	}
	for _, want := range []string{
		"<!-- driftgate:plan:1 -->",
		"### driftgate plan for #1 at `",
		"| app | [changes](http://",
		"<summary>app: 3 to add",
		"```diff",
		`size    = "large"`,
	} {
		if !strings.Contains(comment, want) {
			t.Errorf("the printed comment lacks %q", want)
		}
	}
	// Only the app stack reads env/app.tfvars: network is not in the PR.
	if strings.Contains(comment, "| network |") {
		t.Error("the comment lists the network stack, which the PR does not affect")
	}
	if strings.Contains(text, "quickstart-not-a-real-secret") {
		t.Error("the example's secret reached the output")
	}
	for _, pid := range []string{"driftgate.pid", "gitea.pid"} {
		if _, err := os.Stat(filepath.Join(work, pid)); !os.IsNotExist(err) {
			t.Errorf("%s stays after EXAMPLE_STOP=1: %v", pid, err)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s", text)
	}
}

// TestPullRequestExampleWithoutGitea checks that examples/pr/run.sh, given
// no Gitea binary, says how to build one and exits 0.
func TestPullRequestExampleWithoutGitea(t *testing.T) {
	work := t.TempDir()
	cmd := exec.Command(filepath.Join(moduleRoot(t), "examples", "pr", "run.sh"), "driftgate", "mirror", filepath.Join(work, "no-gitea"))
	cmd.Env = append(os.Environ(), "EXAMPLE_DIR="+work)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("run.sh without Gitea: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "make gitea") || !strings.Contains(string(out), "make example-pr") {
		t.Errorf("the note does not say how to build Gitea and run again:\n%s", out)
	}
}
