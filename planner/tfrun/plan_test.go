package tfrun

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/driftgate/driftgate/planner/analysis"
	"github.com/driftgate/driftgate/test/tftest"
)

// harness is a Planner wired to the test provider, with a source checkout.
type harness struct {
	env     *tftest.Env
	planner *Planner
	src     string // checkout root
	objects string // provider backing dir
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	env := tftest.Setup(t)
	env.Setenv(t)
	data := t.TempDir()
	return &harness{
		env: env,
		planner: &Planner{
			Resolver: &Resolver{InstallDir: filepath.Join(data, "bin")},
			Executor: &Executor{PluginCacheDir: filepath.Join(data, "plugin-cache"), Grace: 20 * time.Second},
			DataDir:  data,
		},
		src:     t.TempDir(),
		objects: t.TempDir(),
	}
}

func (h *harness) write(t *testing.T, files map[string]string) {
	t.Helper()
	tftest.WriteFiles(t, h.src, files)
}

func (h *harness) plan(t *testing.T, dir string, modules ...string) (*PlanResult, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	return h.planner.Plan(ctx, StackPlan{
		Source: os.DirFS(h.src),
		Layout: Layout{Dir: dir, Modules: modules},
		Key:    "test/" + dir,
	})
}

// apply applies the stack at dir directly with terraform, against the state
// the planner's default backend uses, as an operator would.
func (h *harness) apply(t *testing.T, dir string) {
	t.Helper()
	copyDir := t.TempDir()
	wd, err := Prepare(context.Background(), os.DirFS(h.src), Layout{Dir: dir}, copyDir)
	if err != nil {
		t.Fatal(err)
	}
	if err := wd.SetDefaultBackend(h.planner.DefaultState("test/" + dir)); err != nil {
		t.Fatal(err)
	}
	h.env.Terraform(t, wd.StackDir, "init", "-input=false")
	h.env.Terraform(t, wd.StackDir, "apply", "-auto-approve", "-input=false")
}

func (h *harness) stack(body string) string {
	return tftest.ProviderBlock(h.objects) + body
}

func TestPlanChangesThenNoChanges(t *testing.T) {
	h := newHarness(t)
	h.write(t, map[string]string{"web/main.tf": h.stack(`
resource "dgtest_server" "web" {
  name = "web"
  size = "small"
  port = 8080
}
output "port" { value = dgtest_server.web.port }
`)})
	res, err := h.plan(t, "web")
	if err != nil {
		t.Fatalf("plan: %v\n%s", err, res.logOrEmpty())
	}
	if !res.HasChanges || res.Analysis.Summary.Add != 1 {
		t.Fatalf("want one add, got changes=%v summary=%+v", res.HasChanges, res.Analysis.Summary)
	}
	if len(res.PlanFile) == 0 || len(res.PlanSHA256) != 64 {
		t.Errorf("plan file %d bytes, sha %q", len(res.PlanFile), res.PlanSHA256)
	}
	if !strings.Contains(string(res.Text), "dgtest_server.web will be created") {
		t.Errorf("human text lacks the change:\n%s", res.Text)
	}
	if strings.Contains(string(res.Text), "\x1b[") {
		t.Error("human text has colour codes")
	}
	if !strings.Contains(string(res.Log), "$ terraform init") || !strings.Contains(string(res.Log), "$ terraform plan") {
		t.Errorf("log lacks steps:\n%s", res.Log)
	}
	if res.TerraformVersion == "" {
		t.Error("terraform version not recorded")
	}
	var doc map[string]any
	if err := json.Unmarshal(res.PlanJSON, &doc); err != nil || doc["format_version"] == nil {
		t.Errorf("plan json: %v", err)
	}

	h.apply(t, "web")
	res, err = h.plan(t, "web")
	if err != nil {
		t.Fatalf("plan: %v\n%s", err, res.logOrEmpty())
	}
	if res.HasChanges || res.Analysis.Summary.HasChanges {
		t.Errorf("want no changes after apply, got %+v", res.Analysis.Summary)
	}
	if _, err := os.Stat(filepath.Join(h.src, "web", ".terraform")); !os.IsNotExist(err) {
		t.Error("the checkout was written to (.terraform)")
	}
	if _, err := os.Stat(filepath.Join(h.src, "web", ".terraform.lock.hcl")); !os.IsNotExist(err) {
		t.Error("the checkout was written to (.terraform.lock.hcl)")
	}
}

