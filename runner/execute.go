package runner

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/driftgate/driftgate/planner"
	"github.com/driftgate/driftgate/planner/tfrun"
	"github.com/driftgate/driftgate/store"
)

// stackRunner plans and applies stacks.
type stackRunner interface {
	stackPlanner
	Apply(ctx context.Context, sa tfrun.StackApply) (*tfrun.ApplyResult, error)
	PullState(ctx context.Context, sp tfrun.StackPlan) (*tfrun.PulledState, error)
	StateLock(ctx context.Context, sp tfrun.StackPlan) (*tfrun.LockInfo, error)
}

// execute runs a run claimed from the queue. Plans and drift checks plan
// the stack in the tree of the run's commit (copied straight out of the
// git mirror) and update its drift state; apply runs apply their plan
// run's saved plan. Every outcome ends in the run's record.
func (d *Daemon) execute(ctx context.Context, run *store.Run) {
	// Live readers follow the run until its outcome is stored; then the
	// store has its log.
	live := d.logs.start(run.ID)
	defer d.logs.finish(run.ID)
	if run.PR != 0 { // the comment says planning, then the outcome
		d.reportPR(ctx, run.Repo, run.PR)
		defer d.reportPR(ctx, run.Repo, run.PR)
	}
	target, err := d.resolve(ctx, run)
	if err != nil {
		d.failRun(ctx, run, err)
		return
	}
	target.plan.OnPhase = func(s tfrun.Stage, took time.Duration) { d.metrics.Phase(run.Operation, string(s), took) }
	if run.Operation == OperationApply {
		defer d.reportApply(ctx, run)
		d.executeApply(ctx, run, target, live)
		return
	}
	// A plan's or drift check's output streams as it is printed, masked
	// line by line of the secrets known before terraform starts.
	target.plan.Live = live
	// Execute logs and records its outcome, errors included; drift is
	// recorded just before, so a finished run's drift state is in place.
	pr := *d.plans
	in := driftInput{stack: target.stack, lockHash: target.lockHash}
	if run.PR == 0 { // a PR's plan says nothing of the tracked branch's drift
		pr.OnResult = func(ctx context.Context, run *store.Run, res *tfrun.PlanResult, err error) {
			d.recordDrift(ctx, run, res, err, in)
		}
	}
	res, err := pr.Execute(ctx, run, target.plan)
	if err != nil || res == nil {
		return
	}
	// The first time driftgate plans a stack (or after history was
	// rewritten), record the state it found as a version.
	if run.Trigger == TriggerInitial || run.Trigger == TriggerForcePush {
		d.recordState(ctx, run, target)
	}
	if run.Operation == OperationPlan && run.Status == store.StatusPlanned && run.PR == 0 && appliable(run.Trigger) {
		pol := policyOf(target.stack)
		d.openApply(ctx, run, res, target.stack, target.lockHash, run.Trigger, pol.autoApplies)
		d.reportMergeApply(ctx, run)
	}
}

// target is a run's stack resolved at its commit.
type target struct {
	plan     tfrun.StackPlan
	stack    planner.Stack
	lockHash string
}

// resolve finds what a run works on.
func (d *Daemon) resolve(ctx context.Context, run *store.Run) (*target, error) {
	w, ok := d.watcher(run.Repo)
	if !ok {
		return nil, fmt.Errorf("repo %q is no longer configured", run.Repo)
	}
	m := w.Mirror()
	if m == nil {
		return nil, fmt.Errorf("repo %q has not been fetched yet", run.Repo)
	}
	fsys, err := m.Repo().TreeFS(plumbing.NewHash(run.Commit))
	if err != nil {
		return nil, fmt.Errorf("read commit %s: %w", run.Commit, err)
	}
	stack, problems, err := planner.StackAt(ctx, fsys, run.Stack)
	if err != nil {
		return nil, err
	}
	for _, p := range problems {
		d.logger.Warn("stack problem", logRun, run.ID, logDir, p.Dir, logErr, p.Summary)
	}
	recs, err := d.store.ListStacks(ctx, run.Repo)
	if err != nil {
		return nil, err
	}
	others := make([]planner.Stack, 0, len(recs))
	for _, r := range recs {
		others = append(others, planner.Stack{Name: r.Name, Dir: r.Dir})
	}
	return &target{
		plan:     StackPlan(fsys, *stack, StackKey(run.Repo, run.Stack), others),
		stack:    *stack,
		lockHash: lockHash(fsys, stack.Dir),
	}, nil
}

// lockHash is the sha256 of the stack's dependency lock file, "" without one.
func lockHash(fsys fs.FS, dir string) string {
	raw, err := fs.ReadFile(fsys, path.Join(dir, ".terraform.lock.hcl"))
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// failRun records a run that could not get to terraform at all.
func (d *Daemon) failRun(ctx context.Context, run *store.Run, cause error) {
	run.Status = store.StatusErrored
	switch {
	case errors.Is(context.Cause(ctx), ErrShutdown):
		run.Status = store.StatusInterrupted
	case errors.Is(context.Cause(ctx), errCanceled):
		run.Status = store.StatusCanceled
	}
	run.Error = cause.Error()
	run.FinishedAt = time.Now().UTC()
	d.logger.Warn("run failed before terraform", logRun, run.ID, logStack, run.Stack, logErr, cause)
	if run.Operation == OperationDrift && run.Status == store.StatusErrored {
		d.recordDrift(ctx, run, nil, cause, driftInput{})
	}
	finish := func(ctx context.Context) error { return d.store.FinishRun(ctx, run, nil, []byte(cause.Error()+"\n")) }
	if err := d.persistOutcome(ctx, run.ID, "outcome", finish); err != nil {
		d.logger.Error("record run outcome", logRun, run.ID, logErr, err)
	}
}
