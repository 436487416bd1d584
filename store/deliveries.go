package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/oklog/ulid/v2"
	"go.etcd.io/bbolt"
)

// Notification deliveries. Every notification sent to a sink (a webhook, a
// Slack channel) is one delivery, recorded when the event is queued and
// updated after every attempt. A pending delivery carries the event it
// sends, so deliveries survive a restart and are resumed.
//
//	deliveries/
//	|-- <delivery id> -> Delivery, JSON   16-byte ULID keys: oldest first

var deliveriesBucket = []byte("deliveries")

// DeliveryStatus is the state of a notification delivery.
type DeliveryStatus string

// Delivery states. Pending deliveries are still to be attempted; the rest
// are terminal.
const (
	// DeliveryPending is a delivery not yet made, attempted or not.
	DeliveryPending DeliveryStatus = "pending"
	// DeliveryDelivered is a delivery the sink accepted.
	DeliveryDelivered DeliveryStatus = "delivered"
	// DeliveryFailed is a delivery given up on; LastError says why.
	DeliveryFailed DeliveryStatus = "failed"
)

// Valid reports whether s is one of the declared delivery statuses.
func (s DeliveryStatus) Valid() bool {
	switch s {
	case DeliveryPending, DeliveryDelivered, DeliveryFailed:
		return true
	}
	return false
}

// Terminal reports whether a delivery in status s will not be attempted
// again.
func (s DeliveryStatus) Terminal() bool {
	return s == DeliveryDelivered || s == DeliveryFailed
}

// Delivery is one notification event sent to one sink. It is stored as
// JSON; the tags are the storage format.
type Delivery struct {
	// ID is the delivery's ULID, time-ordered. PutDelivery assigns it when
	// empty.
	ID string `json:"id"`
	// EventID is the id of the event delivered, the receiver's
	// idempotency key; one event has one delivery per sink.
	EventID string `json:"event_id"`
	// EventType is the event's type, such as "drift_found".
	EventType string `json:"event_type"`
	// Sink is the configured name of the sink delivered to.
	Sink string `json:"sink"`
	// Repo and Stack name the stack the event is about; Repo is empty for
	// local runs.
	Repo  string `json:"repo,omitempty"`
	Stack string `json:"stack,omitempty"`
	// Status is the delivery's state. PutDelivery defaults it to
	// DeliveryPending.
	Status DeliveryStatus `json:"status"`
	// Attempts counts the attempts made so far.
	Attempts int `json:"attempts"`
	// LastError is the failure of the last attempt, if it failed.
	LastError string `json:"last_error,omitempty"`
	// CreatedAt is when the delivery was queued. PutDelivery sets it when
	// zero.
	CreatedAt time.Time `json:"created_at,omitzero"`
	// UpdatedAt is when the delivery was last stored; PutDelivery sets it.
	UpdatedAt time.Time `json:"updated_at,omitzero"`
	// DeliveredAt is when the sink accepted the delivery.
	DeliveredAt time.Time `json:"delivered_at,omitzero"`
	// Event is the event to send, as JSON. The notifier stores it with
	// sensitive values already redacted, so it holds no secrets.
	Event json.RawMessage `json:"event,omitempty"`
}

// DeliveryFilter selects deliveries for ListDeliveries. Zero fields match
// everything.
type DeliveryFilter struct {
	// Repo restricts the listing to one repo; use LocalRepo for local runs.
	Repo string
	// Stack restricts the listing to one stack name.
	Stack string
	// Status restricts the listing to deliveries in one status.
	Status DeliveryStatus
	// Limit is the number of deliveries returned: zero or negative means
	// DefaultListLimit, and values above MaxListLimit are lowered to it.
	Limit int
}

// migrateDeliveries creates the deliveries bucket.
func migrateDeliveries(tx *bbolt.Tx) error {
	if _, err := tx.CreateBucketIfNotExists(deliveriesBucket); err != nil {
		return fmt.Errorf("create bucket %s: %w", deliveriesBucket, err)
	}
	return nil
}

// PutDelivery stores d. A delivery with an empty ID is new: it gets an id
// from the process's monotonic ULID source, CreatedAt (when zero) and
// Status (when empty, DeliveryPending). A delivery with an ID replaces the
// stored one, which must exist (ErrNotFound otherwise); a zero CreatedAt
// keeps the stored one. UpdatedAt is set to now either way. d is updated
// only if the delivery was stored.
func (s *Store) PutDelivery(ctx context.Context, d *Delivery) error {
	del := *d
	if del.Status == "" {
		del.Status = DeliveryPending
	}
	if !del.Status.Valid() {
		return fmt.Errorf("put delivery: %w: unknown status %q", ErrInvalid, del.Status)
	}
	if del.Sink == "" {
		return fmt.Errorf("put delivery: %w: empty sink name", ErrInvalid)
	}
	var key []byte
	if del.ID != "" {
		k, err := parseDeliveryID(del.ID)
		if err != nil {
			return fmt.Errorf("put delivery: %w", err)
		}
		key, del.ID = k, formatRunID(k)
	}
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(deliveriesBucket)
		now := time.Now().UTC()
		k := key
		if k == nil {
			id, err := s.ids.next(now)
			if err != nil {
				return err
			}
			k, del.ID = id[:], id.String()
			if del.CreatedAt.IsZero() {
				del.CreatedAt = now
			}
		} else if del.CreatedAt.IsZero() {
			old, err := getDelivery(b, k)
			if err != nil {
				return err
			}
			del.CreatedAt = old.CreatedAt
		} else if b.Get(k) == nil {
			return ErrNotFound
		}
		del.UpdatedAt = now
		v, err := json.Marshal(&del)
		if err != nil {
			return fmt.Errorf("encode delivery: %w", err)
		}
		if err := b.Put(k, v); err != nil {
			return fmt.Errorf("write delivery (%d bytes): %w", len(v), err)
		}
		return nil
	})
	if err != nil {
		if del.ID == "" {
			return fmt.Errorf("put delivery to sink %s: %w", del.Sink, err)
		}
		return fmt.Errorf("put delivery %s: %w", del.ID, err)
	}
	*d = del
	return nil
}

