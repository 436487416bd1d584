package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// RepoRecord is the sync state of a watched repo.
type RepoRecord struct {
	// Name is the repo's configured name; the key.
	Name string `json:"name"`
	// URL is the clone URL.
	URL string `json:"url,omitempty"`
	// Branch is the tracked branch.
	Branch string `json:"branch,omitempty"`
	// LastCommit is the last commit seen on Branch.
	LastCommit string `json:"last_commit,omitempty"`
	// Status is the repo's sync status, free text for now.
	Status string `json:"status,omitempty"`
	// LastError is the last sync error, if any.
	LastError string `json:"last_error,omitempty"`
	// UpdatedAt is when the record was last written; PutRepo sets it.
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// StackRecord is a stack discovered in a repo.
type StackRecord struct {
	// Repo is the repo name; empty for local stacks (keyed as LocalRepo).
	Repo string `json:"repo,omitempty"`
	// Name is the stack name, unique within the repo.
	Name string `json:"name"`
	// Dir is the stack directory relative to the repo root.
	Dir string `json:"dir,omitempty"`
	// Attrs holds small metadata, by the keys in attrs.go.
	Attrs map[AttrKey]string `json:"attrs,omitempty"`
	// UpdatedAt is when the record was last written; PutStack sets it.
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// PutRepo creates or replaces the record of repo r.Name and sets
// r.UpdatedAt. The name must be non-empty and must not be LocalRepo
// (ErrInvalid otherwise).
func (s *Store) PutRepo(ctx context.Context, r *RepoRecord) error {
	rec := *r
	if rec.Name == "" || rec.Name == LocalRepo {
		return fmt.Errorf("put repo: %w: repo name %q is empty or reserved", ErrInvalid, rec.Name)
	}
	if err := checkName("repo", rec.Name); err != nil {
		return fmt.Errorf("put repo: %w", err)
	}
	rec.UpdatedAt = time.Now().UTC()
	if err := s.putJSON(ctx, reposBucket, []byte(rec.Name), &rec); err != nil {
		return fmt.Errorf("put repo %s: %w", rec.Name, err)
	}
	*r = rec
	return nil
}

// GetRepo returns the record of a repo, or ErrNotFound.
func (s *Store) GetRepo(ctx context.Context, name string) (*RepoRecord, error) {
	var rec RepoRecord
	if err := s.getJSON(ctx, reposBucket, []byte(name), &rec); err != nil {
		return nil, fmt.Errorf("get repo %s: %w", name, err)
	}
	return &rec, nil
}

// ListRepos returns all repo records ordered by name.
func (s *Store) ListRepos(ctx context.Context) ([]RepoRecord, error) {
	var recs []RepoRecord
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(reposBucket).ForEach(func(k, v []byte) error {
			var rec RepoRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				s.skipUnreadable(reposBucket, string(k), err)
				return nil
			}
			recs = append(recs, rec)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list repos: %w", err)
	}
	return recs, nil
}

// PutStack creates or replaces the record of stack r.Name in repo r.Repo and
// sets r.UpdatedAt.
func (s *Store) PutStack(ctx context.Context, r *StackRecord) error {
	rec := *r
	if err := checkStackKey(rec.Repo, rec.Name); err != nil {
		return fmt.Errorf("put stack: %w", err)
	}
	rec.UpdatedAt = time.Now().UTC()
	if err := s.putJSON(ctx, stacksBucket, stackKey(rec.Repo, rec.Name), &rec); err != nil {
		return fmt.Errorf("put stack %s/%s: %w", repoKey(rec.Repo), rec.Name, err)
	}
	*r = rec
	return nil
}

// GetStack returns the record of a stack, or ErrNotFound. An empty repo
// means LocalRepo.
func (s *Store) GetStack(ctx context.Context, repo, name string) (*StackRecord, error) {
	if err := checkStackKey(repo, name); err != nil {
		return nil, fmt.Errorf("get stack: %w", err)
	}
	var rec StackRecord
	if err := s.getJSON(ctx, stacksBucket, stackKey(repo, name), &rec); err != nil {
		return nil, fmt.Errorf("get stack %s/%s: %w", repoKey(repo), name, err)
	}
	return &rec, nil
}

// ListStacks returns the stack records of a repo ordered by name, or of all
// repos when repo is empty; use LocalRepo for local stacks.
func (s *Store) ListStacks(ctx context.Context, repo string) ([]StackRecord, error) {
	if err := checkName("repo", repo); err != nil {
		return nil, fmt.Errorf("list stacks: %w", err)
	}
	var prefix []byte
	if repo != "" {
		prefix = repoPrefix(repo)
	}
	var recs []StackRecord
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		c := tx.Bucket(stacksBucket).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var rec StackRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				s.skipUnreadable(stacksBucket, fmt.Sprintf("%q", k), err)
				continue
			}
			recs = append(recs, rec)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list stacks: %w", err)
	}
	return recs, nil
}

// DeleteStack deletes the record of a stack; deleting an absent stack is not
// an error. The stack's runs stay until retention removes them.
func (s *Store) DeleteStack(ctx context.Context, repo, name string) error {
	if err := checkStackKey(repo, name); err != nil {
		return fmt.Errorf("delete stack: %w", err)
	}
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(stacksBucket).Delete(stackKey(repo, name))
	})
	if err != nil {
		return fmt.Errorf("delete stack %s/%s: %w", repoKey(repo), name, err)
	}
	return nil
}

// putJSON encodes v and writes it under key in bucket.
func (s *Store) putJSON(ctx context.Context, bucket, key []byte, v any) error {
	val, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	return s.update(ctx, func(tx *bbolt.Tx) error {
		if err := tx.Bucket(bucket).Put(key, val); err != nil {
			return fmt.Errorf("write %s record (%d bytes): %w", bucket, len(val), err)
		}
		return nil
	})
}

// getJSON decodes the value under key in bucket into v, or fails with
// ErrNotFound. Decoding copies the value out of bbolt's memory.
func (s *Store) getJSON(ctx context.Context, bucket, key []byte, v any) error {
	return s.view(ctx, func(tx *bbolt.Tx) error {
		val := tx.Bucket(bucket).Get(key)
		if val == nil {
			return ErrNotFound
		}
		if err := json.Unmarshal(val, v); err != nil {
			return fmt.Errorf("decode: %w", err)
		}
		return nil
	})
}
