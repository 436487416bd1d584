package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/driftgate/driftgate/test/tftest"
)

// fileHashes maps every regular file under dir to its content hash and
// modification time.
func fileHashes(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		sum := sha256.Sum256(raw)
		out[p] = hex.EncodeToString(sum[:]) + " " + info.ModTime().String()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPlanUsesDirectoryState applies a stack without a backend with plain
// terraform in its directory, then plans it with driftgate: no changes, in
// the default workspace and in the one selected there, and the directory
// is left as it was.
func TestPlanUsesDirectoryState(t *testing.T) {
	stack, _ := planStack(t, `
resource "dgtest_server" "web" {
  name = "web-${terraform.workspace}"
  size = "small"
}
`)
	env := tftest.Setup(t)
	env.Terraform(t, stack, "init", "-input=false")
	env.Terraform(t, stack, "apply", "-auto-approve", "-input=false")
	data := t.TempDir()
	before := fileHashes(t, stack)

	code, out, errOut := runCLI(t, "plan", stack, "--data-dir", data, "--no-text")
	if code != exitOK {
		t.Fatalf("exit %d, want 0 (no changes): a plan ignoring %s/terraform.tfstate would create web again\n%s\n%s", code, stack, out, errOut)
	}
	checkOutput(t, "plan", out, "Plan: 0 to add", "State:     "+filepath.Join(stack, "terraform.tfstate")+" (the directory's own)")
	if after := fileHashes(t, stack); !reflect.DeepEqual(before, after) {
		t.Errorf("the plan wrote to the stack's directory:\nbefore %v\nafter  %v", before, after)
	}

	// The workspace selected in the directory is the one planned.
	env.Terraform(t, stack, "workspace", "new", "staging")
	env.Terraform(t, stack, "apply", "-auto-approve", "-input=false")
	before = fileHashes(t, stack)
	code, out, errOut = runCLI(t, "plan", stack, "--data-dir", data, "-o", "json")
	var po planOutput
	if err := json.Unmarshal([]byte(out), &po); code != exitOK || err != nil {
		t.Fatalf("staging: exit %d, %v\n%s\n%s", code, err, out, errOut)
	}
	if want := (planStateOutput{Path: filepath.Join(stack, "terraform.tfstate.d", "staging", "terraform.tfstate")}); po.State == nil || *po.State != want {
		t.Errorf("json state = %+v, want %+v", po.State, want)
	}

	// TF_WORKSPACE wins over the selection, as in terraform; a declaration
	// in .driftgate.hcl wins over both.
	planState := func(what string) string {
		t.Helper()
		code, out, errOut := runCLI(t, "plan", stack, "--data-dir", data, "-o", "json")
		var po planOutput
		if err := json.Unmarshal([]byte(out), &po); code != exitOK || err != nil || po.State == nil {
			t.Fatalf("%s: exit %d, %v\n%s\n%s", what, code, err, out, errOut)
		}
		return po.State.Path
	}
	t.Setenv("TF_WORKSPACE", "default")
	if got := planState("TF_WORKSPACE"); got != filepath.Join(stack, "terraform.tfstate") {
		t.Errorf("TF_WORKSPACE=default: state %s", got)
	}
	t.Setenv("TF_WORKSPACE", "")
	tftest.WriteFiles(t, filepath.Dir(stack), map[string]string{".driftgate.hcl": "stack \"app\" {\n  dir       = \"app\"\n  workspace = \"default\"\n}\n"})
	if got := planState("declared"); got != filepath.Join(stack, "terraform.tfstate") {
		t.Errorf("declared workspace default: state %s", got)
	}

	// A workspace the directory does not have is an error, as in
	// terraform, not a new workspace in the user's directory.
	code, _, errOut = runCLI(t, "plan", stack, "--data-dir", data, "--workspace", "prod")
	if code != exitError || !strings.Contains(errOut, "terraform workspace new prod") {
		t.Errorf("missing workspace: exit %d\n%s", code, errOut)
	}
	if after := fileHashes(t, stack); !reflect.DeepEqual(before, after) {
		t.Errorf("plans wrote to the stack's directory:\nbefore %v\nafter  %v", before, after)
	}
	if _, err := os.Stat(filepath.Join(stack, "terraform.tfstate.d", "prod")); err == nil {
		t.Error("a plan created workspace prod in the stack's directory")
	}
}

// TestPlanUsesDirectoryLocalBackend: a `backend "local"` with a relative
// path keeps its state relative to the stack's directory, where terraform
// applied it, not relative to driftgate's copy.
func TestPlanUsesDirectoryLocalBackend(t *testing.T) {
	stack, _ := planStack(t, `
terraform {
  backend "local" {
    path = "states/app.tfstate"
  }
}
resource "dgtest_server" "web" {
  name = "web"
}
`)
	env := tftest.Setup(t)
	env.Terraform(t, stack, "init", "-input=false")
	env.Terraform(t, stack, "apply", "-auto-approve", "-input=false")
	before := fileHashes(t, stack)
	code, out, errOut := runCLI(t, "plan", stack, "--data-dir", t.TempDir(), "--no-text")
	if code != exitOK {
		t.Fatalf("exit %d, want 0: a plan ignoring %s/states/app.tfstate would create web again\n%s\n%s", code, stack, out, errOut)
	}
	if after := fileHashes(t, stack); !reflect.DeepEqual(before, after) {
		t.Errorf("the plan wrote to the stack's directory:\nbefore %v\nafter  %v", before, after)
	}
}

// TestPlanStopsAtHCLErrors: a stack whose files do not parse is reported
// once, with every diagnostic, and terraform never runs.
func TestPlanStopsAtHCLErrors(t *testing.T) {
	stack, _ := planStack(t, `resource "dgtest_server" "web" {
  name = 
}
`)
	tftest.WriteFiles(t, stack, map[string]string{"vars.tf": "variable \"size\" {\n  default = \"small\" \"large\"\n}\n"})
	code, out, errOut := runCLI(t, "plan", stack, "--data-dir", t.TempDir())
	if code != exitError {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out, errOut)
	}
	checkOutput(t, "stderr", errOut, "app/main.tf:15:10: error: Invalid expression", "app/vars.tf:2:", "not planned")
	for _, never := range []string{"terraform init", "warning:", "Error:"} {
		if strings.Contains(errOut, never) {
			t.Errorf("stderr has %q: terraform ran or the error showed twice\n%s", never, errOut)
		}
	}

	// So is a stack calling a local module that does not exist.
	tftest.WriteFiles(t, stack, map[string]string{
		"main.tf": `module "net" { source = "../net" }`,
		"vars.tf": `variable "size" { default = "small" }`,
	})
	code, out, errOut = runCLI(t, "plan", stack, "--data-dir", t.TempDir())
	if code != exitError || strings.Contains(errOut, "terraform init") {
		t.Fatalf("missing module: exit %d, want 1 before terraform runs\n%s\n%s", code, out, errOut)
	}
	checkOutput(t, "stderr", errOut, `module "net": module directory not found`, "app/main.tf:1:", "not planned")
}

