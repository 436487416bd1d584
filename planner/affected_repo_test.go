package planner

import (
	"strings"
	"testing"
)

// TestAffectedRepos discovers each fixture repo and asks Affected about
// changed paths, as the daemon and `driftgate affected` do.
func TestAffectedRepos(t *testing.T) {
	type change struct {
		changed []string
		want    []string // "stack: reason; reason"
	}
	tests := []struct {
		repo       string
		stacks     string // names, space-separated
		unused     string
		excluded   string
		problems   []string // "dir: summary"
		affected   []change
		inputsOf   string // a stack whose Inputs to check
		wantInputs []string
	}{
		{
			repo:     "modrepo", // "." is a module; examples/* call it
			stacks:   "examples/complete examples/simple",
			unused:   "modules/unused",
			inputsOf: "examples/simple",
			wantInputs: []string{
				"modules/sub/config.json: read by modules/sub/main.tf:4",
				"policies/*.json/** (glob): read by main.tf:4",
				"templates/user_data.sh.tpl: read by main.tf:3",
			},
			affected: []change{
				{[]string{"CHANGELOG.md", "README.md", ".github/workflows/ci.yml", "docs/usage.md"}, nil},
				{[]string{"modules/sub/README.md", "policies/notes.txt", "modules/unused/main.tf"}, nil},
				{[]string{"main.tf"}, []string{
					"examples/complete: main.tf: Terraform file of module .",
					"examples/simple: main.tf: Terraform file of module .",
				}},
				{[]string{"templates/user_data.sh.tpl"}, []string{
					"examples/complete: templates/user_data.sh.tpl: read by main.tf:3",
					"examples/simple: templates/user_data.sh.tpl: read by main.tf:3",
				}},
				{[]string{"policies/s3.json"}, []string{
					"examples/complete: policies/s3.json: read by main.tf:4",
					"examples/simple: policies/s3.json: read by main.tf:4",
				}},
				{[]string{"modules/sub/config.json", "modules/sub/main.tf"}, []string{
					"examples/complete: modules/sub/config.json: read by modules/sub/main.tf:4; modules/sub/main.tf: Terraform file of module modules/sub",
					"examples/simple: modules/sub/config.json: read by modules/sub/main.tf:4; modules/sub/main.tf: Terraform file of module modules/sub",
				}},
				{[]string{"examples/complete/README.md", "examples/complete/files/name.txt"}, []string{
					"examples/complete: examples/complete/README.md: in stack dir; examples/complete/files/name.txt: in stack dir; examples/complete/files/name.txt: read by examples/complete/main.tf:3",
				}},
			},
		},
		{
			repo:   "rootstack", // "." is a stack calling modules/net
			stacks: ".",
			unused: "modules/unused",
			affected: []change{
				{[]string{"modules/unused/main.tf", "modules/net/README.md"}, nil},
				{[]string{"modules/net/main.tf", "README.md", ".github/workflows/ci.yml"}, []string{
					".: .github/workflows/ci.yml: in stack dir; README.md: in stack dir; modules/net/main.tf: Terraform file of module modules/net",
				}},
			},
		},
		{
			repo:     "symlinks", // envs/*/common.auto.tfvars -> ../../common.auto.tfvars
			stacks:   "envs/prod envs/staging",
			problems: []string{"envs/staging: symbolic link envs/staging/extra.auto.tfvars -> ../../gone.tfvars: target does not exist"},
			affected: []change{
				{[]string{"common.auto.tfvars"}, []string{
					"envs/prod: common.auto.tfvars: target of link envs/prod/common.auto.tfvars",
					"envs/staging: common.auto.tfvars: target of link envs/staging/common.auto.tfvars",
				}},
				{[]string{"README.md"}, nil},
			},
		},
		{
			repo:     "filtered", // discover { include = [live/**, wrappers/**]  exclude = [wrappers/**] }
			stacks:   "live/app",
			excluded: "other tests/fixtures/basic wrappers/app",
			affected: []change{
				{[]string{"wrappers/app/main.tf", "other/main.tf"}, nil},
				{[]string{"live/app/main.tf"}, []string{"live/app: live/app/main.tf: in stack dir"}},
			},
		},
		{
			repo:     "terragrunt",
			unused:   "modules/app",
			problems: []string{".: no stacks, but 3 Terragrunt files: driftgate plans plain Terraform/OpenTofu root modules (directories of .tf files), not Terragrunt configurations"},
		},
		{
			repo:   "dynsource",
			stacks: "live",
			problems: []string{
				`live: module "from_var": source is not a literal string`,
				`live: module "interpolated": source is not a literal string`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.repo, func(t *testing.T) {
			d := discoverDir(t, "testdata/"+tt.repo)
			var names, problems []string
			for _, s := range d.Stacks {
				names = append(names, s.Name)
				if s.Name == tt.inputsOf {
					var inputs []string
					for _, in := range s.Inputs {
						p := in.Path
						if in.Glob {
							p += " (glob)"
						}
						inputs = append(inputs, p+": "+in.Reason)
					}
					if g, w := strings.Join(inputs, "\n"), strings.Join(tt.wantInputs, "\n"); g != w {
						t.Errorf("inputs of %s:\ngot\n%s\nwant\n%s", s.Name, g, w)
					}
				}
			}
			for _, p := range d.Problems {
				problems = append(problems, p.Dir+": "+p.Summary)
			}
			for _, c := range []struct{ what, got, want string }{
				{"stacks", strings.Join(names, " "), tt.stacks},
				{"unused modules", strings.Join(d.UnusedModules, " "), tt.unused},
				{"excluded", strings.Join(d.Excluded, " "), tt.excluded},
				{"problems", strings.Join(problems, "\n"), strings.Join(tt.problems, "\n")},
			} {
				if c.got != c.want {
					t.Errorf("%s:\ngot  %s\nwant %s", c.what, c.got, c.want)
				}
			}
			for _, c := range tt.affected {
				var got []string
				for _, a := range Affected(d.Stacks, c.changed) {
					got = append(got, a.Stack+": "+strings.Join(a.Reasons, "; "))
				}
				if g, w := strings.Join(got, "\n"), strings.Join(c.want, "\n"); g != w {
					t.Errorf("Affected(%q):\ngot\n%s\nwant\n%s", c.changed, g, w)
				}
			}
		})
	}
}
