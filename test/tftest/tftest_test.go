package tftest_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/driftgate/driftgate/test/tftest"
)

// secretValue is the sensitive value the end-to-end test must never see in
// human output.
const secretValue = "hunter2-do-not-print"

// planJSON is the part of `terraform show -json <plan>` the tests inspect.
type planJSON struct {
	ResourceDrift   []resourceChange `json:"resource_drift"`
	ResourceChanges []resourceChange `json:"resource_changes"`
}

// resourceChange is one entry of resource_drift or resource_changes.
type resourceChange struct {
	Address string `json:"address"`
	Change  struct {
		Actions []string       `json:"actions"`
		Before  map[string]any `json:"before"`
		After   map[string]any `json:"after"`
	} `json:"change"`
}

// find returns the change for address, failing the test if there is none.
func find(tb testing.TB, changes []resourceChange, address string) resourceChange {
	tb.Helper()
	for _, c := range changes {
		if c.Address == address {
			return c
		}
	}
	tb.Fatalf("no change for %s in %+v", address, changes)
	return resourceChange{}
}

// stack writes main.tf for the provider rooted at root plus body into a new
// directory, runs terraform init there, and returns the directory.
func stack(tb testing.TB, env *tftest.Env, root, body string) string {
	tb.Helper()
	dir := tb.TempDir()
	tftest.WriteFiles(tb, dir, map[string]string{"main.tf": tftest.ProviderBlock(root) + body})
	out := env.Terraform(tb, dir, "init", "-input=false", "-no-color")
	if !strings.Contains(out, "Installed driftgate/dgtest v0.1.0") {
		tb.Fatalf("init did not install the provider from the mirror:\n%s", out)
	}
	return dir
}

func TestDriftEndToEnd(t *testing.T) {
	env := tftest.Setup(t)
	root := t.TempDir()
	dir := stack(t, env, root, `
resource "dgtest_server" "web" {
  name = "web"
  port = 8080
  tags = { team = "core" }
}

resource "dgtest_secret" "db" {
  name        = "db"
  value       = "`+secretValue+`"
  description = "database password"
}
`)
	env.Terraform(t, dir, "apply", "-auto-approve", "-input=false", "-no-color")

	server := tftest.ReadObject(t, root, tftest.Servers, "web")
	if server["size"] != "small" || server["port"] != 8080.0 || server["enabled"] != true {
		t.Fatalf("server backing file = %v, want size small, port 8080, enabled true", server)
	}
	if tags, _ := server["tags"].(map[string]any); tags["team"] != "core" {
		t.Fatalf("server tags = %v, want team=core", server["tags"])
	}
	if secret := tftest.ReadObject(t, root, tftest.Secrets, "db"); secret["value"] != secretValue {
		t.Fatalf("secret backing file = %v, want value %q", secret, secretValue)
	}
	shown := env.Terraform(t, dir, "show", "-no-color")
	if strings.Contains(shown, secretValue) || !strings.Contains(shown, "(sensitive value)") {
		t.Fatalf("terraform show leaks the secret or does not mark it sensitive:\n%s", shown)
	}

	// Drift: resize the server and delete the secret behind Terraform's back.
	server["size"] = "large"
	tftest.WriteObject(t, root, tftest.Servers, "web", server)
	tftest.DeleteObject(t, root, tftest.Secrets, "db")

	out, code, err := env.TerraformExit(t, dir, "plan", "-out=tfplan", "-input=false", "-no-color", "-detailed-exitcode")
	if code != 2 {
		t.Fatalf("plan exit code = %d (%v), want 2 (changes)\n%s", code, err, out)
	}
	if strings.Contains(out, secretValue) {
		t.Fatalf("plan output leaks the secret:\n%s", out)
	}
	var plan planJSON
	if err := json.Unmarshal([]byte(env.Terraform(t, dir, "show", "-json", "tfplan")), &plan); err != nil {
		t.Fatalf("decode plan JSON: %v", err)
	}
	drift := find(t, plan.ResourceDrift, "dgtest_server.web")
	if got := drift.Change.After["size"]; got != "large" || !equal(drift.Change.Actions, "update") {
		t.Errorf("server drift = %v size %v, want update to size large", drift.Change.Actions, got)
	}
	if gone := find(t, plan.ResourceDrift, "dgtest_secret.db"); !equal(gone.Change.Actions, "delete") {
		t.Errorf("secret drift actions = %v, want [delete]", gone.Change.Actions)
	}
	if c := find(t, plan.ResourceChanges, "dgtest_secret.db"); !equal(c.Change.Actions, "create") {
		t.Errorf("secret planned actions = %v, want [create]", c.Change.Actions)
	}
	if c := find(t, plan.ResourceChanges, "dgtest_server.web"); !equal(c.Change.Actions, "update") || c.Change.After["size"] != "small" {
		t.Errorf("server planned change = %v to size %v, want update back to small", c.Change.Actions, c.Change.After["size"])
	}
	if shown := env.Terraform(t, dir, "show", "-no-color", "tfplan"); strings.Contains(shown, secretValue) {
		t.Fatalf("terraform show of the plan leaks the secret:\n%s", shown)
	}

	// Applying the plan repairs the drift.
	env.Terraform(t, dir, "apply", "-input=false", "-no-color", "tfplan")
	if got := tftest.ReadObject(t, root, tftest.Servers, "web")["size"]; got != "small" {
		t.Errorf("server size after apply = %v, want small", got)
	}
	if got := tftest.ReadObject(t, root, tftest.Secrets, "db")["value"]; got != secretValue {
		t.Errorf("secret value after apply = %v, want it recreated", got)
	}
	if out, code, err := env.TerraformExit(t, dir, "plan", "-input=false", "-no-color", "-detailed-exitcode"); code != 0 {
		t.Fatalf("plan after repair: exit %d (%v), want 0\n%s", code, err, out)
	}

	env.Terraform(t, dir, "destroy", "-auto-approve", "-input=false", "-no-color")
	if _, err := os.Stat(tftest.ObjectPath(root, tftest.Servers, "web")); !os.IsNotExist(err) {
		t.Errorf("server backing file after destroy: %v, want it gone", err)
	}
}