// writePlanConfig writes a daemon config watching repos (named, with any
// URL: a local plan never fetches) and returns its path.
func writePlanConfig(t *testing.T, repos ...string) string {
	t.Helper()
	dir := t.TempDir()
	body := fmt.Sprintf("data_dir = %q\nterraform {\n  install = false\n}\n", filepath.Join(dir, "data"))
	for _, r := range repos {
		body += fmt.Sprintf("repo %q {\n  url = %q\n}\n", r, filepath.Join(dir, r))
	}
	path := filepath.Join(dir, "driftgate.hcl")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestPlanConfigRepo: with --config, the repo whose daemon state to use is
// --repo or the config's only one; anything else is an error naming the
// fix, before terraform runs.
func TestPlanConfigRepo(t *testing.T) {
	stack, _ := planStack(t, `resource "dgtest_server" "web" { name = "web" }`)
	two := writePlanConfig(t, "infra", "apps")
	none := writePlanConfig(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"two repos", []string{"--config", two}, "pass --repo NAME"},
		{"unknown repo", []string{"--config", two, "--repo", "nope"}, `--repo "nope": ` + two + " has no such repo; its repos: infra, apps"},
		{"repo without config", []string{"--repo", "infra"}, "pass that file with --config too"},
		{"config without repos", []string{"--config", none, "--repo", "infra"}, `--repo "infra": ` + none + " has no such repo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, append([]string{"plan", stack}, tt.args...)...)
			if code != exitError || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, want 1 and %q:\n%s", code, tt.want, errOut)
			}
			if strings.Contains(errOut, "terraform init") {
				t.Errorf("terraform ran:\n%s", errOut)
			}
		})
	}

	code, out, errOut := runCLI(t, "plan", stack, "--config", writePlanConfig(t, "infra"), "--no-text")
	if code != exitChanges {
		t.Fatalf("one repo: exit %d\n%s\n%s", code, out, errOut)
	}
	checkOutput(t, "plan", out, "(the daemon's, repo infra)")
	checkOutput(t, "stderr", errOut, `warning: the daemon has no state for stack "app" of repo "infra"`)
}

// TestPlanTerraformErrorsShownOnce: when terraform itself fails (here on a
// second required_providers, which parses but terraform refuses), its
// diagnostics are printed once, from the run's log.
func TestPlanTerraformErrorsShownOnce(t *testing.T) {
	stack, _ := planStack(t, `resource "dgtest_server" "web" { name = "web" }`)
	tftest.WriteFiles(t, stack, map[string]string{"versions.tf": `terraform {
  required_providers {
    nothere = { source = "driftgate/nothere" }
  }
}
`})
	code, out, errOut := runCLI(t, "plan", stack, "--data-dir", t.TempDir())
	if code != exitError {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out, errOut)
	}
	checkOutput(t, "stderr", errOut, "$ terraform init", "driftgate: plan failed: terraform init: exit status 1\n")
	if n := strings.Count(errOut, "Duplicate required providers configuration"); n != 1 {
		t.Errorf("terraform's error shown %d times, want once:\n%s", n, errOut)
	}
}
