package store

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// The durable queue is the set of runs whose status is queued or running,
// indexed in active_runs, oldest first. Queued runs survive a restart; runs
// found running at start-up were cut off by a crash and are marked
// interrupted (InterruptRunning), never resumed or run twice.

// EnqueueRun stores r as a new queued run and, in the same transaction,
// marks every older queued run of the same stack it supersedes (see
// Run.Supersedes) superseded by it. It returns the ids of the superseded runs.
func (s *Store) EnqueueRun(ctx context.Context, r *Run) ([]string, error) {
	run := *r
	if err := checkStackKey(run.Repo, run.Stack); err != nil {
		return nil, fmt.Errorf("enqueue run: %w", err)
	}
	run.Status = StatusQueued
	var superseded []string
	var pruned int
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		superseded = nil
		idx := tx.Bucket(runsByStackBucket).Bucket(stackKey(run.Repo, run.Stack))
		var older [][]byte
		if idx != nil {
			c := idx.Cursor()
			for k, v := c.Last(); k != nil; k, v = c.Prev() {
				if RunStatus(v) == StatusQueued {
					older = append(older, bytes.Clone(k))
				}
			}
		}
		var err error
		if pruned, err = s.createRun(tx, nil, &run); err != nil {
			return err
		}
		auditRunCreated(ctx, run.ID)
		now := time.Now().UTC()
		for _, k := range older {
			old, err := getRun(tx, k)
			if err != nil {
				return err
			}
			if !run.Supersedes(old) {
				continue
			}
			old.Status = StatusSuperseded
			old.FinishedAt = now
			old.Error = fmt.Sprintf("superseded by run %s (%s)", run.ID, shortCommit(run.Commit))
			if old.Attrs == nil {
				old.Attrs = map[AttrKey]string{}
			}
			old.Attrs[AttrSupersededBy] = run.ID
			if err := putRun(tx, k, old); err != nil {
				return err
			}
			superseded = append(superseded, old.ID)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("enqueue run for stack %s/%s: %w", repoKey(run.Repo), run.Stack, err)
	}
	*r = run
	s.logPruned(&run, pruned)
	return superseded, nil
}

// ActiveRuns returns the queued and running runs, oldest first. A run whose
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
	var out []Run
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		out = nil
		var keys [][]byte
		err := tx.Bucket(activeRunsBucket).ForEach(func(k, v []byte) error {
			if RunStatus(v) == StatusRunning {
				keys = append(keys, bytes.Clone(k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		now := time.Now().UTC()
		for _, k := range keys {
			run, err := getRun(tx, k)
			if err != nil {
				s.skipUnreadable(runsBucket, formatRunID(k), err)
				continue
			}
			run.Status = StatusInterrupted
			run.FinishedAt = now
			run.Error = reason
			if err := putRun(tx, k, run); err != nil {
				return err
			}
			out = append(out, *run)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("interrupt running runs: %w", err)
	}
	return out, nil
}

// transition applies change to the stored run id in one transaction; change
// returns an error to refuse.
func (s *Store) transition(ctx context.Context, what, id string, change func(*Run) error) (*Run, error) {
	key, err := parseRunID(id)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	var out *Run
	err = s.update(ctx, func(tx *bbolt.Tx) error {
		run, err := getRun(tx, key)
		if err != nil {
			return err
		}
		if err := change(run); err != nil {
			out = run
			return err
		}
		if err := putRun(tx, key, run); err != nil {
			return err
		}
		out = run
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("%s %s: %w", what, id, err)
	}
	return out, nil
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
