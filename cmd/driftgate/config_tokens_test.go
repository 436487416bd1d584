package main

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/driftgate/driftgate/runner/api"
)

// hexSum is the hex sha256 of token.
func hexSum(token string) string {
	s := sha256.Sum256([]byte(token))
	return hex.EncodeToString(s[:])
}

func TestLoadConfigTokens(t *testing.T) {
	path := filepath.Join("testdata", "config", "tokens.hcl")
	cfg, parser, diags := LoadConfig(path)
	if diags.HasErrors() {
		t.Fatal(FormatDiagnostics(parser, diags))
	}
	want := []TokenConfig{
		{Name: "alice", Role: api.RoleApprover, SHA256: hexSum("alice-secret"), Permissions: []string{api.PermDestroy}},
		{Name: "bob", Role: api.RoleViewer, SHA256: hexSum("bob-secret")},
		{Name: "ci-bot", Role: api.RoleAdmin, SHA256: hexSum("ci-secret")},
	}
	if !reflect.DeepEqual(cfg.Tokens, want) {
		t.Errorf("tokens:\n got %+v\nwant %+v", cfg.Tokens, want)
	}
}

func TestLoadConfigTokenErrors(t *testing.T) {
	tests := []struct {
		file string
		want []string // substrings of the rendered diagnostics
	}{
		{"token_duplicate.hcl", []string{"token_duplicate.hcl:5:1: error: Duplicate token name", `named "alice" is already defined at testdata/config/token_duplicate.hcl:1,`}},
		{"token_reserved.hcl", []string{"token_reserved.hcl:1:1: error: Reserved token name", `"default" names the admin token given by DRIFTGATE_TOKEN or token_file. Give this token another name`}},
		{"token_bad_name.hcl", []string{"token_bad_name.hcl:1:1: error: Invalid token name", `"alice smith" is not a valid token name`}},
		{"token_no_label.hcl", []string{"token_no_label.hcl:1:7: error: Missing name for token"}},
		{"token_bad_role.hcl", []string{"token_bad_role.hcl:2:12: error: Invalid token role", `"root" is not a role. Use "viewer", "approver" or "admin".`}},
		{"token_no_role.hcl", []string{"token_no_role.hcl:1:1: error: Missing token role", `Set role: what the token's holder may do. Use "viewer", "approver" or "admin".`}},
		{"token_no_sha.hcl", []string{"token_no_sha.hcl:1:1: error: Missing token sha256", `Compute it with: printf %s "$TOKEN" | sha256sum`}},
		{"token_short_sha.hcl", []string{"token_short_sha.hcl:3:12: error: Invalid sha256", "sha256 must be 64 lowercase hex digits (this has 19 characters): the sha256 of the API token, never the token itself. Compute it with: printf %s \"$TOKEN\" | sha256sum"}},
		{"token_upper_sha.hcl", []string{"token_upper_sha.hcl:3:12: error: Invalid sha256", "Write the sha256 in lowercase hex"}},
		{"token_sha256sum_output.hcl", []string{"token_sha256sum_output.hcl:3:12: error: Invalid sha256", `This is sha256sum's whole output. Keep only the 64 hex digits`}},
		{"token_empty_sha.hcl", []string{"token_empty_sha.hcl:3:12: error: Invalid sha256", "the sha256 of an empty token"}},
		{"token_duplicate_sha.hcl", []string{"token_duplicate_sha.hcl:8:12: error: Duplicate token", `Token "bob" has the same sha256 as token "alice"`}},
		{"token_inline_secret.hcl", []string{
			"token_inline_secret.hcl:3:12: error: Secrets are never inline", "Remove secret and set sha256 instead. Compute it with: printf %s",
			"token_inline_secret.hcl:8:11: error: Secrets are never inline", "Remove token and set sha256 instead",
		}},
		{"token_bad_permission.hcl", []string{
			"token_bad_permission.hcl:4:29: error: Unknown permission", `Unknown permission "delete". Use one of: "destroy".`,
			"token_bad_permission.hcl:4:39: error: Duplicate permission",
		}},
		{"token_viewer_destroy.hcl", []string{"token_viewer_destroy.hcl:4:18: error: Permission needs a higher role", `this token is a viewer, so it would do nothing. Give the token role = "approver", or remove "destroy".`}},
		{"token_top_level.hcl", []string{"token_top_level.hcl:1:1: error: Secrets are never inline", `An API token is a token block holding its sha256: token "NAME" { role = "viewer", sha256 = "..." }.`}},
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
			// The snippet shows the user's own line; the advice never
			// repeats a value that may be the token itself.
			for _, d := range diags {
				for _, secret := range []string{"my-actual-api-token", "alice-secret", "bob-secret"} {
					if strings.Contains(d.Detail, secret) || strings.Contains(d.Summary, secret) {
						t.Errorf("diagnostic %q repeats %q: %s", d.Summary, secret, d.Detail)
					}
				}
			}
		})
	}
}

