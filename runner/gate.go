package runner

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/driftgate/driftgate/planner"
	"github.com/driftgate/driftgate/runner/api"
	"github.com/driftgate/driftgate/store"
)

// The apply gate. A tracked-branch plan with changes opens an apply run
// bound to that exact plan (store.Binding); the stack's apply policy at the
// plan's commit decides whether it is queued at once (apply = "auto", no
// destroy) or waits for approvals. Every approval binds to the run's
// binding, and the apply verifies the binding again before terraform runs
// (verify.go).

// Triggers of runs the gate queues.
const (
	// TriggerReplan is a fresh plan queued because an apply was refused.
	TriggerReplan = "replan"
	// TriggerRelease is a fresh plan queued when a held stack is released.
	TriggerRelease = "release"
)

// approvalSource gives the approvals of an apply run from one place.
// driftgate's own approvals (API, CLI, UI) are recorded on the run; a
// forge's approving reviews of the merged pull request plug in as another
// source without changing the gate.
type approvalSource interface {
	Approvals(ctx context.Context, run *store.Run) ([]store.Approval, error)
}

// recordedApprovals is the source of approvals given through driftgate:
// the ones recorded on the run.
type recordedApprovals struct{}

func (recordedApprovals) Approvals(_ context.Context, run *store.Run) ([]store.Approval, error) {
	return run.Approvals, nil
}

// policy is a stack's apply policy at a commit.
type policy struct {
	stack        string
	auto         bool
	required     int
	approvers    []string
	allowDestroy bool
	selfApproval bool
	// prApprovals counts a merged pull request's approving reviews.
	prApprovals bool
}

func policyOf(s planner.Stack) policy {
	return policy{
		stack: s.Name, auto: s.AutoApply(), required: s.RequiredApprovals(),
		approvers: s.Approvers, allowDestroy: s.AllowDestroy, selfApproval: s.SelfApproval,
		prApprovals: s.CountsPRApprovals(),
	}
}

// autoApplies reports whether the gate lets a plan apply with no approval:
// an auto stack whose plan deletes or replaces nothing.
func (p policy) autoApplies(b store.Binding) bool {
	return p.auto && !b.Destroys
}

// waitReason says why a new apply run of the policy's stack waits.
func (p policy) waitReason(b store.Binding) (store.RunReason, string) {
	n := "1 approval"
	if p.required > 1 {
		n = fmt.Sprintf("%d approvals", p.required)
	}
	if p.auto && b.Destroys {
		return store.ReasonDestroyNeedsApproval, "the plan deletes or replaces resources: stack " + p.stack + " applies automatically only plans that do not; it needs " + n
	}
	return store.ReasonNeedsApproval, "needs " + n + p.approversHint()
}

func (p policy) approversHint() string {
	if len(p.approvers) == 0 {
		return ""
	}
	return " from " + strings.Join(p.approvers, ", ")
}

// mayDecide returns nil when principal pr may give decision on run, else
// an api.ErrForbidden error saying why and what would allow it.
func (p policy) mayDecide(run *store.Run, pr api.Principal, decision store.Decision) error {
	if len(p.approvers) > 0 && !slices.Contains(p.approvers, pr.Name) {
		return fmt.Errorf("%s is not an approver of stack %s (approvers: %s); add the token's name to approvers in .driftgate.hcl: %w",
			pr.Name, p.stack, strings.Join(p.approvers, ", "), api.ErrForbidden)
	}
	if decision != store.DecisionApprove {
		return nil
	}
	if !p.selfApproval && run.Attrs[store.AttrTriggeredBy] == pr.Name {
		return fmt.Errorf("%s triggered this plan and stack %s forbids approving one's own plan; ask another approver, or set self_approval = true: %w",
			pr.Name, p.stack, api.ErrForbidden)
	}
	if run.Binding != nil && run.Binding.Destroys && !p.allowDestroy && !pr.Can(api.PermDestroy) {
		return fmt.Errorf("the plan deletes or replaces resources: approving it needs a token with the %q permission, or allow_destroy = true on stack %s: %w",
			api.PermDestroy, p.stack, api.ErrForbidden)
	}
	return nil
}

// approvals gathers run's approvals from every source.
func (d *Daemon) approvals(ctx context.Context, run *store.Run) ([]store.Approval, error) {
	var out []store.Approval
	for _, src := range d.approvalSources {
		as, err := src.Approvals(ctx, run)
		if err != nil {
			return nil, err
		}
		out = append(out, as...)
	}
	return out, nil
}

// appliable reports whether runs of trigger may be applied: only runs of
// the tracked branch (what reached it by merge or push, or a manual plan
// of its head), never pull-request runs.
func appliable(trigger string) bool {
	switch trigger {
	case TriggerInitial, TriggerCommit, TriggerForcePush, TriggerManual, TriggerReplan, TriggerRelease, TriggerRemediation:
		return true
	}
	return false
}
