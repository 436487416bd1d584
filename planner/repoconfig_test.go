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
			name:   "drift schedule not cron",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  drift_schedule = \"every hour\"\n}\n",
			want:   "3:3: Invalid drift schedule",
			detail: `Write five cron fields such as "0 */6 * * *", a descriptor such as "@hourly"`,
		},
		{
			name:   "drift schedule with seconds",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  drift_schedule = \"0 0 * * * *\"\n}\n",
			want:   "3:3: Invalid drift schedule",
			detail: "expected exactly 5 fields",
		},
		{
			name:   "unknown drift descriptor",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  drift_schedule = \"@fortnightly\"\n}\n",
			want:   "3:3: Invalid drift schedule",
			detail: `drift_schedule "@fortnightly": unrecognized descriptor`,
		},
		{
			name:   "drift interval not a duration",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  drift_schedule = \"@every day\"\n}\n",
			want:   "3:3: Invalid drift schedule",
			detail: `"@every 30m"`,
		},
		{
			name:   "empty drift schedule",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  drift_schedule = \"\"\n}\n",
			want:   "3:3: Empty drift schedule",
			detail: `set it to "off" to turn drift checks off`,
		},
		{
			name:   "drift schedule from a variable",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  drift_schedule = var.s\n}\n",
			want:   "3:20: Variables not allowed",
		},
		{
			name:   "unknown on_drift",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  on_drift = \"revert\"\n}\n",
			want:   "3:3: Invalid on_drift",
			detail: `Use "notify" (the default), "plan" or "apply".`,
		},
		{
			name:   "on_drift of the wrong type",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  on_drift = [\"plan\"]\n}\n",
			want:   "3:14: Unsuitable value type",
			detail: "string required",
		},
		{
			name:   "ignore_drift without resources",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  ignore_drift {\n    attributes = [\"tags\"]\n  }\n}\n",
			want:   "3:16: Missing required argument",
			detail: `The argument "resources" is required`,
		},
		{
			name:   "ignore_drift with no resources",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  ignore_drift {\n    resources = []\n  }\n}\n",
			want:   "4:5: No resources to ignore",
			detail: "or remove the ignore_drift block",
		},
		{
			name:   "ignore_drift with an empty resource",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  ignore_drift {\n    resources = [\"aws_instance.a\", \"\"]\n  }\n}\n",
			want:   "4:36: Empty resource glob",
		},
		{
			name:   "ignore_drift with bad globs",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  ignore_drift {\n    resources = [\"aws_s3_bucket.*\", \"aws_instance.web[0\", \"{x\"]\n  }\n}\n",
			want:   "4:37: Invalid resource glob\n4:59: Invalid resource glob",
			detail: `"aws_instance.web\\[0\\]"`,
		},
		{
			name:   "ignore_drift with an empty attribute",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  ignore_drift {\n    resources  = [\"*\"]\n    attributes = [\"tags\", \" \"]\n  }\n}\n",
			want:   "5:27: Empty attribute path",
		},
		{
			name:   "ignore_drift with a null attribute",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  ignore_drift {\n    resources  = [\"*\"]\n    attributes = [null]\n  }\n}\n",
			want:   "5:18: Unsuitable value type",
			detail: "null value is not allowed",
		},
		{
			name:   "ignore_drift misspelt argument",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  ignore_drift {\n    resources = [\"*\"]\n    attribute = [\"tags\"]\n  }\n}\n",
			want:   "5:5: Unsupported argument",
			detail: `Did you mean "attributes"?`,
		},
		{
			name:   "ignore_drift written as an argument",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  ignore_drift = { resources = [\"*\"] }\n}\n",
			want:   "3:3: Unsupported argument",
			detail: `Did you mean to define a block of type "ignore_drift"?`,
		},
		{
			name:   "ignore_drift with a label",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  ignore_drift \"asg\" {\n    resources = [\"*\"]\n  }\n}\n",
			want:   "3:16: Extraneous label for ignore_drift",
		},
		{
			name: "error in the second ignore_drift",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  ignore_drift {\n    resources = [\"*\"]\n  }\n" +
				"  ignore_drift {\n    resources = [\"{\"]\n  }\n}\n",
			want: "7:18: Invalid resource glob",
		},
		{
			name:   "ignore_drift glob with an empty part",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  ignore_drift {\n    resources = [\"module..aws_instance.*\"]\n  }\n}\n",
			want:   "4:18: Invalid resource glob",
			detail: `resource glob "module..aws_instance.*": empty segment`,
		},
		{
			name:   "ignore_drift with a bad attribute path",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  ignore_drift {\n    resources  = [\"*\"]\n    attributes = [\"tags\", \"tags[\\\"env\"]\n  }\n}\n",
			want:   "5:27: Invalid attribute path",
			detail: `attribute path "tags[\"env": malformed attribute path. Write a path prefix as Terraform shows it`,
		},
		{
			name:   "unknown apply",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  apply = \"always\"\n}\n",
			want:   "3:3: Invalid apply",
			detail: `apply "always" is not a mode. Use "manual" (the default: plans wait for approval) or "auto"`,
		},
		{
			name:   "apply of the wrong type",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  apply = [\"auto\"]\n}\n",
			want:   "3:11: Unsuitable value type",
			detail: "string required",
		},
		{
			name:   "no approvals",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  approvals = 0\n}\n",
			want:   "3:3: Invalid approvals",
			detail: `approvals = 0: a plan needs at least 1 approval. Remove approvals to require 1, or set apply = "auto"`,
		},
		{
			name:   "negative approvals",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  approvals = -2\n}\n",
			want:   "3:3: Invalid approvals",
		},
		{
			name:   "fractional approvals",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  approvals = 1.5\n}\n",
			want:   "3:15: Unsuitable value type",
		},
		{
			name:   "approvals as a word",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  approvals = \"two\"\n}\n",
			want:   "3:16: Unsuitable value type",
			detail: "a number is required",
		},
		{
			name:   "approvers not a list",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  approvers = \"alice\"\n}\n",
			want:   "3:16: Unsuitable value type",
			detail: "list of string required",
		},
		{
			name:   "empty approver",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  approvers = [\"alice\", \" \"]\n}\n",
			want:   "3:25: Empty approver",
			detail: "or remove approvers to let any token with the approver role approve",
		},
		{
			name:   "approver not a token name",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  approvers = [\"alice smith\", \"-bob\", \"bitbucket:carol\"]\n}\n",
			want:   "3:16: Invalid approver\n3:31: Invalid approver\n3:39: Invalid approver",
			detail: `"alice smith" is not a token name. Approvers are the labels of token blocks in the server config`,
		},
		{
			name:   "duplicate approver",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  approvers = [\"alice\", \"bob\", \"alice\"]\n}\n",
			want:   "3:32: Duplicate approver",
			detail: `"alice" is already listed as approver 1`,
		},
		{
			name:   "more approvals than approvers",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  approvals = 3\n  approvers = [\"alice\", \"bob\"]\n}\n",
			want:   "3:3: Too few approvers",
			detail: "approvals = 3, but approvers lists only 2, so no plan could ever be approved",
		},
		{
			name:   "null approver",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  approvers = [\"alice\", null]\n}\n",
			want:   "3:15: Unsuitable value type",
			detail: "null value is not allowed",
		},
		{
			name:   "allow_destroy not a bool",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  allow_destroy = \"yes\"\n}\n",
			want:   "3:20: Unsuitable value type",
			detail: "a bool is required",
		},
		{
			name:   "self_approval not a bool",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  self_approval = 1\n}\n",
			want:   "3:19: Unsuitable value type",
			detail: "bool required, but have number",
		},
		{
			name:   "approvers misspelt",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  approver = [\"alice\"]\n}\n",
			want:   "3:3: Unsupported argument",
			detail: `Did you mean "approvers"?`,
		},
		{
			name: "apply policy errors in every stack",
			config: "stack \"a\" {\n  dir = \"envs/prod\"\n  apply = \"yes\"\n  approvals = 0\n  approvers = [\"\"]\n}\n" +
				"stack \"b\" {\n  dir = \"envs/staging\"\n  approvals = 2\n  approvers = [\"carol\"]\n}\n",
			want: "3:3: Invalid apply\n5:16: Empty approver\n4:3: Invalid approvals\n9:3: Too few approvers",
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
	config := "stack \"a\" {\n  dir = \"envs/prod\"\n  workspace = null\n  var_files = null\n  terraform_version = null\n" +
		"  apply = null\n  approvals = null\n  approvers = null\n  allow_destroy = null\n  self_approval = null\n}\n"
	cfg, diags := LoadRepoConfig(configRepo(config))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	s := cfg.Stacks[0]
	if s.Workspace != DefaultWorkspace || s.VarFiles != nil || s.TerraformVersion != "" ||
		s.Apply != "" || s.Approvals != 0 || s.Approvers != nil || s.AllowDestroy || s.SelfApproval {
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
		"stack \"a\" {\n  dir = \"envs/prod\"\n  drift_schedule = \"@every 30m\"\n  on_drift = \"apply\"\n  ignore_drift {\n    resources = [\"aws_instance.web\\\\[0\\\\]\", \"{a,b}.*\"]\n    attributes = [\"tags\"]\n  }\n}\n",
		"stack \"a\" {\n  dir = \"envs/prod\"\n  drift_schedule = \"0 0 * * * *\"\n  on_drift = \"revert\"\n  ignore_drift {\n    resources = []\n    attributes = [\"\", null]\n  }\n  ignore_drift \"x\" {}\n}\n",
		"stack \"a\" {\n  dir = \"envs/prod\"\n  apply = \"auto\"\n  approvals = 2\n  approvers = [\"alice\", \"bob\"]\n  allow_destroy = true\n  self_approval = false\n}\n",
		"stack \"a\" {\n  dir = \"envs/prod\"\n  apply = \"yes\"\n  approvals = 0\n  approvers = [\"\", \"a b\", \"x\", \"x\", null]\n  allow_destroy = \"no\"\n}\n",
		"stack \"a\" {\n  dir = \"envs/prod\"\n  ignore_drift {\n    resources = [\"module..x\", \"**\", \"a.b[\\\"k.l\\\"]\"]\n    attributes = [\"tags[\\\"env\", \"ingress[*].cidr_blocks\", \"a..b\"]\n  }\n}\n",
		"discover {\n  include = [\"envs/**\", \"{a,b}\"]\n  exclude = [\"/x\", \"[\", null]\n}\ndiscover {}\n",
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
