package planner

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func writeTree(tb testing.TB, root string, files map[string]string) {
	tb.Helper()
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

func TestFindLocalStack(t *testing.T) {
	repo := t.TempDir()
	writeTree(t, repo, map[string]string{
		".git/HEAD":             "ref: refs/heads/main\n",
		"envs/prod/main.tf":     `module "net" { source = "../../modules/net" }`,
		"envs/prod.tfvars":      `x = 1`,
		"envs/dev/main.tf":      `terraform {}`,
		"modules/net/main.tf":   `terraform { required_version = ">= 1.5" }`,
		"elsewhere/app/main.tf": `terraform {}`,
		".driftgate.hcl": `
stack "prod" {
  dir       = "envs/prod"
  var_files = ["envs/prod.tfvars"]
}
stack "prod-eu" {
  dir       = "envs/prod"
  workspace = "eu"
}
`,
	})
	if err := os.Symlink(filepath.Join(repo, "envs", "prod"), filepath.Join(repo, "prod-link")); err != nil {
		t.Fatal(err)
	}
	noRepo := t.TempDir()
	writeTree(t, noRepo, map[string]string{"solo/main.tf": `terraform {}`})

	tests := []struct {
		name, dir, workspace      string
		wantName, wantDir, wantWS string
		wantVarFiles              int
		wantModules               []string
	}{
		{"declared", filepath.Join(repo, "envs", "prod"), "", "prod", "envs/prod", "default", 1, []string{"modules/net"}},
		{"declared workspace", filepath.Join(repo, "envs", "prod"), "eu", "prod-eu", "envs/prod", "eu", 0, []string{"modules/net"}},
		{"through a symlink", filepath.Join(repo, "prod-link"), "", "prod", "envs/prod", "default", 1, []string{"modules/net"}},
		{"undeclared dir", filepath.Join(repo, "envs", "dev"), "", "envs/dev", "envs/dev", "default", 0, nil},
		{"undeclared with workspace", filepath.Join(repo, "envs", "dev"), "qa", "envs/dev", "envs/dev", "qa", 0, nil},
		{"no repository", filepath.Join(noRepo, "solo"), "", "solo", "", "default", 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ls, _, err := FindLocalStack(context.Background(), tt.dir, tt.workspace)
			if err != nil {
				t.Fatal(err)
			}
			s := ls.Stack
			if s.Name != tt.wantName || s.Workspace != tt.wantWS || len(s.VarFiles) != tt.wantVarFiles {
				t.Errorf("stack = %+v", s)
			}
			if tt.wantDir != "" && s.Dir != tt.wantDir {
				t.Errorf("dir = %s, want %s", s.Dir, tt.wantDir)
			}
			if len(s.Modules) != len(tt.wantModules) || (len(s.Modules) > 0 && s.Modules[0] != tt.wantModules[0]) {
				t.Errorf("modules = %q, want %q", s.Modules, tt.wantModules)
			}
		})
	}
	ls, _, err := FindLocalStack(context.Background(), filepath.Join(repo, "envs", "prod"), "")
	if err != nil || ls.Stack.RequiredVersion != ">= 1.5" {
		t.Errorf("required_version from the module not merged: %+v, %v", ls, err)
	}
}

func TestFindLocalStackBrokenRepoConfig(t *testing.T) {
	repo := t.TempDir()
	writeTree(t, repo, map[string]string{
		"app/main.tf":    `terraform {}`,
		".driftgate.hcl": `stack "a" { dir = "/etc" }`,
	})
	ls, diags, err := FindLocalStack(context.Background(), filepath.Join(repo, "app"), "")
	if !errors.Is(err, ErrRepoConfig) || !diags.HasErrors() {
		t.Fatalf("err = %v, diags = %v", err, diags)
	}
	if ls == nil || ls.Config == nil || ls.Config.Files[RepoConfigFile] == nil {
		t.Error("no parsed files to print snippets from")
	}
}

func TestFindLocalStackErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	writeTree(t, dir, map[string]string{"f": ""})
	for _, p := range []string{filepath.Join(dir, "missing"), file} {
		if _, _, err := FindLocalStack(context.Background(), p, ""); err == nil {
			t.Errorf("FindLocalStack(%s) succeeded", p)
		}
	}
}
