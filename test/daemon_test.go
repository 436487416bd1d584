package test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/driftgate/driftgate/store"
	"github.com/driftgate/driftgate/test/gittest"
	"github.com/driftgate/driftgate/test/tftest"
)

const sharedModule = `terraform {
  required_providers {
    dgtest = { source = "driftgate/dgtest" }
  }
}

variable "name" {
  type = string
}

resource "dgtest_server" "this" {
  name = var.name
}
`

// stackTF is a stack calling the shared module; the provider keeps its
// objects in $DGTEST_ROOT.
func stackTF(name, extra string) string {
	return tftest.ProviderBlock("") + fmt.Sprintf(`module "svc" {
  source = "../../modules/shared"
  name   = %q
}
%s`, name, extra)
}

const slowTF = `data "dgtest_wait" "slow" {
  duration = "120s"
}
`

// TestDaemonEndToEnd runs driftgate serve as a process against a real git
// repository and real terraform: initial plans, a commit to one stack, a
// change to the shared module, a force-push, kill -9 with one plan running
// and one queued, and a graceful stop with a plan running. It runs once per
// product (tftest.Products): Terraform, and OpenTofu when
// DRIFTGATE_TEST_TOFU names a tofu binary.
func TestDaemonEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	tftest.Products(t, testDaemonEndToEnd)
}

