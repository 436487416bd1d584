package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// loadConfigText writes text as driftgate.hcl in a temp dir (with a
// cert.pem and key.pem beside it) and loads it.
func loadConfigText(t *testing.T, text string) (*Config, string, string) {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"cert.pem", "key.pem"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("pem"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "driftgate.hcl")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, parser, diags := LoadConfig(path)
	return cfg, dir, FormatDiagnostics(parser, diags)
}

func TestLoadConfigTLS(t *testing.T) {
	tests := []struct {
		name, text string
		want       func(dir string) TLSConfig
	}{
		{"none", ``, func(string) TLSConfig { return TLSConfig{} }},
		{"pair", "tls {\n  cert_file = \"cert.pem\"\n  key_file = \"key.pem\"\n}\n", func(dir string) TLSConfig {
			return TLSConfig{CertFile: filepath.Join(dir, "cert.pem"), KeyFile: filepath.Join(dir, "key.pem")}
		}},
		{"acme", "data_dir = \"data\"\ntls {\n  acme {\n    domains = [\"driftgate.example.com\"]\n    email = \"ops@example.com\"\n    http_listen = \":80\"\n  }\n}\n", func(dir string) TLSConfig {
			return TLSConfig{ACME: &ACMEConfig{
				Domains: []string{"driftgate.example.com"}, Email: "ops@example.com",
				CacheDir: filepath.Join(dir, "data", "acme"), HTTPListen: ":80",
			}}
		}},
		{"acme with cache and directory", "tls {\n  acme {\n    domains = [\"a.example.com\", \"b.example.com\"]\n    cache_dir = \"acme\"\n    directory_url = \"https://acme.internal/dir\"\n    ca_file = \"cert.pem\"\n  }\n}\n", func(dir string) TLSConfig {
			return TLSConfig{ACME: &ACMEConfig{
				Domains: []string{"a.example.com", "b.example.com"}, CacheDir: filepath.Join(dir, "acme"),
				DirectoryURL: "https://acme.internal/dir", CAFile: filepath.Join(dir, "cert.pem"),
			}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, dir, diags := loadConfigText(t, tt.text)
			if cfg == nil {
				t.Fatal(diags)
			}
			if want := tt.want(dir); !reflect.DeepEqual(cfg.TLS, want) {
				t.Errorf("TLS = %+v (acme %+v), want %+v (acme %+v)", cfg.TLS, cfg.TLS.ACME, want, want.ACME)
			}
		})
	}
}

func TestLoadConfigTLSErrors(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
	}{
		{"empty block", "tls {\n}\n", []string{"driftgate.hcl:1:1: error: Invalid tls block", "either cert_file and key_file"}},
		{"both", "tls {\n  cert_file = \"cert.pem\"\n  key_file = \"key.pem\"\n  acme {\n    domains = [\"a.example.com\"]\n  }\n}\n", []string{"Invalid tls block", "not both"}},
		{"no key", "tls {\n  cert_file = \"cert.pem\"\n}\n", []string{"error: Missing key_file", "needs both cert_file and key_file"}},
		{"missing file", "tls {\n  cert_file = \"nope.pem\"\n  key_file = \"key.pem\"\n}\n", []string{"driftgate.hcl:2:15: error: TLS file not readable", "nope.pem is not a readable file"}},
		{"no domains", "tls {\n  acme {\n    domains = []\n  }\n}\n", []string{"error: No ACME domains"}},
		{"bad domain", "tls {\n  acme {\n    domains = [\"https://x.example.com\"]\n  }\n}\n", []string{"error: Invalid ACME domain", "no scheme, port or wildcard"}},
		{"bad email", "tls {\n  acme {\n    domains = [\"x.example.com\"]\n    email = \"ops\"\n  }\n}\n", []string{"error: Invalid ACME email"}},
		{"http directory", "tls {\n  acme {\n    domains = [\"x.example.com\"]\n    directory_url = \"http://acme\"\n  }\n}\n", []string{"error: Invalid ACME directory URL"}},
		{"missing ca_file", "tls {\n  acme {\n    domains = [\"x.example.com\"]\n    ca_file = \"nope.pem\"\n  }\n}\n", []string{"error: TLS file not readable", "nope.pem"}},
		{"bad http_listen", "tls {\n  acme {\n    domains = [\"x.example.com\"]\n    http_listen = \"80\"\n  }\n}\n", []string{"error: Invalid listen address"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _, diags := loadConfigText(t, tt.text)
			if cfg != nil {
				t.Fatalf("loaded: %+v", cfg.TLS)
			}
			for _, w := range tt.want {
				if !strings.Contains(diags, w) {
					t.Errorf("diagnostics lack %q:\n%s", w, diags)
				}
			}
		})
	}
}