// GetDelivery returns the delivery with the given id. Unknown and malformed
// ids fail with ErrNotFound; malformed ones also match ErrInvalid.
func (s *Store) GetDelivery(ctx context.Context, id string) (*Delivery, error) {
	key, err := parseDeliveryID(id)
	if err != nil {
		return nil, fmt.Errorf("get delivery: %w: %w", ErrNotFound, err)
	}
	var out *Delivery
	err = s.view(ctx, func(tx *bbolt.Tx) error {
		out, err = getDelivery(tx.Bucket(deliveriesBucket), key)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("get delivery %s: %w", id, err)
	}
	return out, nil
}

// ListDeliveries returns the deliveries matching f, newest first, at most
// f.Limit of them.
func (s *Store) ListDeliveries(ctx context.Context, f DeliveryFilter) ([]Delivery, error) {
	limit := f.Limit
	switch {
	case limit <= 0:
		limit = DefaultListLimit
	case limit > MaxListLimit:
		limit = MaxListLimit
	}
	if f.Status != "" && !f.Status.Valid() {
		return nil, fmt.Errorf("list deliveries: %w: unknown status %q", ErrInvalid, f.Status)
	}
	var out []Delivery
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		c := tx.Bucket(deliveriesBucket).Cursor()
		for k, v := c.Last(); k != nil && len(out) < limit; k, v = c.Prev() {
			d, err := decodeDelivery(k, v)
			if err != nil {
				return err
			}
			if f.match(d) {
				out = append(out, *d)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	return out, nil
}

// match applies f to a decoded delivery.
func (f DeliveryFilter) match(d *Delivery) bool {
	switch {
	case f.Repo != "" && repoKey(d.Repo) != repoKey(f.Repo):
		return false
	case f.Stack != "" && d.Stack != f.Stack:
		return false
	case f.Status != "" && d.Status != f.Status:
		return false
	}
	return true
}

// PendingDeliveries returns every pending delivery, oldest first. It reads
// the whole bucket, which PruneDeliveries keeps bounded; the notifier calls
// it once at start-up.
func (s *Store) PendingDeliveries(ctx context.Context) ([]Delivery, error) {
	var out []Delivery
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(deliveriesBucket).ForEach(func(k, v []byte) error {
			d, err := decodeDelivery(k, v)
			if err != nil {
				return err
			}
			if d.Status == DeliveryPending {
				out = append(out, *d)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list pending deliveries: %w", err)
	}
	return out, nil
}

// PruneDeliveries deletes the delivered and failed deliveries created
// before cutoff and returns how many it deleted. Pending deliveries are
// kept whatever their age. Keys are time-ordered, so it reads only the
// deliveries older than cutoff.
func (s *Store) PruneDeliveries(ctx context.Context, cutoff time.Time) (int, error) {
	ms := ulid.Timestamp(cutoff)
	var deleted int
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		deleted = 0
		b := tx.Bucket(deliveriesBucket)
		var keys [][]byte
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if len(k) != len(ulid.ULID{}) {
				return fmt.Errorf("corrupt delivery key %x", k)
			}
			var id ulid.ULID
			copy(id[:], k)
			if id.Time() >= ms {
				break
			}
			d, err := decodeDelivery(k, v)
			if err != nil {
				return err
			}
			if d.Status.Terminal() {
				keys = append(keys, bytes.Clone(k))
			}
		}
		for _, k := range keys {
			if err := b.Delete(k); err != nil {
				return fmt.Errorf("delete delivery %s: %w", formatRunID(k), err)
			}
		}
		deleted = len(keys)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("prune deliveries: %w", err)
	}
	return deleted, nil
}

// getDelivery decodes the delivery stored under key in b.
func getDelivery(b *bbolt.Bucket, key []byte) (*Delivery, error) {
	v := b.Get(key)
	if v == nil {
		return nil, ErrNotFound
	}
	return decodeDelivery(key, v)
}

// decodeDelivery decodes a stored delivery; decoding copies it out of
// bbolt's memory.
func decodeDelivery(key, v []byte) (*Delivery, error) {
	var d Delivery
	if err := json.Unmarshal(v, &d); err != nil {
		return nil, fmt.Errorf("decode delivery %s: %w", formatRunID(key), err)
	}
	return &d, nil
}

// parseDeliveryID parses a delivery id, a ULID like a run id, into its key.
// Errors wrap ErrInvalid.
func parseDeliveryID(s string) ([]byte, error) {
	id, err := ulid.ParseStrict(s)
	if err != nil {
		return nil, fmt.Errorf("%w: delivery id %q is not a ULID: %w", ErrInvalid, s, err)
	}
	return id[:], nil
}