func TestAPIAuthenticator(t *testing.T) {
	blocks := []TokenConfig{
		{Name: "alice", Role: api.RoleApprover, SHA256: hexSum("alice-secret"), Permissions: []string{api.PermDestroy}},
		{Name: "bob", Role: api.RoleViewer, SHA256: hexSum("bob-secret")},
	}
	tokenFile := func(t *testing.T, content string) string {
		path := filepath.Join(t.TempDir(), "token")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	type accepted map[string]api.Principal // token -> principal
	tests := []struct {
		name      string
		tokens    []TokenConfig
		env       string
		tokenFile string // content; "" for no token_file
		want      accepted
		wantErr   string
	}{
		{
			name: "token blocks only", tokens: blocks,
			want: accepted{
				"alice-secret": {Name: "alice", Role: api.RoleApprover, Permissions: []string{api.PermDestroy}},
				"bob-secret":   {Name: "bob", Role: api.RoleViewer},
				"env-secret":   {},
			},
		},
		{
			name: "DRIFTGATE_TOKEN only", env: "env-secret",
			want: accepted{"env-secret": {Name: "default", Role: api.RoleAdmin}, "alice-secret": {}},
		},
		{
			name: "token_file only", tokenFile: "file-secret\n",
			want: accepted{"file-secret": {Name: "default", Role: api.RoleAdmin}, "file-secret\n": {}},
		},
		{
			name: "DRIFTGATE_TOKEN wins over token_file", env: "env-secret", tokenFile: "file-secret",
			want: accepted{"env-secret": {Name: "default", Role: api.RoleAdmin}, "file-secret": {}},
		},
		{
			name: "both kinds", tokens: blocks, env: "env-secret",
			want: accepted{
				"alice-secret": {Name: "alice", Role: api.RoleApprover, Permissions: []string{api.PermDestroy}},
				"bob-secret":   {Name: "bob", Role: api.RoleViewer},
				"env-secret":   {Name: "default", Role: api.RoleAdmin},
				"":             {},
			},
		},
		{name: "no token at all", wantErr: "no API token: add token blocks to the config, or set DRIFTGATE_TOKEN or token_file"},
		{name: "empty token_file", tokenFile: " \n", wantErr: "is empty; put the API token in it"},
		{
			name: "DRIFTGATE_TOKEN is also a token block", tokens: blocks, env: "bob-secret",
			wantErr: `the token of DRIFTGATE_TOKEN or token_file is also token "bob" of the config`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(tokenEnv, tt.env)
			cfg := &Config{Tokens: tt.tokens}
			if tt.tokenFile != "" {
				cfg.TokenFile = tokenFile(t, tt.tokenFile)
			}
			auth, err := apiAuthenticator(cfg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "bob-secret") {
					t.Errorf("error shows the token: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for token, want := range tt.want {
				got, ok := auth.Authenticate(token)
				if ok != (want.Name != "") || !reflect.DeepEqual(got, want) {
					t.Errorf("Authenticate(%q) = %+v, %v; want %+v", token, got, ok, want)
				}
			}
		})
	}
}

func FuzzLoadConfigTokens(f *testing.F) {
	for _, name := range []string{"tokens.hcl", "token_bad_permission.hcl", "token_inline_secret.hcl", "token_duplicate_sha.hcl", "token_sha256sum_output.hcl"} {
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
		if diags.HasErrors() {
			if cfg != nil {
				t.Fatal("config returned alongside errors")
			}
			return
		}
		for _, tok := range cfg.Tokens {
			if !tok.Role.Valid() || !tokenSHA256.MatchString(tok.SHA256) || tok.SHA256 == emptySHA256 {
				t.Fatalf("accepted token %+v", tok)
			}
		}
	})
}
