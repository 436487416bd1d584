package runner

import (
	"context"
	"time"

	"github.com/driftgate/driftgate/planner"
	"github.com/driftgate/driftgate/planner/analysis"
	"github.com/driftgate/driftgate/planner/drift"
	"github.com/driftgate/driftgate/planner/tfrun"
	"github.com/driftgate/driftgate/runner/notify"
	"github.com/driftgate/driftgate/store"
)

// Operations and triggers of drift checks and remediation.
const (
	OperationDrift = store.OperationDrift
	OperationApply = store.OperationApply

	TriggerSchedule    = "schedule"
	TriggerRemediation = "drift-remediation"
	TriggerPostApply   = "post-apply"
)

// on_drift settings.
const (
	OnDriftNotify = "notify"
	OnDriftPlan   = "plan"
	OnDriftApply  = "apply"
)

// driftInput is what recording a check needs besides the run.
type driftInput struct {
	stack    planner.Stack
	lockHash string
}

// recordDrift updates the stack's drift state from a finished plan of its
// tracked branch (commit plans and drift checks alike), notifies, and
// starts the stack's remediation when a check found drift.
func (d *Daemon) recordDrift(ctx context.Context, run *store.Run, res *tfrun.PlanResult, runErr error, in driftInput) {
	ctx = context.WithoutCancel(ctx)
	log := d.logger.With(logRun, run.ID, logStack, run.Stack)
	prevRecs, err := d.store.DriftFindings(ctx, run.Repo, run.Stack, true, 0)
	if err != nil {
		log.Error("read drift findings", logErr, err)
		return
	}
	prev := make([]drift.Finding, 0, len(prevRecs))
	for _, f := range prevRecs {
		prev = append(prev, fromStoreFinding(f))
	}
	var lastApplied *drift.Applied
	if sd, err := d.store.StackDriftStatus(ctx, run.Repo, run.Stack); err == nil && sd.LastApplied != nil {
		la := sd.LastApplied
		lastApplied = &drift.Applied{Commit: la.Commit, LockHash: la.LockHash, TerraformVersion: la.TerraformVersion, Product: la.Product, Providers: la.Providers}
	}

	now := time.Now().UTC()
	var result drift.Result
	switch {
	case runErr == nil && res != nil && res.Analysis != nil:
		result = drift.Evaluate(prev, drift.Check{
			RunID: run.ID, At: now, Commit: run.Commit, Analysis: res.Analysis,
			LockHash: in.lockHash, TerraformVersion: res.TerraformVersion, Product: string(res.Product),
			LastApplied: lastApplied, Rules: rules(in.stack),
		})
	case run.Operation == OperationDrift && run.Status == store.StatusErrored:
		result = drift.Errored(prev, run.ID, now, run.Error)
	default:
		return // a commit plan that failed or was stopped says nothing of drift
	}

	sd := &store.StackDrift{
		Repo: run.Repo, Stack: run.Stack, Status: store.DriftStatus(result.Status),
		CheckedAt: now, RunID: run.ID, Commit: run.Commit,
	}
	if result.Status == drift.StatusErrored {
		sd.Error = run.Error
	}
	var records []store.DriftFinding
	for _, f := range result.Open {
		if f.Accepted {
			sd.Accepted++
		} else {
			sd.Open++
		}
		records = append(records, toStoreFinding(f))
	}
	for _, f := range result.Resolved {
		records = append(records, toStoreFinding(f))
	}
	if err := d.store.RecordDriftCheck(ctx, sd, records); err != nil {
		log.Error("record drift", logErr, err)
		return
	}
	log.Info("drift recorded", logStatus, sd.Status, logCount, sd.Open)
	d.notifyDrift(ctx, run, result.Events)
	if run.Operation == OperationDrift && hasNews(result.Events) && result.Status == drift.StatusDrifted {
		d.remediate(ctx, run, res, in)
	}
}

// notifyDrift sends one event per new, changed or resolved finding.
func (d *Daemon) notifyDrift(ctx context.Context, run *store.Run, events []drift.Event) {
	d.mu.RLock()
	nt := d.notifier
	d.mu.RUnlock()
	if nt == nil {
		return
	}
	for _, ev := range events {
		n := notify.Event{
			ID: drift.NewID(), Type: notify.EventType(ev.Type), Time: time.Now().UTC(),
			Repo: run.Repo, Stack: run.Stack, RunID: run.ID, Commit: run.Commit, Error: ev.Error,
		}
		if ev.Type != drift.EventCheckErrored {
			f := toNotifyFinding(ev.Finding)
			n.Finding = &f
		}
		nt.Notify(ctx, n)
	}
}

