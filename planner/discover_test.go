package planner

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
)

// asJSON renders v for got/want comparisons with a readable diff.
func asJSON(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

func discoverDir(tb testing.TB, dir string) *Discovery {
	tb.Helper()
	d, err := Discover(context.Background(), os.DirFS(dir), DiscoverOptions{})
	if err != nil {
		tb.Fatalf("Discover(%s): %v", dir, err)
	}
	return d
}

func TestDiscoverBasic(t *testing.T) {
	got := discoverDir(t, "testdata/basic")
	want := &Discovery{
		Stacks: []Stack{
			{
				Name: "envs/prod", Dir: "envs/prod", Workspace: "default",
				RequiredVersion: ">= 1.9, < 2.0",
				Backend:         "s3",
				Providers:       []ProviderRequirement{{Name: "aws", Source: "hashicorp/aws", Version: "~> 5.0, ~> 5.1"}},
				Modules:         []string{".hidden/mod", "modules/vpc", "modules/vpc/subnet"},
			},
			{
				Name: "envs/staging", Dir: "envs/staging", Workspace: "default",
				RequiredVersion: ">= 1.9, < 2.0",
				Backend:         "cloud",
				Providers: []ProviderRequirement{
					{Name: "aws", Version: "~> 5.1"},
					{Name: "random", Source: "hashicorp/random", Version: ">= 3.0"},
				},
				Modules: []string{"modules/app", "modules/state", "modules/vpc", "modules/vpc/subnet"},
			},
			{Name: "modules/state", Dir: "modules/state", Workspace: "default", Backend: "local"},
		},
		Modules: []Module{
			{Dir: ".hidden/mod", CalledBy: []string{"envs/prod"}},
			{Dir: "envs/prod", Calls: []string{".hidden/mod", "modules/vpc"}},
			{Dir: "envs/staging", Calls: []string{"modules/app", "modules/state"}},
			{Dir: "modules/app", Calls: []string{"modules/vpc"}, CalledBy: []string{"envs/staging"}},
			{Dir: "modules/state", CalledBy: []string{"envs/staging"}},
			{Dir: "modules/vpc", Calls: []string{"modules/vpc/subnet"}, CalledBy: []string{"envs/prod", "modules/app"}},
			{Dir: "modules/vpc/subnet", CalledBy: []string{"modules/vpc"}},
		},
	}
	if g, w := asJSON(t, got), asJSON(t, want); g != w {
		t.Errorf("Discover:\ngot  %s\nwant %s", g, w)
	}
}

func TestDiscoverRootStack(t *testing.T) {
	got := discoverDir(t, "testdata/rootstack")
	want := []Stack{{Name: ".", Dir: ".", Workspace: "default", Modules: []string{"modules/net"}, Nested: []string{"modules/net", "modules/unused"}}}
	if g, w := asJSON(t, got.Stacks), asJSON(t, want); g != w {
		t.Errorf("stacks:\ngot  %s\nwant %s", g, w)
	}
}

func TestDiscoverProblems(t *testing.T) {
	got := discoverDir(t, "testdata/broken")
	var stacks []string
	for _, s := range got.Stacks {
		stacks = append(stacks, s.Name)
	}
	// bad is broken but still read: its ok.tf calls good, so good is a module.
	if g, w := strings.Join(stacks, " "), "bad escape missing"; g != w {
		t.Errorf("stacks = %q, want %q", g, w)
	}
	var problems []string
	for _, p := range got.Problems {
		line := p.Dir + ": " + p.Summary
		for _, d := range p.Diagnostics {
			line += " | " + d.File + ":" + strconv.Itoa(d.Line) + ":" + strconv.Itoa(d.Column) + " " + d.Summary
		}
		problems = append(problems, line)
	}
	want := []string{
		"bad: invalid Terraform configuration | bad/main.tf:3:1 Missing expression",
		"escape: module \"outside\": module source escapes the repo | escape/main.tf:2:12 Module source escapes the repo",
		"missing: module \"gone\": module directory not found | missing/main.tf:2:12 Module directory not found",
	}
	if g, w := strings.Join(problems, "\n"), strings.Join(want, "\n"); g != w {
		t.Errorf("problems:\ngot\n%s\nwant\n%s", g, w)
	}
}

func TestDiscoverDeclared(t *testing.T) {
	got := discoverDir(t, "testdata/declared")
	want := &Discovery{
		Stacks: []Stack{
			{Name: "app-prod", Dir: "live/app", Workspace: "prod", DependsOn: []string{"network"}, ExtraTriggers: []string{"scripts/**/*.sh"}, Declared: true},
			{Name: "app-staging", Dir: "live/app", Workspace: "staging", DependsOn: []string{"network"}, Declared: true},
			{Name: "network", Dir: "live/network", Workspace: "default", VarFiles: []string{"vars/common.tfvars"}, TerraformVersion: "~> 1.11", Declared: true},
		},
		Modules: []Module{
			{Dir: "examples/demo", Calls: []string{"live/app"}},
			{Dir: "live/app", CalledBy: []string{"examples/demo"}},
			{Dir: "live/network"},
		},
		Undeclared: []string{"examples/demo"},
	}
	if g, w := asJSON(t, got), asJSON(t, want); g != w {
		t.Errorf("Discover:\ngot  %s\nwant %s", g, w)
	}
}

func TestDiscoverBadConfigIsAProblem(t *testing.T) {
	fsys := fstest.MapFS{
		".driftgate.hcl": {Data: []byte("stack \"a\" {\n  dir = \"nope\"\n}\n")},
		"a/main.tf":      {Data: []byte("")},
	}
	got, err := Discover(context.Background(), fsys, DiscoverOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Problems) == 0 || got.Problems[0].Summary != "invalid .driftgate.hcl" {
		t.Fatalf("problems = %v, want invalid .driftgate.hcl first", got.Problems)
	}
}

// TestDiscoverSymlinks checks links on disk: followed inside the repo,
// reported when absolute or escaping, loops visited once.
func TestDiscoverSymlinks(t *testing.T) {
	root := t.TempDir()
	repo := filepath.Join(root, "repo")
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
	write("live/prod/main.tf", `module "vpc" { source = "./vpc" }`)
	link("../../shared/vpc", "live/prod/vpc") // module dir through a link
	write("shared/vpc/main.tf", `resource "null_resource" "v" {}`)
	write("shared/providers.tf", `terraform { required_version = ">= 1.10" }`)
	link("../../shared/providers.tf", "live/prod/providers.tf") // linked file
	link("../live", "aliases/live")                             // same dirs again: visited once
	link("..", "live/loop")                                     // loop
	link("/etc", "abs")                                         // absolute: problem
	link("../../outside", "live/escape")                        // escaping: problem
	if err := os.WriteFile(filepath.Join(root, "outside"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	link("../../outside", "live/staging")
	write("live/qa/main.tf", `module "out" { source = "../escape" }`)

	got := discoverDir(t, repo)
	want := []Stack{{
		Name: "live/prod", Dir: "live/prod", Workspace: "default",
		RequiredVersion: ">= 1.10",
		Modules:         []string{"shared/vpc"},
		LinkedFiles:     []string{"shared/providers.tf"},
	}, {
		Name: "live/qa", Dir: "live/qa", Workspace: "default",
	}, {
		// A directory of shared files is a root module like any other.
		Name: "shared", Dir: "shared", Workspace: "default", RequiredVersion: ">= 1.10",
		Nested: []string{"shared/vpc"},
	}}
	if g, w := asJSON(t, got.Stacks), asJSON(t, want); g != w {
		t.Errorf("stacks:\ngot  %s\nwant %s", g, w)
	}
	var problems []string
	for _, p := range got.Problems {
		problems = append(problems, p.Dir+": "+p.Summary)
	}
	wantProblems := []string{
		".: symbolic link not followed: abs -> /etc: symbolic link target is absolute",
		"live: symbolic link not followed: live/escape -> ../../outside: symbolic link target escapes the repo root",
		"live: symbolic link not followed: live/staging -> ../../outside: symbolic link target escapes the repo root",
		"live/qa: module \"out\": module directory not readable",
	}
	if g, w := strings.Join(problems, "\n"), strings.Join(wantProblems, "\n"); g != w {
		t.Errorf("problems:\ngot\n%s\nwant\n%s", g, w)
	}
}

func TestDiscoverUnreadableRoot(t *testing.T) {
	_, err := Discover(context.Background(), os.DirFS(filepath.Join(t.TempDir(), "missing")), DiscoverOptions{})
	if err == nil {
		t.Fatal("Discover on a missing root: want an error")
	}
}

func TestDiscoverCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Discover(ctx, os.DirFS("testdata/basic"), DiscoverOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestInspectStack(t *testing.T) {
	s, problems, err := InspectStack(context.Background(), os.DirFS("testdata/basic"), "envs/staging")
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) != 0 {
		t.Errorf("problems = %v", problems)
	}
	want := &Stack{
		Name: "envs/staging", Dir: "envs/staging", Workspace: "default",
		RequiredVersion: ">= 1.9, < 2.0", Backend: "cloud",
		Providers: []ProviderRequirement{
			{Name: "aws", Version: "~> 5.1"},
			{Name: "random", Source: "hashicorp/random", Version: ">= 3.0"},
		},
		Modules: []string{"modules/app", "modules/state", "modules/vpc", "modules/vpc/subnet"},
	}
	if g, w := asJSON(t, s), asJSON(t, want); g != w {
		t.Errorf("InspectStack:\ngot  %s\nwant %s", g, w)
	}

	for _, dir := range []string{"docs", "nope", "../x"} {
		if _, _, err := InspectStack(context.Background(), os.DirFS("testdata/basic"), dir); err == nil {
			t.Errorf("InspectStack(%q): want an error", dir)
		}
	}
	if _, _, err := InspectStack(context.Background(), os.DirFS("testdata/basic"), "docs"); !errors.Is(err, ErrNoConfiguration) {
		t.Errorf("InspectStack(docs) = %v, want ErrNoConfiguration", err)
	}
}

const fsModeSymlink = fs.ModeSymlink
