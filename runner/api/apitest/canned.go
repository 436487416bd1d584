package apitest

import (
	"context"
	"sync"

	"github.com/driftgate/driftgate/planner/statever"
	"github.com/driftgate/driftgate/runner/api"
	"github.com/driftgate/driftgate/store"
)

// Canned is an api.Service that decides nothing: every method but Ready
// answers Err when it is set, else Answer (the methods answering a run, or a
// release's plan) or an empty answer. Tests of how the handler maps a
// Service's answers use it; tests of what the daemon answers start the
// real daemon (runner/runnertest).
type Canned struct {
	// Err is what every method but Ready answers, when set.
	Err error
	// Answer is the run the methods answering one answer.
	Answer *store.Run
	// Later, when set, is what Run answers instead of Answer: the run as
	// it ended, for a client that waits.
	Later *store.Run
	// ReadyErr is what Ready answers.
	ReadyErr error

	mu      sync.Mutex
	filters []store.RunFilter
}

// Filters returns the run filters Runs was called with, in order.
func (c *Canned) Filters() []store.RunFilter {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]store.RunFilter(nil), c.filters...)
}

var _ api.Service = (*Canned)(nil)

func (c *Canned) run() (*store.Run, error) {
	if c.Err != nil {
		return nil, c.Err
	}
	return c.Answer, nil
}

// Repos implements api.Service.
func (c *Canned) Repos(context.Context) ([]store.RepoRecord, error) { return nil, c.Err }

// Stacks implements api.Service.
func (c *Canned) Stacks(context.Context, string) ([]store.StackRecord, error) { return nil, c.Err }

// Runs implements api.Service and records f.
func (c *Canned) Runs(_ context.Context, f store.RunFilter) ([]store.Run, string, error) {
	c.mu.Lock()
	c.filters = append(c.filters, f)
	c.mu.Unlock()
	return nil, "", c.Err
}

// Run implements api.Service.
func (c *Canned) Run(context.Context, string) (*store.Run, error) {
	if c.Err == nil && c.Later != nil {
		return c.Later, nil
	}
	return c.run()
}

// Plan implements api.Service.
func (c *Canned) Plan(context.Context, string) (*store.Plan, error) { return &store.Plan{}, c.Err }

// Log implements api.Service.
func (c *Canned) Log(context.Context, string) ([]byte, error) { return nil, c.Err }

// TriggerPlan implements api.Service.
func (c *Canned) TriggerPlan(context.Context, string, string) (*store.Run, error) { return c.run() }

// CancelRun implements api.Service.
func (c *Canned) CancelRun(context.Context, string) (*store.Run, error) { return c.run() }

// Drift implements api.Service.
func (c *Canned) Drift(context.Context, string) ([]api.StackDriftView, error) { return nil, c.Err }

// StackDrift implements api.Service.
func (c *Canned) StackDrift(_ context.Context, repo, stack string, _ int) (*api.StackDriftView, error) {
	return &api.StackDriftView{StackDrift: store.StackDrift{Repo: repo, Stack: stack, Status: store.DriftUnknown}}, c.Err
}

// CheckDrift implements api.Service.
func (c *Canned) CheckDrift(context.Context, string, string) (*store.Run, error) { return c.run() }

// StateVersions implements api.Service.
func (c *Canned) StateVersions(context.Context, string, string, int) ([]store.StateVersion, error) {
	return nil, c.Err
}

// StateVersion implements api.Service.
func (c *Canned) StateVersion(context.Context, string, string, uint64) (*store.StateVersion, error) {
	return &store.StateVersion{}, c.Err
}

// StateDiff implements api.Service.
func (c *Canned) StateDiff(context.Context, string, string, uint64, uint64) (*statever.Changes, error) {
	return &statever.Changes{}, c.Err
}

// ApproveRun implements api.Service.
func (c *Canned) ApproveRun(context.Context, string, string) (*store.Run, error) { return c.run() }

// RejectRun implements api.Service.
func (c *Canned) RejectRun(context.Context, string, string) (*store.Run, error) { return c.run() }

// ApplyRun implements api.Service.
func (c *Canned) ApplyRun(context.Context, string) (*store.Run, error) { return c.run() }

// Locks implements api.Service.
func (c *Canned) Locks(context.Context, string) ([]api.StackLock, error) { return nil, c.Err }

// StackLock implements api.Service.
func (c *Canned) StackLock(_ context.Context, repo, stack string) (*api.StackLock, error) {
	return &api.StackLock{Repo: repo, Stack: stack}, c.Err
}

// ReleaseStack implements api.Service.
func (c *Canned) ReleaseStack(context.Context, string, string, string) (*api.Release, error) {
	if c.Err != nil {
		return nil, c.Err
	}
	return &api.Release{Plan: c.Answer}, nil
}

// Ready implements api.Service.
func (c *Canned) Ready(context.Context) error { return c.ReadyErr }