// remediate acts on drift a check found, as the stack's on_drift says:
// notify only (the default), open an apply of the check's plan waiting for
// approval, or apply it at once. Automatic apply happens only when the plan
// does nothing but put drifted resources back (see onlyReverts); anything
// more waits for approval.
func (d *Daemon) remediate(ctx context.Context, check *store.Run, res *tfrun.PlanResult, in driftInput) {
	mode := in.stack.OnDrift
	if mode == "" {
		mode = d.repoOnDrift(check.Repo)
	}
	if mode != OnDriftPlan && mode != OnDriftApply {
		return
	}
	auto := func(store.Binding) bool { return mode == OnDriftApply && onlyReverts(res.Analysis) }
	d.openApply(ctx, check, res, in.stack, in.lockHash, TriggerRemediation, auto)
}

// onlyReverts reports whether a plan does nothing but undo drift: every
// change is at an address that drifted, an update touching only attributes
// that drifted, or the re-creation of a resource deleted outside
// Terraform. Code changes riding along, destroys and replacements are not
// reverts, and no output may change.
func onlyReverts(a *analysis.Analysis) bool {
	if a == nil || len(a.Outputs) > 0 || a.Summary.Import > 0 {
		return false
	}
	drifted := map[string]analysis.ResourceChange{}
	for _, dr := range a.Drift {
		drifted[dr.Address] = dr
	}
	for _, c := range a.Changes {
		dr, ok := drifted[c.Address]
		if !ok {
			return false
		}
		switch c.Action {
		case analysis.ActionCreate:
			if dr.Kind != analysis.DriftDeleted {
				return false
			}
		case analysis.ActionUpdate:
			paths := map[string]bool{}
			for _, at := range dr.Attributes {
				paths[at.Path] = true
			}
			for _, at := range c.Attributes {
				if !paths[at.Path] {
					return false
				}
			}
		default:
			return false
		}
	}
	return true
}

func hasNews(events []drift.Event) bool {
	for _, ev := range events {
		if ev.Type == drift.EventFound || ev.Type == drift.EventChanged {
			return true
		}
	}
	return false
}

func (d *Daemon) repoOnDrift(repo string) string {
	for _, r := range d.repos() {
		if r.Name == repo {
			return r.OnDrift
		}
	}
	return ""
}

func rules(s planner.Stack) []drift.Rule {
	out := make([]drift.Rule, 0, len(s.IgnoreDrift))
	for _, r := range s.IgnoreDrift {
		out = append(out, drift.Rule{Resources: r.Resources, Attributes: r.Attributes})
	}
	return out
}

func fromStoreFinding(f store.DriftFinding) drift.Finding {
	out := drift.Finding{
		ID: f.ID, Address: f.Address, Kind: drift.Kind(f.Kind), Cause: drift.Cause(f.Cause),
		Accepted: f.Accepted, Rule: f.Rule, FirstSeen: f.FirstSeen, LastSeen: f.LastSeen,
		ResolvedAt: f.ResolvedAt, FirstRun: f.FirstRun, LastRun: f.LastRun,
	}
	for _, a := range f.Attributes {
		out.Attributes = append(out.Attributes, drift.Attribute{Path: a.Path, Before: a.Before, After: a.After, Sensitive: a.Sensitive})
	}
	return out
}

func toStoreFinding(f drift.Finding) store.DriftFinding {
	out := store.DriftFinding{
		ID: f.ID, Address: f.Address, Kind: string(f.Kind), Cause: string(f.Cause),
		Accepted: f.Accepted, Rule: f.Rule, FirstSeen: f.FirstSeen, LastSeen: f.LastSeen,
		ResolvedAt: f.ResolvedAt, FirstRun: f.FirstRun, LastRun: f.LastRun,
	}
	for _, a := range f.Attributes {
		out.Attributes = append(out.Attributes, store.DriftAttribute{Path: a.Path, Before: a.Before, After: a.After, Sensitive: a.Sensitive})
	}
	return out
}

func toNotifyFinding(f drift.Finding) notify.Finding {
	out := notify.Finding{
		Address: f.Address, Kind: string(f.Kind), Cause: string(f.Cause),
		FirstSeen: f.FirstSeen, LastSeen: f.LastSeen, ResolvedAt: f.ResolvedAt,
	}
	for _, a := range f.Attributes {
		out.Attributes = append(out.Attributes, notify.Attribute{Path: a.Path, Before: a.Before, After: a.After, Sensitive: a.Sensitive})
	}
	return out
}
