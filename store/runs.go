package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// CreateRun stores a new run. It assigns r.ID (when empty) from the
// process's monotonic ULID source, sets r.CreatedAt (when zero) and r.Status
// (when empty, to StatusQueued), indexes the run under its stack and, in the
// same transaction, prunes that stack's finished runs beyond
// Options.Retention. r is updated only if the run was stored. A given r.ID
// that is already stored fails with ErrExists.
func (s *Store) CreateRun(ctx context.Context, r *Run) error {
	run := *r
	if err := checkStackKey(run.Repo, run.Stack); err != nil {
		return fmt.Errorf("create run: %w", err)
	}
	if run.Status == "" {
		run.Status = StatusQueued
	}
	if !run.Status.Valid() {
		return fmt.Errorf("create run: %w: unknown status %q", ErrInvalid, run.Status)
	}
	var key []byte
	if run.ID != "" {
		k, err := parseRunID(run.ID)
		if err != nil {
			return fmt.Errorf("create run: %w", err)
		}
		key, run.ID = k, formatRunID(k)
	}

	var pruned int
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		var err error
		pruned, err = s.createRun(tx, key, &run)
		return err
	})
	if err != nil {
		return fmt.Errorf("create run for stack %s/%s: %w", repoKey(run.Repo), run.Stack, err)
	}
	*r = run
	s.logPruned(&run, pruned)
	return nil
}

// createRun stores run under key (a new id when key is nil) and prunes its
// stack, inside tx. Ids are made inside the write transaction, which bbolt
// serializes, so they are also in commit order.
func (s *Store) createRun(tx *bbolt.Tx, key []byte, run *Run) (int, error) {
	now := time.Now().UTC()
	if key == nil {
		id, err := s.ids.next(now)
		if err != nil {
			return 0, err
		}
		key, run.ID = id[:], id.String()
	}
	if run.CreatedAt.IsZero() {
		run.CreatedAt = now
	}
	if tx.Bucket(runsBucket).Get(key) != nil {
		return 0, fmt.Errorf("run %s: %w", run.ID, ErrExists)
	}
	if err := putRun(tx, key, run); err != nil {
		return 0, err
	}
	return s.pruneStack(tx, run.Repo, run.Stack)
}

func (s *Store) logPruned(run *Run, pruned int) {
	if pruned > 0 {
		s.logger.Debug("pruned old runs", logKeyRepo, repoKey(run.Repo), logKeyStack, run.Stack, logKeyDeleted, pruned)
	}
}

// SaveRun replaces the stored run r.ID with r. The run must exist
// (ErrNotFound otherwise) and keep its repo and stack (ErrInvalid otherwise);
// a zero r.CreatedAt keeps the stored one.
func (s *Store) SaveRun(ctx context.Context, r *Run) error {
	run := *r
	key, err := parseRunID(run.ID)
	if err != nil {
		return fmt.Errorf("save run: %w", err)
	}
	run.ID = formatRunID(key)
	if !run.Status.Valid() {
		return fmt.Errorf("save run %s: %w: unknown status %q", run.ID, ErrInvalid, run.Status)
	}
	err = s.update(ctx, func(tx *bbolt.Tx) error {
		return updateRun(tx, key, &run)
	})
	if err != nil {
		return fmt.Errorf("save run %s: %w", run.ID, err)
	}
	*r = run
	return nil
}

// GetRun returns the run with the given id. Unknown and malformed ids fail
// with ErrNotFound; malformed ones also match ErrInvalid.
func (s *Store) GetRun(ctx context.Context, id string) (*Run, error) {
	key, err := parseRunID(id)
	if err != nil {
		return nil, fmt.Errorf("get run: %w: %w", ErrNotFound, err)
	}
	var run *Run
	err = s.view(ctx, func(tx *bbolt.Tx) error {
		run, err = getRun(tx, key)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("get run %s: %w", id, err)
	}
	return run, nil
}

// LatestRun returns the run of a stack with the highest id, whatever its
// status, or ErrNotFound if the stack has none: the most recently created
// one, unless a run was created with an older id given. An empty repo means LocalRepo.
func (s *Store) LatestRun(ctx context.Context, repo, stack string) (*Run, error) {
	if err := checkStackKey(repo, stack); err != nil {
		return nil, fmt.Errorf("latest run: %w", err)
	}
	var run *Run
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		idx := tx.Bucket(runsByStackBucket).Bucket(stackKey(repo, stack))
		if idx == nil {
			return ErrNotFound
		}
		key, _ := idx.Cursor().Last()
		if key == nil {
			return ErrNotFound
		}
		var err error
		run, err = getRun(tx, key)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("latest run of stack %s/%s: %w", repoKey(repo), stack, err)
	}
	return run, nil
}

// getRun decodes the run stored under key; decoding copies it out of bbolt's
// memory.
func getRun(tx *bbolt.Tx, key []byte) (*Run, error) {
	v := tx.Bucket(runsBucket).Get(key)
	if v == nil {
		return nil, ErrNotFound
	}
	var run Run
	if err := json.Unmarshal(v, &run); err != nil {
		return nil, fmt.Errorf("decode run %s: %w", formatRunID(key), err)
	}
	return &run, nil
}

// putRun writes run and its index entries: the stack index, whose value is
// the status so that retention and the queue need not decode runs, the
// repo, status and operation indexes (runindex.go), and the queue.
func putRun(tx *bbolt.Tx, key []byte, run *Run) error {
	v, err := json.Marshal(run)
	if err != nil {
		return fmt.Errorf("encode run: %w", err)
	}
	runs := tx.Bucket(runsBucket)
	runs.FillPercent = mostlyAppendFillPercent
	if err := runs.Put(key, v); err != nil {
		return fmt.Errorf("write run (%d bytes): %w", len(v), err)
	}
	idx, err := tx.Bucket(runsByStackBucket).CreateBucketIfNotExists(stackKey(run.Repo, run.Stack))
	if err != nil {
		return fmt.Errorf("create run index of stack %s/%s: %w", repoKey(run.Repo), run.Stack, err)
	}
	idx.FillPercent = appendFillPercent
	if err := idx.Put(key, []byte(run.Status)); err != nil {
		return fmt.Errorf("write run index: %w", err)
	}
	if err := indexRun(tx, key, run); err != nil {
		return err
	}
	active := tx.Bucket(activeRunsBucket)
	if run.Status.Terminal() {
		if err := active.Delete(key); err != nil {
			return fmt.Errorf("write queue index: %w", err)
		}
		return nil
	}
	if err := active.Put(key, []byte(run.Status)); err != nil {
		return fmt.Errorf("write queue index: %w", err)
	}
	return nil
}

// updateRun replaces the stored run at key, which must exist and keep its
// repo and stack.
func updateRun(tx *bbolt.Tx, key []byte, run *Run) error {
	old, err := getRun(tx, key)
	if err != nil {
		return err
	}
	if repoKey(old.Repo) != repoKey(run.Repo) || old.Stack != run.Stack {
		return fmt.Errorf("%w: cannot move run from stack %s/%s to %s/%s", ErrInvalid,
			repoKey(old.Repo), old.Stack, repoKey(run.Repo), run.Stack)
	}
	if run.CreatedAt.IsZero() {
		run.CreatedAt = old.CreatedAt
	}
	return putRun(tx, key, run)
}
