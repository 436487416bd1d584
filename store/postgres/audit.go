package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/driftgate/driftgate/store"
)

// AppendAudit appends e to the audit log, as store.Store.AppendAudit does:
// it assigns e.ID and e.Time (now), refuses an entry with an ID set, no
// Actor or Action, or an unknown Result (store.ErrInvalid), and stores
// long fields shortened. e is updated only if the entry was stored.
func (s *Store) AppendAudit(ctx context.Context, e *store.AuditEntry) error {
	if err := store.CheckAudit(e); err != nil {
		return err
	}
	var entry store.AuditEntry
	err := s.tx(store.WithoutAudit(ctx), func(tx pgx.Tx) error {
		var err error
		entry, err = s.putAudit(ctx, tx, e)
		return err
	})
	if err != nil {
		return fmt.Errorf("append audit %s by %s: %w", e.Action, e.Actor, err)
	}
	*e = entry
	return nil
}

// putAudit writes a copy of e, capped, with its ID and Time assigned, in
// tx, and returns it.
func (s *Store) putAudit(ctx context.Context, tx pgx.Tx, e *store.AuditEntry) (store.AuditEntry, error) {
	entry := *e
	store.CapAudit(&entry)
	t := now()
	id, err := s.ids.Next(t)
	if err != nil {
		return store.AuditEntry{}, err
	}
	entry.ID, entry.Time = id, t
	data, err := json.Marshal(&entry)
	if err != nil {
		return store.AuditEntry{}, fmt.Errorf("encode audit entry: %w", err)
	}
	_, err = tx.Exec(ctx, "INSERT INTO audit (id, repo, stack, actor, action, data) VALUES ($1, $2, $3, $4, $5, $6)",
		entry.ID, entry.Repo, entry.Stack, entry.Actor, string(entry.Action), data)
	if err != nil {
		return store.AuditEntry{}, fmt.Errorf("write audit entry (%d bytes): %w", len(data), err)
	}
	return entry, nil
}

// ListAudit returns the entries matching f, newest first, at most f.Limit
// of them and at most store.MaxAuditPageBytes of stored entries (at least
// one), and the cursor of the next page: "" when there are no more. The
// cursor is the id of the last entry of the page; a malformed one fails
// with store.ErrInvalid.
func (s *Store) ListAudit(ctx context.Context, f store.AuditFilter) (entries []store.AuditEntry, next string, err error) {
	limit := f.Limit
	switch {
	case limit <= 0:
		limit = store.DefaultListLimit
	case limit > store.MaxListLimit:
		limit = store.MaxListLimit
	}
	var after string
	if f.Cursor != "" {
		if after, err = store.ParseRunID(f.Cursor); err != nil {
			return nil, "", fmt.Errorf("list audit: bad cursor %q: %w", f.Cursor, err)
		}
	}
	var where []string
	var args []any
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	add("(? = '' OR id < ?)", after)
	if f.Repo != "" {
		add("repo = ?", f.Repo)
	}
	if f.Stack != "" {
		add("stack = ?", f.Stack)
	}
	if f.Actor != "" {
		add("actor = ?", f.Actor)
	}
	if f.Action != "" {
		add("action = ?", string(f.Action))
	}
	args = append(args, limit+1)
	sql := "SELECT id, data FROM audit WHERE " + strings.Join(where, " AND ") +
		" ORDER BY id DESC LIMIT $" + strconv.Itoa(len(args))
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list audit: %w", err)
	}
	defer rows.Close()
	size := 0
	for rows.Next() {
		var id string
		var data []byte
		if err := rows.Scan(&id, &data); err != nil {
			return nil, "", fmt.Errorf("list audit: %w", err)
		}
		var e store.AuditEntry
		if err := json.Unmarshal(data, &e); err != nil {
			return nil, "", fmt.Errorf("list audit: decode audit entry %s: %w", id, err)
		}
		store.CapAudit(&e)
		n := len(e.Actor) + len(e.Action) + len(e.Repo) + len(e.Stack) + len(e.RunID) + len(e.Detail)
		if len(entries) == limit || len(entries) > 0 && size+n > store.MaxAuditPageBytes {
			next = entries[len(entries)-1].ID
			break
		}
		size += n
		entries = append(entries, e)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list audit: %w", err)
	}
	return entries, next, nil
}
