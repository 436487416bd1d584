package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/driftgate/driftgate/store"
	"github.com/driftgate/driftgate/test/gittest"
	"github.com/driftgate/driftgate/test/tftest"
)

// runCLI runs driftgate in-process and returns its exit code and output.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	code := run(ctx, args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// sampleRepo writes two stacks sharing a module and one broken dir.
func sampleRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	tftest.WriteFiles(t, dir, map[string]string{
		"envs/prod/main.tf":    `module "net" { source = "../../modules/net" }`,
		"envs/staging/main.tf": `module "net" { source = "../../modules/net" }` + "\nterraform {\n  backend \"s3\" {}\n}\n",
		"modules/net/main.tf":  `resource "null_resource" "x" {}`,
		"broken/main.tf":       `resource "x" {`,
	})
	return dir
}

func TestDiscoverCommand(t *testing.T) {
	repo := sampleRepo(t)
	code, out, errOut := runCLI(t, "discover", repo)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"envs/prod", "envs/staging", "s3", "modules/net", "Problems (1)", "broken"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if len(line) > 80 {
			t.Errorf("line wider than 80 columns: %q", line)
		}
	}
	code, out, _ = runCLI(t, "discover", repo, "-o", "json")
	var d struct {
		Stacks []struct {
			Name    string   `json:"name"`
			Modules []string `json:"modules"`
		} `json:"stacks"`
		Problems []struct{ Dir string } `json:"problems"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &d) != nil {
		t.Fatalf("json output (exit %d):\n%s", code, out)
	}
	if len(d.Stacks) != 3 || len(d.Problems) != 1 {
		t.Errorf("stacks %+v problems %+v", d.Stacks, d.Problems)
	}
	if code, _, _ := runCLI(t, "discover", repo, "--strict"); code != exitError {
		t.Errorf("--strict with problems: exit %d, want %d", code, exitError)
	}
}

func TestDiscoverBadRepoConfig(t *testing.T) {
	repo := sampleRepo(t)
	tftest.WriteFiles(t, repo, map[string]string{".driftgate.hcl": `
stack "prod" {
  dir = "envs/prod"
}
stack "prod" {
  dir = "../../etc"
}
`})
	code, _, errOut := runCLI(t, "discover", repo)
	if code != exitError {
		t.Fatalf("exit %d, want %d", code, exitError)
	}
	for _, want := range []string{".driftgate.hcl:5:", ".driftgate.hcl:6:"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}

func TestAffectedCommand(t *testing.T) {
	repo := sampleRepo(t)
	r := gittest.Init(t, repo)
	first := r.CommitAll("init")
	tftest.WriteFiles(t, repo, map[string]string{"envs/prod/variables.tf": `variable "x" {}`})
	second := r.CommitAll("prod only")
	tftest.WriteFiles(t, repo, map[string]string{"modules/net/outputs.tf": `output "y" { value = 1 }`})
	r.CommitAll("module")

	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"stack file", []string{"--from", first, "--to", second}, []string{"envs/prod"}},
		{"module", []string{"--from", second}, []string{"envs/prod", "envs/staging"}},
		{"files", []string{"--files", "modules/net/main.tf"}, []string{"envs/prod", "envs/staging"}},
		{"repo config", []string{"--files", ".driftgate.hcl"}, []string{"broken", "envs/prod", "envs/staging"}},
		{"unrelated", []string{"--files", "README.md"}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"affected", repo, "-o", "json"}, tt.args...)
			code, out, errOut := runCLI(t, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var got affectedOutput
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("%v:\n%s", err, out)
			}
			names := []string{}
			for _, a := range got.Affected {
				names = append(names, a.Stack)
			}
			if strings.Join(names, ",") != strings.Join(tt.want, ",") {
				t.Errorf("affected = %q, want %q", names, tt.want)
			}
		})
	}
	if code, _, errOut := runCLI(t, "affected", repo, "--from", "nope"); code != exitError || !strings.Contains(errOut, "nope") {
		t.Errorf("unknown revision: exit %d, stderr %q", code, errOut)
	}
	if code, _, _ := runCLI(t, "affected", repo, "--files", "envs/prod/main.tf", "--exit-code"); code != exitChanges {
		t.Errorf("--exit-code with affected stacks: exit %d", code)
	}
}

// planStack writes a stack using the test provider into a fresh repo dir.
func planStack(t *testing.T, body string) (dir, objects string) {
	t.Helper()
	env := tftest.Setup(t)
	env.Setenv(t)
	dir, objects = t.TempDir(), t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	tftest.WriteFiles(t, dir, map[string]string{"app/main.tf": tftest.ProviderBlock(objects) + body})
	return filepath.Join(dir, "app"), objects
}

func TestPlanCommandExitCodesAndStore(t *testing.T) {
	const secret = "plan-cli-secret-4242"
	stack, _ := planStack(t, `
variable "pw" {
  type      = string
  sensitive = true
  default   = "`+secret+`"
}
resource "dgtest_secret" "db" {
  name  = "db"
  value = var.pw
}
`)
	data := t.TempDir()
	code, out, errOut := runCLI(t, "plan", stack, "--data-dir", data, "--store", data)
	if code != exitChanges {
		t.Fatalf("exit %d, want %d (changes)\n%s\n%s", code, exitChanges, out, errOut)
	}
	for _, want := range []string{"Plan: 1 to add", "dgtest_secret.db create", "(sensitive value)", "Run:"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out+errOut, secret) {
		t.Error("the secret reached the output")
	}
	st, err := store.Open(data, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	runs, _, err := st.ListRuns(context.Background(), store.RunFilter{})
	st.Close()
	if err != nil || len(runs) != 1 || runs[0].Status != store.StatusPlanned || runs[0].Stack != "app" {
		t.Fatalf("stored runs = %+v, %v", runs, err)
	}

	code, out, _ = runCLI(t, "plan", stack, "--data-dir", data, "-o", "json")
	var po planOutput
	if code != exitChanges || json.Unmarshal([]byte(out), &po) != nil || !po.HasChanges || po.Analysis.Summary.Add != 1 {
		t.Errorf("json plan: exit %d\n%s", code, out)
	}
}

func TestPlanCommandNoChanges(t *testing.T) {
	stack, _ := planStack(t, `output "greeting" { value = "hello" }`)
	data := t.TempDir()
	// The first plan adds the output; nothing is applied, so plan an empty
	// stack to see a clean exit 0.
	tftest.WriteFiles(t, stack, map[string]string{"main.tf": `terraform {}`})
	code, out, errOut := runCLI(t, "plan", stack, "--data-dir", data)
	if code != exitOK {
		t.Fatalf("exit %d, want 0\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "Plan: 0 to add, 0 to change, 0 to destroy") {
		t.Errorf("output:\n%s", out)
	}
}

func TestPlanCommandErrors(t *testing.T) {
	stack, _ := planStack(t, `resource "dgtest_server" "web" {
  name = 
}`)
	code, _, errOut := runCLI(t, "plan", stack, "--data-dir", t.TempDir())
	if code != exitError {
		t.Fatalf("exit %d, want 1", code)
	}
	if !strings.Contains(errOut, "main.tf") || !strings.Contains(errOut, "not planned") {
		t.Errorf("stderr lacks the diagnostic:\n%s", errOut)
	}
	if code, _, errOut := runCLI(t, "plan", filepath.Join(t.TempDir(), "missing")); code != exitError || !strings.Contains(errOut, "missing") {
		t.Errorf("missing dir: exit %d, %s", code, errOut)
	}
	if code, _, errOut := runCLI(t, "plan", stack, "-o", "yaml"); code != exitError || !strings.Contains(errOut, "yaml") {
		t.Errorf("bad output: exit %d, %s", code, errOut)
	}
}

func TestPlanCommandReportsDrift(t *testing.T) {
	env := tftest.Setup(t)
	env.Setenv(t)
	repo, objects := t.TempDir(), t.TempDir()
	state := filepath.Join(t.TempDir(), "app.tfstate")
	body := strings.Replace(tftest.ProviderBlock(objects), "terraform {", "terraform {\n  backend \"local\" {\n    path = \""+state+"\"\n  }", 1) + `
resource "dgtest_server" "web" {
  name = "web"
  size = "small"
}
`
	tftest.WriteFiles(t, repo, map[string]string{".git/HEAD": "ref: refs/heads/main\n", "app/main.tf": body})
	applyDir := t.TempDir()
	tftest.WriteFiles(t, applyDir, map[string]string{"main.tf": body})
	env.Terraform(t, applyDir, "init", "-input=false")
	env.Terraform(t, applyDir, "apply", "-auto-approve", "-input=false")
	web := tftest.ReadObject(t, objects, tftest.Servers, "web")
	web["size"] = "large"
	tftest.WriteObject(t, objects, tftest.Servers, "web", web)

	code, out, errOut := runCLI(t, "plan", filepath.Join(repo, "app"), "--data-dir", t.TempDir())
	if code != exitChanges {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"Drift: drifted", "dgtest_server.web: changed outside Terraform (out_of_band)", `size: "small" -> "large"`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
