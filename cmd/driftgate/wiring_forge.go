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
	switch f.Kind {
	case forge.GitHub:
		out.Webhooks = github.Webhooks{}
	case forge.GitLab:
		out.Webhooks = gitlab.Webhooks{}
	case forge.Gitea:
		out.Webhooks = gitea.Webhooks{}
	}
	client, err := forgeClient(forgeSpec{Kind: f.Kind, URL: f.BaseURL, Project: f.Project, Token: token}, *f, logger)
	if err != nil {
		return nil, fmt.Errorf("repo %s: %w", r.Name, err)
	}
	out.Client = client
	return out, nil
}

// forgeClient builds the client of one forge project, for the daemon
// (with the repo's forge block, for a GitHub App or Gitea's comment limit)
// and for driftgate set --pr (block empty).
func forgeClient(spec forgeSpec, block ForgeConfig, logger *slog.Logger) (forge.Client, error) {
	var c forge.Client
	var err error
	switch spec.Kind {
	case forge.GitHub:
		opts := github.Options{BaseURL: spec.URL, Project: spec.Project, Token: spec.Token, Logger: logger}
		if block.App != nil {
			opts.App = &github.App{AppID: block.App.AppID, InstallationID: block.App.InstallationID, PrivateKeyFile: block.App.PrivateKeyFile}
		}
		c, err = github.New(opts)
	case forge.GitLab:
		c, err = gitlab.New(gitlab.Options{BaseURL: spec.URL, Project: spec.Project, Token: spec.Token, Logger: logger})
	case forge.Gitea:
		c, err = gitea.New(gitea.Options{BaseURL: spec.URL, Project: spec.Project, Token: spec.Token, MaxCommentLength: block.MaxCommentLength, Logger: logger})
	default:
		return nil, fmt.Errorf("unknown forge type %q (github, gitlab or gitea)", spec.Kind)
	}
	if err != nil {
		return nil, fmt.Errorf("forge %s: %w", spec.Kind, err)
	}
	return c, nil
}
