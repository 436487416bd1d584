package store

import (
	"context"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// The durable queue is the set of runs not yet finished (queued, awaiting
// approval, running),
// indexed in active_runs, oldest first. Queued runs survive a restart; runs
// found running at start-up were cut off by a crash and are marked
// interrupted (InterruptRunning), never resumed or run twice.

// EnqueueRun stores r as a new queued run and, in the same transaction,
// marks every older queued run of the same stack it supersedes (see
// Run.Supersedes) superseded by it. It returns the ids of the superseded runs.
func (s *Store) EnqueueRun(ctx context.Context, r *Run) ([]string, error) {
	changed, err := s.Enqueue(ctx, r, func(old *Run) (bool, error) {
		if !r.Supersedes(old) {
			return false, nil
		}
		old.Status = StatusSuperseded
		old.FinishedAt = time.Now().UTC()
		old.Error = fmt.Sprintf("superseded by run %s (%s)", r.ID, shortCommit(r.Commit))
		if old.Attrs == nil {
			old.Attrs = map[AttrKey]string{}
		}
		old.Attrs[AttrSupersededBy] = r.ID
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(changed))
	for i := range changed {
		ids[i] = changed[i].ID
	}
	return ids, nil
}

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

// ClaimRun moves a queued run to running, stamping StartedAt, and returns
// it. A run that is no longer queued (superseded, canceled, already taken)
// fails with ErrConflict, so no run is ever started twice.
func (s *Store) ClaimRun(ctx context.Context, id string) (*Run, error) {
	return s.transition(ctx, "claim run", id, func(run *Run) error {
		if run.Status != StatusQueued {
			return conflict("run %s is %s, not queued", run.ID, run.Status)
		}
		run.Status = StatusRunning
		run.StartedAt = time.Now().UTC()
		return nil
	})
}

// CancelQueued cancels a queued run at once. A running run is returned
// unchanged with ErrConflict wrapped in a message saying it is running (the
// caller interrupts it instead); a finished run fails with ErrConflict.
func (s *Store) CancelQueued(ctx context.Context, id, reason string) (*Run, error) {
	return s.transition(ctx, "cancel run", id, func(run *Run) error {
		if run.Status != StatusQueued {
			return conflict("run %s is %s", run.ID, run.Status)
		}
		run.Status = StatusCanceled
		run.FinishedAt = time.Now().UTC()
		run.Error = reason
		return nil
	})
}

// InterruptRunning marks every run that is still running as interrupted,
// with reason as its error, and returns them. Called at start-up: those runs
// belonged to a process that died. A run whose record does not decode is
// skipped and logged, so that it does not keep the daemon from starting.
func (s *Store) InterruptRunning(ctx context.Context, reason string) ([]Run, error) {
	now := time.Now().UTC()
	out, err := s.UpdateActiveRuns(ctx, func(run *Run) (bool, error) {
		if run.Status != StatusRunning {
			return false, nil
		}
		run.Status = StatusInterrupted
		run.FinishedAt = now
		run.Error = reason
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("interrupt running runs: %w", err)
	}
	return out, nil
}

// transition applies change to the stored run id in one transaction; change
// returns an error to refuse.
func (s *Store) transition(ctx context.Context, what, id string, change func(*Run) error) (*Run, error) {
	run, err := s.UpdateRun(ctx, id, change)
	if err != nil {
		return run, fmt.Errorf("%s: %w", what, err)
	}
	return run, nil
}

func shortCommit(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	if c == "" {
		return "no commit"
	}
	return c
}
