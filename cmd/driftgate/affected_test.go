package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestAffectedFilesArgs checks every way of giving --files several paths,
// on a module repo whose README, CHANGELOG and CI config affect nothing.
func TestAffectedFilesArgs(t *testing.T) {
	repo := moduleRepo(t)
	tests := []struct {
		name string
		args []string
		want string // "stack: reasons" lines
	}{
		{"files after --files", []string{"--files", "CHANGELOG.md", "main.tf", "templates/a.tpl"},
			"examples/other: main.tf: Terraform file of module .; templates/a.tpl: read by main.tf:5\n" +
				"examples/simple: main.tf: Terraform file of module .; templates/a.tpl: read by main.tf:5"},
		{"comma-separated", []string{"--files", "README.md,modules/sub/main.tf"},
			"examples/other: modules/sub/main.tf: Terraform file of module modules/sub\n" +
				"examples/simple: modules/sub/main.tf: Terraform file of module modules/sub"},
		{"repeated flag", []string{"--files", "examples/simple/main.tf", "--files", ".github/workflows/ci.yml"},
			"examples/simple: examples/simple/main.tf: in stack dir"},
		{"nothing a stack reads", []string{"--files", "README.md", "CHANGELOG.md", ".github/workflows/ci.yml", "modules/unused/main.tf"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, append([]string{"affected", repo, "-o", "json"}, tt.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var got affectedOutput
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("%v:\n%s", err, out)
			}
			var lines []string
			for _, a := range got.Affected {
				lines = append(lines, a.Stack+": "+strings.Join(a.Reasons, "; "))
			}
			if g := strings.Join(lines, "\n"); g != tt.want {
				t.Errorf("affected:\ngot\n%s\nwant\n%s", g, tt.want)
			}
		})
	}

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"affected", repo, "main.tf"}, `unexpected argument "main.tf"`},
		{[]string{"affected", "--files", "main.tf", "README.md", repo}, "PATH comes first"},
	} {
		if code, _, errOut := runCLI(t, tt.args...); code != exitError || !strings.Contains(errOut, tt.want) {
			t.Errorf("%q: exit %d, stderr %q; want exit %d and %q", tt.args, code, errOut, exitError, tt.want)
		}
	}
}