func TestPlanDriftOutOfBand(t *testing.T) {
	h := newHarness(t)
	h.write(t, map[string]string{"web/main.tf": h.stack(`
resource "dgtest_server" "web" {
  name = "web"
  size = "small"
}
resource "dgtest_server" "db" {
  name = "db"
}
`)})
	h.apply(t, "web")
	obj := tftest.ReadObject(t, h.objects, tftest.Servers, "web")
	obj["size"] = "xlarge"
	tftest.WriteObject(t, h.objects, tftest.Servers, "web", obj)
	tftest.DeleteObject(t, h.objects, tftest.Servers, "db")

	res, err := h.plan(t, "web")
	if err != nil {
		t.Fatalf("plan: %v\n%s", err, res.logOrEmpty())
	}
	drift := map[string]analysis.ResourceChange{}
	for _, d := range res.Analysis.Drift {
		drift[d.Address] = d
	}
	web, ok := drift["dgtest_server.web"]
	if !ok || web.Kind != analysis.DriftChanged {
		t.Fatalf("no changed drift for web: %+v", res.Analysis.Drift)
	}
	if len(web.Attributes) != 1 || web.Attributes[0].Path != "size" ||
		web.Attributes[0].Before != "small" || web.Attributes[0].After != "xlarge" {
		t.Errorf("web drift attributes = %+v", web.Attributes)
	}
	if db, ok := drift["dgtest_server.db"]; !ok || db.Kind != analysis.DriftDeleted {
		t.Errorf("db drift = %+v", db)
	}
	// The plan puts both back.
	if res.Analysis.Summary.Change != 1 || res.Analysis.Summary.Add != 1 {
		t.Errorf("summary = %+v", res.Analysis.Summary)
	}
}

func TestPlanBrokenHCL(t *testing.T) {
	h := newHarness(t)
	h.write(t, map[string]string{"bad/main.tf": h.stack(`
resource "dgtest_server" "web" {
  name = 
}
`)})
	res, err := h.plan(t, "bad")
	var tfErr *Error
	if !errors.As(err, &tfErr) {
		t.Fatalf("err = %v, want a terraform step error", err)
	}
	if res == nil || !strings.Contains(string(res.Log), "main.tf line") {
		t.Errorf("log lacks the diagnostic location:\n%s", res.logOrEmpty())
	}
}

func TestPlanWithLocalModule(t *testing.T) {
	h := newHarness(t)
	h.write(t, map[string]string{
		"envs/prod/main.tf": h.stack(`
module "app" {
  source = "../../modules/app"
  name   = "prod-app"
}
`),
		"modules/app/main.tf": `
terraform {
  required_providers {
    dgtest = { source = "driftgate/dgtest" }
  }
}
variable "name" { type = string }
resource "dgtest_server" "this" { name = var.name }
`,
	})
	res, err := h.plan(t, "envs/prod", "modules/app")
	if err != nil {
		t.Fatalf("plan: %v\n%s", err, res.logOrEmpty())
	}
	if len(res.Analysis.Changes) != 1 || res.Analysis.Changes[0].Address != "module.app.dgtest_server.this" {
		t.Errorf("changes = %+v", res.Analysis.Changes)
	}
}

