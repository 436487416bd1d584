package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/driftgate/driftgate/store"
)

// querier is what both the pool and a transaction answer.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// liveStatuses are the statuses of runs not yet finished, which retention
// never deletes.
var liveStatuses = []string{string(store.StatusQueued), string(store.StatusRunning), string(store.StatusAwaitingApproval)}

// CreateRun stores a new run as store.Store.CreateRun does: it assigns
// r.ID (when empty), r.CreatedAt (when zero) and r.Status (when empty,
// queued), and prunes the stack's finished runs beyond the retention in
// the same transaction. A given r.ID already stored fails with
// store.ErrExists; a second running run of the stack with
// store.ErrConflict.
func (s *Store) CreateRun(ctx context.Context, r *store.Run) error {
	run := *r
	if err := store.CheckStackKey(run.Repo, run.Stack); err != nil {
		return fmt.Errorf("create run: %w", err)
	}
	if run.Status == "" {
		run.Status = store.StatusQueued
	}
	if !run.Status.Valid() {
		return fmt.Errorf("create run: %w: unknown status %q", store.ErrInvalid, run.Status)
	}
	if run.ID != "" {
		id, err := store.ParseRunID(run.ID)
		if err != nil {
			return fmt.Errorf("create run: %w", err)
		}
		run.ID = id
	}
	var pruned int
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var err error
		pruned, err = s.createRun(ctx, tx, &run)
		return err
	})
	if err != nil {
		return fmt.Errorf("create run for stack %s/%s: %w", store.RepoKey(run.Repo), run.Stack, err)
	}
	*r = run
	s.logPruned(&run, pruned)
	return nil
}

// createRun inserts run (a new id when it has none) and prunes its stack,
// inside tx, holding the stack's lock.
func (s *Store) createRun(ctx context.Context, tx pgx.Tx, run *store.Run) (int, error) {
	if err := lockStack(ctx, tx, run.Repo, run.Stack); err != nil {
		return 0, err
	}
	t := now()
	if run.ID == "" {
		id, err := s.ids.Next(t)
		if err != nil {
			return 0, err
		}
		run.ID = id
	}
	if run.CreatedAt.IsZero() {
		run.CreatedAt = t
	}
	data, err := json.Marshal(run)
	if err != nil {
		return 0, fmt.Errorf("encode run: %w", err)
	}
	tag, err := tx.Exec(ctx, `INSERT INTO runs (id, repo, stack, status, operation, commit_id, pr, data)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING`,
		run.ID, store.RepoKey(run.Repo), run.Stack, string(run.Status), string(run.Operation), run.Commit, run.PR, data)
	if err != nil {
		return 0, fmt.Errorf("write run: %w", mapError(err))
	}
	if tag.RowsAffected() == 0 {
		return 0, fmt.Errorf("run %s: %w", run.ID, store.ErrExists)
	}
	return s.pruneStack(ctx, tx, run.Repo, run.Stack)
}

func (s *Store) logPruned(run *store.Run, pruned int) {
	if pruned > 0 {
		s.logger.Debug("pruned old runs", logKeyRepo, store.RepoKey(run.Repo), logKeyStack, run.Stack, logKeyDeleted, pruned)
	}
}

// SaveRun replaces the stored run r.ID with r. The run must exist
// (store.ErrNotFound otherwise) and keep its repo and stack
// (store.ErrInvalid otherwise); a zero r.CreatedAt keeps the stored one.
func (s *Store) SaveRun(ctx context.Context, r *store.Run) error {
	run := *r
	id, err := store.ParseRunID(run.ID)
	if err != nil {
		return fmt.Errorf("save run: %w", err)
	}
	run.ID = id
	if !run.Status.Valid() {
		return fmt.Errorf("save run %s: %w: unknown status %q", run.ID, store.ErrInvalid, run.Status)
	}
	err = s.tx(ctx, func(tx pgx.Tx) error { return replaceRun(ctx, tx, &run) })
	if err != nil {
		return fmt.Errorf("save run %s: %w", run.ID, err)
	}
	*r = run
	return nil
}

// replaceRun replaces the stored run.ID, which must exist and keep its
// repo and stack, with run.
func replaceRun(ctx context.Context, tx pgx.Tx, run *store.Run) error {
	if err := lockRunStack(ctx, tx, run.ID); err != nil {
		return err
	}
	old, err := getRun(ctx, tx, run.ID, true)
	if err != nil {
		return err
	}
	if store.RepoKey(old.Repo) != store.RepoKey(run.Repo) || old.Stack != run.Stack {
		return fmt.Errorf("%w: cannot move run from stack %s/%s to %s/%s", store.ErrInvalid,
			store.RepoKey(old.Repo), old.Stack, store.RepoKey(run.Repo), run.Stack)
	}
	if run.CreatedAt.IsZero() {
		run.CreatedAt = old.CreatedAt
	}
	return writeRun(ctx, tx, run)
}

// writeRun writes run over its stored row.
func writeRun(ctx context.Context, tx pgx.Tx, run *store.Run) error {
	data, err := json.Marshal(run)
	if err != nil {
		return fmt.Errorf("encode run: %w", err)
	}
	_, err = tx.Exec(ctx, `UPDATE runs SET status = $2, operation = $3, commit_id = $4, pr = $5, data = $6 WHERE id = $1`,
		run.ID, string(run.Status), string(run.Operation), run.Commit, run.PR, data)
	if err != nil {
		return fmt.Errorf("write run: %w", mapError(err))
	}
	return nil
}

