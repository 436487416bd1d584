package runner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/driftgate/driftgate/planner"
	"github.com/driftgate/driftgate/planner/tfrun"
	"github.com/driftgate/driftgate/store"
)

// execute runs a run claimed from the queue: it resolves the stack in the
// tree of the run's commit and plans it, copying it straight out of the git
// mirror. Every outcome ends in the run's record: PlanRunner records the
// plan's, execute records a failure to get that far.
func (d *Daemon) execute(ctx context.Context, run *store.Run) {
	sp, err := d.stackPlan(ctx, run)
	if err != nil {
		d.failRun(ctx, run, err)
		return
	}
	// Execute logs and records its outcome, errors included.
	_, _ = d.plans.Execute(ctx, run, sp)
}

// stackPlan resolves what to plan for run.
func (d *Daemon) stackPlan(ctx context.Context, run *store.Run) (tfrun.StackPlan, error) {
	w, ok := d.watchers[run.Repo]
	if !ok {
		return tfrun.StackPlan{}, fmt.Errorf("repo %q is no longer configured", run.Repo)
	}
	m := w.Mirror()
	if m == nil {
		return tfrun.StackPlan{}, fmt.Errorf("repo %q has not been fetched yet", run.Repo)
	}
	fsys, err := m.Repo().TreeFS(plumbing.NewHash(run.Commit))
	if err != nil {
		return tfrun.StackPlan{}, fmt.Errorf("read commit %s: %w", run.Commit, err)
	}
	stack, problems, err := planner.StackAt(ctx, fsys, run.Stack)
	if err != nil {
		return tfrun.StackPlan{}, err
	}
	for _, p := range problems {
		d.logger.Warn("stack problem", logRun, run.ID, logDir, p.Dir, logErr, p.Summary)
	}
	recs, err := d.store.ListStacks(ctx, run.Repo)
	if err != nil {
		return tfrun.StackPlan{}, err
	}
	others := make([]planner.Stack, 0, len(recs))
	for _, r := range recs {
		others = append(others, planner.Stack{Name: r.Name, Dir: r.Dir})
	}
	return StackPlan(fsys, *stack, run.Repo+"/"+run.Stack, others), nil
}

// failRun records a run that could not be planned at all.
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
	d.logger.Warn("run failed before planning", logRun, run.ID, logStack, run.Stack, logErr, cause)
	if err := d.store.FinishRun(context.WithoutCancel(ctx), run, nil, []byte(cause.Error()+"\n")); err != nil {
		d.logger.Error("record run outcome", logRun, run.ID, logErr, err)
	}
}