func TestPlanSecretsNeverInResult(t *testing.T) {
	const secret = "correct-horse-battery-staple"
	const varSecret = "var-secret-0451"
	h := newHarness(t)
	h.write(t, map[string]string{"s/main.tf": h.stack(`
variable "token" {
  type      = string
  sensitive = true
  default   = "` + varSecret + `"
}
resource "dgtest_secret" "db" {
  name        = "db"
  value       = "` + secret + `"
  description = "database password"
}
resource "dgtest_secret" "api" {
  name  = "api"
  value = var.token
}
output "db" {
  value     = dgtest_secret.db.value
  sensitive = true
}
`)})
	h.apply(t, "s")
	// Change the secret out of band too, so drift carries it.
	obj := tftest.ReadObject(t, h.objects, tftest.Secrets, "db")
	obj["value"] = secret + "-rotated"
	tftest.WriteObject(t, h.objects, tftest.Secrets, "db", obj)

	res, err := h.plan(t, "s")
	if err != nil {
		t.Fatalf("plan: %v\n%s", err, res.logOrEmpty())
	}
	if len(res.Analysis.Drift) != 1 {
		t.Fatalf("want drift on the secret, got %+v", res.Analysis.Drift)
	}
	analysisJSON, _ := json.Marshal(res.Analysis)
	for name, b := range map[string][]byte{
		"plan json": res.PlanJSON, "text": res.Text, "log": res.Log, "analysis": analysisJSON,
	} {
		for _, s := range []string{secret, varSecret} {
			if strings.Contains(string(b), s) {
				t.Errorf("%s contains secret %q", name, s)
			}
		}
	}
	if !strings.Contains(string(analysisJSON), analysis.Marker) {
		t.Error("analysis has no redaction marker")
	}
}

func TestPlanCancelSendsInterrupt(t *testing.T) {
	h := newHarness(t)
	h.planner.Executor.Grace = 20 * time.Second
	h.write(t, map[string]string{"slow/main.tf": h.stack(`
data "dgtest_wait" "slow" { duration = "120s" }
`)})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var log syncBuffer
	done := make(chan error, 1)
	go func() {
		_, err := h.planner.Plan(ctx, StackPlan{
			Source: os.DirFS(h.src), Layout: Layout{Dir: "slow"}, Key: "slow", Log: &log,
		})
		done <- err
	}()
	// Wait until terraform is planning, then cancel.
	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(log.String(), "$ terraform plan") {
		if time.Now().After(deadline) {
			t.Fatalf("plan never started:\n%s", log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(2 * time.Second)
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if !IsCanceled(err) {
			t.Errorf("err = %v, want cancellation", err)
		}
		// Terraform stopped on SIGINT well before the grace period ran out
		// and it would have been killed.
		if d := time.Since(start); d > 15*time.Second {
			t.Errorf("terraform took %s to stop", d)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("plan did not stop after cancel")
	}
}

func TestPlanParallelSharedCache(t *testing.T) {
	h := newHarness(t)
	const n = 4
	for i := 0; i < n; i++ {
		dir := "stack" + string(rune('a'+i))
		h.write(t, map[string]string{dir + "/main.tf": h.stack(`resource "dgtest_server" "s" { name = "` + dir + `" }`)})
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		dir := "stack" + string(rune('a'+i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := h.plan(t, dir)
			if err != nil {
				errs <- errors.New(dir + ": " + err.Error() + "\n" + res.logOrEmpty())
				return
			}
			if res.Analysis.Summary.Add != 1 {
				errs <- errors.New(dir + ": unexpected summary")
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestResolveConstraintUnsatisfiable(t *testing.T) {
	r := &Resolver{InstallDir: t.TempDir()}
	_, err := r.Resolve(context.Background(), "< 0.12.0")
	var nb *NoBinaryError
	if !errors.As(err, &nb) {
		t.Fatalf("err = %v, want NoBinaryError", err)
	}
	msg := err.Error()
	for _, want := range []string{`"< 0.12.0"`, "found", "terraform"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
}

func TestResolveConfiguredPath(t *testing.T) {
	r := &Resolver{Path: filepath.Join(t.TempDir(), "nope")}
	if _, err := r.Resolve(context.Background()); err == nil || !strings.Contains(err.Error(), "configured terraform path") {
		t.Errorf("err = %v", err)
	}
	tf := tftest.Setup(t).TerraformPath
	r = &Resolver{Path: tf}
	b, err := r.Resolve(context.Background(), ">= 1.0")
	if err != nil || b.Path != tf || b.Version == nil {
		t.Fatalf("resolve = %+v, %v", b, err)
	}
}

func (r *PlanResult) logOrEmpty() string {
	if r == nil {
		return ""
	}
	return string(r.Log)
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
