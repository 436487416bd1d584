package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/driftgate/driftgate/planner/tfrun"
)

// Secrets the tests put in the environment: diagnostics must never show
// them.
var testSecretEnv = map[string]string{
	"DRIFTGATE_TEST_TOKEN":          "x-test-token",
	"DRIFTGATE_TEST_WEBHOOK_SECRET": "test-hmac-key",
	"DRIFTGATE_TEST_SLACK_URL":      "https://hooks.slack.com/services/T000/B000/test-slack-token",
	"DRIFTGATE_TEST_BAD_URL":        "hooks.example.com/test-bad-url-token",
}

func setTestEnv(tb testing.TB) {
	tb.Helper()
	for k, v := range testSecretEnv {
		tb.Setenv(k, v)
	}
}

func TestLoadConfigFull(t *testing.T) {
	setTestEnv(t)
	path := filepath.Join("testdata", "config", "full.hcl")
	cfg, parser, diags := LoadConfig(path)
	if diags.HasErrors() {
		t.Fatal(FormatDiagnostics(parser, diags))
	}
	base, _ := filepath.Abs(filepath.Join("testdata", "config"))
	want := &Config{
		DataDir:         filepath.Join(base, "data"),
		Listen:          "0.0.0.0:9090",
		MaxParallelRuns: 3,
		TokenFile:       filepath.Join(base, "token"),
		ShutdownTimeout: 45 * time.Second,
		Log:             LogConfig{Level: slog.LevelDebug, Format: "json"},
		Terraform:       TerraformConfig{Version: "1.11.4", Install: false},
		Database:        DatabaseConfig{Type: "bbolt"},
		Repos: []RepoConfig{
			{
				Name: "infra", URL: "https://git.example.com/acme/infra.git", Branch: "production", PollInterval: 30 * time.Second, TokenEnv: "DRIFTGATE_TEST_TOKEN",
				DriftSchedule: "@hourly", OnDrift: "plan",
			},
			{
				Name: "mirror", URL: filepath.Join(base, "..", "repos", "local"), Branch: "main", PollInterval: time.Minute,
				DriftSchedule: "off", OnDrift: "notify",
			},
		},
		Notify: []NotifyConfig{
			{
				Name: "ops-webhook", Type: "webhook", URL: "https://hooks.example.com/driftgate",
				SecretEnv: "DRIFTGATE_TEST_WEBHOOK_SECRET", Events: []string{"drift_found", "drift_resolved"}, Repos: []string{"infra"},
			},
			{
				Name: "team-slack", Type: "slack", URLEnv: "DRIFTGATE_TEST_SLACK_URL",
				Events: []string{"drift_found", "drift_changed", "drift_resolved", "check_errored"}, Repos: []string{"infra", "mirror"},
			},
		},
	}
	// Relative paths resolve against the config file's directory.
	want.Repos[1].URL = filepath.Clean(want.Repos[1].URL)
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("got  %+v\nwant %+v", cfg, want)
	}
}

// TestLoadConfigOpenTofu checks that product = "opentofu" selects
// OpenTofu and turns off installing, which is Terraform-only.
func TestLoadConfigOpenTofu(t *testing.T) {
	cfg, parser, diags := LoadConfig(filepath.Join("testdata", "config", "opentofu.hcl"))
	if diags.HasErrors() {
		t.Fatal(FormatDiagnostics(parser, diags))
	}
	want := TerraformConfig{Product: tfrun.OpenTofu, Version: "1.10.10", Install: false}
	if cfg.Terraform != want {
		t.Errorf("terraform = %+v, want %+v", cfg.Terraform, want)
	}
	if r := newPlanner(cfg, nil).Resolver; r.Product != tfrun.OpenTofu || r.Install {
		t.Errorf("resolver product %q install %v, want opentofu without install", r.Product, r.Install)
	}
}

