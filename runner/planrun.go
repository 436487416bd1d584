package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/driftgate/driftgate/planner/tfrun"
	"github.com/driftgate/driftgate/store"
)

// ErrShutdown is the cancellation cause of runs stopped because driftgate
// is shutting down: they end as interrupted, not canceled.
var ErrShutdown = errors.New("driftgate is shutting down")

// runStore is what executing a run needs from the store.
type runStore interface {
	CreateRun(ctx context.Context, r *store.Run) error
	SaveRun(ctx context.Context, r *store.Run) error
	FinishRun(ctx context.Context, r *store.Run, plan *store.Plan, log []byte) error
}

// stackPlanner plans one stack.
type stackPlanner interface {
	Plan(ctx context.Context, sp tfrun.StackPlan) (*tfrun.PlanResult, error)
}

// PlanRunner executes plan runs and records them in the store: the run is
// marked running, planned, and finished with its status, summary, plan and
// log in one write.
type PlanRunner struct {
	Store   runStore
	Planner stackPlanner
	Logger  *slog.Logger
	// OnResult, when set, sees each run's outcome just before it is
	// recorded, so that what it records (drift) is in place by the time the
	// run reads as finished.
	OnResult func(ctx context.Context, run *store.Run, res *tfrun.PlanResult, err error)
	// Persist, when set, does the write of a run's outcome (write) and
	// may retry it while the store fails; nil writes once.
	Persist func(ctx context.Context, runID, what string, write func(context.Context) error) error
}

// Execute runs the plan of sp as run, creating the run record first when it
// has no ID, and marking it running unless it was claimed from the queue. It returns the planner's result (nil when it produced none)
// and the run's error; the run record is updated in place. Store failures
// are returned too: a run whose outcome could not be recorded is an error.
func (p *PlanRunner) Execute(ctx context.Context, run *store.Run, sp tfrun.StackPlan) (*tfrun.PlanResult, error) {
	log := p.logger().With(logRun, run.ID, logStack, run.Stack)
	// Recording the outcome must survive the run's own cancellation.
	storeCtx := context.WithoutCancel(ctx)
	switch {
	case run.ID == "":
		run.Status, run.StartedAt = store.StatusRunning, time.Now().UTC()
		if err := p.Store.CreateRun(storeCtx, run); err != nil {
			return nil, fmt.Errorf("record run: %w", err)
		}
	case run.Status != store.StatusRunning:
		run.Status, run.StartedAt = store.StatusRunning, time.Now().UTC()
		if err := p.Store.SaveRun(storeCtx, run); err != nil {
			return nil, fmt.Errorf("record run start: %w", err)
		}
	}
	// A run claimed from the queue is already recorded as running.
	log.Info("plan started", logDir, run.Dir)

	res, err := p.Planner.Plan(ctx, sp)
	run.FinishedAt = time.Now().UTC()
	var plan *store.Plan
	var runLog []byte
	if res != nil {
		run.TerraformVersion, run.Product = res.TerraformVersion, string(res.Product)
		runLog = res.Log
	}
	switch {
	case err == nil:
		run.Status = store.StatusNoChanges
		if res.HasChanges {
			run.Status = store.StatusPlanned
		}
		run.Summary = summary(res)
		analysis, merr := json.Marshal(res.Analysis)
		if merr != nil {
			return res, fmt.Errorf("encode analysis: %w", merr)
		}
		plan = &store.Plan{JSON: res.PlanJSON, Text: res.Text, Analysis: analysis, File: res.PlanFile}
	case tfrun.IsCanceled(err) && errors.Is(context.Cause(ctx), ErrShutdown):
		run.Status = store.StatusInterrupted
		run.Error = "interrupted: driftgate shut down while the run was in progress"
	case tfrun.IsCanceled(err):
		run.Status = store.StatusCanceled
		run.Error = "canceled"
	default:
		run.Status = store.StatusErrored
		run.Error = errorSummary(err, runLog)
	}
	if p.OnResult != nil {
		p.OnResult(storeCtx, run, res, err)
	}
	finish := func(ctx context.Context) error { return p.Store.FinishRun(ctx, run, plan, runLog) }
	var ferr error
	if p.Persist != nil {
		ferr = p.Persist(ctx, run.ID, "outcome", finish)
	} else {
		ferr = finish(storeCtx)
	}
	if ferr != nil {
		log.Error("record run outcome", logErr, ferr)
		return res, errors.Join(err, fmt.Errorf("record run outcome: %w", ferr))
	}
	log.Info("plan finished", logStatus, run.Status, logDuration, run.FinishedAt.Sub(run.StartedAt).Round(time.Millisecond))
	return res, err
}

func summary(res *tfrun.PlanResult) *store.PlanSummary {
	if res == nil || res.Analysis == nil {
		return nil
	}
	s := res.Analysis.Summary
	return &store.PlanSummary{
		Add: s.Add, Change: s.Change, Destroy: s.Destroy, Replace: s.Replace, Import: s.Import,
		Drifted: s.Drifted, OutputChanges: s.OutputChanges, HasChanges: res.HasChanges,
	}
}

// errorSummary is the one-line error recorded on a run: the failed step
// and Terraform's first error diagnostic, found in the redacted log. The
// full output stays in the log.
func errorSummary(err error, log []byte) string {
	var tfErr *tfrun.Error
	if !errors.As(err, &tfErr) {
		return err.Error()
	}
	msg := fmt.Sprintf("terraform %s failed", tfErr.Stage)
	for _, line := range strings.Split(string(log), "\n") {
		if after, ok := strings.CutPrefix(strings.TrimSpace(line), "Error: "); ok {
			return msg + ": " + after
		}
	}
	return msg
}

func (p *PlanRunner) logger() *slog.Logger {
	if p.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Logger
}
