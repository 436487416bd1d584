package store

import (
	"context"
	"fmt"

	"go.etcd.io/bbolt"
)

// The durable queue is the set of runs not yet finished (queued, awaiting
// approval, running), indexed in active_runs, oldest first. Queued runs
// survive a restart. What may be queued, claimed, canceled or interrupted
// is the runner's rule (runner/transitions.go), run inside Enqueue,
// UpdateRun and UpdateActiveRuns.

// Enqueue stores r as a new queued run and, in the same transaction,
// applies change to every older queued run of the same stack, oldest
// first, as UpdateStackRuns does; r has its ID when change runs. It
// returns the runs change changed. r keeps its ID when it has one (as
// CreateRun does) and is left as it was unless the run was stored.
func (s *Store) Enqueue(ctx context.Context, r *Run, change RunChange) ([]Run, error) {
	given := *r
	run := *r
	if err := checkStackKey(run.Repo, run.Stack); err != nil {
		return nil, fmt.Errorf("enqueue run: %w", err)
	}
	run.Status = StatusQueued
	var key []byte
	if run.ID != "" {
		k, err := parseRunID(run.ID)
		if err != nil {
			return nil, fmt.Errorf("enqueue run: %w", err)
		}
		key, run.ID = k, formatRunID(k)
	}
	var changed []Run
	var pruned int
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		var err error
		if pruned, err = s.createRun(tx, key, &run); err != nil {
			return err
		}
		auditRunCreated(ctx, run.ID)
		newKey, err := parseRunID(run.ID)
		if err != nil {
			return err
		}
		*r = run
		changed, err = changeStackRuns(tx, run.Repo, run.Stack, []RunStatus{StatusQueued}, newKey, change)
		return err
	})
	if err != nil {
		auditRunUncreated(ctx, run.ID)
		*r = given
		return nil, fmt.Errorf("enqueue run for stack %s/%s: %w", repoKey(run.Repo), run.Stack, err)
	}
	*r = run
	s.logPruned(&run, pruned)
	return changed, nil
}

// ActiveRuns returns the runs not yet finished (queued, awaiting approval,
// running), oldest first. A run whose
// record does not decode is skipped and logged: it cannot be run, and must
// not stop the others.
func (s *Store) ActiveRuns(ctx context.Context) ([]Run, error) {
	var out []Run
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(activeRunsBucket).ForEach(func(k, _ []byte) error {
			run, err := getRun(tx, k)
			if err != nil {
				s.skipUnreadable(runsBucket, formatRunID(k), err)
				return nil
			}
			out = append(out, *run)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list active runs: %w", err)
	}
	return out, nil
}
