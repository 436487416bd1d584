// Package apitest provides a hand-written api.Service over a real store, and
// a test server around api.NewHandler, for the tests of the API, its client
// and the CLI.
package apitest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/driftgate/driftgate/runner/api"
	"github.com/driftgate/driftgate/store"
)

// Service is an api.Service over a real store in a temporary directory. It
// records the run filters it is asked for, can be made to fail or to be
// unready, and can move runs along a script of statuses. Like the daemon, it
// records in the store's audit log what principals ask it to do: the plans
// and drift checks it queues and the cancels, done or not. It has no apply
// gate (see nogate.go): gate tests start the real daemon (runnertest).
type Service struct {
	// Store is the store the Service reads and writes.
	Store *store.Store

	mu       sync.Mutex
	err      error
	readyErr error
	filters  []store.RunFilter
	script   map[string][]store.RunStatus
	next     []store.RunStatus // the script of the next triggered run
}

var _ api.Service = (*Service)(nil)

// NewService returns a Service over a store opened in tb.TempDir and closed
// at cleanup.
func NewService(tb testing.TB) *Service {
	tb.Helper()
	st, err := store.Open(tb.TempDir(), store.Options{})
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() {
		if err := st.Close(); err != nil {
			tb.Errorf("close store: %v", err)
		}
	})
	return &Service{Store: st, script: make(map[string][]store.RunStatus)}
}

// FailWith makes every method but Ready return err; nil restores them.
func (s *Service) FailWith(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}

// SetReady makes Ready return err.
func (s *Service) SetReady(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.readyErr = err
}

// Filters returns the run filters Runs was called with, in order.
func (s *Service) Filters() []store.RunFilter {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]store.RunFilter(nil), s.filters...)
}

// Script makes each later call of Run(id) first move the run to the next of
// statuses, so a waiting client sees it progress. Terminal statuses set
// FinishedAt. A drift check moved to planned, no_changes or errored records
// the stack's drift state as the daemon does (see CheckDrift).
func (s *Service) Script(id string, statuses ...store.RunStatus) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script[id] = append(s.script[id], statuses...)
}

// ScriptTriggered gives the next run TriggerPlan or CheckDrift queues the
// script statuses (see Script).
func (s *Service) ScriptTriggered(statuses ...store.RunStatus) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next = append(s.next, statuses...)
}

// failure returns the error set by FailWith.
func (s *Service) failure() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Repos implements api.Service.
func (s *Service) Repos(ctx context.Context) ([]store.RepoRecord, error) {
	if err := s.failure(); err != nil {
		return nil, err
	}
	return s.Store.ListRepos(ctx)
}

// Stacks implements api.Service; an unknown repo is api.ErrNotFound.
func (s *Service) Stacks(ctx context.Context, repo string) ([]store.StackRecord, error) {
	if err := s.failure(); err != nil {
		return nil, err
	}
	if repo != "" {
		if _, err := s.Store.GetRepo(ctx, repo); errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("repo %q not found; list repos with GET /api/v1/repos: %w", repo, api.ErrNotFound)
		}
	}
	return s.Store.ListStacks(ctx, repo)
}

// Runs implements api.Service and records f.
func (s *Service) Runs(ctx context.Context, f store.RunFilter) ([]store.Run, string, error) {
	s.mu.Lock()
	s.filters = append(s.filters, f)
	s.mu.Unlock()
	if err := s.failure(); err != nil {
		return nil, "", err
	}
	return s.Store.ListRuns(ctx, f)
}

// Run implements api.Service, applying the run's script first.
func (s *Service) Run(ctx context.Context, id string) (*store.Run, error) {
	if err := s.failure(); err != nil {
		return nil, err
	}
	run, err := s.Store.GetRun(ctx, id)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	next, ok := store.RunStatus(""), len(s.script[run.ID]) > 0
	if ok {
		next, s.script[run.ID] = s.script[run.ID][0], s.script[run.ID][1:]
	}
	s.mu.Unlock()
	if !ok {
		return run, nil
	}
	run.Status = next
	if next.Terminal() {
		run.FinishedAt = time.Now().UTC()
	}
	if err := s.Store.UpdateRun(ctx, run); err != nil {
		return nil, err
	}
	if run.Operation == opDrift {
		if err := s.recordCheck(ctx, run); err != nil {
			return nil, err
		}
	}
	return run, nil
}

// Plan implements api.Service.
func (s *Service) Plan(ctx context.Context, id string) (*store.Plan, error) {
	if err := s.failure(); err != nil {
		return nil, err
	}
	return s.Store.GetPlan(ctx, id)
}

