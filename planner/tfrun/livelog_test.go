package tfrun

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/driftgate/driftgate/planner/analysis"
)

// liveRecorder is a live reader: it keeps each write apart.
type liveRecorder struct {
	mu     sync.Mutex
	writes []string
}

func (r *liveRecorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes = append(r.writes, string(p))
	return len(p), nil
}

func (r *liveRecorder) text() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.writes, "")
}

// Secrets a plan prints unmarked: a sensitive variable's value (from an
// auto.tfvars, through nonsensitive()) and a value the prior state holds
// as sensitive (copied into an attribute that is not).
const (
	liveVarSecret   = "live-var-secret-7a1b2c"
	liveStateSecret = "live-state-secret-3c9d4e"
)

// leakyStack writes stack s, applied once so that its state holds
// liveStateSecret, then changed to print both secrets unmarked while a
// data source keeps the plan busy for a few seconds.
func leakyStack(t *testing.T, h *harness) {
	t.Helper()
	h.write(t, map[string]string{"s/main.tf": h.stack(`
resource "dgtest_secret" "db" {
  name  = "db"
  value = "` + liveStateSecret + `"
}
`)})
	h.apply(t, "s")
	h.write(t, map[string]string{
		"s/main.tf": h.stack(`
variable "token" {
  type      = string
  sensitive = true
}
data "dgtest_wait" "slow" { duration = "4s" }
resource "dgtest_secret" "db" {
  name        = "db"
  value       = "` + liveStateSecret + `"
  description = "` + liveStateSecret + `"
}
output "token" { value = nonsensitive(var.token) }
output "waited" { value = data.dgtest_wait.slow.duration }
`),
		"s/secrets.auto.tfvars": `token = "` + liveVarSecret + `"` + "\n",
	})
}

