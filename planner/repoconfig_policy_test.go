package planner

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

func TestLoadRepoConfigDrift(t *testing.T) {
	config := `
stack "asg" {
  dir            = "envs/prod"
  drift_schedule = "@hourly"
  on_drift       = "apply"

  ignore_drift {
    resources  = ["aws_autoscaling_group.*"]
    attributes = ["desired_capacity", "tags[\"cost-center\"]", "ingress[*].cidr_blocks"]
  }
  ignore_drift {
    resources = ["module.app.aws_instance.web\\[{0,1}\\]", "aws_s3_bucket.logs"]
  }
}

stack "net" {
  dir            = "envs/staging"
  drift_schedule = "off"
  on_drift       = "plan"
}

stack "plain" {
  dir       = "envs/staging"
  workspace = "other"
}
`
	cfg, diags := LoadRepoConfig(configRepo(config))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	type drift struct {
		Schedule, OnDrift string
		Ignore            []IgnoreRule
	}
	want := []drift{
		{"@hourly", OnDriftApply, []IgnoreRule{
			{Resources: []string{"aws_autoscaling_group.*"}, Attributes: []string{"desired_capacity", `tags["cost-center"]`, "ingress[*].cidr_blocks"}},
			{Resources: []string{`module.app.aws_instance.web\[{0,1}\]`, "aws_s3_bucket.logs"}},
		}},
		{DriftScheduleOff, OnDriftPlan, nil},
		{"", "", nil},
	}
	var got []drift
	for _, s := range cfg.Stacks {
		got = append(got, drift{s.DriftSchedule, s.OnDrift, s.IgnoreDrift})
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("drift policy:\ngot  %+v\nwant %+v", got, want)
	}
}

func TestLoadRepoConfigDriftValues(t *testing.T) {
	tests := []struct {
		arg, value string
	}{
		{"drift_schedule", "off"},
		{"drift_schedule", "@hourly"},
		{"drift_schedule", "@daily"},
		{"drift_schedule", "@midnight"},
		{"drift_schedule", "@weekly"},
		{"drift_schedule", "@every 30m"},
		{"drift_schedule", "@every 1m"},
		{"drift_schedule", "@every 1h30m"},
		{"drift_schedule", "0 */6 * * *"},
		{"drift_schedule", "*/15 8-18 * * MON-FRI"},
		{"drift_schedule", "CRON_TZ=UTC 0 9 * * 1-5"},
		{"on_drift", "notify"},
		{"on_drift", "plan"},
		{"on_drift", "apply"},
	}
	for _, tt := range tests {
		t.Run(tt.arg+"="+tt.value, func(t *testing.T) {
			config := fmt.Sprintf("stack \"a\" {\n  dir = \"envs/prod\"\n  %s = %q\n}\n", tt.arg, tt.value)
			_, diags := LoadRepoConfig(configRepo(config))
			if diags.HasErrors() {
				t.Errorf("%s = %q: %s", tt.arg, tt.value, formatDiags(diags))
			}
		})
	}
}

func TestParseDriftSchedule(t *testing.T) {
	start := time.Date(2025, 3, 10, 8, 20, 0, 0, time.UTC)
	tests := []struct {
		spec    string
		next    time.Time // zero for no schedule
		wantErr string
	}{
		{spec: "off"},
		{spec: "@hourly", next: time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)},
		{spec: "@every 30m", next: start.Add(30 * time.Minute)},
		{spec: "15 */6 * * *", next: time.Date(2025, 3, 10, 12, 15, 0, 0, time.UTC)},
		{spec: "@every 2s", next: start.Add(2 * time.Second)},
		{spec: "@every -1h", wantErr: "shorter than the minimum"},
		{spec: "Off", wantErr: "expected exactly 5 fields"},
		{spec: "", wantErr: "empty spec string"},
		{spec: "61 * * * *", wantErr: "end of range (61) above maximum (59)"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			sched, err := ParseDriftSchedule(tt.spec)
			switch {
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			case tt.next.IsZero():
				if sched != nil {
					t.Errorf("schedule = %v, want none", sched)
				}
			default:
				if got := sched.Next(start); !got.Equal(tt.next) {
					t.Errorf("Next(%s) = %s, want %s", start, got, tt.next)
				}
			}
		})
	}
}

