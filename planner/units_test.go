package planner

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// TestAffectedThroughLinks checks links on disk: a module read through a
// link covers the link's target, a directory linked into a stack covers
// everything under its target, and a dangling .tf link outside any stack is
// a problem.
func TestAffectedThroughLinks(t *testing.T) {
	repo := t.TempDir()
	write := func(name, data string) {
		t.Helper()
		p := filepath.Join(repo, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, name string) {
		t.Helper()
		p := filepath.Join(repo, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Skipf("symlinks unsupported: %v", err)
		}
	}
	write("envs/prod/main.tf", "module \"app\" {\n  source = \"../../modules/app\"\n}\n")
	write("modules/app/main.tf", "locals {\n  p = file(\"${path.module}/policy.json\")\n}\n")
	link("../../policies/app.json", "modules/app/policy.json")
	write("policies/app.json", "{}")
	write("policies/other.json", "{}")
	link("../../scripts", "envs/prod/scripts")
	write("scripts/deploy/run.sh", "#!/bin/sh")
	link("../gone.tf", "lib/broken.tf")

	d := discoverDir(t, repo)
	var problems []string
	for _, p := range d.Problems {
		problems = append(problems, p.Dir+": "+p.Summary)
	}
	if g, w := strings.Join(problems, "\n"), "lib: symbolic link lib/broken.tf -> ../gone.tf: target does not exist"; g != w {
		t.Errorf("problems:\ngot\n%s\nwant\n%s", g, w)
	}
	for _, tt := range []struct {
		changed []string
		want    string
	}{
		{[]string{"policies/app.json"}, "envs/prod: policies/app.json: read by modules/app/main.tf:2 (through modules/app/policy.json)"},
		{[]string{"modules/app/policy.json"}, "envs/prod: modules/app/policy.json: read by modules/app/main.tf:2"},
		{[]string{"policies/other.json"}, ""},
		{[]string{"scripts/deploy/run.sh"}, "envs/prod: scripts/deploy/run.sh: target of link envs/prod/scripts"},
	} {
		var got []string
		for _, a := range Affected(d.Stacks, tt.changed) {
			got = append(got, a.Stack+": "+strings.Join(a.Reasons, "; "))
		}
		if g := strings.Join(got, "\n"); g != tt.want {
			t.Errorf("Affected(%q):\ngot\n%s\nwant\n%s", tt.changed, g, tt.want)
		}
	}
}

// TestDiscoverUnusedModules: an uncalled module under modules/ is a stack
// only with a backend or when declared.
func TestDiscoverUnusedModules(t *testing.T) {
	repo := fstest.MapFS{
		"modules/state/main.tf":     {Data: []byte("terraform {\n  backend \"s3\" {}\n}\n")},
		"modules/lib/main.tf":       {Data: []byte(`variable "x" {}`)},
		"infra/modules/net/main.tf": {Data: []byte(`variable "x" {}`)},
		"modules/main.tf":           {Data: []byte(`variable "x" {}`)},
		"live/main.tf":              {Data: []byte(`variable "x" {}`)},
	}
	for _, tt := range []struct {
		config, stacks, unused, undeclared string
	}{
		{"", "live modules modules/state", "infra/modules/net modules/lib", ""},
		{"stack \"lib\" {\n  dir = \"modules/lib\"\n}\n", "lib", "infra/modules/net", "live modules modules/state"},
	} {
		fsys := fstest.MapFS{}
		for k, v := range repo {
			fsys[k] = v
		}
		if tt.config != "" {
			fsys[RepoConfigFile] = &fstest.MapFile{Data: []byte(tt.config)}
		}
		d, err := Discover(context.Background(), fsys, DiscoverOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, s := range d.Stacks {
			names = append(names, s.Name)
		}
		for _, c := range []struct{ what, got, want string }{
			{"stacks", strings.Join(names, " "), tt.stacks},
			{"unused", strings.Join(d.UnusedModules, " "), tt.unused},
			{"undeclared", strings.Join(d.Undeclared, " "), tt.undeclared},
		} {
			if c.got != c.want {
				t.Errorf("config %q: %s = %q, want %q", tt.config, c.what, c.got, c.want)
			}
		}
	}
}

// TestDiscoverEmptyModuleDir: a call of a directory without Terraform files
// is a problem, not a crash.
func TestDiscoverEmptyModuleDir(t *testing.T) {
	fsys := fstest.MapFS{
		"live/main.tf":    {Data: []byte(`module "x" { source = "../empty" }`)},
		"empty/README.md": {Data: []byte("# nothing")},
	}
	d, err := Discover(context.Background(), fsys, DiscoverOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Problems) != 1 || d.Problems[0].String() != "live: module directory empty: no Terraform configuration files" {
		t.Errorf("problems = %v", d.Problems)
	}
	if _, problems, err := InspectStack(context.Background(), fsys, "live"); err != nil || len(problems) != 1 {
		t.Errorf("InspectStack: %v, problems %v", err, problems)
	}
}