// TestPlanLiveLog streams a plan's output while terraform runs: a line
// arrives while the plan is still going, no secret known before the plan
// (a sensitive variable's value, a sensitive value of the prior state)
// ever reaches the live reader although terraform prints both, every
// write is whole lines, and the result's log is what streamed and what
// scrubbing the raw output of the plan's secrets gives, as before.
func TestPlanLiveLog(t *testing.T) {
	h := newHarness(t)
	leakyStack(t, h)

	var live liveRecorder
	var raw syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	type outcome struct {
		res *PlanResult
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := h.planner.Plan(ctx, StackPlan{
			Source: os.DirFS(h.src), Layout: Layout{Dir: "s"}, Key: "test/s", Log: &raw, Live: &live,
		})
		done <- outcome{res, err}
	}()
	// The data source sleeps for seconds once it prints that it reads:
	// the line must reach the live reader while the plan runs.
	const reading = "data.dgtest_wait.slow: Reading..."
	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(live.text(), reading) {
		select {
		case o := <-done:
			t.Fatalf("the plan ended (%v) before %q reached the live reader; live:\n%s", o.err, reading, live.text())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q never reached the live reader; raw output so far:\n%s", reading, raw.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	o := <-done
	if o.err != nil {
		t.Fatalf("plan: %v\n%s", o.err, o.res.logOrEmpty())
	}

	// Terraform did print both secrets: the test would prove nothing else.
	for _, s := range []string{liveVarSecret, liveStateSecret} {
		if !strings.Contains(raw.String(), s) {
			t.Fatalf("terraform did not print %q; the stack no longer tests masking:\n%s", s, raw.String())
		}
	}
	got := live.text()
	for _, s := range []string{liveVarSecret, liveStateSecret} {
		if strings.Contains(got, s) {
			t.Errorf("the live reader got secret %q:\n%s", s, got)
		}
	}
	if !strings.Contains(got, analysis.Marker) {
		t.Errorf("no %q in the live output:\n%s", analysis.Marker, got)
	}
	live.mu.Lock()
	for _, w := range live.writes {
		if !strings.HasSuffix(w, "\n") {
			t.Errorf("live write %q is not whole lines", w)
		}
	}
	live.mu.Unlock()
	// The log kept is the redacted one, as before live logs: the raw
	// output scrubbed of the plan's secrets (these two, both found by
	// show -json), and it is exactly what streamed.
	want := strings.ReplaceAll(strings.ReplaceAll(raw.String(), liveVarSecret, analysis.Marker), liveStateSecret, analysis.Marker)
	if string(o.res.Log) != want {
		t.Errorf("stored log:\n%s\nwant the raw output scrubbed:\n%s", o.res.Log, want)
	}
	if string(o.res.Log) != got {
		t.Errorf("stored log differs from what streamed:\nstored:\n%s\nstreamed:\n%s", o.res.Log, got)
	}
}

func TestKnownSecrets(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("main.tf", `
variable "password" {
  type      = string
  sensitive = true
  default   = "default-password-1"
}
variable "creds" {
  type      = map(string)
  sensitive = true
}
variable "region" { default = "eu-west-region" }
variable "from_var_file" { sensitive = true }
`)
	write("vars.tf.json", `{"variable": {"json_token": {"sensitive": true}}}`)
	write("terraform.tfvars", `password = "tfvars-password-2"`+"\n"+`region = "us-east-region"`+"\n")
	write("prod.auto.tfvars", `creds = { user = "auto-user-3", key = "auto-key-4" }`+"\n")
	write("more.auto.tfvars.json", `{"json_token": "json-token-5"}`)
	write("ignored.tfvars", `password = "not-read-6"`)
	varFile := filepath.Join(t.TempDir(), "prod.tfvars")
	if err := os.WriteFile(varFile, []byte(`from_var_file = "var-file-7"`), 0o600); err != nil {
		t.Fatal(err)
	}
	statePath := filepath.Join(t.TempDir(), "terraform.tfstate")
	if err := os.WriteFile(statePath, []byte(`{"version": 4, "serial": 1, "lineage": "l",
  "outputs": {"pw": {"value": "state-output-8", "type": "string", "sensitive": true}},
  "resources": [{"mode": "managed", "type": "dgtest_secret", "name": "db", "instances": [{
    "attributes": {"id": "db", "value": "state-value-9"},
    "sensitive_attributes": [[{"type": "get_attr", "value": "value"}]]}]}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	wd := &Workdir{StackDir: dir, VarFiles: []string{varFile}}

	s, err := knownSecrets(wd, statePath)
	if err != nil {
		t.Fatalf("knownSecrets: %v", err)
	}
	for _, v := range []string{"default-password-1", "tfvars-password-2", "auto-user-3", "auto-key-4",
		"json-token-5", "var-file-7", "state-output-8", "state-value-9"} {
		if s.ScrubString("<"+v+">") != "<"+analysis.Marker+">" {
			t.Errorf("%q is not among the known secrets", v)
		}
	}
	for _, v := range []string{"eu-west-region", "us-east-region", "not-read-6", "db"} {
		if s.ScrubString(v) != v {
			t.Errorf("%q is masked; it is no secret terraform reads", v)
		}
	}

	// No state yet: the variables alone.
	if s, err := knownSecrets(wd, filepath.Join(t.TempDir(), "none.tfstate")); err != nil || s.Len() != 6 {
		t.Errorf("without a state file: %d secrets, %v; want the 6 of the variables", s.Len(), err)
	}
	// Unreadable input is an error: nothing is streamed then.
	write("broken.auto.tfvars", `password = `)
	if _, err := knownSecrets(wd, ""); err == nil || !strings.Contains(err.Error(), "broken.auto.tfvars") {
		t.Errorf("broken tfvars: err = %v, want one naming the file", err)
	}
}

// TestLiveLogFailsClosed: when the secrets to mask with cannot be read,
// nothing is streamed; the log arrives with the result.
func TestLiveLogFailsClosed(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(`variable "pw" { sensitive = true }`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "terraform.tfvars"), []byte(`pw = `), 0o600); err != nil {
		t.Fatal(err)
	}
	e := &Executor{}
	known, live := e.liveLog(PlanRequest{Workdir: &Workdir{StackDir: dir}, Live: &liveRecorder{}})
	if live != nil || known == nil || known.Len() != 0 {
		t.Errorf("liveLog with unreadable tfvars = %v, %v; want no live writer and no secrets", known, live)
	}
	if err := os.WriteFile(filepath.Join(dir, "terraform.tfvars"), []byte(`pw = "a-password"`), 0o600); err != nil {
		t.Fatal(err)
	}
	known, live = e.liveLog(PlanRequest{Workdir: &Workdir{StackDir: dir}, Live: &liveRecorder{}})
	if live == nil || known.Len() != 1 {
		t.Errorf("liveLog = %d secrets, writer %v; want a-password and a writer", known.Len(), live)
	}
}

func TestPriorStatePath(t *testing.T) {
	src := t.TempDir()
	abs := filepath.Join(t.TempDir(), "abs.tfstate")
	writeStack := func(dir, body string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(src, dir), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, dir, "main.tf"), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeStack("none", `resource "x" "y" {}`)
	writeStack("absolute", `terraform {
  backend "local" { path = "`+abs+`" }
}`)
	writeStack("relative", `terraform {
  backend "local" { path = "state/x.tfstate" }
}`)
	p := &Planner{DataDir: t.TempDir()}
	runDir := t.TempDir()
	own := LocalState{Path: "/states/own.tfstate", WorkspaceDir: "/states/ws"}
	tests := []struct {
		name string
		sp   StackPlan
		want string
	}{
		{"default backend", StackPlan{Key: "repo/app"}, p.DefaultState("repo/app").Path},
		{"default backend, workspace", StackPlan{Key: "repo/app", Workspace: "prod"}, p.DefaultState("repo/app").WorkspacePath("prod")},
		{"state given", StackPlan{Key: "repo/app", State: &own}, own.Path},
		{"planned as in a dir", StackPlan{RunDir: runDir}, filepath.Join(runDir, "terraform.tfstate")},
		{"no key", StackPlan{}, ""},
		{"local backend, absolute path", StackPlan{Backend: "local", Layout: Layout{Dir: "absolute"}}, abs},
		{"local backend, relative path: the run's copy", StackPlan{Backend: "local", Layout: Layout{Dir: "relative"}}, ""},
		{"local backend, relative path, planned as in a dir", StackPlan{Backend: "local", Layout: Layout{Dir: "relative"}, RunDir: runDir}, filepath.Join(runDir, "state/x.tfstate")},
		{"remote backend", StackPlan{Backend: "s3", Layout: Layout{Dir: "none"}, Key: "repo/app"}, ""},
	}
	for _, tt := range tests {
		tt.sp.Source = os.DirFS(src)
		if got := p.priorStatePath(tt.sp); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
