package runner

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/driftgate/driftgate/planner"
	"github.com/driftgate/driftgate/store"
)

// applyBlocked reports whether a queued apply run must wait: its stack is
// held, the branch head's repo config is broken (whether it changes the
// stack is unknown until a commit fixes it), or a stack it depends_on has
// not applied the same commit. It
// records what the run waits for on the run, so the API shows it, and
// clears that once the run may go.
func (d *Daemon) applyBlocked(ctx context.Context, run *store.Run) bool {
	if run.Operation != OperationApply {
		return false
	}
	reason, why, err := d.applyWait(ctx, run)
	if err != nil {
		d.logger.Error("check what an apply waits for", logRun, run.ID, logErr, err)
		return true
	}
	if reason != run.Reason || why != run.Waiting {
		if _, err := setWaiting(ctx, d.store, run.ID, reason, why); err != nil && !errors.Is(err, store.ErrConflict) {
			d.logger.Error("record what an apply waits for", logRun, run.ID, logErr, err)
		}
		if reason != "" {
			d.logger.Info("apply waits", logRun, run.ID, logStack, run.Stack, "reason", reason, "waiting", why)
		}
	}
	return reason != ""
}

// applyWait says what run waits for, "" for nothing.
func (d *Daemon) applyWait(ctx context.Context, run *store.Run) (store.RunReason, string, error) {
	hold, err := d.store.GetHold(ctx, run.Repo, run.Stack)
	switch {
	case err == nil:
		return store.ReasonStackHeld, fmt.Sprintf("stack %s is held since %s after apply run %s was cut off; an admin releases it with `driftgate release %s %s`",
			run.Stack, hold.Since.Format(time.RFC3339), hold.RunID, run.Repo, run.Stack), nil
	case !errors.Is(err, store.ErrNotFound):
		return "", "", err
	}
	if why, err := d.headUnreadable(run); err != nil || why != "" {
		return store.ReasonHeadUnreadable, why, err
	}
	deps := run.Attrs[store.AttrDependsOn]
	if deps == "" {
		return "", "", nil
	}
	for _, dep := range strings.Split(deps, ",") {
		runs, _, err := d.store.ListRuns(ctx, store.RunFilter{Repo: run.Repo, Stack: dep, Commit: run.Commit, Limit: store.MaxListLimit})
		if err != nil {
			return "", "", err
		}
		var lastApplied time.Time
		sd, err := d.store.StackDriftStatus(ctx, run.Repo, dep)
		switch {
		case err == nil && sd.LastApplied != nil:
			lastApplied = sd.LastApplied.At
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return "", "", err
		}
		if reason, why := dependencyWait(dep, run.Commit, runs, lastApplied); reason != "" {
			return reason, why, nil
		}
	}
	return "", "", nil
}

// dependencyWait says whether an apply of commit must wait for stack dep,
// given dep's runs of that commit, newest first: dep must have applied
// the commit, or have had nothing to apply (no changes, or not affected by
// the commit at all). A failed apply or plan of dep stops the wait with
// ReasonDependencyFailed; dep applying anything planned after this
// commit's plan (lastApplied) ends it.
func dependencyWait(dep, commit string, runs []store.Run, lastApplied time.Time) (store.RunReason, string) {
	at := short(plumbing.NewHash(commit))
	var plan, apply *store.Run
	for i := range runs {
		r := &runs[i]
		switch {
		case r.PR != 0: // a PR's plan of the same commit applies nothing
		case r.Operation == OperationPlan && plan == nil:
			plan = r
		case r.Operation == OperationApply && apply == nil:
			apply = r
		}
	}
	if plan == nil {
		return "", "" // the commit did not affect dep
	}
	if lastApplied.After(plan.CreatedAt) {
		return "", "" // dep applied this commit's plan, or a newer one
	}
	switch plan.Status {
	case store.StatusNoChanges:
		return "", ""
	case store.StatusQueued, store.StatusRunning:
		return store.ReasonWaitingForDependency, fmt.Sprintf("waiting for stack %s to plan commit %s (run %s)", dep, at, plan.ID)
	case store.StatusPlanned:
	default:
		return store.ReasonDependencyFailed, fmt.Sprintf("the plan of stack %s at commit %s %s (run %s); this apply waits until %s applies",
			dep, at, describeEnd(plan), plan.ID, dep)
	}
	if apply == nil || apply.ID < plan.ID {
		return store.ReasonWaitingForDependency, fmt.Sprintf("waiting for stack %s to apply commit %s (its plan, run %s, has no apply run yet)", dep, at, plan.ID)
	}
	switch apply.Status {
	case store.StatusApplied:
		return "", ""
	case store.StatusQueued, store.StatusRunning, store.StatusAwaitingApproval:
		return store.ReasonWaitingForDependency, fmt.Sprintf("waiting for stack %s to apply commit %s (run %s is %s)", dep, at, apply.ID, apply.Status)
	}
	return store.ReasonDependencyFailed, fmt.Sprintf("stack %s did not apply commit %s: its apply %s (run %s); this apply waits until %s applies it",
		dep, at, describeEnd(apply), apply.ID, dep)
}

func describeEnd(r *store.Run) string {
	if r.Error != "" {
		return string(r.Status) + ": " + r.Error
	}
	return string(r.Status)
}

// headUnreadable says why run must wait when the tracked branch's head is
// not its commit and has a .driftgate.hcl that does not load: "" when it
// loads, or head is the run's commit.
func (d *Daemon) headUnreadable(run *store.Run) (string, error) {
	w, ok := d.watcher(run.Repo)
	if !ok || w.Mirror() == nil {
		return "", fmt.Errorf("repo %q is not being watched", run.Repo)
	}
	m := w.Mirror()
	head, err := m.Head()
	if err != nil || head.String() == run.Commit {
		return "", err
	}
	fsys, err := m.Repo().TreeFS(head)
	if err != nil {
		return "", err
	}
	if _, diags := planner.LoadRepoConfig(fsys); diags.HasErrors() {
		return fmt.Sprintf("the branch head %s has a broken %s, so whether it changes stack %s is unknown; the apply waits for a commit that fixes it",
			short(head), planner.RepoConfigFile, run.Stack), nil
	}
	return "", nil
}