// Log implements api.Service.
func (s *Service) Log(ctx context.Context, id string) ([]byte, error) {
	if err := s.failure(); err != nil {
		return nil, err
	}
	return s.Store.GetLog(ctx, id)
}

// TriggerPlan implements api.Service: it queues a manual run at the repo's
// last commit, requested by the principal in ctx.
func (s *Service) TriggerPlan(ctx context.Context, repo, stack string) (*store.Run, error) {
	run, err := s.queue(ctx, repo, stack, "plan")
	s.audit(ctx, store.AuditPlan, repo, stack, run, err)
	return run, err
}

// audit appends to the audit log that the principal in ctx asked for
// action on repo/stack and got run or err: refused for api.ErrConflict
// (the state forbade it) and api.ErrForbidden (the stack's policy did),
// failed for other errors. Without a principal it records nothing.
func (s *Service) audit(ctx context.Context, action store.AuditAction, repo, stack string, run *store.Run, err error) {
	p, ok := api.PrincipalFromContext(ctx)
	if !ok {
		return
	}
	e := &store.AuditEntry{Actor: p.Name, Action: action, Repo: repo, Stack: stack, Result: store.AuditOK}
	if run != nil {
		e.Repo, e.Stack, e.RunID = run.Repo, run.Stack, run.ID
	}
	switch {
	case errors.Is(err, api.ErrConflict), errors.Is(err, api.ErrForbidden):
		e.Result, e.Detail = store.AuditRefused, err.Error()
	case err != nil:
		e.Result, e.Detail = store.AuditFailed, err.Error()
	}
	// The fake's log is best effort: a test that needs it reads it back.
	_ = s.Store.AppendAudit(context.WithoutCancel(ctx), e)
}

// queue queues a manual run of operation op at the repo's last commit,
// requested by the principal in ctx, and gives it the triggered script.
func (s *Service) queue(ctx context.Context, repo, stack string, op store.Operation) (*store.Run, error) {
	if err := s.failure(); err != nil {
		return nil, err
	}
	st, err := s.Store.GetStack(ctx, repo, stack)
	if err != nil {
		return nil, err
	}
	rec, err := s.Store.GetRepo(ctx, repo)
	if err != nil {
		return nil, err
	}
	if rec.LastCommit == "" {
		return nil, fmt.Errorf("repo %s has not been fetched yet; try again after its first sync: %w", repo, api.ErrConflict)
	}
	run := &store.Run{
		Repo: repo, Stack: stack, Dir: st.Dir, Commit: rec.LastCommit,
		Trigger: "manual", Operation: op, Status: store.StatusQueued,
	}
	if p, ok := api.PrincipalFromContext(ctx); ok {
		run.Attrs = map[store.AttrKey]string{store.AttrTriggeredBy: p.Name}
	}
	if err := s.Store.CreateRun(ctx, run); err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.script[run.ID], s.next = s.next, nil
	s.mu.Unlock()
	return run, nil
}

// CancelRun implements api.Service: a queued run is canceled, a running run
// gets Attrs["cancel_requested"], a finished run is api.ErrConflict.
func (s *Service) CancelRun(ctx context.Context, id string) (*store.Run, error) {
	run, err := s.cancel(ctx, id)
	if run == nil {
		run = &store.Run{ID: id}
	}
	s.audit(ctx, store.AuditCancel, "", "", run, err)
	if err != nil {
		return nil, err
	}
	return run, nil
}

// cancel does CancelRun's work. On a refusal it returns the run too.
func (s *Service) cancel(ctx context.Context, id string) (*store.Run, error) {
	if err := s.failure(); err != nil {
		return nil, err
	}
	run, err := s.Store.GetRun(ctx, id)
	if err != nil {
		return nil, err
	}
	switch run.Status {
	case store.StatusQueued:
		run.Status, run.FinishedAt = store.StatusCanceled, time.Now().UTC()
	case store.StatusRunning:
		if run.Attrs == nil {
			run.Attrs = make(map[store.AttrKey]string)
		}
		run.Attrs["cancel_requested"] = "true"
	default:
		return run, fmt.Errorf("run %s already finished as %s; there is nothing to cancel: %w", run.ID, run.Status, api.ErrConflict)
	}
	if err := s.Store.UpdateRun(ctx, run); err != nil {
		return nil, err
	}
	return run, nil
}

// Ready implements api.Service.
func (s *Service) Ready(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.readyErr
}
