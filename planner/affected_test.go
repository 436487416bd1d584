package planner

import (
	"fmt"
	"strings"
	"testing"
)

// affectedStacks is a repo with a root stack, nested stacks, module chains,
// a module with an example stack inside, shared var files and triggers, as
// Discover describes them: Nested lists the units inside each stack's
// directory, Inputs what it reads and its links' targets.
var affectedStacks = []Stack{
	{Name: "root", Dir: ".", Modules: []string{"modules/net", "modules/net/subnet"},
		Nested: []string{"envs/linked", "envs/prod", "envs/shared/db", "envs/staging", "modules/app", "modules/net"}},
	{Name: "prod", Dir: "envs/prod", Modules: []string{"modules/app", "modules/net", "modules/net/subnet"},
		VarFiles: []string{"envs/common.tfvars", "envs/prod.tfvars"}, ExtraTriggers: []string{"scripts/**/*.sh"},
		Nested: []string{"envs/prod/db"},
		Inputs: []Input{
			{Path: "common.auto.tfvars", Reason: "target of link envs/prod/common.auto.tfvars"},
			{Path: "modules/app/policies/*.json/**", Glob: true, Reason: "read by modules/app/main.tf:9"},
			{Path: "modules/app/templates/user_data.sh", Reason: "read by modules/app/main.tf:3"},
		}},
	{Name: "prod-db", Dir: "envs/prod/db", Modules: []string{"envs/shared/db"}},
	{Name: "staging", Dir: "envs/staging", Modules: []string{"modules/app", "modules/net", "modules/net/subnet"},
		VarFiles: []string{"envs/common.tfvars"}, ExtraTriggers: []string{"scripts/staging-*.sh", "[bad"},
		Inputs: []Input{
			{Path: "modules/app/policies/*.json/**", Glob: true, Reason: "read by modules/app/main.tf:9"},
			{Path: "modules/app/templates/user_data.sh", Reason: "read by modules/app/main.tf:3"},
		}},
	{Name: "staging-eu", Dir: "envs/staging", Workspace: "eu", Modules: []string{"modules/app"}},
	{Name: "net-example", Dir: "modules/net/examples/simple", Modules: []string{"modules/net", "modules/net/subnet"}},
	{Name: "linked", Dir: "envs/linked", LinkedFiles: []string{"shared/providers.tf"}},
}

