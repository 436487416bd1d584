package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/driftgate/driftgate/store"
)

// UpdatePR reads the record of PR repo/number (a fresh one when there is
// none) with its row locked, lets change edit it, and stores it, in one
// transaction. It returns the stored record.
func (s *Store) UpdatePR(ctx context.Context, repo string, number int, change func(*store.PRRecord) error) (*store.PRRecord, error) {
	if err := store.CheckName("repo", repo); err != nil || repo == "" || number <= 0 {
		return nil, fmt.Errorf("update PR %s#%d: %w: need a repo and a positive number", repo, number, store.ErrInvalid)
	}
	key := store.RepoKey(repo)
	var out store.PRRecord
	err := s.tx(ctx, func(tx pgx.Tx) error {
		// Lock the PR even when it has no row yet, so that two nodes do
		// not both create it from a fresh record.
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext($1), $2)", key, int32(number)); err != nil {
			return err
		}
		rec := store.PRRecord{Repo: repo, Number: number}
		var data []byte
		err := tx.QueryRow(ctx, "SELECT data FROM prs WHERE repo = $1 AND number = $2 FOR UPDATE", key, number).Scan(&data)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
		case err != nil:
			return err
		default:
			if err := json.Unmarshal(data, &rec); err != nil {
				return fmt.Errorf("decode: %w", err)
			}
		}
		if err := change(&rec); err != nil {
			return err
		}
		rec.Repo, rec.Number, rec.UpdatedAt = repo, number, now()
		if data, err = json.Marshal(&rec); err != nil {
			return fmt.Errorf("encode: %w", err)
		}
		out = rec
		_, err = tx.Exec(ctx, `INSERT INTO prs (repo, number, merge_commit, data) VALUES ($1, $2, $3, $4)
			ON CONFLICT (repo, number) DO UPDATE SET merge_commit = $3, data = $4`, key, number, rec.MergeCommit, data)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("update PR %s#%d: %w", repo, number, err)
	}
	return &out, nil
}

// GetPR returns the record of PR repo/number, or store.ErrNotFound.
func (s *Store) GetPR(ctx context.Context, repo string, number int) (*store.PRRecord, error) {
	var rec store.PRRecord
	if err := s.getJSON(ctx, &rec, "SELECT data FROM prs WHERE repo = $1 AND number = $2", store.RepoKey(repo), number); err != nil {
		return nil, fmt.Errorf("get PR %s#%d: %w", repo, number, err)
	}
	return &rec, nil
}

// PRByMergeCommit returns the merged PR of repo whose merge made commit
// (the lowest numbered, should there be several), or store.ErrNotFound.
func (s *Store) PRByMergeCommit(ctx context.Context, repo, commit string) (*store.PRRecord, error) {
	var rec store.PRRecord
	err := store.ErrNotFound
	if commit != "" {
		err = s.getJSON(ctx, &rec, "SELECT data FROM prs WHERE repo = $1 AND merge_commit = $2 ORDER BY number LIMIT 1",
			store.RepoKey(repo), commit)
	}
	if err != nil {
		return nil, fmt.Errorf("find PR merged as %s: %w", shortCommit(commit), err)
	}
	return &rec, nil
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

// SeenDelivery records webhook delivery id of repo and reports whether it
// was new: false means a redelivery. Ids older than store.DeliveryIDTTL
// (by now) are forgotten on the way.
func (s *Store) SeenDelivery(ctx context.Context, repo, id string, now time.Time) (bool, error) {
	if id == "" {
		return true, nil
	}
	fresh := false
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "DELETE FROM webhook_ids WHERE seen_at < $1", now.Add(-store.DeliveryIDTTL)); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, "INSERT INTO webhook_ids (repo, id, seen_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
			store.RepoKey(repo), id, now.UTC().Truncate(time.Second))
		fresh = err == nil && tag.RowsAffected() == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("record webhook delivery %s: %w", id, err)
	}
	return fresh, nil
}

// ForgetDelivery removes delivery id of repo, so that a redelivery of one
// that could not be acted on is taken as new.
func (s *Store) ForgetDelivery(ctx context.Context, repo, id string) error {
	err := s.tx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "DELETE FROM webhook_ids WHERE repo = $1 AND id = $2", store.RepoKey(repo), id)
		return err
	})
	if err != nil {
		return fmt.Errorf("forget webhook delivery %s: %w", id, err)
	}
	return nil
}
