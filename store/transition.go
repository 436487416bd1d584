package store

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"

	"go.etcd.io/bbolt"
)

// The transactional primitives below are how a caller changes runs by a
// rule of its own: the store reads the runs, hands each to change inside
// one transaction and writes back what change changed. Rules (who may
// approve, what supersedes what, which status follows which) belong to
// the caller; the store keeps its indexes consistent and never half-writes
// a transaction.

// RunChange changes run in place and reports whether it changed it; an
// error refuses the whole transaction.
type RunChange func(run *Run) (changed bool, err error)

// UpdateRun applies change to the stored run id in one transaction and
// writes the result. When change returns an error nothing is written, and
// UpdateRun returns the run as found with the error wrapped (errors.Is
// still matches ErrConflict and the like). Unknown ids fail with
// ErrNotFound, a run changed to an unknown status or to another stack with
// ErrInvalid.
func (s *Store) UpdateRun(ctx context.Context, id string, change func(*Run) error) (*Run, error) {
	key, err := parseRunID(id)
	if err != nil {
		return nil, fmt.Errorf("update run: %w", err)
	}
	var out *Run
	err = s.update(ctx, func(tx *bbolt.Tx) error {
		run, err := getRun(tx, key)
		if err != nil {
			return err
		}
		found := cloneRun(run)
		if err := change(run); err != nil {
			out = found
			return err
		}
		if err := checkChanged(found, run); err != nil {
			out = found
			return err
		}
		if err := putRun(tx, key, run); err != nil {
			return err
		}
		out = run
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("update run %s: %w", formatRunID(key), err)
	}
	return out, nil
}

// UpdateStackRuns applies change, in one transaction, to every run of the
// stack repo/stack whose status is one of statuses, oldest first, and
// writes the runs change changed. It returns those, oldest first.
func (s *Store) UpdateStackRuns(ctx context.Context, repo, stack string, statuses []RunStatus, change RunChange) ([]Run, error) {
	if err := checkStackKey(repo, stack); err != nil {
		return nil, fmt.Errorf("update runs: %w", err)
	}
	var out []Run
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		var err error
		out, err = changeStackRuns(tx, repo, stack, statuses, nil, change)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("update runs of stack %s/%s: %w", repoKey(repo), stack, err)
	}
	return out, nil
}

// UpdateActiveRuns applies change, in one transaction, to every run not yet
// finished (queued, awaiting approval, running), oldest first, and writes
// the runs change changed. It returns those. A run whose record does not
// decode is skipped and logged, so that one damaged record does not stop
// the rest.
func (s *Store) UpdateActiveRuns(ctx context.Context, change RunChange) ([]Run, error) {
	var out []Run
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		out = nil
		var keys [][]byte
		err := tx.Bucket(activeRunsBucket).ForEach(func(k, _ []byte) error {
			keys = append(keys, bytes.Clone(k))
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range keys {
			run, err := getRun(tx, k)
			if err != nil {
				s.skipUnreadable(runsBucket, formatRunID(k), err)
				continue
			}
			changed, err := applyChange(run, change)
			if err != nil || !changed {
				if err != nil {
					return err
				}
				continue
			}
			if err := putRun(tx, k, run); err != nil {
				return err
			}
			out = append(out, *run)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("update active runs: %w", err)
	}
	return out, nil
}

// changeStackRuns is UpdateStackRuns inside tx, skipping the run at skip.
func changeStackRuns(tx *bbolt.Tx, repo, stack string, statuses []RunStatus, skip []byte, change RunChange) ([]Run, error) {
	idx := tx.Bucket(runsByStackBucket).Bucket(stackKey(repo, stack))
	if idx == nil {
		return nil, nil
	}
	var keys [][]byte
	c := idx.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if slices.Contains(statuses, RunStatus(v)) && !bytes.Equal(k, skip) {
			keys = append(keys, bytes.Clone(k))
		}
	}
	var out []Run
	for _, k := range keys {
		run, err := getRun(tx, k)
		if err != nil {
			return nil, err
		}
		changed, err := applyChange(run, change)
		if err != nil {
			return nil, err
		}
		if !changed {
			continue
		}
		if err := putRun(tx, k, run); err != nil {
			return nil, err
		}
		out = append(out, *run)
	}
	return out, nil
}

// applyChange runs change on run and checks what it changed.
func applyChange(run *Run, change RunChange) (bool, error) {
	found := cloneRun(run)
	changed, err := change(run)
	if err != nil || !changed {
		*run = *found
		return false, err
	}
	return true, checkChanged(found, run)
}

// checkChanged refuses a change that moves a run to another stack, renames
// it or gives it an unknown status.
func checkChanged(old, run *Run) error {
	switch {
	case run.ID != old.ID:
		return fmt.Errorf("%w: cannot rename run %s to %q", ErrInvalid, old.ID, run.ID)
	case repoKey(old.Repo) != repoKey(run.Repo) || old.Stack != run.Stack:
		return fmt.Errorf("%w: cannot move run %s from stack %s/%s to %s/%s", ErrInvalid, old.ID,
			repoKey(old.Repo), old.Stack, repoKey(run.Repo), run.Stack)
	case !run.Status.Valid():
		return fmt.Errorf("%w: run %s: unknown status %q", ErrInvalid, old.ID, run.Status)
	}
	return nil
}

// cloneRun copies run deeply enough that a change to the copy leaves run
// as it was.
func cloneRun(run *Run) *Run {
	c := *run
	if run.Summary != nil {
		s := *run.Summary
		c.Summary = &s
	}
	if run.Binding != nil {
		b := *run.Binding
		c.Binding = &b
	}
	c.Approvals = slices.Clone(run.Approvals)
	c.Attrs = maps.Clone(run.Attrs)
	return &c
}
