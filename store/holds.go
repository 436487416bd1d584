package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// Holds. A held stack applies nothing until an admin releases it; see Hold.
// A stack has at most one hold: holding it again replaces the hold.
//
//	holds/
//	|-- <stack key> -> Hold, JSON

var holdsBucket = []byte("holds")

// migrateHolds creates the holds bucket.
func migrateHolds(tx *bbolt.Tx) error {
	if _, err := tx.CreateBucketIfNotExists(holdsBucket); err != nil {
		return fmt.Errorf("create bucket %s: %w", holdsBucket, err)
	}
	return nil
}

// HoldStack holds the stack h.Repo/h.Stack, replacing any hold it has.
// Repo and Stack must make a valid stack key and RunID must be set
// (ErrInvalid otherwise); a zero Since is set to now, in h as well.
func (s *Store) HoldStack(ctx context.Context, h *Hold) error {
	hold := *h
	if err := checkStackKey(hold.Repo, hold.Stack); err != nil {
		return fmt.Errorf("hold stack: %w", err)
	}
	if hold.RunID == "" {
		return fmt.Errorf("hold stack %s/%s: %w: no run id", repoKey(hold.Repo), hold.Stack, ErrInvalid)
	}
	if hold.Since.IsZero() {
		hold.Since = time.Now().UTC()
	}
	if err := s.putJSON(ctx, holdsBucket, stackKey(hold.Repo, hold.Stack), &hold); err != nil {
		return fmt.Errorf("hold stack %s/%s: %w", repoKey(hold.Repo), hold.Stack, err)
	}
	*h = hold
	return nil
}

// GetHold returns the hold of the stack repo/stack, or fails with
// ErrNotFound when the stack is not held.
func (s *Store) GetHold(ctx context.Context, repo, stack string) (*Hold, error) {
	if err := checkStackKey(repo, stack); err != nil {
		return nil, fmt.Errorf("get hold: %w", err)
	}
	var h Hold
	if err := s.getJSON(ctx, holdsBucket, stackKey(repo, stack), &h); err != nil {
		return nil, fmt.Errorf("hold of stack %s/%s: %w", repoKey(repo), stack, err)
	}
	return &h, nil
}

// ReleaseStack lifts the hold of the stack repo/stack and returns it, or
// fails with ErrNotFound when the stack is not held.
func (s *Store) ReleaseStack(ctx context.Context, repo, stack string) (*Hold, error) {
	if err := checkStackKey(repo, stack); err != nil {
		return nil, fmt.Errorf("release stack: %w", err)
	}
	key := stackKey(repo, stack)
	var h Hold
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(holdsBucket)
		v := b.Get(key)
		if v == nil {
			return fmt.Errorf("stack is not held: %w", ErrNotFound)
		}
		if err := json.Unmarshal(v, &h); err != nil {
			return fmt.Errorf("decode hold: %w", err)
		}
		return b.Delete(key)
	})
	if err != nil {
		return nil, fmt.Errorf("release stack %s/%s: %w", repoKey(repo), stack, err)
	}
	return &h, nil
}

// ListHolds returns every hold, ordered by repo and then stack name.
func (s *Store) ListHolds(ctx context.Context) ([]Hold, error) {
	var out []Hold
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(holdsBucket).ForEach(func(k, v []byte) error {
			var h Hold
			if err := json.Unmarshal(v, &h); err != nil {
				return fmt.Errorf("decode hold of %q: %w", k, err)
			}
			out = append(out, h)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list holds: %w", err)
	}
	return out, nil
}
