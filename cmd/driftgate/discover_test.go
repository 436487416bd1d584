package main

import (
	"strings"
	"testing"

	"github.com/driftgate/driftgate/test/tftest"
)

// moduleRepo writes a module repository: "." is a module that its examples
// call, with a submodule, an unused module and files no stack reads.
func moduleRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	tftest.WriteFiles(t, dir, map[string]string{
		"main.tf":                  "module \"sub\" {\n  source = \"./modules/sub\"\n}\nlocals {\n  t = file(\"${path.module}/templates/a.tpl\")\n}\n",
		"templates/a.tpl":          "x",
		"README.md":                "# module",
		"CHANGELOG.md":             "## 1.0.0",
		".github/workflows/ci.yml": "on: push",
		"modules/sub/main.tf":      `variable "x" { default = 1 }`,
		"modules/unused/main.tf":   `variable "x" {}`,
		"examples/simple/main.tf":  `module "m" { source = "../.." }`,
		"examples/other/main.tf":   `module "m" { source = "../../" }`,
	})
	return dir
}

func TestDiscoverCommandModuleRepo(t *testing.T) {
	code, out, errOut := runCLI(t, "discover", moduleRepo(t), "--strict")
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	for _, want := range []string{"examples/other", "examples/simple", "2 stacks", "Unused modules (under modules/, no caller, no backend): modules/unused"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestDiscoverCommandTerragrunt(t *testing.T) {
	repo := t.TempDir()
	tftest.WriteFiles(t, repo, map[string]string{
		"terragrunt.hcl":           `remote_state { backend = "s3" }`,
		"live/prod/terragrunt.hcl": "terraform {\n  source = \"../../modules/app\"\n}\n",
		"modules/app/main.tf":      `variable "name" {}`,
	})
	code, out, _ := runCLI(t, "discover", repo)
	if code != 0 {
		t.Errorf("without --strict: exit %d, want 0", code)
	}
	for _, want := range []string{"0 stacks", "no stacks, but 2 Terragrunt files", "plain", "Terraform/OpenTofu root modules", "live/prod/terragrunt.hcl"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if len(line) > 80 {
			t.Errorf("line wider than 80 columns: %q", line)
		}
	}
	if code, _, _ := runCLI(t, "discover", repo, "--strict"); code != exitError {
		t.Errorf("--strict: exit %d, want %d", code, exitError)
	}
}

func TestDiscoverCommandFilter(t *testing.T) {
	repo := t.TempDir()
	tftest.WriteFiles(t, repo, map[string]string{
		".driftgate.hcl":         "discover {\n  exclude = [\"wrappers/**\", \"tests/fixtures/**\"]\n}\n",
		"live/main.tf":           `variable "x" { default = 1 }`,
		"wrappers/a/main.tf":     `variable "x" { default = 1 }`,
		"tests/fixtures/main.tf": `variable "x" { default = 1 }`,
	})
	code, out, errOut := runCLI(t, "discover", repo)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"1 stacks", "left out by the discover block of .driftgate.hcl: tests/fixtures,\n  wrappers/a"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