func testDaemonEndToEnd(t *testing.T, env *tftest.Env) {
	bin := buildDriftgate(t)
	up := gittest.New(t, map[string]string{
		"stacks/a/main.tf":       stackTF("a", ""),
		"stacks/b/main.tf":       stackTF("b", ""),
		"modules/shared/main.tf": sharedModule,
		"README.md":              "# infra\n",
	})
	first := up.Head()

	work := t.TempDir()
	config := filepath.Join(work, "driftgate.hcl")
	addr := freeAddr(t)
	if err := os.WriteFile(config, []byte(fmt.Sprintf(`
data_dir          = %q
listen            = %q
max_parallel_runs = 1
shutdown_timeout  = "3s"
%s

repo "infra" {
  url           = %q
  branch        = "main"
  poll_interval = "1s"
}

token "viewer-bot" {
  role   = "viewer"
  sha256 = %q
}

repo "unreachable" {
  url           = %q
  poll_interval = "1s"
}
`, filepath.Join(work, "data"), addr, terraformBlock(env), up.Dir, sha256Hex(viewerToken), filepath.Join(work, "no-such-repo"))), 0o644); err != nil {
		t.Fatal(err)
	}
	d := newDaemon(t, env, bin, config, "DGTEST_ROOT="+filepath.Join(work, "objects"))
	d.start()

	// First sight: every stack is planned once.
	runs := d.waitRuns("initial plans", 2*time.Minute, func(r []store.Run) bool { return finished(r, first, "stacks/a", "stacks/b") })
	product, version := productVersion(t, env)
	for _, r := range atCommit(runs, first) {
		if r.Status != store.StatusPlanned || r.Trigger != "initial" || r.Summary == nil || r.Summary.Add != 1 {
			t.Errorf("initial run = %+v", r)
		}
		if r.Product != product || r.TerraformVersion != version {
			t.Errorf("initial run recorded %q %q, want %q %q (what planned)", r.Product, r.TerraformVersion, product, version)
		}
	}

	t.Run("bad input", func(t *testing.T) {
		if status, body := d.call("GET", "/api/v1/runs", "wrong-token"); status != http.StatusUnauthorized || !isJSONError(body) {
			t.Errorf("wrong token: %d %s", status, body)
		}
		if status, body := d.call("GET", "/api/v1/runs/01JDQ4S7ZK5T3V8M2X9W6YB1CD", testToken); status != http.StatusNotFound || !isJSONError(body) {
			t.Errorf("unknown run: %d %s", status, body)
		}
		if status, body := d.call("GET", "/healthz", ""); status != http.StatusOK {
			t.Errorf("healthz: %d %s", status, body)
		}
		status, body := d.call("GET", "/api/v1/repos", testToken)
		var repos struct {
			Repos []store.RepoRecord `json:"repos"`
		}
		if status != http.StatusOK || json.Unmarshal(body, &repos) != nil {
			t.Fatalf("repos: %d %s", status, body)
		}
		byName := map[string]store.RepoRecord{}
		for _, r := range repos.Repos {
			byName[r.Name] = r
		}
		if r := byName["unreachable"]; r.Status != "error" || r.LastError == "" {
			t.Errorf("unreachable repo = %+v, want status error with the reason", r)
		}
		if r := byName["infra"]; r.Status != "ok" || r.LastCommit != first {
			t.Errorf("infra repo = %+v", r)
		}
	})

	t.Run("manual plan, roles and audit", func(t *testing.T) {
		// Discovered stack names are dirs: the name travels escaped.
		status, body := d.call("POST", "/api/v1/stacks/infra/"+url.PathEscape("stacks/a")+"/plan", testToken)
		if status != http.StatusAccepted {
			t.Fatalf("manual plan: %d %s", status, body)
		}
		var run store.Run
		if err := json.Unmarshal(body, &run); err != nil || run.Stack != "stacks/a" || run.Trigger != "manual" || run.Commit != first {
			t.Fatalf("manual run = %+v, %v", run, err)
		}
		d.waitRuns("manual plan", time.Minute, func(r []store.Run) bool {
			for _, x := range r {
				if x.ID == run.ID {
					return x.Status.Terminal()
				}
			}
			return false
		})
		if status, body := d.call("POST", "/api/v1/stacks/infra/"+url.PathEscape("stacks/a")+"/plan", viewerToken); status != http.StatusForbidden || !strings.Contains(string(body), "viewer") {
			t.Errorf("viewer triggering a plan: %d %s", status, body)
		}
		if status, _ := d.call("GET", "/api/v1/runs", viewerToken); status != http.StatusOK {
			t.Errorf("viewer reading runs: %d", status)
		}
		status, body = d.call("GET", "/api/v1/audit", testToken)
		var audit struct {
			Entries []store.AuditEntry `json:"entries"`
		}
		if status != http.StatusOK || json.Unmarshal(body, &audit) != nil {
			t.Fatalf("audit: %d %s", status, body)
		}
		var sawPlan, sawRefusal bool
		for _, e := range audit.Entries {
			sawPlan = sawPlan || (e.Action == store.AuditPlan && e.Actor == "default" && e.RunID == run.ID)
			sawRefusal = sawRefusal || (e.Actor == "viewer-bot" && e.Result == store.AuditRefused)
		}
		if !sawPlan || !sawRefusal {
			t.Errorf("audit lacks the manual plan (%v) or the refusal (%v): %s", sawPlan, sawRefusal, body)
		}
	})

	// A commit to one stack plans only that stack.
	onlyA := up.Commit("change a", map[string]string{"stacks/a/main.tf": stackTF("a", "output \"x\" {\n  value = 1\n}\n")})
	runs = d.waitRuns("plan of stack a", time.Minute, func(r []store.Run) bool { return finished(r, onlyA, "stacks/a") })
	if r := atCommit(runs, onlyA)["stacks/a"]; r.Trigger != "commit" || r.Status != store.StatusPlanned {
		t.Errorf("commit run = %+v", r)
	}

	// A change to the shared module plans both.
	module := up.Commit("change module", map[string]string{"modules/shared/main.tf": sharedModule + "\n# tuned\n"})
	d.waitRuns("plans after the module change", time.Minute, func(r []store.Run) bool { return finished(r, module, "stacks/a", "stacks/b") })
	if got := atCommit(d.runs(), onlyA); len(got) != 1 {
		t.Errorf("commit to a planned %d stacks", len(got))
	}

	// A force-push plans everything.
	up.Commit("to be rewritten", map[string]string{"stacks/b/notes.tf": "# rewritten\n"})
	rewritten := up.Rewrite()
	runs = d.waitRuns("plans after the force-push", time.Minute, func(r []store.Run) bool { return finished(r, rewritten, "stacks/a", "stacks/b") })
	for _, r := range atCommit(runs, rewritten) {
		if r.Trigger != "force-push" || r.Attrs[store.AttrPreviousCommit] != module {
			t.Errorf("force-push run = %+v", r)
		}
	}

	// kill -9 with stack a planning (slowly) and stack b queued behind it.
	crash := up.Commit("slow a, change b", map[string]string{
		"stacks/a/slow.tf": slowTF,
		"stacks/b/main.tf": stackTF("b", "output \"y\" {\n  value = 2\n}\n"),
	})
	d.waitRuns("a running and b queued", time.Minute, func(r []store.Run) bool {
		got := atCommit(r, crash)
		return got["stacks/a"].Status == store.StatusRunning && got["stacks/b"].Status == store.StatusQueued
	})
	before := d.runs()
	d.kill9()
	d.start()
	runs = d.waitRuns("queued plan to run after the restart", time.Minute, func(r []store.Run) bool { return finished(r, crash, "stacks/a", "stacks/b") })
	got := atCommit(runs, crash)
	if r := got["stacks/a"]; r.Status != store.StatusInterrupted || !strings.Contains(r.Error, "interrupted") {
		t.Errorf("run cut off by kill -9 = %+v, want interrupted", r)
	}
	if r := got["stacks/b"]; r.Status != store.StatusPlanned {
		t.Errorf("run queued at the kill = %+v, want planned after the restart", r)
	}
	after := map[string]store.Run{}
	for _, r := range runs {
		after[r.ID] = r
	}
	for _, r := range before {
		if !r.Status.Terminal() {
			continue
		}
		if a, ok := after[r.ID]; !ok || a.Status != r.Status || a.Commit != r.Commit {
			t.Errorf("history changed across the crash: before %+v, after %+v", r, a)
		}
	}
	if n := countRuns(runs, crash, "stacks/a"); n != 1 {
		t.Errorf("the interrupted plan ran %d times", n)
	}

	// A graceful stop lets a plan run for shutdown_timeout, then interrupts
	// terraform and records the run as interrupted.
	slowB := up.Commit("slow b", map[string]string{"stacks/b/slow.tf": slowTF})
	d.waitRuns("b running", time.Minute, func(r []store.Run) bool {
		return atCommit(r, slowB)["stacks/b"].Status == store.StatusRunning
	})
	d.stop(60 * time.Second)
	if !strings.Contains(d.log(), "interrupting run for shutdown") {
		t.Errorf("no interrupt logged:\n%s", d.log())
	}
	d.start()
	runs = d.runs()
	if r := atCommit(runs, slowB)["stacks/b"]; r.Status != store.StatusInterrupted || !strings.Contains(r.Error, "shut") {
		t.Errorf("run stopped by SIGTERM = %+v, want interrupted", r)
	}
	d.stop(30 * time.Second)
}

const viewerToken = "e2e-viewer-token-77a0"

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func countRuns(runs []store.Run, commit, stack string) int {
	n := 0
	for _, r := range runs {
		if r.Commit == commit && r.Stack == stack {
			n++
		}
	}
	return n
}

func isJSONError(body []byte) bool {
	var e struct {
		Error string `json:"error"`
	}
	return json.Unmarshal(body, &e) == nil && e.Error != ""
}
