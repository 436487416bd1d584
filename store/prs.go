package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// Pull requests (schema v9). A repo with a forge keeps one record per PR
// it heard of, and the ids of the webhook deliveries it acknowledged, so
// that a redelivery is not acted on twice.
//
//	prs/
//	|-- <repo>\x00<number, uint64 big-endian> -> PRRecord, JSON
//	webhook_ids/
//	|-- <repo>\x00<delivery id> -> first seen, RFC 3339   kept DeliveryIDTTL

var (
	prsBucket        = []byte("prs")
	webhookIDsBucket = []byte("webhook_ids")
)

// DeliveryIDTTL is how long a webhook delivery id is remembered.
const DeliveryIDTTL = 24 * time.Hour

// PRRecord is what driftgate knows of one PR. It is stored as JSON; the
// tags are the storage format.
type PRRecord struct {
	Repo   string `json:"repo"`
	Number int    `json:"number"`
	// HeadSHA is the PR's head commit; BaseRef its target branch.
	HeadSHA string `json:"head_sha,omitempty"`
	BaseRef string `json:"base_ref,omitempty"`
	// Author is the forge user who opened the PR.
	Author string `json:"author,omitempty"`
	// State is "open", "closed" or "merged" (forge.PRState).
	State    string `json:"state,omitempty"`
	Draft    bool   `json:"draft,omitempty"`
	FromFork bool   `json:"from_fork,omitempty"`
	// MergeCommit is the commit the merge made, once merged: the apply
	// gate finds the PR of a tracked-branch commit by it.
	MergeCommit string `json:"merge_commit,omitempty"`
	// PlannedHead is the head commit the PR's latest plans are of.
	PlannedHead string `json:"planned_head,omitempty"`
	// PlannedStacks are the stacks planned at PlannedHead, in order.
	PlannedStacks []string `json:"planned_stacks,omitempty"`
	// Comments is how many comments driftgate keeps on the PR (the plan
	// may take more than one).
	Comments int `json:"comments,omitempty"`
	// Reviews are the PR's reviews as read when it merged, oldest first:
	// what the apply gate counts as approvals.
	Reviews []PRReview `json:"reviews,omitempty"`
	// UpdatedAt is when the record last changed.
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// PRReview is one review of a PR.
type PRReview struct {
	ID   int64  `json:"id"`
	User string `json:"user"`
	// State is the forge's verdict: "approved", "changes_requested", ...
	State string `json:"state"`
	// CommitSHA is the PR head the review was given on.
	CommitSHA   string    `json:"commit_sha,omitempty"`
	SubmittedAt time.Time `json:"submitted_at,omitzero"`
}

func prKey(repo string, number int) []byte {
	k := append([]byte(repoKey(repo)), 0)
	return binary.BigEndian.AppendUint64(k, uint64(number))
}

// migratePRs creates the buckets of schema v9: prs, webhook_ids and
// forge_outbox.
func migratePRs(tx *bbolt.Tx) error {
	for _, b := range [][]byte{prsBucket, webhookIDsBucket, outboxBucket} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return fmt.Errorf("create bucket %s: %w", b, err)
		}
	}
	return nil
}

// UpdatePR reads the record of PR repo/number (a fresh one when there is
// none), lets change edit it, and stores it, in one transaction. It
// returns the stored record.
func (s *Store) UpdatePR(ctx context.Context, repo string, number int, change func(*PRRecord) error) (*PRRecord, error) {
	if err := checkName("repo", repo); err != nil || repo == "" || number <= 0 {
		return nil, fmt.Errorf("update PR %s#%d: %w: need a repo and a positive number", repo, number, ErrInvalid)
	}
	key := prKey(repo, number)
	var out PRRecord
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		rec := PRRecord{Repo: repo, Number: number}
		if v := tx.Bucket(prsBucket).Get(key); v != nil {
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("decode: %w", err)
			}
		}
		if err := change(&rec); err != nil {
			return err
		}
		rec.Repo, rec.Number, rec.UpdatedAt = repo, number, time.Now().UTC()
		val, err := json.Marshal(&rec)
		if err != nil {
			return fmt.Errorf("encode: %w", err)
		}
		out = rec
		return tx.Bucket(prsBucket).Put(key, val)
	})
	if err != nil {
		return nil, fmt.Errorf("update PR %s#%d: %w", repo, number, err)
	}
	return &out, nil
}

// GetPR returns the record of PR repo/number, or ErrNotFound.
func (s *Store) GetPR(ctx context.Context, repo string, number int) (*PRRecord, error) {
	var rec PRRecord
	if err := s.getJSON(ctx, prsBucket, prKey(repo, number), &rec); err != nil {
		return nil, fmt.Errorf("get PR %s#%d: %w", repo, number, err)
	}
	return &rec, nil
}

// PRByMergeCommit returns the merged PR of repo whose merge made commit,
// or ErrNotFound.
func (s *Store) PRByMergeCommit(ctx context.Context, repo, commit string) (*PRRecord, error) {
	var out *PRRecord
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		prefix := append([]byte(repoKey(repo)), 0)
		c := tx.Bucket(prsBucket).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var rec PRRecord
			if json.Unmarshal(v, &rec) == nil && commit != "" && rec.MergeCommit == commit {
				out = &rec
				return nil
			}
		}
		return ErrNotFound
	})
	if err != nil {
		return nil, fmt.Errorf("find PR merged as %s: %w", shortCommit(commit), err)
	}
	return out, nil
}

// SeenDelivery records webhook delivery id of repo and reports whether it
// was new: false means a redelivery, to acknowledge and not act on. Ids
// older than DeliveryIDTTL are forgotten on the way.
func (s *Store) SeenDelivery(ctx context.Context, repo, id string, now time.Time) (bool, error) {
	if id == "" {
		return true, nil
	}
	key := append(append([]byte(repoKey(repo)), 0), id...)
	fresh := false
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(webhookIDsBucket)
		var old [][]byte
		_ = b.ForEach(func(k, v []byte) error {
			t, err := time.Parse(time.RFC3339, string(v))
			if err != nil || now.Sub(t) > DeliveryIDTTL {
				old = append(old, bytes.Clone(k))
			}
			return nil
		})
		for _, k := range old {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		if b.Get(key) != nil {
			fresh = false
			return nil
		}
		fresh = true
		return b.Put(key, []byte(now.UTC().Format(time.RFC3339)))
	})
	if err != nil {
		return false, fmt.Errorf("record webhook delivery %s: %w", id, err)
	}
	return fresh, nil
}

// ForgetDelivery removes delivery id of repo, so that a redelivery of one
// that could not be acted on is taken as new.
func (s *Store) ForgetDelivery(ctx context.Context, repo, id string) error {
	key := append(append([]byte(repoKey(repo)), 0), id...)
	err := s.update(ctx, func(tx *bbolt.Tx) error { return tx.Bucket(webhookIDsBucket).Delete(key) })
	if err != nil {
		return fmt.Errorf("forget webhook delivery %s: %w", id, err)
	}
	return nil
}

// shortCommit is a commit as errors name it.
func shortCommit(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	if c == "" {
		return "no commit"
	}
	return c
}
