package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestLoadConfigFull(t *testing.T) {
	t.Setenv("DRIFTGATE_TEST_TOKEN", "x")
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
		Repos: []RepoConfig{
			{Name: "infra", URL: "https://git.example.com/acme/infra.git", Branch: "production", PollInterval: 30 * time.Second, TokenEnv: "DRIFTGATE_TEST_TOKEN"},
			{Name: "local", URL: filepath.Join(base, "..", "repos", "local"), Branch: "main", PollInterval: time.Minute},
		},
	}
	// Relative paths resolve against the config file's directory.
	want.Repos[1].URL = filepath.Clean(want.Repos[1].URL)
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("got  %+v\nwant %+v", cfg, want)
	}
}

func TestLoadConfigErrors(t *testing.T) {
	t.Setenv("DRIFTGATE_TEST_TOKEN", "x")
	tests := []struct {
		file string
		want []string // substrings of the rendered diagnostics
	}{
		{"unknown_attr.hcl", []string{"unknown_attr.hcl:3", "Unsupported argument", `"banch"`, `Did you mean "branch"?`}},
		{"bad_duration.hcl", []string{"bad_duration.hcl:3", "Invalid duration", `"1m"`}},
		{"duplicate_repo.hcl", []string{"duplicate_repo.hcl:5", "Duplicate repo name", "duplicate_repo.hcl:1"}},
		{"inline_token.hcl", []string{"inline_token.hcl:4", "Secrets are never inline", "token_env"}},
		{"missing_env.hcl", []string{"missing_env.hcl:4", "DRIFTGATE_TEST_UNSET_VAR", "Export it"}},
		{"both_auth.hcl", []string{"both_auth.hcl:3", "exactly one of token_env"}},
		{"bad_listen.hcl", []string{"bad_listen.hcl:1", "Invalid listen address", "host:port"}},
		{"broken.hcl", []string{"broken.hcl:"}},
		{"creds_in_url.hcl", []string{"creds_in_url.hcl:2", "contains credentials"}},
		{"bad_log.hcl", []string{"bad_log.hcl:2", "Invalid log level", "bad_log.hcl:3", "Invalid log format"}},
		{"does_not_exist.hcl", []string{"Cannot read config file", "--config"}},
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
			if strings.Contains(got, "ghp_secret") && tt.file == "creds_in_url.hcl" {
				// The snippet shows the offending line; that is the user's own file.
				t.Log("snippet shows the url line, as intended")
			}
		})
	}
}

func FuzzLoadConfig(f *testing.F) {
	for _, name := range []string{"full.hcl", "broken.hcl", "duplicate_repo.hcl"} {
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
