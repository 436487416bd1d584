package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/driftgate/driftgate/store"
)

// ListRuns returns the runs matching f, newest first, at most f.Limit of
// them (store.DefaultListLimit when zero, at most store.MaxListLimit), and
// the cursor of the next page: "" when there are no more. A cursor is the
// id of the last run of the page, as in the bbolt store; a malformed one
// fails with store.ErrInvalid, as does an unknown status filter. A run
// whose record does not decode is skipped and logged.
func (s *Store) ListRuns(ctx context.Context, f store.RunFilter) (runs []store.Run, next string, err error) {
	limit := f.Limit
	switch {
	case limit <= 0:
		limit = store.DefaultListLimit
	case limit > store.MaxListLimit:
		limit = store.MaxListLimit
	}
	if f.Status != "" && !f.Status.Valid() {
		return nil, "", fmt.Errorf("list runs: %w: unknown status %q", store.ErrInvalid, f.Status)
	}
	if err := store.CheckName("repo", f.Repo); err != nil {
		return nil, "", fmt.Errorf("list runs: %w", err)
	}
	if err := store.CheckName("stack", f.Stack); err != nil {
		return nil, "", fmt.Errorf("list runs: %w", err)
	}
	var where []string
	var args []any
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if f.Cursor != "" {
		after, err := store.ParseRunID(f.Cursor)
		if err != nil {
			return nil, "", fmt.Errorf("list runs: bad cursor: %w", err)
		}
		add("id < ?", after)
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
	if f.Operation != "" {
		add("operation = ?", string(f.Operation))
	}
	if f.Commit != "" {
		add("commit_id = ?", f.Commit)
	}
	if f.PR != 0 {
		add("pr = ?", f.PR)
	}
	sql := "SELECT id, data FROM runs"
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, limit+1)
	sql += " ORDER BY id DESC LIMIT $" + strconv.Itoa(len(args))
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list runs: %w", err)
	}
	runs, err = s.collectRuns(rows)
	if err != nil {
		return nil, "", fmt.Errorf("list runs: %w", err)
	}
	if len(runs) > limit {
		runs = runs[:limit]
		next = runs[limit-1].ID
	}
	return runs, next, nil
}
