package gitrepo

import (
	"context"
	"strings"
	"testing"

	"github.com/driftgate/driftgate/planner"
)

// TestDiscoverOnCommit runs the planner's discovery on a commit's tree, as
// the daemon does, without exporting it.
func TestDiscoverOnCommit(t *testing.T) {
	tr := newTestRepo(t, false)
	c := tr.commit("repo", map[string]entry{
		".driftgate.hcl":         file("stack \"prod\" {\n  dir = \"envs/prod\"\n}\n"),
		"envs/prod/main.tf":      file(`module "vpc" { source = "./vpc" }`),
		"envs/prod/vpc":          link("../../modules/vpc"),
		"envs/prod/providers.tf": link("../../shared/providers.tf"),
		"modules/vpc/main.tf":    file(`terraform { required_version = ">= 1.9" }`),
		"shared/providers.tf":    file("terraform {\n  backend \"s3\" {}\n}\n"),
		"escape":                 link("../../etc"),
		"examples/demo/main.tf":  file(`module "x" { source = "../../modules/vpc" }`),
	})
	fsys, err := tr.open().TreeFS(c)
	if err != nil {
		t.Fatal(err)
	}
	d, err := planner.Discover(context.Background(), fsys, planner.DiscoverOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Stacks) != 1 {
		t.Fatalf("stacks = %+v, want one", d.Stacks)
	}
	s := d.Stacks[0]
	got := strings.Join([]string{s.Name, s.Dir, s.Backend, s.RequiredVersion, strings.Join(s.Modules, ","), strings.Join(s.LinkedFiles, ",")}, " | ")
	want := "prod | envs/prod | s3 | >= 1.9 | modules/vpc | shared/providers.tf"
	if got != want {
		t.Errorf("stack = %q, want %q", got, want)
	}
	if strings.Join(d.Undeclared, ",") != "examples/demo,shared" {
		t.Errorf("undeclared = %v", d.Undeclared)
	}
	if len(d.Problems) != 1 || !strings.Contains(d.Problems[0].Summary, "escapes") {
		t.Errorf("problems = %v, want the escaping link", d.Problems)
	}
}
