package main

import (
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/driftgate/driftgate/runner/forge"
)

// ForgeConfig is a repo's forge block: where its pull requests live.
type ForgeConfig struct {
	Kind forge.Kind
	// BaseURL is the forge's API (GitHub) or web (GitLab, Gitea) URL; ""
	// means the public service.
	BaseURL string
	// Project is the repository's path on the forge, such as "acme/infra".
	Project          string
	TokenEnv         string
	WebhookSecretEnv string
	// MaxCommentLength overrides the Gitea comment size limit; 0 means the
	// default.
	MaxCommentLength int
	// App, GitHub only, authenticates as a GitHub App installation.
	App *ForgeAppConfig
}

// ForgeAppConfig is a GitHub App installation.
type ForgeAppConfig struct {
	AppID          int64
	InstallationID int64
	PrivateKeyFile string
}

type forgeBlock struct {
	Type             string         `hcl:"type"`
	BaseURL          *string        `hcl:"base_url,optional"`
	Project          *string        `hcl:"project,optional"`
	TokenEnv         *string        `hcl:"token_env,optional"`
	WebhookSecretEnv *string        `hcl:"webhook_secret_env,optional"`
	MaxCommentLength *int           `hcl:"max_comment_length,optional"`
	App              *forgeAppBlock `hcl:"app,block"`
	Body             hcl.Body       `hcl:",body"`
	DefRange         hcl.Range      `hcl:",def_range"`
}

type forgeAppBlock struct {
	AppID          int64     `hcl:"app_id"`
	InstallationID int64     `hcl:"installation_id"`
	PrivateKeyFile string    `hcl:"private_key_file"`
	Body           hcl.Body  `hcl:",body"`
	DefRange       hcl.Range `hcl:",def_range"`
}

// minCommentLength is the smallest max_comment_length accepted.
const minCommentLength = 4096

