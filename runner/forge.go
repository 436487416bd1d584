package runner

import (
	"strconv"

	"github.com/driftgate/driftgate/runner/forge"
)

// TriggerPullRequest is the trigger of the plans of a pull request's head.
// Such runs carry the PR's number, are never applied, never update the
// stack's drift state, and only ever supersede (and are superseded by)
// runs of the same PR.
const TriggerPullRequest = "pull_request"

// Commit status contexts driftgate sets.
const (
	statusPlan  = "driftgate/plan"
	statusApply = "driftgate/apply"
)

// ForgeConfig is the forge hosting a repo. cmd/driftgate builds the
// client and webhooks of the configured type (forge/github, forge/gitlab,
// forge/gitea).
type ForgeConfig struct {
	Kind forge.Kind
	// Project is the repository's path on the forge, such as "acme/infra";
	// webhook events of any other project are refused.
	Project  string
	Client   forge.Client
	Webhooks forge.Webhooks
	// Secret verifies webhook deliveries.
	Secret []byte
	// PlanDrafts plans draft PRs too.
	PlanDrafts bool
	// AllowForkPRs plans PRs from forks, whose code then runs with the
	// stack's credentials.
	AllowForkPRs bool
}

// headRef is the ref the forge keeps a PR's head under.
func (f *ForgeConfig) headRef(number int) string {
	if f.Kind == forge.GitLab {
		return "refs/merge-requests/" + strconv.Itoa(number) + "/head"
	}
	return "refs/pull/" + strconv.Itoa(number) + "/head"
}