func TestAffected(t *testing.T) {
	tests := []struct {
		name    string
		changed []string
		want    []string // "stack: reason; reason"
	}{
		{
			name:    "nothing",
			changed: nil,
			want:    nil,
		},
		{
			name:    "file in a stack dir",
			changed: []string{"envs/prod/main.tf"},
			want:    []string{"prod: envs/prod/main.tf: in stack dir"},
		},
		{
			name:    "deep file in a stack dir",
			changed: []string{"envs/prod/templates/user_data/init.sh"},
			want:    []string{"prod: envs/prod/templates/user_data/init.sh: in stack dir"},
		},
		{
			name:    "nested stack owns its files",
			changed: []string{"envs/prod/db/main.tf"},
			want:    []string{"prod-db: envs/prod/db/main.tf: in stack dir"},
		},
		{
			name:    "two workspaces of one dir",
			changed: []string{"envs/staging/main.tf"},
			want:    []string{"staging: envs/staging/main.tf: in stack dir", "staging-eu: envs/staging/main.tf: in stack dir"},
		},
		{
			name:    "lock file",
			changed: []string{"envs/prod/.terraform.lock.hcl"},
			want:    []string{"prod: envs/prod/.terraform.lock.hcl: lock file"},
		},
		{
			name:    "module used by many",
			changed: []string{"modules/app/main.tf"},
			want: []string{
				"prod: modules/app/main.tf: Terraform file of module modules/app",
				"staging: modules/app/main.tf: Terraform file of module modules/app",
				"staging-eu: modules/app/main.tf: Terraform file of module modules/app",
			},
		},
		{
			name:    "module chain",
			changed: []string{"modules/net/subnet/variables.tf"},
			want: []string{
				"net-example: modules/net/subnet/variables.tf: Terraform file of module modules/net/subnet",
				"prod: modules/net/subnet/variables.tf: Terraform file of module modules/net/subnet",
				"root: modules/net/subnet/variables.tf: Terraform file of module modules/net/subnet",
				"staging: modules/net/subnet/variables.tf: Terraform file of module modules/net/subnet",
			},
		},
		{
			name:    "example stack inside a module is not the module",
			changed: []string{"modules/net/examples/simple/main.tf"},
			want:    []string{"net-example: modules/net/examples/simple/main.tf: in stack dir"},
		},
		{
			name:    "module reached with ../ from a nested stack",
			changed: []string{"envs/shared/db/main.tf"},
			want:    []string{"prod-db: envs/shared/db/main.tf: Terraform file of module envs/shared/db"},
		},
		{
			name:    "module files that are not Terraform files affect nothing",
			changed: []string{"modules/app/README.md", "modules/net/docs/usage.md", "modules/net/subnet/tests/x.txt"},
			want:    nil,
		},
		{
			name:    "module file in a subdirectory is not the module's",
			changed: []string{"modules/app/sub/main.tf"},
			want:    nil,
		},
		{
			name:    "file a module reads",
			changed: []string{"modules/app/templates/user_data.sh", "modules/app/templates/other.sh"},
			want: []string{
				"prod: modules/app/templates/user_data.sh: read by modules/app/main.tf:3",
				"staging: modules/app/templates/user_data.sh: read by modules/app/main.tf:3",
			},
		},
		{
			name:    "files a module reads through a glob",
			changed: []string{"modules/app/policies/s3.json", "modules/app/policies/s3.yaml"},
			want: []string{
				"prod: modules/app/policies/s3.json: read by modules/app/main.tf:9",
				"staging: modules/app/policies/s3.json: read by modules/app/main.tf:9",
			},
		},
		{
			name:    "target of a link in the stack dir",
			changed: []string{"common.auto.tfvars"},
			want: []string{
				"prod: common.auto.tfvars: target of link envs/prod/common.auto.tfvars",
				"root: common.auto.tfvars: in stack dir",
			},
		},
		{
			name:    "module directory itself changed (link or submodule)",
			changed: []string{"modules/net/subnet"},
			want: []string{
				"net-example: modules/net/subnet: directory of module modules/net/subnet",
				"prod: modules/net/subnet: directory of module modules/net/subnet",
				"root: modules/net/subnet: directory of module modules/net/subnet",
				"staging: modules/net/subnet: directory of module modules/net/subnet",
			},
		},
		{
			name:    "shared var file",
			changed: []string{"envs/common.tfvars"},
			want: []string{
				"prod: envs/common.tfvars: var file",
				"root: envs/common.tfvars: in stack dir",
				"staging: envs/common.tfvars: var file",
			},
		},
		{
			name:    "glob triggers",
			changed: []string{"scripts/deploy/staging-eu.sh", "scripts/staging-x.sh"},
			want: []string{
				"prod: scripts/deploy/staging-eu.sh: matches extra trigger scripts/**/*.sh; scripts/staging-x.sh: matches extra trigger scripts/**/*.sh",
				"root: scripts/deploy/staging-eu.sh: in stack dir; scripts/staging-x.sh: in stack dir",
				"staging: scripts/staging-x.sh: matches extra trigger scripts/staging-*.sh",
			},
		},
		{
			name:    "linked file",
			changed: []string{"shared/providers.tf"},
			want:    []string{"linked: shared/providers.tf: linked file", "root: shared/providers.tf: in stack dir"},
		},
		{
			name:    "repo config affects all",
			changed: []string{".driftgate.hcl"},
			want: []string{
				"linked: .driftgate.hcl: repo config changed",
				"net-example: .driftgate.hcl: repo config changed",
				"prod: .driftgate.hcl: repo config changed",
				"prod-db: .driftgate.hcl: repo config changed",
				"root: .driftgate.hcl: in stack dir; .driftgate.hcl: repo config changed",
				"staging: .driftgate.hcl: repo config changed",
				"staging-eu: .driftgate.hcl: repo config changed",
			},
		},
		{
			name:    "rename across stacks gives both paths",
			changed: []string{"envs/prod/db/old.tf", "envs/linked/new.tf"},
			want:    []string{"linked: envs/linked/new.tf: in stack dir", "prod-db: envs/prod/db/old.tf: in stack dir"},
		},
		{
			name:    "paths are cleaned and duplicates merged",
			changed: []string{"./envs/prod/main.tf", "envs/prod//main.tf", "envs/prod/x/../main.tf"},
			want:    []string{"prod: envs/prod/main.tf: in stack dir"},
		},
		{
			name:    "paths outside the repo are ignored",
			changed: []string{"", "/etc/passwd", "../x.tf", ".", "C:/x.tf"},
			want:    nil,
		},
		{
			name:    "stack dir itself changed (link or submodule)",
			changed: []string{"envs/linked"},
			want:    []string{"linked: envs/linked: in stack dir"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, a := range Affected(affectedStacks, tt.changed) {
				got = append(got, a.Stack+": "+strings.Join(a.Reasons, "; "))
			}
			if g, w := strings.Join(got, "\n"), strings.Join(tt.want, "\n"); g != w {
				t.Errorf("Affected(%q):\ngot\n%s\nwant\n%s", tt.changed, g, w)
			}
		})
	}
}

func TestAffectedRootOnlyStack(t *testing.T) {
	stacks := []Stack{{Name: ".", Dir: "."}}
	got := Affected(stacks, []string{"README.md", "a/b/c.tf"})
	want := "[{. [README.md: in stack dir a/b/c.tf: in stack dir]}]"
	if g := fmt.Sprint(got); g != want {
		t.Errorf("Affected = %s, want %s", g, want)
	}
}

func TestAffectedDeterministic(t *testing.T) {
	changed := []string{"modules/app/main.tf", "envs/common.tfvars", ".driftgate.hcl", "scripts/a.sh"}
	first := fmt.Sprint(Affected(affectedStacks, changed))
	for range 20 {
		if got := fmt.Sprint(Affected(affectedStacks, changed)); got != first {
			t.Fatalf("Affected changed between calls:\n%s\n%s", first, got)
		}
	}
}
