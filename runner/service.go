package runner

import (
	"context"
	"errors"
	"fmt"

	"github.com/driftgate/driftgate/runner/api"
	"github.com/driftgate/driftgate/store"
)

// service is the daemon as the HTTP API sees it.
type service struct{ d *Daemon }

var _ api.Service = service{}

func (s service) Repos(ctx context.Context) ([]store.RepoRecord, error) {
	return s.d.store.ListRepos(ctx)
}

func (s service) Stacks(ctx context.Context, repo string) ([]store.StackRecord, error) {
	if repo != "" {
		if _, ok := s.d.watcher(repo); !ok {
			return nil, fmt.Errorf("repo %q is not configured; list repos with GET /api/v1/repos: %w", repo, api.ErrNotFound)
		}
	}
	return s.d.store.ListStacks(ctx, repo)
}

func (s service) Runs(ctx context.Context, f store.RunFilter) ([]store.Run, string, error) {
	return s.d.store.ListRuns(ctx, f)
}

func (s service) Run(ctx context.Context, id string) (*store.Run, error) {
	run, err := s.d.store.GetRun(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("run %q not found; list runs with GET /api/v1/runs: %w", id, api.ErrNotFound)
	}
	return run, err
}

func (s service) Plan(ctx context.Context, id string) (*store.Plan, error) {
	if _, err := s.Run(ctx, id); err != nil {
		return nil, err
	}
	p, err := s.d.store.GetPlan(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("run %q has no plan (it is not finished, or it failed before planning): %w", id, api.ErrNotFound)
	}
	return p, err
}

func (s service) Log(ctx context.Context, id string) ([]byte, error) {
	if _, err := s.Run(ctx, id); err != nil {
		return nil, err
	}
	log, err := s.d.store.GetLog(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("run %q has no log yet; it is written when the run finishes: %w", id, api.ErrNotFound)
	}
	return log, err
}

// TriggerPlan queues a manual plan of a stack at the last fetched head.
func (s service) TriggerPlan(ctx context.Context, repo, stack string) (*store.Run, error) {
	return s.queueAtHead(ctx, repo, stack, OperationPlan)
}

// CancelRun cancels a queued run at once and interrupts a running one.
func (s service) CancelRun(ctx context.Context, id string) (*store.Run, error) {
	run, err := s.d.store.CancelQueued(ctx, id, "canceled through the API before it started")
	switch {
	case err == nil:
		s.d.logger.Info("run canceled", logRun, id)
		s.d.audit(ctx, store.AuditCancel, run, store.AuditOK, "canceled before it started")
		return run, nil
	case errors.Is(err, store.ErrNotFound):
		return nil, fmt.Errorf("run %q not found; list runs with GET /api/v1/runs: %w", id, api.ErrNotFound)
	case errors.Is(err, store.ErrConflict) && run != nil && run.Status == store.StatusRunning:
		if s.d.disp.cancel(id) {
			s.d.logger.Info("canceling running run", logRun, id)
			s.d.audit(ctx, store.AuditCancel, run, store.AuditOK, "interrupting the running run")
			return run, nil
		}
		return nil, fmt.Errorf("run %q is finishing; try again: %w", id, api.ErrConflict)
	case errors.Is(err, store.ErrConflict) && run != nil && run.Status == store.StatusAwaitingApproval:
		return nil, fmt.Errorf("run %q awaits approval and has not started; reject it with `driftgate reject %s` instead: %w", id, id, api.ErrConflict)
	case errors.Is(err, store.ErrConflict) && run != nil:
		return nil, fmt.Errorf("run %q already finished (%s); nothing to cancel: %w", id, run.Status, api.ErrConflict)
	}
	return nil, err
}

func (s service) Ready(context.Context) error {
	if !s.d.ready.Load() {
		return errors.New("starting: the queue is being recovered")
	}
	return nil
}
