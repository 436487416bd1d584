package store

import (
	"context"
	"fmt"

	"go.etcd.io/bbolt"
)

// FinishRun records the end of a run in one transaction: the run record
// (its final status, summary and times), its plan when plan is not nil, and
// its log when log is not nil. Either everything is stored or nothing is, so
// a crash or a full disk never leaves a finished run without its plan.
func (s *Store) FinishRun(ctx context.Context, r *Run, plan *Plan, log []byte) error {
	run := *r
	key, err := parseRunID(run.ID)
	if err != nil {
		return fmt.Errorf("finish run: %w", err)
	}
	run.ID = formatRunID(key)
	if !run.Status.Valid() {
		return fmt.Errorf("finish run %s: %w: unknown status %q", run.ID, ErrInvalid, run.Status)
	}
	var pw *planWrite
	if plan != nil {
		plan.RunID = run.ID
		if pw, err = s.encodePlan(plan, key); err != nil {
			return fmt.Errorf("finish run %s: %w", run.ID, err)
		}
	}
	var zlog []byte
	if log != nil {
		if zlog, err = compress(log); err != nil {
			return fmt.Errorf("finish run %s: log: %w", run.ID, err)
		}
	}
	err = s.update(ctx, func(tx *bbolt.Tx) error {
		if err := updateRun(tx, key, &run); err != nil {
			return err
		}
		if pw != nil {
			if err := pw.put(tx, key); err != nil {
				return err
			}
		}
		if zlog != nil {
			logs := tx.Bucket(logsBucket)
			logs.FillPercent = mostlyAppendFillPercent
			if err := logs.Put(key, zlog); err != nil {
				return fmt.Errorf("write log (%d bytes): %w", len(zlog), err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("finish run %s: %w", run.ID, err)
	}
	if pw != nil {
		plan.SHA256, plan.FileSize = pw.meta.SHA256, pw.meta.FileSize
	}
	*r = run
	return nil
}
