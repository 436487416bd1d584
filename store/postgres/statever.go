package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/driftgate/driftgate/store"
)

// PutStateVersion stores sv under its stack and serial, as
// store.Store.PutStateVersion does: storing the same state again (same
// serial, lineage and SHA256) changes nothing and succeeds, and sets
// sv.CreatedAt to the stored one; a different state at a stored serial
// fails with store.ErrConflict; an invalid sv with store.ErrInvalid. The
// record is the bbolt store's (store.EncodeStateVersion): compressed, its
// body sealed when the store has a key.
func (s *Store) PutStateVersion(ctx context.Context, sv *store.StateVersion) error {
	if err := store.CheckStateVersion(sv); err != nil {
		return fmt.Errorf("put state version: %w", err)
	}
	rec := *sv
	if rec.CreatedAt.IsZero() {
		rec.CreatedAt = now()
	}
	val, err := store.EncodeStateVersion(s.sealer, &rec)
	if err != nil {
		return fmt.Errorf("put state version: %w", err)
	}
	repo, serial := store.RepoKey(rec.Repo), strconv.FormatUint(rec.Serial, 10)
	err = s.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO state_versions (repo, stack, serial, record) VALUES ($1, $2, $3::numeric, $4)
			ON CONFLICT DO NOTHING`, repo, rec.Stack, serial, val)
		if err != nil || tag.RowsAffected() == 1 {
			return err
		}
		var old []byte
		err = tx.QueryRow(ctx, "SELECT record FROM state_versions WHERE repo = $1 AND stack = $2 AND serial = $3::numeric",
			repo, rec.Stack, serial).Scan(&old)
		if err != nil {
			return err
		}
		have, err := store.DecodeStateVersionMeta(old)
		if err != nil {
			return err
		}
		if have.Lineage != rec.Lineage {
			return &store.ConflictError{Reason: fmt.Sprintf("serial already stored for lineage %s, not %s", have.Lineage, rec.Lineage)}
		}
		if have.SHA256 != rec.SHA256 {
			return &store.ConflictError{Reason: fmt.Sprintf("serial already stored with sha256 %s, not %s", have.SHA256, rec.SHA256)}
		}
		rec.CreatedAt = have.CreatedAt
		return nil
	})
	if err != nil {
		return fmt.Errorf("put state version %d of stack %s/%s: %w", sv.Serial, store.RepoKey(sv.Repo), sv.Stack, err)
	}
	sv.CreatedAt = rec.CreatedAt
	return nil
}

// ListStateVersions returns a stack's state versions newest (highest
// serial) first, at most limit of them (0 or less: all), without their
// Version. A stack with none gives an empty list.
func (s *Store) ListStateVersions(ctx context.Context, repo, stack string, limit int) ([]store.StateVersion, error) {
	if err := store.CheckStackKey(repo, stack); err != nil {
		return nil, fmt.Errorf("list state versions: %w", err)
	}
	sql := "SELECT serial::text, record FROM state_versions WHERE repo = $1 AND stack = $2 ORDER BY state_versions.serial DESC"
	args := []any{store.RepoKey(repo), stack}
	if limit > 0 {
		sql += " LIMIT $3"
		args = append(args, limit)
	}
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("list state versions of stack %s/%s: %w", store.RepoKey(repo), stack, err)
	}
	defer rows.Close()
	var out []store.StateVersion
	for rows.Next() {
		var serial string
		var rec []byte
		if err := rows.Scan(&serial, &rec); err != nil {
			return nil, fmt.Errorf("list state versions of stack %s/%s: %w", store.RepoKey(repo), stack, err)
		}
		sv, err := store.DecodeStateVersionMeta(rec)
		if err != nil {
			return nil, fmt.Errorf("list state versions of stack %s/%s: serial %s: %w", store.RepoKey(repo), stack, serial, err)
		}
		out = append(out, sv)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list state versions of stack %s/%s: %w", store.RepoKey(repo), stack, err)
	}
	return out, nil
}

// GetStateVersion returns a stack's state version serial with its
// Version, or fails with store.ErrNotFound. A sealed Version fails with
// store.ErrEncrypted when the store has no key and with store.ErrDecrypt
// when its key cannot open it.
func (s *Store) GetStateVersion(ctx context.Context, repo, stack string, serial uint64) (*store.StateVersion, error) {
	sv, err := s.getStateVersion(ctx, repo, stack,
		"AND serial = $3::numeric", strconv.FormatUint(serial, 10))
	if err != nil {
		return nil, fmt.Errorf("state version %d of stack %s/%s: %w", serial, store.RepoKey(repo), stack, err)
	}
	return sv, nil
}

// LatestStateVersion returns a stack's state version with the highest
// serial, with its Version, or fails with store.ErrNotFound when there is
// none. A sealed Version fails as in GetStateVersion.
func (s *Store) LatestStateVersion(ctx context.Context, repo, stack string) (*store.StateVersion, error) {
	sv, err := s.getStateVersion(ctx, repo, stack, "ORDER BY state_versions.serial DESC LIMIT 1")
	if err != nil {
		return nil, fmt.Errorf("latest state version of stack %s/%s: %w", store.RepoKey(repo), stack, err)
	}
	return sv, nil
}

// getStateVersion decodes the record of the stack that the SQL tail
// (a condition on $3, or an order) picks.
func (s *Store) getStateVersion(ctx context.Context, repo, stack, tail string, args ...any) (*store.StateVersion, error) {
	if err := store.CheckStackKey(repo, stack); err != nil {
		return nil, err
	}
	var serial string
	var rec []byte
	err := s.pool.QueryRow(ctx, "SELECT serial::text, record FROM state_versions WHERE repo = $1 AND stack = $2 "+tail,
		append([]any{store.RepoKey(repo), stack}, args...)...).Scan(&serial, &rec)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	n, err := strconv.ParseUint(serial, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("serial %q: %w", serial, err)
	}
	return store.DecodeStateVersion(s.sealer, repo, stack, n, rec)
}
