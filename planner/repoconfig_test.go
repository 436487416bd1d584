package planner

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hashicorp/hcl/v2"
)

// configRepo is a repo for config tests: a few directories and files.
func configRepo(config string) fstest.MapFS {
	return fstest.MapFS{
		RepoConfigFile:         {Data: []byte(config)},
		"envs/prod/main.tf":    {Data: []byte("")},
		"envs/staging/main.tf": {Data: []byte("")},
		"envs/common.tfvars":   {Data: []byte("")},
		"envs/link":            {Data: []byte("prod"), Mode: fsModeSymlink},
		"envs/out":             {Data: []byte("../../elsewhere"), Mode: fsModeSymlink},
	}
}

// formatDiags renders diagnostics as "line:column: summary" lines.
func formatDiags(diags hcl.Diagnostics) string {
	var lines []string
	for _, d := range diags {
		if d.Subject == nil {
			lines = append(lines, d.Summary)
			continue
		}
		lines = append(lines, fmt.Sprintf("%d:%d: %s", d.Subject.Start.Line, d.Subject.Start.Column, d.Summary))
	}
	return strings.Join(lines, "\n")
}

func TestLoadRepoConfigErrors(t *testing.T) {
	tests := []struct {
		name   string
		config string
		want   string // formatDiags
		detail string // a substring of the first diagnostic's Detail
	}{
		{
			name:   "unknown attribute",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  workspaces = \"x\"\n}\n",
			want:   "3:3: Unsupported argument",
			detail: "Did you mean \"workspace\"?",
		},
		{
			name:   "unknown block",
			config: "stak \"a\" {}\n",
			want:   "1:1: Unsupported block type",
		},
		{
			name:   "missing dir",
			config: "stack \"a\" {\n}\n",
			want:   "1:11: Missing required argument",
		},
		{
			name:   "missing label",
			config: "stack {\n  dir = \"envs/prod\"\n}\n",
			want:   "1:7: Missing name for stack",
		},
		{
			name:   "wrong type",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  var_files = \"envs/common.tfvars\"\n}\n",
			want:   "3:16: Unsuitable value type",
			detail: "list of string required",
		},
		{
			name:   "wrong types in source order",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  var_files = \"x\"\n  depends_on = \"y\"\n  extra_triggers = \"z\"\n}\n",
			want:   "3:16: Unsuitable value type\n4:17: Unsuitable value type\n5:21: Unsuitable value type",
		},
		{
			name:   "null dir",
			config: "stack \"a\" {\n  dir = null\n}\n",
			want:   "2:9: Unsuitable value type",
			detail: "null value is not allowed",
		},
		{
			name:   "syntax error",
			config: "stack \"a\" {\n  dir = \n}\n",
			want:   "2:9: Invalid expression",
		},
		{
			name:   "duplicate name",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n}\nstack \"a\" {\n  dir = \"envs/staging\"\n}\n",
			want:   "4:7: Duplicate stack name",
			detail: "already declared at .driftgate.hcl line 1",
		},
		{
			name:   "same dir and workspace",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n}\nstack \"b\" {\n  dir = \"./envs/link/\"\n}\n",
			want:   "5:3: Duplicate stack",
			detail: "Stack \"a\" (.driftgate.hcl line 1) already plans envs/link in workspace \"default\"",
		},
		{
			name:   "empty workspace",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  workspace = \"\"\n}\n",
			want:   "3:3: Empty workspace",
		},
		{
			name:   "unknown dependency",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  depends_on = [\"b\", \"c\"]\n}\nstack \"b\" {\n  dir = \"envs/staging\"\n}\n",
			want:   "3:22: Unknown stack",
			detail: "depends on \"c\"",
		},
		{
			name: "cycle",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  depends_on = [\"b\"]\n}\n" +
				"stack \"b\" {\n  dir = \"envs/staging\"\n  depends_on = [\"a\"]\n}\n",
			want:   "7:17: Dependency cycle",
			detail: "a → b → a",
		},
		{
			name:   "self dependency",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  depends_on = [\"a\"]\n}\n",
			want:   "3:17: Dependency cycle",
			detail: "a → a",
		},
		{
			name:   "bad version",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  terraform_version = \"~> one\"\n}\n",
			want:   "3:3: Invalid version constraint",
		},
		{
			name:   "bad glob",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  extra_triggers = [\"ok/**\", \"bad/[a\", \"{x\"]\n}\n",
			want:   "3:30: Invalid glob\n3:40: Invalid glob",
		},
		{
			name:   "escaping glob",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  extra_triggers = [\"../x/*\"]\n}\n",
			want:   "3:21: Invalid trigger",
		},
		{
			name:   "absolute dir",
			config: "stack \"a\" {\n  dir = \"/envs/prod\"\n}\n",
			want:   "2:3: Invalid path",
			detail: "path is absolute",
		},
		{
			name:   "dir escapes",
			config: "stack \"a\" {\n  dir = \"envs/../../prod\"\n}\n",
			want:   "2:3: Invalid path",
			detail: "escapes the repo root",
		},
		{
			name:   "dir missing",
			config: "stack \"a\" {\n  dir = \"envs/qa\"\n}\n",
			want:   "2:3: Path not found",
		},
		{
			name:   "dir is a file",
			config: "stack \"a\" {\n  dir = \"envs/common.tfvars\"\n}\n",
			want:   "2:3: Wrong kind of path",
		},
		{
			name:   "dir through escaping link",
			config: "stack \"a\" {\n  dir = \"envs/out\"\n}\n",
			want:   "2:3: Path leaves the repo",
		},
		{
			name:   "var file missing",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  var_files = [\"envs/common.tfvars\", \"envs/prod.tfvars\"]\n}\n",
			want:   "3:38: Path not found",
		},
		{
			name:   "var file escapes",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  var_files = [\"../x.tfvars\"]\n}\n",
			want:   "3:16: Invalid path",
		},
		{
			name:   "variables not allowed",
			config: "stack \"a\" {\n  dir = var.dir\n}\n",
			want:   "2:9: Variables not allowed",
		},
		{
			name:   "variable in workspace",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  workspace = var.ws\n}\n",
			want:   "3:15: Variables not allowed",
		},
		{
			name:   "variable in a list",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  var_files = [\"envs/qa.tfvars\", var.f]\n}\n",
			want:   "3:34: Variables not allowed",
		},
		{
			name:   "null in a list",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  var_files = [\"envs/qa.tfvars\", null]\n}\n",
			want:   "3:15: Unsuitable value type",
			detail: "null value is not allowed",
		},
		{
			name:   "list not written as a list",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  depends_on = [for s in [\"b\"] : s]\n}\n",
			want:   "3:3: Unknown stack",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, diags := LoadRepoConfig(configRepo(tt.config))
			if got := formatDiags(diags); got != tt.want {
				t.Errorf("diagnostics:\ngot\n%s\nwant\n%s", got, tt.want)
			}
			if cfg == nil || cfg.Files[RepoConfigFile] == nil {
				t.Fatalf("config = %v, want one with its file", cfg)
			}
			if tt.detail != "" && (len(diags) == 0 || !strings.Contains(diags[0].Detail, tt.detail)) {
				t.Errorf("detail = %q, want it to contain %q", diags[0].Detail, tt.detail)
			}
			for _, d := range diags {
				if d.Subject == nil || d.Subject.Filename != RepoConfigFile {
					t.Errorf("diagnostic %q has subject %v, want one in %s", d.Summary, d.Subject, RepoConfigFile)
				}
			}
		})
	}
}

func TestLoadRepoConfig(t *testing.T) {
	config := `
stack "network" {
  dir               = "envs/prod/"
  workspace         = "prod"
  var_files         = ["./envs/common.tfvars"]
  terraform_version = "~> 1.11"
  extra_triggers    = ["scripts/**/*.sh"]
}

stack "app" {
  dir        = "envs/staging"
  depends_on = ["network"]
}
`
	cfg, diags := LoadRepoConfig(configRepo(config))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var got []string
	for _, s := range cfg.Stacks {
		got = append(got, fmt.Sprintf("%s dir=%s ws=%s vars=%v tf=%q deps=%v triggers=%v line=%d",
			s.Name, s.Dir, s.Workspace, s.VarFiles, s.TerraformVersion, s.DependsOn, s.ExtraTriggers, s.DeclRange.Start.Line))
	}
	want := []string{
		`network dir=envs/prod ws=prod vars=[envs/common.tfvars] tf="~> 1.11" deps=[] triggers=[scripts/**/*.sh] line=2`,
		`app dir=envs/staging ws=default vars=[] tf="" deps=[network] triggers=[] line=10`,
	}
	if g, w := strings.Join(got, "\n"), strings.Join(want, "\n"); g != w {
		t.Errorf("stacks:\ngot\n%s\nwant\n%s", g, w)
	}
}

func TestLoadRepoConfigNull(t *testing.T) {
	config := "stack \"a\" {\n  dir = \"envs/prod\"\n  workspace = null\n  var_files = null\n  terraform_version = null\n}\n"
	cfg, diags := LoadRepoConfig(configRepo(config))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	s := cfg.Stacks[0]
	if s.Workspace != DefaultWorkspace || s.VarFiles != nil || s.TerraformVersion != "" {
		t.Errorf("stack = %+v, want null arguments left unset", s)
	}
}

func TestLoadRepoConfigMissing(t *testing.T) {
	cfg, diags := LoadRepoConfig(fstest.MapFS{"main.tf": {}})
	if cfg != nil || diags != nil {
		t.Errorf("LoadRepoConfig without a file = %v, %v; want nil, nil", cfg, diags)
	}
}

func TestWriteDiagnostics(t *testing.T) {
	cfg, diags := LoadRepoConfig(configRepo("stack \"a\" {\n  dir = \"envs/qa\"\n}\n"))
	var buf bytes.Buffer
	if err := cfg.WriteDiagnostics(&buf, diags, 80, false); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Error: Path not found", "on .driftgate.hcl line 2", `dir = "envs/qa"`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, buf.String())
		}
	}
}

// FuzzLoadRepoConfig feeds arbitrary bytes to the repo config loader: it
// must never panic, and always return the file it parsed.
func FuzzLoadRepoConfig(f *testing.F) {
	for _, seed := range []string{
		"stack \"a\" {\n  dir = \"envs/prod\"\n  depends_on = [\"a\"]\n  extra_triggers = [\"{a,b}/**\"]\n}\n",
		"stack \"a\" {\n  dir = \"envs/link\"\n  var_files = [\"envs/common.tfvars\", \"../x\"]\n  terraform_version = \"~> 1\"\n}\nstack \"a\" {\n  dir = \"envs/out\"\n}\n",
		"stack {}",
		"stack \"a\" { dir = 1 \n workspace = null }",
		"stack \"a\" {\n  dir = var.d\n  workspace = var.w\n  depends_on = [for s in [\"a\"] : s]\n  var_files = [\"x\", null]\n}\n",
		"",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		cfg, diags := LoadRepoConfig(configRepo(string(src)))
		if cfg == nil {
			t.Fatalf("LoadRepoConfig returned no config: %v", diags)
		}
	})
}