// GetRun returns the run with the given id. Unknown and malformed ids fail
// with store.ErrNotFound; malformed ones also match store.ErrInvalid.
func (s *Store) GetRun(ctx context.Context, id string) (*store.Run, error) {
	canon, err := store.ParseRunID(id)
	if err != nil {
		return nil, fmt.Errorf("get run: %w: %w", store.ErrNotFound, err)
	}
	run, err := getRun(ctx, s.pool, canon, false)
	if err != nil {
		return nil, fmt.Errorf("get run %s: %w", id, err)
	}
	return run, nil
}

// lockRunStack takes the lock of the stack of run id (lockStack), or
// fails with store.ErrNotFound. A run never moves to another stack, so
// the stack read before the lock is still the run's after it.
func lockRunStack(ctx context.Context, tx pgx.Tx, id string) error {
	var repo, stack string
	err := tx.QueryRow(ctx, "SELECT repo, stack FROM runs WHERE id = $1", id).Scan(&repo, &stack)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	if err != nil {
		return err
	}
	return lockStack(ctx, tx, repo, stack)
}

// getRun reads the run id, locking its row when forUpdate.
func getRun(ctx context.Context, q querier, id string, forUpdate bool) (*store.Run, error) {
	sql := "SELECT data FROM runs WHERE id = $1"
	if forUpdate {
		sql += " FOR UPDATE"
	}
	var data []byte
	if err := q.QueryRow(ctx, sql, id).Scan(&data); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, store.ErrNotFound
		}
		return nil, err
	}
	return decodeRun(id, data)
}

func decodeRun(id string, data []byte) (*store.Run, error) {
	var run store.Run
	if err := json.Unmarshal(data, &run); err != nil {
		return nil, fmt.Errorf("decode run %s: %w", id, err)
	}
	return &run, nil
}

// LatestRun returns the most recently created run of a stack, whatever its
// status, or store.ErrNotFound. An empty repo means store.LocalRepo.
func (s *Store) LatestRun(ctx context.Context, repo, stack string) (*store.Run, error) {
	if err := store.CheckStackKey(repo, stack); err != nil {
		return nil, fmt.Errorf("latest run: %w", err)
	}
	var id string
	var data []byte
	err := s.pool.QueryRow(ctx, "SELECT id, data FROM runs WHERE repo = $1 AND stack = $2 ORDER BY id DESC LIMIT 1",
		store.RepoKey(repo), stack).Scan(&id, &data)
	if errors.Is(err, pgx.ErrNoRows) {
		err = store.ErrNotFound
	}
	var run *store.Run
	if err == nil {
		run, err = decodeRun(id, data)
	}
	if err != nil {
		return nil, fmt.Errorf("latest run of stack %s/%s: %w", store.RepoKey(repo), stack, err)
	}
	return run, nil
}

// ActiveRuns returns the runs not yet finished (queued, running, awaiting
// approval), oldest first. A run whose record does not decode is skipped
// and logged.
func (s *Store) ActiveRuns(ctx context.Context) ([]store.Run, error) {
	rows, err := s.pool.Query(ctx, "SELECT id, data FROM runs WHERE status = ANY($1) ORDER BY id", liveStatuses)
	if err != nil {
		return nil, fmt.Errorf("list active runs: %w", err)
	}
	runs, err := s.collectRuns(rows)
	if err != nil {
		return nil, fmt.Errorf("list active runs: %w", err)
	}
	return runs, nil
}

// collectRuns decodes rows of (id, data), skipping and logging records
// that do not decode.
func (s *Store) collectRuns(rows pgx.Rows) ([]store.Run, error) {
	defer rows.Close()
	var out []store.Run
	for rows.Next() {
		var id string
		var data []byte
		if err := rows.Scan(&id, &data); err != nil {
			return nil, err
		}
		run, err := decodeRun(id, data)
		if err != nil {
			s.skipUnreadable("runs", id, err)
			continue
		}
		out = append(out, *run)
	}
	return out, rows.Err()
}

// Prune deletes the finished runs of a stack beyond the newest
// Options.Retention, with their plans and logs, and returns how many it
// deleted. Live runs are never deleted and do not count against the
// limit. CreateRun prunes the stack it adds to.
func (s *Store) Prune(ctx context.Context, repo, stack string) (int, error) {
	if err := store.CheckStackKey(repo, stack); err != nil {
		return 0, fmt.Errorf("prune runs: %w", err)
	}
	var n int
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if err := lockStack(ctx, tx, repo, stack); err != nil {
			return err
		}
		var err error
		n, err = s.pruneStack(ctx, tx, repo, stack)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("prune runs of stack %s/%s: %w", store.RepoKey(repo), stack, err)
	}
	if n > 0 {
		s.logger.Info("pruned old runs", logKeyRepo, store.RepoKey(repo), logKeyStack, stack, logKeyDeleted, n)
	}
	return n, nil
}

// pruneStack applies retention to one stack inside tx; plans and logs go
// with their runs (ON DELETE CASCADE).
func (s *Store) pruneStack(ctx context.Context, tx pgx.Tx, repo, stack string) (int, error) {
	if s.retention < 0 {
		return 0, nil
	}
	tag, err := tx.Exec(ctx, `DELETE FROM runs WHERE id IN (
		SELECT id FROM runs WHERE repo = $1 AND stack = $2 AND NOT (status = ANY($3))
		ORDER BY id DESC OFFSET $4)`, store.RepoKey(repo), stack, liveStatuses, s.retention)
	if err != nil {
		return 0, fmt.Errorf("prune: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
