package apitest

import (
	"context"
	"fmt"

	"github.com/driftgate/driftgate/runner/api"
	"github.com/driftgate/driftgate/store"
)

// errNoGate is what the gate methods of Service answer: it has no apply
// gate. Test the gate through the real daemon (runner/runnertest).
var errNoGate = fmt.Errorf("apitest.Service has no apply gate; start the daemon with runnertest: %w", api.ErrConflict)

// ApproveRun implements api.Service: it answers errNoGate.
func (s *Service) ApproveRun(context.Context, string, string) (*store.Run, error) {
	return nil, s.gateErr()
}

// RejectRun implements api.Service: it answers errNoGate.
func (s *Service) RejectRun(context.Context, string, string) (*store.Run, error) {
	return nil, s.gateErr()
}

// ApplyRun implements api.Service: it answers errNoGate.
func (s *Service) ApplyRun(context.Context, string) (*store.Run, error) {
	return nil, s.gateErr()
}

// ReleaseStack implements api.Service: it answers errNoGate.
func (s *Service) ReleaseStack(context.Context, string, string, string) (*api.Release, error) {
	return nil, s.gateErr()
}

// Locks implements api.Service: no stack is locked.
func (s *Service) Locks(context.Context, string) ([]api.StackLock, error) {
	return []api.StackLock{}, s.failure()
}

// StackLock implements api.Service: the stack is free.
func (s *Service) StackLock(_ context.Context, repo, stack string) (*api.StackLock, error) {
	return &api.StackLock{Repo: repo, Stack: stack}, s.failure()
}

// gateErr is FailWith's error, else errNoGate.
func (s *Service) gateErr() error {
	if err := s.failure(); err != nil {
		return err
	}
	return errNoGate
}