func TestImportAndCreateConflict(t *testing.T) {
	env := tftest.Setup(t)
	root := t.TempDir()
	tftest.WriteObject(t, root, tftest.Servers, "pre", map[string]any{"size": "medium", "port": 9090, "enabled": false})
	tftest.WriteObject(t, root, tftest.Secrets, "taken", map[string]any{"value": "x"})

	dir := stack(t, env, root, `
import {
  to = dgtest_server.pre
  id = "pre"
}

resource "dgtest_server" "pre" {
  name    = "pre"
  size    = "medium"
  port    = 9090
  enabled = false
}
`)
	out := env.Terraform(t, dir, "apply", "-auto-approve", "-input=false", "-no-color")
	if !strings.Contains(out, "1 imported, 0 added, 0 changed, 0 destroyed") {
		t.Fatalf("apply with an import block:\n%s", out)
	}

	conflict := stack(t, env, root, `
resource "dgtest_secret" "taken" {
  name  = "taken"
  value = "y"
}
`)
	_, code, err := env.TerraformExit(t, conflict, "apply", "-auto-approve", "-input=false", "-no-color")
	if code != 1 || err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("creating over an existing backing file: exit %d, err %v; want exit 1 and \"already exists\"", code, err)
	}
}

func TestRootFromEnvironment(t *testing.T) {
	env := tftest.Setup(t)
	root := t.TempDir()
	dir := stack(t, env, "", `resource "dgtest_server" "env" { name = "env" }`)

	cmd := exec.Command(env.TerraformPath, "apply", "-auto-approve", "-input=false", "-no-color")
	cmd.Dir = dir
	cmd.Env = env.Environ("DGTEST_ROOT=" + root)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("apply with DGTEST_ROOT: %v\n%s", err, out)
	}
	tftest.ReadObject(t, root, tftest.Servers, "env")

	cmd = exec.Command(env.TerraformPath, "plan", "-input=false", "-no-color")
	cmd.Dir = dir
	cmd.Env = env.Environ("DGTEST_ROOT=")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "no backing directory") {
		t.Fatalf("plan without any root: err %v, want a \"no backing directory\" diagnostic\n%s", err, out)
	}
}

func TestInterruptStopsWait(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("os.Interrupt cannot be sent to a process on Windows")
	}
	env := tftest.Setup(t)
	dir := stack(t, env, t.TempDir(), `data "dgtest_wait" "w" { duration = "60s" }`)

	var out syncBuffer
	cmd := exec.Command(env.TerraformPath, "plan", "-input=false", "-no-color")
	cmd.Dir = dir
	cmd.Env = env.Environ()
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start terraform plan: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	exited := false
	t.Cleanup(func() {
		if !exited {
			cmd.Process.Kill() // the test already failed; don't leak the process
			<-done
		}
	})

	// Interrupt once the provider is inside the data source's Read.
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(out.String(), "data.dgtest_wait.w: Reading...") {
		if time.Now().After(deadline) {
			t.Fatalf("plan never started reading data.dgtest_wait.w:\n%s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	sent := time.Now()
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatalf("send SIGINT: %v", err)
	}

	select {
	case err := <-done:
		exited = true
		if err == nil {
			t.Fatalf("interrupted plan succeeded:\n%s", out.String())
		}
		t.Logf("plan exited %v after SIGINT", time.Since(sent).Round(time.Millisecond))
	case <-time.After(15 * time.Second):
		t.Fatalf("plan still running 15s after SIGINT:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "Wait interrupted") {
		t.Errorf("the provider's Read was not cancelled (no \"Wait interrupted\" diagnostic):\n%s", out.String())
	}
}

// equal reports whether actions is exactly want.
func equal(actions []string, want ...string) bool {
	return strings.Join(actions, ",") == strings.Join(want, ",")
}

// syncBuffer is a bytes.Buffer that a running command and the test can use
// at the same time.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
