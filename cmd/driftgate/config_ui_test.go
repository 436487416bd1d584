package main

import (
	"strings"
	"testing"
	"time"

	"github.com/driftgate/driftgate/runner/ui"
)

func TestLoadConfigUI(t *testing.T) {
	tests := []struct {
		name, text string
		want       ui.Config
	}{
		{"default", ``, ui.Config{}},
		{"https public_url makes the cookie Secure", "public_url = \"https://driftgate.example.com/\"\n", ui.Config{SecureCookie: true}},
		{"http public_url", "public_url = \"http://10.0.0.1:8080\"\n", ui.Config{}},
		{"tls makes the cookie Secure", "tls {\n  cert_file = \"cert.pem\"\n  key_file = \"key.pem\"\n}\n", ui.Config{SecureCookie: true}},
		{"off", "ui {\n  enabled = false\n}\n", ui.Config{Disabled: true}},
		{"ttl", "ui {\n  session_ttl = \"30m\"\n}\n", ui.Config{SessionTTL: 30 * time.Minute}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _, diags := loadConfigText(t, tt.text)
			if cfg == nil {
				t.Fatalf("config refused: %s", diags)
			}
			if got := uiConfig(cfg); got != tt.want {
				t.Fatalf("ui config %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestLoadConfigUIRefusesBadValues(t *testing.T) {
	for text, want := range map[string]string{
		"ui {\n  session_ttl = \"forever\"\n}\n":   "Invalid session_ttl",
		"ui {\n  session_ttl = \"5s\"\n}\n":        "at least a minute",
		"public_url = \"driftgate.example.com\"\n": "Invalid public_url",
	} {
		cfg, _, diags := loadConfigText(t, text)
		if cfg != nil || !strings.Contains(diags, want) {
			t.Errorf("%q: config %v, diagnostics %q; want refused with %q", text, cfg != nil, diags, want)
		}
	}
}
