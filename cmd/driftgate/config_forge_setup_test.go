package main

import (
	"strings"
	"testing"
)

// TestProjectFromURL checks the forge project read from a repo url when the
// forge block has no project (the README's "default: read from url"),
// subgroups included.
func TestProjectFromURL(t *testing.T) {
	for url, want := range map[string]string{
		"https://github.com/acme/infra.git":              "acme/infra",
		"https://gitlab.com/acme/platform/infra.git":     "acme/platform/infra",
		"git@gitlab.example.com:acme/platform/infra.git": "acme/platform/infra",
		"https://gitea.example.com/acme/infra":           "acme/infra",
		"https://gitea.example.com/infra.git":            "",
		"/srv/git/infra":                                 "",
	} {
		if got := projectFromURL(url); got != want {
			t.Errorf("projectFromURL(%q) = %q, want %q", url, got, want)
		}
	}
}

// TestMaxCommentLengthTooSmall checks the README's "at least 4096" for
// Gitea's max_comment_length.
func TestMaxCommentLengthTooSmall(t *testing.T) {
	setTestEnv(t)
	text := func(n string) string {
		return `repo "infra" {
  url = "https://gitea.example.com/acme/infra.git"
  forge {
    type               = "gitea"
    base_url           = "https://gitea.example.com"
    token_env          = "DRIFTGATE_TEST_TOKEN"
    webhook_secret_env = "DRIFTGATE_TEST_WEBHOOK_SECRET"
    max_comment_length = ` + n + `
  }
}
`
	}
	cfg, _, out := loadConfigText(t, text("4095"))
	if cfg != nil || !strings.Contains(out, "driftgate.hcl:8:") || !strings.Contains(out, "max_comment_length too small") {
		t.Errorf("max_comment_length = 4095 loaded or the error is unclear:\n%s", out)
	}
	if cfg, _, out := loadConfigText(t, text("4096")); cfg == nil || cfg.Repos[0].Forge.MaxCommentLength != 4096 {
		t.Errorf("max_comment_length = 4096 refused:\n%s", out)
	}
}
