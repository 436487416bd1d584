package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/driftgate/driftgate/store"
)

// UpdateRun applies change to the stored run id in one transaction, its
// stack's lock held and its row locked (SELECT ... FOR UPDATE), and writes
// the result, as
// store.Store.UpdateRun does. When change returns an error, or the write
// would make a second running run of the stack (store.ErrConflict),
// nothing is written and UpdateRun returns the run as found with the error
// wrapped. Unknown ids fail with store.ErrNotFound, a run changed to an
// unknown status or to another stack with store.ErrInvalid.
func (s *Store) UpdateRun(ctx context.Context, id string, change func(*store.Run) error) (*store.Run, error) {
	canon, err := store.ParseRunID(id)
	if err != nil {
		return nil, fmt.Errorf("update run: %w", err)
	}
	var found, out *store.Run
	err = s.tx(ctx, func(tx pgx.Tx) error {
		if err := lockRunStack(ctx, tx, canon); err != nil {
			return err
		}
		run, err := getRun(ctx, tx, canon, true)
		if err != nil {
			return err
		}
		found = store.CloneRun(run)
		if err := change(run); err != nil {
			return err
		}
		if err := store.CheckRunChange(found, run); err != nil {
			return err
		}
		if err := writeRun(ctx, tx, run); err != nil {
			return err
		}
		out = run
		return nil
	})
	if err != nil {
		return found, fmt.Errorf("update run %s: %w", canon, err)
	}
	return out, nil
}

// UpdateStackRuns applies change, in one transaction holding the stack's
// lock, to every run of the stack repo/stack whose status is one of
// statuses, oldest first, and writes the runs change changed. It returns
// those, oldest first.
func (s *Store) UpdateStackRuns(ctx context.Context, repo, stack string, statuses []store.RunStatus, change store.RunChange) ([]store.Run, error) {
	if err := store.CheckStackKey(repo, stack); err != nil {
		return nil, fmt.Errorf("update runs: %w", err)
	}
	var out []store.Run
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if err := lockStack(ctx, tx, repo, stack); err != nil {
			return err
		}
		var err error
		out, err = s.changeRuns(ctx, tx, `SELECT id, data FROM runs
			WHERE repo = $1 AND stack = $2 AND status = ANY($3) AND id <> $4 ORDER BY id FOR UPDATE`,
			[]any{store.RepoKey(repo), stack, statusStrings(statuses), ""}, change, false)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("update runs of stack %s/%s: %w", store.RepoKey(repo), stack, err)
	}
	return out, nil
}

// UpdateActiveRuns applies change, in one transaction holding the locks of
// their stacks, to every run not yet finished (queued, awaiting approval,
// running), oldest first, and writes
// the runs change changed. It returns those. A run whose record does not
// decode is skipped and logged.
func (s *Store) UpdateActiveRuns(ctx context.Context, change store.RunChange) ([]store.Run, error) {
	var out []store.Run
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if err := lockLiveStacks(ctx, tx); err != nil {
			return err
		}
		var err error
		out, err = s.changeRuns(ctx, tx, "SELECT id, data FROM runs WHERE status = ANY($1) ORDER BY id FOR UPDATE",
			[]any{liveStatuses}, change, true)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("update active runs: %w", err)
	}
	return out, nil
}

