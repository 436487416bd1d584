package runner

import (
	"context"
	"errors"
	"fmt"

	"github.com/driftgate/driftgate/planner/statever"
	"github.com/driftgate/driftgate/runner/api"
	"github.com/driftgate/driftgate/store"
)

// StateVersions lists a stack's recorded state versions, newest first.
func (s service) StateVersions(ctx context.Context, repo, stack string, limit int) ([]store.StateVersion, error) {
	if _, err := s.stackRecord(ctx, repo, stack); err != nil {
		return nil, err
	}
	return s.d.store.ListStateVersions(ctx, repo, stack, limit)
}

// StateVersion returns one recorded state version with its redacted body.
func (s service) StateVersion(ctx context.Context, repo, stack string, serial uint64) (*store.StateVersion, error) {
	if _, err := s.stackRecord(ctx, repo, stack); err != nil {
		return nil, err
	}
	sv, err := s.d.store.GetStateVersion(ctx, repo, stack, serial)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &api.HintedError{Msg: fmt.Sprintf("stack %s/%s has no state version %d", repo, stack, serial),
			Hint: api.HintStateVersions(repo, stack), Err: api.ErrNotFound}
	}
	return sv, err
}

// StateDiff compares two recorded state versions, attribute by attribute.
func (s service) StateDiff(ctx context.Context, repo, stack string, from, to uint64) (*statever.Changes, error) {
	a, err := s.StateVersion(ctx, repo, stack, from)
	if err != nil {
		return nil, err
	}
	b, err := s.StateVersion(ctx, repo, stack, to)
	if err != nil {
		return nil, err
	}
	va, err := statever.Decode(a.Version)
	if err != nil {
		return nil, fmt.Errorf("state version %d: %w", from, err)
	}
	vb, err := statever.Decode(b.Version)
	if err != nil {
		return nil, fmt.Errorf("state version %d: %w", to, err)
	}
	c := statever.Diff(va, vb)
	return &c, nil
}
