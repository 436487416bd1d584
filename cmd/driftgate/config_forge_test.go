package main

import (
	"strings"
	"testing"

	"github.com/driftgate/driftgate/runner/forge"
)

func TestLoadConfigForge(t *testing.T) {
	setTestEnv(t)
	cfg, _, out := loadConfigText(t, `
public_url = "https://driftgate.example.com/"
repo "infra" {
  url = "https://gitea.example.com/acme/infra.git"
  plan_drafts = true
  forge {
    type               = "gitea"
    base_url           = "https://gitea.example.com"
    token_env          = "DRIFTGATE_TEST_TOKEN"
    webhook_secret_env = "DRIFTGATE_TEST_WEBHOOK_SECRET"
    max_comment_length = 100000
  }
}
repo "gh" {
  url = "git@github.com:acme/gh-infra.git"
  forge {
    type               = "github"
    project            = "acme/other"
    webhook_secret_env = "DRIFTGATE_TEST_WEBHOOK_SECRET"
    app {
      app_id           = 1
      installation_id  = 2
      private_key_file = "key.pem"
    }
  }
}
`)
	if cfg == nil {
		t.Fatalf("config did not load:\n%s", out)
	}
	if cfg.PublicURL != "https://driftgate.example.com" {
		t.Errorf("public_url = %q", cfg.PublicURL)
	}
	f := cfg.Repos[0].Forge
	if f == nil || f.Kind != forge.Gitea || f.Project != "acme/infra" || f.MaxCommentLength != 100000 || !cfg.Repos[0].PlanDrafts || cfg.Repos[0].AllowForkPRs {
		t.Errorf("gitea repo = %+v forge %+v", cfg.Repos[0], f)
	}
	g := cfg.Repos[1].Forge
	if g == nil || g.Project != "acme/other" || g.App == nil || g.App.AppID != 1 || !strings.HasSuffix(g.App.PrivateKeyFile, "/key.pem") {
		t.Errorf("github forge = %+v", g)
	}
}

func TestLoadConfigForgeErrors(t *testing.T) {
	setTestEnv(t)
	repo := func(forgeBody string) string {
		return "repo \"infra\" {\n  url = \"https://example.com/acme/infra.git\"\n  forge {\n" + forgeBody + "  }\n}\n"
	}
	const secret = "    webhook_secret_env = \"DRIFTGATE_TEST_WEBHOOK_SECRET\"\n"
	const token = "    token_env = \"DRIFTGATE_TEST_TOKEN\"\n"
	tests := []struct {
		name, text string
		want       []string
	}{
		{"bad type", repo("    type = \"bitbucket\"\n" + token + secret), []string{"driftgate.hcl:4:", "Invalid forge type", `"bitbucket"`}},
		{"no secret", repo("    type = \"github\"\n" + token), []string{"driftgate.hcl:3:", "Missing webhook_secret_env"}},
		{"unset secret env", repo("    type = \"github\"\n" + token + "    webhook_secret_env = \"DRIFTGATE_TEST_UNSET_VAR\"\n"), []string{"driftgate.hcl:6:", "Environment variable not set"}},
		{"inline secret", repo("    type = \"github\"\n" + token + "    secret = \"hunter2\"\n"), []string{"driftgate.hcl:6:", "Secrets are never inline"}},
		{"no token", repo("    type = \"gitlab\"\n" + secret), []string{"No forge credentials"}},
		{"gitea without base_url", repo("    type = \"gitea\"\n" + token + secret), []string{"Gitea needs base_url"}},
		{"max comment not gitea", repo("    type = \"github\"\n" + token + secret + "    max_comment_length = 70000\n"), []string{"driftgate.hcl:7:", "max_comment_length is Gitea-only"}},
		{"app on gitlab", repo("    type = \"gitlab\"\n" + secret + "    app {\n      app_id = 1\n      installation_id = 2\n      private_key_file = \"key.pem\"\n    }\n"), []string{"app is GitHub-only"}},
		{"bad public_url", "public_url = \"driftgate.example.com\"\n", []string{"driftgate.hcl:1:", "Invalid public_url"}},
		{"fork setting without forge", "repo \"infra\" {\n  url = \"https://example.com/acme/infra.git\"\n  allow_fork_prs = true\n}\n", []string{"driftgate.hcl:1:", "No forge for pull requests"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, _, out := loadConfigText(t, tc.text)
			if cfg != nil {
				t.Fatal("config loaded, want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("diagnostics lack %q:\n%s", w, out)
				}
			}
			for _, s := range testSecretEnv {
				if strings.Contains(out, s) {
					t.Errorf("diagnostics show a secret:\n%s", out)
				}
			}
		})
	}
}