// TestDriftPolicyReachesStacks checks that every way of turning a
// declaration into a Stack carries the drift policy, and that a discovered
// stack has none.
func TestDriftPolicyReachesStacks(t *testing.T) {
	config := `
stack "asg" {
  dir            = "envs/asg"
  drift_schedule = "@every 30m"
  on_drift       = "plan"
  ignore_drift {
    resources = ["aws_autoscaling_group.*"]
  }
}
`
	want := Stack{
		Name: "asg", Dir: "envs/asg", Workspace: DefaultWorkspace, Declared: true,
		DriftSchedule: "@every 30m", OnDrift: OnDriftPlan,
		IgnoreDrift: []IgnoreRule{{Resources: []string{"aws_autoscaling_group.*"}}},
	}
	policy := func(s Stack) Stack {
		return Stack{
			Name: s.Name, Dir: s.Dir, Workspace: s.Workspace, Declared: s.Declared,
			DriftSchedule: s.DriftSchedule, OnDrift: s.OnDrift, IgnoreDrift: s.IgnoreDrift,
		}
	}
	files := map[string]string{RepoConfigFile: config, "envs/asg/main.tf": "terraform {}\n"}
	declared, discovered := fstest.MapFS{}, fstest.MapFS{}
	for name, data := range files {
		declared[name] = &fstest.MapFile{Data: []byte(data)}
		if name != RepoConfigFile {
			discovered[name] = &fstest.MapFile{Data: []byte(data)}
		}
	}
	ctx := context.Background()

	t.Run("StackAt", func(t *testing.T) {
		s, _, err := StackAt(ctx, declared, "asg")
		if err != nil {
			t.Fatal(err)
		}
		if got := policy(*s); !reflect.DeepEqual(got, want) {
			t.Errorf("got  %+v\nwant %+v", got, want)
		}
	})
	t.Run("Discover", func(t *testing.T) {
		d, err := Discover(ctx, declared, DiscoverOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Stacks) != 1 {
			t.Fatalf("stacks = %+v, want one", d.Stacks)
		}
		if got := policy(d.Stacks[0]); !reflect.DeepEqual(got, want) {
			t.Errorf("got  %+v\nwant %+v", got, want)
		}
	})
	t.Run("FindLocalStack", func(t *testing.T) {
		root := t.TempDir()
		for name, data := range files {
			path := filepath.Join(root, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		ls, diags, err := FindLocalStack(ctx, filepath.Join(root, "envs", "asg"), "")
		if err != nil {
			t.Fatal(err, diags)
		}
		if got := policy(ls.Stack); !reflect.DeepEqual(got, want) {
			t.Errorf("got  %+v\nwant %+v", got, want)
		}
	})
	t.Run("discovered", func(t *testing.T) {
		s, _, err := StackAt(ctx, discovered, "envs/asg")
		if err != nil {
			t.Fatal(err)
		}
		if s.DriftSchedule != "" || s.OnDrift != "" || s.IgnoreDrift != nil {
			t.Errorf("discovered stack has drift policy %q %q %v, want none", s.DriftSchedule, s.OnDrift, s.IgnoreDrift)
		}
	})
}

func TestLoadRepoConfigApply(t *testing.T) {
	config := `
stack "network" {
  dir           = "envs/prod"
  apply         = "manual"
  approvals     = 2
  approvers     = ["alice", "bob", "carol.ops"]
  allow_destroy = false
  self_approval = true
  pr_approvals  = false
}

stack "app" {
  dir           = "envs/staging"
  apply         = "auto"
  allow_destroy = true
}

stack "plain" {
  dir       = "envs/staging"
  workspace = "other"
  approvers = []
}
`
	cfg, diags := LoadRepoConfig(configRepo(config))
	if diags.HasErrors() {
		t.Fatal(formatDiags(diags))
	}
	type policy struct {
		Line                       int
		Apply                      string
		Approvals                  int
		Approvers                  []string
		AllowDestroy, SelfApproval bool
		PRApprovals                bool
	}
	want := []policy{
		{2, ApplyManual, 2, []string{"alice", "bob", "carol.ops"}, false, true, false},
		{12, ApplyAuto, 0, nil, true, false, true},
		// Unset arguments stay zero: the defaults (pr_approvals is true).
		// approvers = [] is no list, any approver.
		{18, "", 0, nil, false, false, true},
	}
	var got []policy
	for _, s := range cfg.Stacks {
		got = append(got, policy{s.DeclRange.Start.Line, s.Apply, s.Approvals, s.Approvers, s.AllowDestroy, s.SelfApproval, s.PRApprovals})
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("apply policy:\ngot  %+v\nwant %+v", got, want)
	}
}

func TestLoadRepoConfigApplyValues(t *testing.T) {
	tests := []string{
		`apply = "manual"`,
		`apply = "auto"`,
		`approvals = 1`,
		`approvals = 5`,
		`approvers = ["alice"]`,
		`approvers = ["a", "B-2", "c_3", "d.e", "0ps"]`,
		`approvers = ["alice", "github:alice", "gitlab:a.b", "gitea:c-d"]`,
		`pr_approvals = false`,
		"approvals = 2\n  approvers = [\"alice\", \"bob\"]",
		"apply = \"auto\"\n  approvals = 2",
		`allow_destroy = true`,
		`self_approval = false`,
	}
	for _, arg := range tests {
		t.Run(arg, func(t *testing.T) {
			config := fmt.Sprintf("stack \"a\" {\n  dir = \"envs/prod\"\n  %s\n}\n", arg)
			if _, diags := LoadRepoConfig(configRepo(config)); diags.HasErrors() {
				t.Errorf("%s: %s", arg, formatDiags(diags))
			}
		})
	}
}

func TestStackApplyDefaults(t *testing.T) {
	tests := []struct {
		s             Stack
		auto          bool
		wantApprovals int
	}{
		{Stack{}, false, DefaultApprovals},
		{Stack{Apply: ApplyManual, Approvals: 3}, false, 3},
		{Stack{Apply: ApplyAuto}, true, DefaultApprovals},
	}
	for _, tt := range tests {
		if got := tt.s.AutoApply(); got != tt.auto {
			t.Errorf("%+v.AutoApply() = %v, want %v", tt.s, got, tt.auto)
		}
		if got := tt.s.RequiredApprovals(); got != tt.wantApprovals {
			t.Errorf("%+v.RequiredApprovals() = %d, want %d", tt.s, got, tt.wantApprovals)
		}
	}
}

// TestApplyPolicyReachesStacks checks that every way of turning a
// declaration into a Stack carries the apply policy, and that a discovered
// stack has the zero (default) policy.
func TestApplyPolicyReachesStacks(t *testing.T) {
	config := `
stack "net" {
  dir           = "envs/net"
  apply         = "auto"
  approvals     = 2
  approvers     = ["alice", "bob"]
  allow_destroy = true
  self_approval = true
}
`
	want := Stack{
		Name: "net", Dir: "envs/net", Workspace: DefaultWorkspace, Declared: true,
		Apply: ApplyAuto, Approvals: 2, Approvers: []string{"alice", "bob"}, AllowDestroy: true, SelfApproval: true,
	}
	policy := func(s Stack) Stack {
		return Stack{
			Name: s.Name, Dir: s.Dir, Workspace: s.Workspace, Declared: s.Declared,
			Apply: s.Apply, Approvals: s.Approvals, Approvers: s.Approvers, AllowDestroy: s.AllowDestroy, SelfApproval: s.SelfApproval,
		}
	}
	files := map[string]string{RepoConfigFile: config, "envs/net/main.tf": "terraform {}\n"}
	declared, discovered := fstest.MapFS{}, fstest.MapFS{}
	for name, data := range files {
		declared[name] = &fstest.MapFile{Data: []byte(data)}
		if name != RepoConfigFile {
			discovered[name] = &fstest.MapFile{Data: []byte(data)}
		}
	}
	ctx := context.Background()

	t.Run("StackAt", func(t *testing.T) {
		s, _, err := StackAt(ctx, declared, "net")
		if err != nil {
			t.Fatal(err)
		}
		if got := policy(*s); !reflect.DeepEqual(got, want) {
			t.Errorf("got  %+v\nwant %+v", got, want)
		}
	})
	t.Run("Discover", func(t *testing.T) {
		d, err := Discover(ctx, declared, DiscoverOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Stacks) != 1 {
			t.Fatalf("stacks = %+v, want one", d.Stacks)
		}
		if got := policy(d.Stacks[0]); !reflect.DeepEqual(got, want) {
			t.Errorf("got  %+v\nwant %+v", got, want)
		}
	})
	t.Run("FindLocalStack", func(t *testing.T) {
		root := t.TempDir()
		for name, data := range files {
			path := filepath.Join(root, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		ls, diags, err := FindLocalStack(ctx, filepath.Join(root, "envs", "net"), "")
		if err != nil {
			t.Fatal(err, diags)
		}
		if got := policy(ls.Stack); !reflect.DeepEqual(got, want) {
			t.Errorf("got  %+v\nwant %+v", got, want)
		}
	})
	t.Run("discovered", func(t *testing.T) {
		s, _, err := StackAt(ctx, discovered, "envs/net")
		if err != nil {
			t.Fatal(err)
		}
		if got := policy(*s); got.Apply != "" || got.Approvals != 0 || got.Approvers != nil || got.AllowDestroy || got.SelfApproval {
			t.Errorf("discovered stack has apply policy %+v, want none", got)
		}
		if s.AutoApply() || s.RequiredApprovals() != DefaultApprovals {
			t.Errorf("discovered stack: AutoApply %v, RequiredApprovals %d; want false, %d", s.AutoApply(), s.RequiredApprovals(), DefaultApprovals)
		}
	})
}
