package test

import (
	"encoding/json"
	"errors"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/driftgate/driftgate/store"
	"github.com/driftgate/driftgate/test/gittest"
	"github.com/driftgate/driftgate/test/tftest"
)

// cli runs the driftgate binary with args and returns its exit code and
// output.
func cli(t *testing.T, env *tftest.Env, bin string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), bin, args...)
	cmd.Env = env.Environ()
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return exit.ExitCode(), out.String(), errOut.String()
	case err != nil:
		t.Fatalf("driftgate %s: %v", strings.Join(args, " "), err)
	}
	return 0, out.String(), errOut.String()
}

// TestLocalPlanAndRepoErrorsWithDaemon runs a daemon that applies a stack
// without a backend. `driftgate plan` of a checkout of that stack with the
// daemon's --config plans against the daemon's state: no changes. Then a
// commit breaks .driftgate.hcl twice: the repo's last error, in GET
// /api/v1/repos and in `driftgate repos`, shows both diagnostics whole.
func TestLocalPlanAndRepoErrorsWithDaemon(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	env := tftest.Setup(t)
	bin := buildDriftgate(t)
	work := t.TempDir()
	objects := filepath.Join(work, "objects")
	up := gittest.New(t, map[string]string{
		".driftgate.hcl": `stack "app" {
  dir   = "stacks/app"
  apply = "auto"
}
`,
		"stacks/app/main.tf": tftest.ProviderBlock(objects) + `resource "dgtest_server" "web" {
  name = "web"
  size = "small"
}
`,
	})
	first := up.Head()
	config := writeGateConfig(t, env, work, up.Dir, "")
	d := newDaemon(t, env, bin, config)
	d.start()
	d.applyRun("app applied by the daemon", "app", first, store.StatusApplied)
	// What the daemon runs after the apply holds the state's lock; a local
	// plan then fails to lock it, as terraform does.
	d.waitRuns("the daemon to be idle", 2*time.Minute, func(runs []store.Run) bool {
		for _, r := range runs {
			if r.Status == store.StatusQueued || r.Status == store.StatusRunning {
				return false
			}
		}
		return true
	})

	// up.Dir is a checkout of the daemon's repo at the applied commit.
	stack := filepath.Join(up.Dir, "stacks", "app")
	code, out, errOut := cli(t, env, bin, "plan", stack, "--config", config, "--no-text")
	if code != 0 {
		t.Fatalf("plan with the daemon's config: exit %d, want 0 (no changes)\n%s\n%s", code, out, errOut)
	}
	wantState := filepath.Join(work, "data", "state", "infra", "app", "terraform.tfstate")
	for _, want := range []string{"Plan: 0 to add", "State:     " + wantState + " (the daemon's, repo infra)"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan output lacks %q:\n%s", want, out)
		}
	}
	// Without the config it is the directory's state, where terraform
	// never ran: everything is new.
	code, out, errOut = cli(t, env, bin, "plan", stack, "--data-dir", filepath.Join(work, "local"), "--no-text")
	if code != 2 || !strings.Contains(out, "(the directory's own)") {
		t.Errorf("plan without config: exit %d, want 2\n%s\n%s", code, out, errOut)
	}

	broken := up.Commit("break the repo config", map[string]string{".driftgate.hcl": `stack "app" {
  dir  = "stacks/app"
  aply = "auto"
}

stack "other" {
  dir        = "stacks/app"
  depends_on = ["nope"]
  workspace  = "staging"
}
`})
	wantDiags := []string{
		".driftgate.hcl at " + broken[:12] + " has errors, nothing was planned:",
		".driftgate.hcl:3:3: error: Unsupported argument",
		`    3 |   aply = "auto"`,
		`Did you mean "apply"?`,
		".driftgate.hcl:8:17: error: Unknown stack",
		`    8 |   depends_on = ["nope"]`,
		"but no stack has that name.",
	}
	var rec store.RepoRecord
	waitFor(t, "the repo to show its broken config", func() bool {
		status, body := d.call("GET", "/api/v1/repos", testToken)
		var resp struct {
			Repos []store.RepoRecord `json:"repos"`
		}
		if status != http.StatusOK || json.Unmarshal(body, &resp) != nil || len(resp.Repos) != 1 {
			return false
		}
		rec = resp.Repos[0]
		return rec.Status == "error"
	})
	for _, want := range wantDiags {
		if !strings.Contains(rec.LastError, want) {
			t.Errorf("API last_error lacks %q:\n%s", want, rec.LastError)
		}
	}

	code, out, errOut = cli(t, env, bin, "repos", "--server", "http://"+d.addr, "--token", testToken)
	if code != 0 {
		t.Fatalf("repos: exit %d\n%s", code, errOut)
	}
	_, below, ok := strings.Cut(out, "\nLast errors:\n  infra:\n")
	if !ok {
		t.Fatalf("repos shows no last errors below the table:\n%s", out)
	}
	for _, want := range wantDiags {
		if !strings.Contains(below, want) {
			t.Errorf("repos lacks %q:\n%s", want, out)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if utf8.RuneCountInString(line) > 80 {
			t.Errorf("repos line wider than 80 columns: %q", line)
		}
	}
}