// lockLiveStacks takes the locks of the stacks that have live runs, in
// one order (by repo and stack) so that two sweeps cannot deadlock.
func lockLiveStacks(ctx context.Context, tx pgx.Tx) error {
	rows, err := tx.Query(ctx, "SELECT DISTINCT repo, stack FROM runs WHERE status = ANY($1) ORDER BY repo, stack", liveStatuses)
	if err != nil {
		return err
	}
	var stacks [][2]string
	for rows.Next() {
		var k [2]string
		if err := rows.Scan(&k[0], &k[1]); err != nil {
			rows.Close()
			return err
		}
		stacks = append(stacks, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, k := range stacks {
		if err := lockStack(ctx, tx, k[0], k[1]); err != nil {
			return err
		}
	}
	return nil
}

// Enqueue stores r as a new queued run and, in the same transaction
// holding the stack's lock, applies change to every older queued run of
// the same stack, oldest first; r has its ID when change runs. It returns
// the runs change changed. r keeps its ID when it has one (as CreateRun
// does) and is left as it was unless the run was stored.
func (s *Store) Enqueue(ctx context.Context, r *store.Run, change store.RunChange) ([]store.Run, error) {
	given := *r
	run := *r
	if err := store.CheckStackKey(run.Repo, run.Stack); err != nil {
		return nil, fmt.Errorf("enqueue run: %w", err)
	}
	run.Status = store.StatusQueued
	if run.ID != "" {
		id, err := store.ParseRunID(run.ID)
		if err != nil {
			return nil, fmt.Errorf("enqueue run: %w", err)
		}
		run.ID = id
	}
	var changed []store.Run
	var pruned int
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var err error
		if pruned, err = s.createRun(ctx, tx, &run); err != nil {
			return err
		}
		store.AuditRunCreated(ctx, run.ID)
		*r = run
		changed, err = s.changeRuns(ctx, tx, `SELECT id, data FROM runs
			WHERE repo = $1 AND stack = $2 AND status = ANY($3) AND id <> $4 ORDER BY id FOR UPDATE`,
			[]any{store.RepoKey(run.Repo), run.Stack, []string{string(store.StatusQueued)}, run.ID}, change, false)
		return err
	})
	if err != nil {
		store.AuditRunUncreated(ctx, run.ID)
		*r = given
		return nil, fmt.Errorf("enqueue run for stack %s/%s: %w", store.RepoKey(run.Repo), run.Stack, err)
	}
	*r = run
	s.logPruned(&run, pruned)
	return changed, nil
}

// changeRuns locks and reads the runs sql selects (id, data), applies
// change to each and writes those it changed. A record that does not
// decode fails the transaction, or is skipped and logged when skipBad.
func (s *Store) changeRuns(ctx context.Context, tx pgx.Tx, sql string, args []any, change store.RunChange, skipBad bool) ([]store.Run, error) {
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	type row struct {
		id   string
		data []byte
	}
	var read []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.data); err != nil {
			rows.Close()
			return nil, err
		}
		read = append(read, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []store.Run
	for _, r := range read {
		run, err := decodeRun(r.id, r.data)
		if err != nil {
			if skipBad {
				s.skipUnreadable("runs", r.id, err)
				continue
			}
			return nil, err
		}
		changed, err := store.ApplyRunChange(run, change)
		if err != nil {
			return nil, err
		}
		if !changed {
			continue
		}
		if err := writeRun(ctx, tx, run); err != nil {
			return nil, err
		}
		out = append(out, *run)
	}
	return out, nil
}

func statusStrings(statuses []store.RunStatus) []string {
	out := make([]string, len(statuses))
	for i, st := range statuses {
		out[i] = string(st)
	}
	return out
}

// FinishRun records the end of a run in one transaction: the run record,
// its plan when plan is not nil, and its log when log is not nil. Either
// everything is stored or nothing is.
func (s *Store) FinishRun(ctx context.Context, r *store.Run, plan *store.Plan, log []byte) error {
	run := *r
	id, err := store.ParseRunID(run.ID)
	if err != nil {
		return fmt.Errorf("finish run: %w", err)
	}
	run.ID = id
	if !run.Status.Valid() {
		return fmt.Errorf("finish run %s: %w: unknown status %q", run.ID, store.ErrInvalid, run.Status)
	}
	var pw *planWrite
	if plan != nil {
		plan.RunID = run.ID
		if pw, err = s.encodePlan(plan); err != nil {
			return fmt.Errorf("finish run %s: %w", run.ID, err)
		}
	}
	var zlog []byte
	if log != nil {
		if zlog, err = store.Compress(log); err != nil {
			return fmt.Errorf("finish run %s: log: %w", run.ID, err)
		}
	}
	err = s.tx(ctx, func(tx pgx.Tx) error {
		if err := replaceRun(ctx, tx, &run); err != nil {
			return err
		}
		if pw != nil {
			if err := pw.put(ctx, tx); err != nil {
				return err
			}
		}
		if zlog != nil {
			return putLog(ctx, tx, run.ID, zlog)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("finish run %s: %w", run.ID, err)
	}
	if pw != nil {
		plan.SHA256, plan.FileSize = pw.sha256, pw.fileSize
	}
	*r = run
	return nil
}
