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
			return nil, &api.HintedError{Msg: fmt.Sprintf("repo %q is not configured", repo), Hint: api.HintRepos, Err: api.ErrNotFound}
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
		return nil, &api.HintedError{Msg: fmt.Sprintf("run %q not found", id), Hint: api.HintRuns, Err: api.ErrNotFound}
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

// CancelRun cancels a queued run at once and interrupts a running one,
// recorded in the audit log with the cancel's write, or, for a running
// run, before it is interrupted: when the entry cannot be written, nothing
// is canceled (ErrUnavailable). A run whose process has ended but whose
// outcome cannot be written yet is not canceled: nothing is left to
// interrupt.
func (s service) CancelRun(ctx context.Context, id string) (*store.Run, error) {
	run, err := s.Run(ctx, id)
	if err != nil {
		return nil, err
	}
	switch run.Status {
	case store.StatusQueued:
	case store.StatusRunning:
		return s.interrupt(ctx, run)
	default:
		return nil, cancelConflict(run)
	}
	out, err := cancelQueued(s.d.withAudit(ctx, store.AuditCancel, run, "canceled before it started"), s.d.store, id, "canceled through the API before it started")
	switch {
	case err == nil:
		s.d.logger.Info("run canceled", logRun, id)
		return out, nil
	case errors.Is(err, store.ErrConflict) && out != nil && out.Status == store.StatusRunning:
		return s.interrupt(ctx, out) // claimed meanwhile
	case errors.Is(err, store.ErrConflict) && out != nil:
		return nil, cancelConflict(out)
	}
	return nil, s.d.writeFailed(err, "run "+id+" was not canceled")
}

// interrupt cancels running run, recorded in the audit log first.
func (s service) interrupt(ctx context.Context, run *store.Run) (*store.Run, error) {
	if s.d.disp.unrecorded(run.ID) != nil {
		return nil, unrecordedError(run.ID)
	}
	if err := s.d.auditFirst(ctx, store.AuditCancel, run, "interrupting the running run"); err != nil {
		return nil, err
	}
	running, unrecorded := s.d.disp.cancel(run.ID)
	if !running {
		// Another node of the cluster may run it.
		elsewhere, err := s.d.cancelElsewhere(ctx, run)
		if err != nil {
			s.d.notDone(ctx, store.AuditCancel, run, store.AuditFailed, err)
			return nil, fmt.Errorf("%w: %w", err, api.ErrUnavailable)
		}
		running = elsewhere
	}
	switch {
	case unrecorded != nil:
		s.d.notDone(ctx, store.AuditCancel, run, store.AuditFailed, errors.New("the run had ended; its outcome is being recorded"))
		return nil, unrecordedError(run.ID)
	case !running:
		s.d.notDone(ctx, store.AuditCancel, run, store.AuditFailed, errors.New("the run had ended"))
		return nil, fmt.Errorf("run %q is finishing; try again: %w", run.ID, api.ErrConflict)
	}
	s.d.logger.Info("canceling running run", logRun, run.ID)
	return run, nil
}

// cancelConflict is why run, neither queued nor running, is not canceled.
func cancelConflict(run *store.Run) error {
	if run.Status == store.StatusAwaitingApproval {
		return fmt.Errorf("run %q awaits approval and has not started; reject it with `driftgate reject %s` instead: %w", run.ID, run.ID, api.ErrConflict)
	}
	return fmt.Errorf("run %q already finished (%s); nothing to cancel: %w", run.ID, run.Status, api.ErrConflict)
}

// unrecordedError is why run id, ended but not recorded, is not canceled.
func unrecordedError(id string) error {
	return fmt.Errorf("run %q has ended (no process runs it) but its outcome cannot be recorded yet (%s); driftgate retries the write and "+
		"the run reads as finished once it succeeds; nothing to cancel: %w", id, errStoreWrite, api.ErrUnavailable)
}

// Ready reports why the daemon cannot take work: it is starting, or the
// store cannot write.
func (s service) Ready(context.Context) error {
	if !s.d.ready.Load() {
		return errors.New("starting: the queue is being recovered")
	}
	if s.d.cl != nil {
		if err := s.d.cl.unhealthy(); err != nil {
			return err
		}
	}
	return s.d.health.err()
}
