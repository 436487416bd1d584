package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/driftgate/driftgate/store"
)

// PutRepo creates or replaces the record of repo r.Name and sets
// r.UpdatedAt. The name must be non-empty and not store.LocalRepo
// (store.ErrInvalid otherwise).
func (s *Store) PutRepo(ctx context.Context, r *store.RepoRecord) error {
	rec := *r
	if rec.Name == "" || rec.Name == store.LocalRepo {
		return fmt.Errorf("put repo: %w: repo name %q is empty or reserved", store.ErrInvalid, rec.Name)
	}
	if err := store.CheckName("repo", rec.Name); err != nil {
		return fmt.Errorf("put repo: %w", err)
	}
	rec.UpdatedAt = now()
	err := s.putJSON(ctx, "INSERT INTO repos (name, data) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET data = $2",
		&rec, rec.Name)
	if err != nil {
		return fmt.Errorf("put repo %s: %w", rec.Name, err)
	}
	*r = rec
	return nil
}

// GetRepo returns the record of a repo, or store.ErrNotFound.
func (s *Store) GetRepo(ctx context.Context, name string) (*store.RepoRecord, error) {
	var rec store.RepoRecord
	if err := s.getJSON(ctx, &rec, "SELECT data FROM repos WHERE name = $1", name); err != nil {
		return nil, fmt.Errorf("get repo %s: %w", name, err)
	}
	return &rec, nil
}

// ListRepos returns all repo records ordered by name.
func (s *Store) ListRepos(ctx context.Context) ([]store.RepoRecord, error) {
	recs, err := listJSON[store.RepoRecord](ctx, s, "repos", "SELECT name, data FROM repos ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("list repos: %w", err)
	}
	return recs, nil
}

// PutStack creates or replaces the record of stack r.Name in repo r.Repo
// and sets r.UpdatedAt.
func (s *Store) PutStack(ctx context.Context, r *store.StackRecord) error {
	rec := *r
	if err := store.CheckStackKey(rec.Repo, rec.Name); err != nil {
		return fmt.Errorf("put stack: %w", err)
	}
	rec.UpdatedAt = now()
	err := s.putJSON(ctx, `INSERT INTO stacks (repo, name, data) VALUES ($1, $2, $3)
		ON CONFLICT (repo, name) DO UPDATE SET data = $3`, &rec, store.RepoKey(rec.Repo), rec.Name)
	if err != nil {
		return fmt.Errorf("put stack %s/%s: %w", store.RepoKey(rec.Repo), rec.Name, err)
	}
	*r = rec
	return nil
}

// GetStack returns the record of a stack, or store.ErrNotFound. An empty
// repo means store.LocalRepo.
func (s *Store) GetStack(ctx context.Context, repo, name string) (*store.StackRecord, error) {
	if err := store.CheckStackKey(repo, name); err != nil {
		return nil, fmt.Errorf("get stack: %w", err)
	}
	var rec store.StackRecord
	if err := s.getJSON(ctx, &rec, "SELECT data FROM stacks WHERE repo = $1 AND name = $2", store.RepoKey(repo), name); err != nil {
		return nil, fmt.Errorf("get stack %s/%s: %w", store.RepoKey(repo), name, err)
	}
	return &rec, nil
}

// ListStacks returns the stack records of a repo ordered by name, or of
// all repos (by repo, then name) when repo is empty; use store.LocalRepo
// for local stacks.
func (s *Store) ListStacks(ctx context.Context, repo string) ([]store.StackRecord, error) {
	if err := store.CheckName("repo", repo); err != nil {
		return nil, fmt.Errorf("list stacks: %w", err)
	}
	recs, err := listJSON[store.StackRecord](ctx, s, "stacks",
		"SELECT repo || '/' || name, data FROM stacks WHERE $1 = '' OR repo = $1 ORDER BY repo, name", repo)
	if err != nil {
		return nil, fmt.Errorf("list stacks: %w", err)
	}
	return recs, nil
}

// DeleteStack deletes the record of a stack; deleting an absent stack is
// not an error. The stack's runs stay until retention removes them.
func (s *Store) DeleteStack(ctx context.Context, repo, name string) error {
	if err := store.CheckStackKey(repo, name); err != nil {
		return fmt.Errorf("delete stack: %w", err)
	}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "DELETE FROM stacks WHERE repo = $1 AND name = $2", store.RepoKey(repo), name)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete stack %s/%s: %w", store.RepoKey(repo), name, err)
	}
	return nil
}