// decodeForge checks a repo's forge block, plan_drafts and allow_fork_prs.
func decodeForge(rb repoBlock, baseDir string, repo *RepoConfig) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if rb.PlanDrafts != nil {
		repo.PlanDrafts = *rb.PlanDrafts
	}
	if rb.AllowForkPRs != nil {
		repo.AllowForkPRs = *rb.AllowForkPRs
	}
	fb := rb.Forge
	if fb == nil {
		if rb.PlanDrafts != nil || rb.AllowForkPRs != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No forge for pull requests",
				Detail:  "plan_drafts and allow_fork_prs are about pull requests, which need a forge { type = ... } block in this repo.",
				Subject: rb.DefRange.Ptr()})
		}
		return diags
	}
	f := &ForgeConfig{Kind: forge.Kind(fb.Type)}
	switch f.Kind {
	case forge.GitHub, forge.GitLab, forge.Gitea:
	default:
		diags = append(diags, attrError(fb.Body, "type", "Invalid forge type",
			fmt.Sprintf("%q is not a forge driftgate knows. Use \"github\", \"gitlab\" or \"gitea\" (Gitea and Forgejo).", fb.Type)))
	}
	if fb.BaseURL != nil {
		u, err := url.Parse(*fb.BaseURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			diags = append(diags, attrError(fb.Body, "base_url", "Invalid forge base_url",
				fmt.Sprintf("%q is not an http(s) URL. Use the forge's address, for example \"https://gitea.example.com\".", *fb.BaseURL)))
		}
		f.BaseURL = *fb.BaseURL
	} else if f.Kind == forge.Gitea {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Gitea needs base_url",
			Detail: "Gitea has no public service: set base_url to your Gitea's address, for example \"https://gitea.example.com\".", Subject: fb.DefRange.Ptr()})
	}
	if fb.Project != nil {
		f.Project = strings.Trim(*fb.Project, "/")
		if !strings.Contains(f.Project, "/") {
			diags = append(diags, attrError(fb.Body, "project", "Invalid forge project",
				fmt.Sprintf("%q is not a project path. Use owner/name, such as \"acme/infra\".", *fb.Project)))
		}
	} else if f.Project = projectFromURL(rb.URL); f.Project == "" {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Forge project unknown",
			Detail: fmt.Sprintf("The project cannot be read from the repo url %q. Set project = \"owner/name\" in the forge block.", rb.URL), Subject: fb.DefRange.Ptr()})
	}
	if fb.TokenEnv != nil {
		if d := checkEnv(fb.Body, "token_env", *fb.TokenEnv, "forge API token"); d != nil {
			diags = append(diags, d)
		}
		f.TokenEnv = *fb.TokenEnv
	}
	if fb.WebhookSecretEnv == nil {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Missing webhook_secret_env",
			Detail:  "A forge block needs webhook_secret_env: the name of an environment variable holding the secret the forge signs its webhooks with. Without it anyone could fake a pull request event.",
			Subject: fb.DefRange.Ptr()})
	} else {
		if d := checkEnv(fb.Body, "webhook_secret_env", *fb.WebhookSecretEnv, "webhook secret"); d != nil {
			diags = append(diags, d)
		}
		f.WebhookSecretEnv = *fb.WebhookSecretEnv
	}
	if fb.MaxCommentLength != nil {
		switch {
		case f.Kind != forge.Gitea:
			diags = append(diags, attrError(fb.Body, "max_comment_length", "max_comment_length is Gitea-only",
				"GitHub and GitLab have fixed comment limits driftgate knows; remove max_comment_length."))
		case *fb.MaxCommentLength < minCommentLength:
			diags = append(diags, attrError(fb.Body, "max_comment_length", "max_comment_length too small",
				fmt.Sprintf("%d is below the least driftgate can work with, %d. Use your Gitea's limit (65536 by default).", *fb.MaxCommentLength, minCommentLength)))
		}
		f.MaxCommentLength = *fb.MaxCommentLength
	}
	if a := fb.App; a != nil {
		if f.Kind != forge.GitHub {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "app is GitHub-only",
				Detail: "The app block authenticates as a GitHub App; remove it, and use token_env for " + fb.Type + ".", Subject: a.DefRange.Ptr()})
		}
		if a.AppID <= 0 || a.InstallationID <= 0 {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid GitHub App",
				Detail: "app_id and installation_id must be positive: copy them from the App's settings and its installation's URL.", Subject: a.DefRange.Ptr()})
		}
		key := absPath(baseDir, a.PrivateKeyFile)
		if st, err := os.Stat(key); err != nil || st.IsDir() {
			diags = append(diags, attrError(a.Body, "private_key_file", "GitHub App key not readable",
				fmt.Sprintf("%s is not a readable file. Point private_key_file at the App's .pem private key.", key)))
		}
		if fb.TokenEnv != nil {
			diags = append(diags, attrError(fb.Body, "token_env", "Both a token and a GitHub App",
				"Use either token_env or app { ... }, not both."))
		}
		f.App = &ForgeAppConfig{AppID: a.AppID, InstallationID: a.InstallationID, PrivateKeyFile: key}
	} else if fb.TokenEnv == nil {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No forge credentials",
			Detail: "Set token_env to the environment variable holding an API token (or, on GitHub, an app { app_id, installation_id, private_key_file } block).", Subject: fb.DefRange.Ptr()})
	}
	repo.Forge = f
	return diags
}

// projectFromURL is owner/name of a repo url such as
// https://host/acme/infra.git or git@host:acme/infra.git, or "".
func projectFromURL(raw string) string {
	p := raw
	if i := strings.Index(p, "://"); i >= 0 {
		u, err := url.Parse(p)
		if err != nil {
			return ""
		}
		p = u.Path
	} else if i := strings.Index(p, ":"); i > 0 && !strings.Contains(p[:i], "/") {
		p = p[i+1:]
	} else {
		return ""
	}
	p = strings.TrimSuffix(strings.Trim(p, "/"), ".git")
	if !strings.Contains(p, "/") {
		return ""
	}
	return p
}

// decodePublicURL checks the top-level public_url.
func decodePublicURL(fc fileConfig, cfg *Config) hcl.Diagnostics {
	if fc.PublicURL == nil {
		return nil
	}
	u, err := url.Parse(*fc.PublicURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(*fc.PublicURL) > 256 {
		return hcl.Diagnostics{attrError(fc.Body, "public_url", "Invalid public_url",
			fmt.Sprintf("%q is not an http(s) URL of at most 256 characters. Use the address users open driftgate at, for example \"https://driftgate.example.com\".", *fc.PublicURL))}
	}
	cfg.PublicURL = strings.TrimRight(*fc.PublicURL, "/")
	return nil
}
