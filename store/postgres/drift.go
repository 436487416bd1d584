package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/driftgate/driftgate/store"
)

// maxResolvedFindings bounds the resolved findings kept per stack, as in
// the bbolt store.
const maxResolvedFindings = 500

// RecordDriftCheck stores a stack's drift status and the findings a check
// created, continued or resolved, in one transaction. The stack's
// LastApplied is kept when sd leaves it nil. Resolved findings beyond the
// newest 500 of the stack are deleted.
func (s *Store) RecordDriftCheck(ctx context.Context, sd *store.StackDrift, findings []store.DriftFinding) error {
	if err := store.CheckStackKey(sd.Repo, sd.Stack); err != nil {
		return fmt.Errorf("record drift: %w", err)
	}
	repo := store.RepoKey(sd.Repo)
	err := s.tx(ctx, func(tx pgx.Tx) error {
		rec := *sd
		if rec.LastApplied == nil {
			prev, err := driftStatus(ctx, tx, repo, sd.Stack, true)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			if prev != nil {
				rec.LastApplied = prev.LastApplied
			}
		}
		if err := putDriftStatus(ctx, tx, repo, sd.Stack, &rec); err != nil {
			return err
		}
		for i := range findings {
			f := findings[i]
			f.Repo, f.Stack = sd.Repo, sd.Stack
			if f.ID == "" {
				return fmt.Errorf("%w: finding for %s has no id", store.ErrInvalid, f.Address)
			}
			data, err := json.Marshal(&f)
			if err != nil {
				return fmt.Errorf("encode finding: %w", err)
			}
			_, err = tx.Exec(ctx, `INSERT INTO drift_findings (repo, stack, id, resolved, data) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (repo, stack, id) DO UPDATE SET resolved = $4, data = $5`,
				repo, sd.Stack, f.ID, !f.Open(), data)
			if err != nil {
				return fmt.Errorf("write finding: %w", err)
			}
		}
		_, err := tx.Exec(ctx, `DELETE FROM drift_findings WHERE repo = $1 AND stack = $2 AND id IN (
			SELECT id FROM drift_findings WHERE repo = $1 AND stack = $2 AND resolved
			ORDER BY id DESC OFFSET $3)`, repo, sd.Stack, maxResolvedFindings)
		return err
	})
	if err != nil {
		return fmt.Errorf("record drift of stack %s/%s: %w", repo, sd.Stack, err)
	}
	return nil
}

// RecordApplied notes a successful apply in the stack's drift record.
func (s *Store) RecordApplied(ctx context.Context, repo, stack string, info store.AppliedInfo) error {
	if err := store.CheckStackKey(repo, stack); err != nil {
		return fmt.Errorf("record apply: %w", err)
	}
	key := store.RepoKey(repo)
	err := s.tx(ctx, func(tx pgx.Tx) error {
		rec, err := driftStatus(ctx, tx, key, stack, true)
		if errors.Is(err, store.ErrNotFound) {
			rec, err = &store.StackDrift{Repo: repo, Stack: stack, Status: store.DriftUnknown}, nil
		}
		if err != nil {
			return err
		}
		rec.LastApplied = &info
		return putDriftStatus(ctx, tx, key, stack, rec)
	})
	if err != nil {
		return fmt.Errorf("record apply of stack %s/%s: %w", key, stack, err)
	}
	return nil
}

func driftStatus(ctx context.Context, q querier, repo, stack string, forUpdate bool) (*store.StackDrift, error) {
	sql := "SELECT data FROM drift_status WHERE repo = $1 AND stack = $2"
	if forUpdate {
		sql += " FOR UPDATE"
	}
	var data []byte
	err := q.QueryRow(ctx, sql, repo, stack).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	var sd store.StackDrift
	if err := json.Unmarshal(data, &sd); err != nil {
		return nil, fmt.Errorf("decode drift status: %w", err)
	}
	return &sd, nil
}

func putDriftStatus(ctx context.Context, tx pgx.Tx, repo, stack string, sd *store.StackDrift) error {
	data, err := json.Marshal(sd)
	if err != nil {
		return fmt.Errorf("encode drift status: %w", err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO drift_status (repo, stack, data) VALUES ($1, $2, $3)
		ON CONFLICT (repo, stack) DO UPDATE SET data = $3`, repo, stack, data)
	if err != nil {
		return fmt.Errorf("write drift status: %w", err)
	}
	return nil
}

// StackDriftStatus returns a stack's drift record; a stack never checked
// fails with store.ErrNotFound.
func (s *Store) StackDriftStatus(ctx context.Context, repo, stack string) (*store.StackDrift, error) {
	if err := store.CheckStackKey(repo, stack); err != nil {
		return nil, fmt.Errorf("drift status: %w", err)
	}
	sd, err := driftStatus(ctx, s.pool, store.RepoKey(repo), stack, false)
	if err != nil {
		return nil, fmt.Errorf("drift status of stack %s/%s: %w", store.RepoKey(repo), stack, err)
	}
	return sd, nil
}

// ListStackDrift returns every stack's drift record, by repo and stack.
func (s *Store) ListStackDrift(ctx context.Context) ([]store.StackDrift, error) {
	out, err := listJSON[store.StackDrift](ctx, s, "drift_status",
		"SELECT repo || '/' || stack, data FROM drift_status ORDER BY repo, stack")
	if err != nil {
		return nil, fmt.Errorf("list drift: %w", err)
	}
	return out, nil
}

// DriftFindings returns a stack's findings, newest (greatest id) first:
// only the open ones when open is set, else the history too, at most limit
// (0: all).
func (s *Store) DriftFindings(ctx context.Context, repo, stack string, open bool, limit int) ([]store.DriftFinding, error) {
	if err := store.CheckStackKey(repo, stack); err != nil {
		return nil, fmt.Errorf("drift findings: %w", err)
	}
	sql := "SELECT id, data FROM drift_findings WHERE repo = $1 AND stack = $2 AND ($3 = false OR NOT resolved) ORDER BY id DESC"
	args := []any{store.RepoKey(repo), stack, open}
	if limit > 0 {
		sql += " LIMIT $4"
		args = append(args, limit)
	}
	out, err := listJSON[store.DriftFinding](ctx, s, "drift_findings", sql, args...)
	if err != nil {
		return nil, fmt.Errorf("drift findings of stack %s/%s: %w", store.RepoKey(repo), stack, err)
	}
	return out, nil
}