// putJSON encodes v and runs sql with keys and the encoding last, in a
// transaction of its own.
func (s *Store) putJSON(ctx context.Context, sql string, v any, keys ...any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, sql, append(keys, data)...); err != nil {
			return fmt.Errorf("write record (%d bytes): %w", len(data), err)
		}
		return nil
	})
}

// getJSON decodes the one data column sql selects into v, or fails with
// store.ErrNotFound.
func (s *Store) getJSON(ctx context.Context, v any, sql string, args ...any) error {
	var data []byte
	err := s.pool.QueryRow(ctx, sql, args...).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	return nil
}

// listJSON decodes the rows of (key, data) sql selects, skipping and
// logging records of table that do not decode.
func listJSON[T any](ctx context.Context, s *Store, table, sql string, args ...any) ([]T, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var key string
		var data []byte
		if err := rows.Scan(&key, &data); err != nil {
			return nil, err
		}
		var v T
		if err := json.Unmarshal(data, &v); err != nil {
			s.skipUnreadable(table, key, err)
			continue
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// HoldStack holds the stack h.Repo/h.Stack, replacing any hold it has.
// Repo and Stack must make a valid stack key and RunID must be set
// (store.ErrInvalid otherwise); a zero Since is set to now, in h as well.
func (s *Store) HoldStack(ctx context.Context, h *store.Hold) error {
	hold := *h
	if err := store.CheckStackKey(hold.Repo, hold.Stack); err != nil {
		return fmt.Errorf("hold stack: %w", err)
	}
	if hold.RunID == "" {
		return fmt.Errorf("hold stack %s/%s: %w: no run id", store.RepoKey(hold.Repo), hold.Stack, store.ErrInvalid)
	}
	if hold.Since.IsZero() {
		hold.Since = now()
	}
	err := s.putJSON(ctx, `INSERT INTO holds (repo, stack, data) VALUES ($1, $2, $3)
		ON CONFLICT (repo, stack) DO UPDATE SET data = $3`, &hold, store.RepoKey(hold.Repo), hold.Stack)
	if err != nil {
		return fmt.Errorf("hold stack %s/%s: %w", store.RepoKey(hold.Repo), hold.Stack, err)
	}
	*h = hold
	return nil
}

// GetHold returns the hold of the stack repo/stack, or fails with
// store.ErrNotFound when the stack is not held.
func (s *Store) GetHold(ctx context.Context, repo, stack string) (*store.Hold, error) {
	if err := store.CheckStackKey(repo, stack); err != nil {
		return nil, fmt.Errorf("get hold: %w", err)
	}
	var h store.Hold
	if err := s.getJSON(ctx, &h, "SELECT data FROM holds WHERE repo = $1 AND stack = $2", store.RepoKey(repo), stack); err != nil {
		return nil, fmt.Errorf("hold of stack %s/%s: %w", store.RepoKey(repo), stack, err)
	}
	return &h, nil
}

// ReleaseStack lifts the hold of the stack repo/stack and returns it, or
// fails with store.ErrNotFound when the stack is not held.
func (s *Store) ReleaseStack(ctx context.Context, repo, stack string) (*store.Hold, error) {
	if err := store.CheckStackKey(repo, stack); err != nil {
		return nil, fmt.Errorf("release stack: %w", err)
	}
	var h store.Hold
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var data []byte
		err := tx.QueryRow(ctx, "DELETE FROM holds WHERE repo = $1 AND stack = $2 RETURNING data",
			store.RepoKey(repo), stack).Scan(&data)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("stack is not held: %w", store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if err := json.Unmarshal(data, &h); err != nil {
			return fmt.Errorf("decode hold: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("release stack %s/%s: %w", store.RepoKey(repo), stack, err)
	}
	return &h, nil
}

// ListHolds returns every hold, ordered by repo and then stack name.
func (s *Store) ListHolds(ctx context.Context) ([]store.Hold, error) {
	rows, err := s.pool.Query(ctx, "SELECT data FROM holds ORDER BY repo, stack")
	if err != nil {
		return nil, fmt.Errorf("list holds: %w", err)
	}
	defer rows.Close()
	var out []store.Hold
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return nil, fmt.Errorf("list holds: %w", err)
		}
		var h store.Hold
		if err := json.Unmarshal(data, &h); err != nil {
			return nil, fmt.Errorf("list holds: decode hold: %w", err)
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list holds: %w", err)
	}
	return out, nil
}
