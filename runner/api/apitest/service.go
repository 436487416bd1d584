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

	"github.com/driftgate/driftgate/runner/api"
	"github.com/driftgate/driftgate/store"
)

// Service is an api.Service that answers from a real store in a temporary
// directory, for tests of how the handler reads and encodes stored data
// (seeded with Seed, SeedDrift, SeedState). It records the run filters it
// is asked for and can be made to fail or to be unready. It decides
// nothing: it has no apply gate (see nogate.go), queues runs without the
// daemon's checks and cancels nothing; tests of what the daemon does start
// it with runner/runnertest.
type Service struct {
	// Store is the store the Service reads and writes.
	Store *store.Store

	mu       sync.Mutex
	err      error
	readyErr error
	filters  []store.RunFilter
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
	return &Service{Store: st}
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

// Run implements api.Service.
func (s *Service) Run(ctx context.Context, id string) (*store.Run, error) {
	if err := s.failure(); err != nil {
		return nil, err
	}
	return s.Store.GetRun(ctx, id)
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

// TriggerPlan implements api.Service: it stores a queued manual plan at
// the repo's last commit, triggered by the principal in ctx.
func (s *Service) TriggerPlan(ctx context.Context, repo, stack string) (*store.Run, error) {
	return s.queue(ctx, repo, stack, store.OperationPlan)
}

// queue stores a queued manual run of operation op at the repo's last
// commit, triggered by the principal in ctx.
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
	return run, nil
}

// CancelRun implements api.Service: it answers the run as stored, changing
// nothing.
func (s *Service) CancelRun(ctx context.Context, id string) (*store.Run, error) {
	return s.Run(ctx, id)
}

// Ready implements api.Service.
func (s *Service) Ready(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.readyErr
}
