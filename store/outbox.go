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

// The forge outbox (schema v9) holds the comment and commit status updates
// still to be made on a forge. One entry per target: a PR's comment by its
// marker, or a commit's status by its context. Queuing an update for a
// target replaces the pending one, so only the newest body is ever sent;
// entries survive a restart and are retried with backoff until delivered.
//
//	forge_outbox/
//	|-- <repo>\x00c\x00<PR number, uint64>\x00<marker>  -> OutboxItem, JSON
//	|-- <repo>\x00s\x00<commit>\x00<context>             -> OutboxItem, JSON

var outboxBucket = []byte("forge_outbox")

// OutboxKind says what an outbox entry does.
type OutboxKind string

// Outbox entry kinds.
const (
	OutboxComment       OutboxKind = "comment"        // upsert a PR comment by marker
	OutboxDeleteComment OutboxKind = "delete_comment" // delete a PR comment by marker
	OutboxStatus        OutboxKind = "status"         // set a commit status
)

// OutboxItem is one pending forge update. It is stored as JSON.
type OutboxItem struct {
	Repo string     `json:"repo"`
	Kind OutboxKind `json:"kind"`
	// PR and Marker name a comment; Body is its text.
	PR     int    `json:"pr,omitempty"`
	Marker string `json:"marker,omitempty"`
	Body   string `json:"body,omitempty"`
	// Commit, Context, State, Description and TargetURL make a status.
	Commit      string `json:"commit,omitempty"`
	Context     string `json:"context,omitempty"`
	State       string `json:"state,omitempty"`
	Description string `json:"description,omitempty"`
	TargetURL   string `json:"target_url,omitempty"`
	// Seq orders versions of one entry; the store assigns it.
	Seq uint64 `json:"seq"`
	// Attempts counts failed deliveries; NextAt is when to try again.
	Attempts  int       `json:"attempts,omitempty"`
	NextAt    time.Time `json:"next_at,omitzero"`
	LastError string    `json:"last_error,omitempty"`
}

func (it *OutboxItem) key() []byte {
	k := append([]byte(repoKey(it.Repo)), 0)
	if it.Kind == OutboxStatus {
		k = append(k, 's', 0)
		k = append(k, it.Commit...)
		return append(append(k, 0), it.Context...)
	}
	k = append(k, 'c', 0)
	k = binary.BigEndian.AppendUint64(k, uint64(it.PR))
	return append(append(k, 0), it.Marker...)
}

// QueueOutbox stores items, each replacing the pending update of its
// target, due now.
func (s *Store) QueueOutbox(ctx context.Context, items ...OutboxItem) error {
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(outboxBucket)
		for _, it := range items {
			seq, err := b.NextSequence()
			if err != nil {
				return err
			}
			it.Seq, it.Attempts, it.NextAt, it.LastError = seq, 0, time.Time{}, ""
			val, err := json.Marshal(&it)
			if err != nil {
				return fmt.Errorf("encode: %w", err)
			}
			if err := b.Put(it.key(), val); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("queue forge updates: %w", err)
	}
	return nil
}

// PendingOutbox returns the entries of repo (every repo when "") due at
// now, in key order.
func (s *Store) PendingOutbox(ctx context.Context, repo string, now time.Time) ([]OutboxItem, error) {
	var out []OutboxItem
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		c := tx.Bucket(outboxBucket).Cursor()
		var prefix []byte
		if repo != "" {
			prefix = append([]byte(repoKey(repo)), 0)
		}
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var it OutboxItem
			if err := json.Unmarshal(v, &it); err != nil {
				s.skipUnreadable(outboxBucket, string(k), err)
				continue
			}
			if it.NextAt.After(now) {
				continue
			}
			out = append(out, it)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list forge updates: %w", err)
	}
	return out, nil
}

// DoneOutbox removes it after its delivery, unless a newer version of its
// target was queued meanwhile (that one is still to send).
func (s *Store) DoneOutbox(ctx context.Context, it OutboxItem) error {
	return s.outboxSwap(ctx, it, func(b *bbolt.Bucket, k []byte) error { return b.Delete(k) })
}

// RetryOutbox records a failed delivery of it, due again at next, unless a
// newer version of its target was queued meanwhile.
func (s *Store) RetryOutbox(ctx context.Context, it OutboxItem, next time.Time, cause error) error {
	it.Attempts++
	it.NextAt = next.UTC()
	it.LastError = cause.Error()
	val, err := json.Marshal(&it)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	return s.outboxSwap(ctx, it, func(b *bbolt.Bucket, k []byte) error { return b.Put(k, val) })
}

func (s *Store) outboxSwap(ctx context.Context, it OutboxItem, do func(*bbolt.Bucket, []byte) error) error {
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(outboxBucket)
		k := it.key()
		v := b.Get(k)
		if v == nil {
			return nil
		}
		var cur OutboxItem
		if err := json.Unmarshal(v, &cur); err == nil && cur.Seq != it.Seq {
			return nil
		}
		return do(b, k)
	})
	if err != nil {
		return fmt.Errorf("update forge update %s: %w", it.Kind, err)
	}
	return nil
}
