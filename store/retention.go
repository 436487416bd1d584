package store

import (
	"bytes"
	"context"
	"fmt"

	"go.etcd.io/bbolt"
)

// Prune deletes the finished runs of a stack beyond the newest
// Options.Retention, with their plans and logs, and returns how many runs it
// deleted. Queued and running runs are never deleted and do not count
// against the limit. An empty repo means LocalRepo. CreateRun prunes the
// stack it adds to, so calling Prune is only needed after lowering the
// retention.
func (s *Store) Prune(ctx context.Context, repo, stack string) (int, error) {
	if err := checkStackKey(repo, stack); err != nil {
		return 0, fmt.Errorf("prune runs: %w", err)
	}
	var n int
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		var err error
		n, err = s.pruneStack(tx, repo, stack)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("prune runs of stack %s/%s: %w", repoKey(repo), stack, err)
	}
	if n > 0 {
		s.logger.Info("pruned old runs", logKeyRepo, repoKey(repo), logKeyStack, stack, logKeyDeleted, n)
	}
	return n, nil
}

// pruneStack applies retention to one stack inside tx. It reads only the
// stack's index, whose values are the run statuses.
func (s *Store) pruneStack(tx *bbolt.Tx, repo, stack string) (int, error) {
	if s.retention < 0 {
		return 0, nil
	}
	idx := tx.Bucket(runsByStackBucket).Bucket(stackKey(repo, stack))
	if idx == nil {
		return 0, nil
	}
	var doomed [][]byte
	kept := 0
	c := idx.Cursor()
	for k, v := c.Last(); k != nil; k, v = c.Prev() {
		if !RunStatus(v).Terminal() {
			continue
		}
		if kept < s.retention {
			kept++
			continue
		}
		// Collect first: deleting under a live cursor can skip keys.
		doomed = append(doomed, bytes.Clone(k))
	}
	for _, key := range doomed {
		if err := deleteRun(tx, idx, repo, key); err != nil {
			return 0, err
		}
	}
	return len(doomed), nil
}

// deleteRun removes a run of repo, its entries in the stack index idx and
// the other run indexes, its plan and its log.
func deleteRun(tx *bbolt.Tx, idx *bbolt.Bucket, repo string, key []byte) error {
	if err := idx.Delete(key); err != nil {
		return fmt.Errorf("delete run %s from index: %w", formatRunID(key), err)
	}
	if err := unindexRun(tx, key, repo); err != nil {
		return err
	}
	for _, name := range append([][]byte{runsBucket}, runBlobBuckets...) {
		if err := tx.Bucket(name).Delete(key); err != nil {
			return fmt.Errorf("delete run %s from %s: %w", formatRunID(key), name, err)
		}
	}
	return nil
}
