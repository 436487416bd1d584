package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/oklog/ulid/v2"

	"github.com/driftgate/driftgate/store"
)

// PutDelivery stores d, as store.Store.PutDelivery does: a delivery with
// an empty ID is new and gets an id, CreatedAt (when zero) and Status
// (when empty, pending); one with an ID replaces the stored one, which
// must exist (store.ErrNotFound otherwise), and a zero CreatedAt keeps the
// stored one. UpdatedAt is set to now either way.
func (s *Store) PutDelivery(ctx context.Context, d *store.Delivery) error {
	del := *d
	if del.Status == "" {
		del.Status = store.DeliveryPending
	}
	if !del.Status.Valid() {
		return fmt.Errorf("put delivery: %w: unknown status %q", store.ErrInvalid, del.Status)
	}
	if del.Sink == "" {
		return fmt.Errorf("put delivery: %w: empty sink name", store.ErrInvalid)
	}
	isNew := del.ID == ""
	if !isNew {
		id, err := parseDeliveryID(del.ID)
		if err != nil {
			return fmt.Errorf("put delivery: %w", err)
		}
		del.ID = id
	}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		t := now()
		if isNew {
			id, err := s.ids.Next(t)
			if err != nil {
				return err
			}
			del.ID = id
			if del.CreatedAt.IsZero() {
				del.CreatedAt = t
			}
		} else {
			old, err := getDelivery(ctx, tx, del.ID, true)
			if err != nil {
				return err
			}
			if del.CreatedAt.IsZero() {
				del.CreatedAt = old.CreatedAt
			}
		}
		del.UpdatedAt = t
		data, err := json.Marshal(&del)
		if err != nil {
			return fmt.Errorf("encode delivery: %w", err)
		}
		_, err = tx.Exec(ctx, `INSERT INTO deliveries (id, repo, stack, status, data) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (id) DO UPDATE SET repo = $2, stack = $3, status = $4, data = $5`,
			del.ID, store.RepoKey(del.Repo), del.Stack, string(del.Status), data)
		if err != nil {
			return fmt.Errorf("write delivery (%d bytes): %w", len(data), err)
		}
		return nil
	})
	if err != nil {
		if isNew {
			return fmt.Errorf("put delivery to sink %s: %w", del.Sink, err)
		}
		return fmt.Errorf("put delivery %s: %w", del.ID, err)
	}
	*d = del
	return nil
}

// GetDelivery returns the delivery with the given id. Unknown and
// malformed ids fail with store.ErrNotFound; malformed ones also match
// store.ErrInvalid.
func (s *Store) GetDelivery(ctx context.Context, id string) (*store.Delivery, error) {
	canon, err := parseDeliveryID(id)
	if err != nil {
		return nil, fmt.Errorf("get delivery: %w: %w", store.ErrNotFound, err)
	}
	d, err := getDelivery(ctx, s.pool, canon, false)
	if err != nil {
		return nil, fmt.Errorf("get delivery %s: %w", id, err)
	}
	return d, nil
}

func getDelivery(ctx context.Context, q querier, id string, forUpdate bool) (*store.Delivery, error) {
	sql := "SELECT data FROM deliveries WHERE id = $1"
	if forUpdate {
		sql += " FOR UPDATE"
	}
	var data []byte
	err := q.QueryRow(ctx, sql, id).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	var d store.Delivery
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("decode delivery %s: %w", id, err)
	}
	return &d, nil
}

// ListDeliveries returns the deliveries matching f, newest first, at most
// f.Limit of them.
func (s *Store) ListDeliveries(ctx context.Context, f store.DeliveryFilter) ([]store.Delivery, error) {
	limit := f.Limit
	switch {
	case limit <= 0:
		limit = store.DefaultListLimit
	case limit > store.MaxListLimit:
		limit = store.MaxListLimit
	}
	if f.Status != "" && !f.Status.Valid() {
		return nil, fmt.Errorf("list deliveries: %w: unknown status %q", store.ErrInvalid, f.Status)
	}
	where := []string{"true"}
	var args []any
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if f.Repo != "" {
		add("repo = ?", store.RepoKey(f.Repo))
	}
	if f.Stack != "" {
		add("stack = ?", f.Stack)
	}
	if f.Status != "" {
		add("status = ?", string(f.Status))
	}
	args = append(args, limit)
	sql := "SELECT id, data FROM deliveries WHERE " + strings.Join(where, " AND ") +
		" ORDER BY id DESC LIMIT $" + strconv.Itoa(len(args))
	out, err := listJSON[store.Delivery](ctx, s, "deliveries", sql, args...)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	return out, nil
}

// PendingDeliveries returns every pending delivery, oldest first.
func (s *Store) PendingDeliveries(ctx context.Context) ([]store.Delivery, error) {
	out, err := listJSON[store.Delivery](ctx, s, "deliveries",
		"SELECT id, data FROM deliveries WHERE status = $1 ORDER BY id", string(store.DeliveryPending))
	if err != nil {
		return nil, fmt.Errorf("list pending deliveries: %w", err)
	}
	return out, nil
}

// PruneDeliveries deletes the delivered and failed deliveries created
// before cutoff (by the time in their ids) and returns how many it
// deleted. Pending deliveries are kept whatever their age.
func (s *Store) PruneDeliveries(ctx context.Context, cutoff time.Time) (int, error) {
	var first ulid.ULID // the smallest id of cutoff's millisecond
	if err := first.SetTime(ulid.Timestamp(cutoff)); err != nil {
		return 0, fmt.Errorf("prune deliveries: %w: cutoff %s: %w", store.ErrInvalid, cutoff, err)
	}
	var deleted int
	err := s.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "DELETE FROM deliveries WHERE id < $1 AND status <> $2",
			first.String(), string(store.DeliveryPending))
		deleted = int(tag.RowsAffected())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("prune deliveries: %w", err)
	}
	return deleted, nil
}

// parseDeliveryID returns the canonical form of a delivery id, a ULID.
// Errors wrap store.ErrInvalid.
func parseDeliveryID(id string) (string, error) {
	canon, err := store.ParseRunID(id)
	if err != nil {
		return "", fmt.Errorf("%w: delivery id %q is not a ULID", store.ErrInvalid, id)
	}
	return canon, nil
}