func TestLoadConfigErrors(t *testing.T) {
	setTestEnv(t)
	tests := []struct {
		file string
		want []string // substrings of the rendered diagnostics
	}{
		{"unknown_attr.hcl", []string{"unknown_attr.hcl:3", "Unsupported argument", `"banch"`, `Did you mean "branch"?`}},
		{"bad_duration.hcl", []string{"bad_duration.hcl:3", "Invalid duration", `"1m"`}},
		{"duplicate_repo.hcl", []string{"duplicate_repo.hcl:5", "Duplicate repo name", "duplicate_repo.hcl:1"}},
		{"reserved_repo.hcl", []string{"reserved_repo.hcl:1:1: error: Reserved repo name", `"local" names the runs of driftgate plan --store`, "Rename the repo block"}},
		{"inline_token.hcl", []string{"inline_token.hcl:4", "Secrets are never inline", "token_env"}},
		{"missing_env.hcl", []string{"missing_env.hcl:4", "DRIFTGATE_TEST_UNSET_VAR", "Export it"}},
		{"both_auth.hcl", []string{"both_auth.hcl:3", "exactly one of token_env"}},
		{"bad_listen.hcl", []string{"bad_listen.hcl:1", "Invalid listen address", "host:port"}},
		{"broken.hcl", []string{"broken.hcl:"}},
		{"creds_in_url.hcl", []string{"creds_in_url.hcl:2", "contains credentials"}},
		{"bad_log.hcl", []string{"bad_log.hcl:2", "Invalid log level", "bad_log.hcl:3", "Invalid log format"}},
		{"does_not_exist.hcl", []string{"Cannot read config file", "--config"}},
		{"bad_product.hcl", []string{"bad_product.hcl:2:13: error: Invalid product", `"pulumi" is not a product driftgate runs. Use "terraform" (the default) or "opentofu".`}},
		{"tofu_install.hcl", []string{"tofu_install.hcl:3:13: error: install is Terraform-only", "cannot install OpenTofu", "Put tofu on PATH or set terraform.path"}},

		// Drift settings of a repo.
		{"bad_schedule.hcl", []string{"bad_schedule.hcl:3:20: error: Invalid drift schedule", `"every hour": expected exactly 5 fields`, `"@every 30m"`, `"off"`}},
		{"short_schedule.hcl", []string{"short_schedule.hcl:3:20: error: Invalid drift schedule", "shorter than the minimum of 1s", `"@hourly"`}},
		{"empty_schedule.hcl", []string{"empty_schedule.hcl:3:20: error: Empty drift schedule", "Remove drift_schedule to leave scheduled drift checks off"}},
		{"repo_apply.hcl", []string{"repo_apply.hcl:3:14: error: Apply on drift is set per stack", `Set on_drift = "apply" in that stack's block of the repo's .driftgate.hcl`, `use "notify" or "plan" here`}},
		{"bad_on_drift.hcl", []string{"bad_on_drift.hcl:3:14: error: Invalid on_drift", `"revert" is not an action. Use "notify" (the default) or "plan"`}},

		// Notify blocks.
		{"duplicate_notify.hcl", []string{"duplicate_notify.hcl:6:1: error: Duplicate notify name", `named "ops" is already defined at testdata/config/duplicate_notify.hcl:1,`}},
		{"bad_notify_name.hcl", []string{"bad_notify_name.hcl:1:1: error: Invalid notify name", `"ops hook" is not a valid notify name`}},
		{"bad_notify_type.hcl", []string{"bad_notify_type.hcl:2:10: error: Invalid notify type", `"email" is not a notification type. Use "webhook" or "slack".`}},
		{"missing_notify_type.hcl", []string{"missing_notify_type.hcl:1:", "Missing required argument", `The argument "type" is required`}},
		{"notify_both_urls.hcl", []string{"notify_both_urls.hcl:1:1: error: Invalid notify block", "Set exactly one of url", "url_env"}},
		{"notify_no_url.hcl", []string{"notify_no_url.hcl:1:1: error: Invalid notify block", "Set exactly one of url"}},
		{"slack_inline_url.hcl", []string{"slack_inline_url.hcl:3:10: error: Secrets are never inline", "A Slack webhook URL contains its token", `url_env = "SLACK_WEBHOOK_URL"`}},
		{"notify_bad_url.hcl", []string{"notify_bad_url.hcl:3:10: error: Invalid notify url", "Use an http:// or https:// URL"}},
		{"notify_creds_url.hcl", []string{"notify_creds_url.hcl:3:10: error: Invalid notify url", "contains credentials", "secret_env"}},
		{"notify_missing_env.hcl", []string{
			"notify_missing_env.hcl:3:16: error: Environment variable not set", "DRIFTGATE_TEST_UNSET_VAR (the URL) is empty or not set. Export it",
			"notify_missing_env.hcl:4:16: error: Environment variable not set", "DRIFTGATE_TEST_UNSET_SECRET (the HMAC key)",
		}},
		{"notify_bad_env_name.hcl", []string{"notify_bad_env_name.hcl:3:13: error: Invalid environment variable name", "url_env names the variable that holds the URL, it is not the URL itself"}},
		{"notify_env_bad_url.hcl", []string{"notify_env_bad_url.hcl:3:13: error: Invalid notify url", "DRIFTGATE_TEST_BAD_URL does not hold a usable URL", "https://"}},
		{"slack_secret.hcl", []string{"slack_secret.hcl:4:16: error: secret_env is for webhooks", "Slack does not check signatures"}},
		{"notify_bad_events.hcl", []string{"notify_bad_events.hcl:4:28: error: Unknown event", `Unknown event "drift_fixed". Use one of: "drift_found", "drift_changed", "drift_resolved", "check_errored".`}},
		{"notify_empty_events.hcl", []string{"notify_empty_events.hcl:4:12: error: Empty events", "Remove events to send for every event"}},
		{"notify_unknown_repo.hcl", []string{"notify_unknown_repo.hcl:8:21: error: Unknown repo", `Unknown repo "infar". Use one of: "infra".`}},
		{"notify_inline_secret.hcl", []string{"notify_inline_secret.hcl:4:3: error: Secrets are never inline", `secret_env = "VAR" in a notify block`}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			cfg, parser, diags := LoadConfig(filepath.Join("testdata", "config", tt.file))
			if !diags.HasErrors() {
				t.Fatalf("no error; config %+v", cfg)
			}
			if cfg != nil {
				t.Errorf("config returned with errors: %+v", cfg)
			}
			got := FormatDiagnostics(parser, diags)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("diagnostics lack %q:\n%s", w, got)
				}
			}
			for name, secret := range testSecretEnv {
				if strings.Contains(got, secret) {
					t.Errorf("diagnostics show the value of %s:\n%s", name, got)
				}
			}
		})
	}
}

func FuzzLoadConfig(f *testing.F) {
	for _, name := range []string{"full.hcl", "broken.hcl", "duplicate_repo.hcl", "duplicate_notify.hcl", "notify_unknown_repo.hcl"} {
		raw, err := os.ReadFile(filepath.Join("testdata", "config", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		path := filepath.Join(t.TempDir(), "driftgate.hcl")
		if err := os.WriteFile(path, src, 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, _, diags := LoadConfig(path)
		if diags.HasErrors() && cfg != nil {
			t.Fatal("config returned alongside errors")
		}
	})
}
