package main

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/driftgate/driftgate/runner"
	"github.com/driftgate/driftgate/runner/forge"
	"github.com/driftgate/driftgate/runner/forge/gitea"
	"github.com/driftgate/driftgate/runner/forge/github"
	"github.com/driftgate/driftgate/runner/forge/gitlab"
)

// newForge builds the client and webhooks of a repo's forge block: one
// constructor per forge type. Secrets are read from the environment here.
func newForge(r RepoConfig, logger *slog.Logger) (*runner.ForgeConfig, error) {
	f := r.Forge
	token := ""
	if f.TokenEnv != "" {
		token = os.Getenv(f.TokenEnv)
	}
	logger = logger.With("repo", r.Name, "forge", string(f.Kind))
	out := &runner.ForgeConfig{
		Kind: f.Kind, Project: f.Project, Secret: []byte(os.Getenv(f.WebhookSecretEnv)),
		PlanDrafts: r.PlanDrafts, AllowForkPRs: r.AllowForkPRs,
	}
	var err error
	switch f.Kind {
	case forge.GitHub:
		opts := github.Options{BaseURL: f.BaseURL, Project: f.Project, Token: token, Logger: logger}
		if f.App != nil {
			opts.App = &github.App{AppID: f.App.AppID, InstallationID: f.App.InstallationID, PrivateKeyFile: f.App.PrivateKeyFile}
		}
		out.Client, err = github.New(opts)
		out.Webhooks = github.Webhooks{}
	case forge.GitLab:
		out.Client, err = gitlab.New(gitlab.Options{BaseURL: f.BaseURL, Project: f.Project, Token: token, Logger: logger})
		out.Webhooks = gitlab.Webhooks{}
	case forge.Gitea:
		out.Client, err = gitea.New(gitea.Options{BaseURL: f.BaseURL, Project: f.Project, Token: token, MaxCommentLength: f.MaxCommentLength, Logger: logger})
		out.Webhooks = gitea.Webhooks{}
	default:
		return nil, fmt.Errorf("repo %s: unknown forge type %q", r.Name, f.Kind)
	}
	if err != nil {
		return nil, fmt.Errorf("repo %s: forge %s: %w", r.Name, f.Kind, err)
	}
	return out, nil
}
