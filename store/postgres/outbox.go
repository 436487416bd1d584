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

// QueueOutbox stores items, each replacing the pending update of its
// target (store.OutboxItem.Key), due now.
func (s *Store) QueueOutbox(ctx context.Context, items ...store.OutboxItem) error {
	err := s.tx(ctx, func(tx pgx.Tx) error {
		for _, it := range items {
			var seq int64
			if err := tx.QueryRow(ctx, "SELECT nextval('forge_outbox_seq')").Scan(&seq); err != nil {
				return err
			}
			it.Seq, it.Attempts, it.NextAt, it.LastError = uint64(seq), 0, time.Time{}, ""
			if err := putOutbox(ctx, tx, &it); err != nil {
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

func putOutbox(ctx context.Context, tx pgx.Tx, it *store.OutboxItem) error {
	data, err := json.Marshal(it)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO forge_outbox (k, repo, data) VALUES ($1, $2, $3)
		ON CONFLICT (k) DO UPDATE SET data = $3`, it.Key(), store.RepoKey(it.Repo), data)
	return err
}

// PendingOutbox returns the entries of repo (every repo when "") due at
// now, in key order.
func (s *Store) PendingOutbox(ctx context.Context, repo string, now time.Time) ([]store.OutboxItem, error) {
	items, err := listJSON[store.OutboxItem](ctx, s, "forge_outbox",
		"SELECT encode(k, 'escape'), data FROM forge_outbox WHERE $1 = '' OR repo = $2 ORDER BY k", repo, store.RepoKey(repo))
	if err != nil {
		return nil, fmt.Errorf("list forge updates: %w", err)
	}
	out := items[:0]
	for _, it := range items {
		if !it.NextAt.After(now) {
			out = append(out, it)
		}
	}
	return out, nil
}

// DoneOutbox removes it after its delivery, unless a newer version of its
// target was queued meanwhile (that one is still to send).
func (s *Store) DoneOutbox(ctx context.Context, it store.OutboxItem) error {
	return s.outboxSwap(ctx, it, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "DELETE FROM forge_outbox WHERE k = $1", it.Key())
		return err
	})
}

// RetryOutbox records a failed delivery of it, due again at next, unless a
// newer version of its target was queued meanwhile.
func (s *Store) RetryOutbox(ctx context.Context, it store.OutboxItem, next time.Time, cause error) error {
	it.Attempts++
	it.NextAt = next.UTC()
	it.LastError = cause.Error()
	return s.outboxSwap(ctx, it, func(tx pgx.Tx) error { return putOutbox(ctx, tx, &it) })
}

// outboxSwap runs do when the stored entry of its target is the version
// it (same Seq), with the row locked.
func (s *Store) outboxSwap(ctx context.Context, it store.OutboxItem, do func(pgx.Tx) error) error {
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var data []byte
		err := tx.QueryRow(ctx, "SELECT data FROM forge_outbox WHERE k = $1 FOR UPDATE", it.Key()).Scan(&data)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		var cur store.OutboxItem
		if err := json.Unmarshal(data, &cur); err == nil && cur.Seq != it.Seq {
			return nil
		}
		return do(tx)
	})
	if err != nil {
		return fmt.Errorf("update forge update %s: %w", it.Kind, err)
	}
	return nil
}
