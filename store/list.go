package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"go.etcd.io/bbolt"
)

// errIndexedNotStored is logged for an index entry whose run is gone.
var errIndexedNotStored = errors.New("run is indexed but not stored")

// ListRuns returns the runs matching f, newest first, at most f.Limit of
// them, and a cursor to pass as f.Cursor for the next page; the cursor is
// empty when there are no more runs. Cursors are opaque strings; a malformed
// one fails with ErrInvalid.
//
// Each of the repo, stack, status and operation filters reads its run
// index, and several are intersected (runjoin.go), so a page costs about
// the same whatever the filters and however many runs are stored. A run
// whose record does not decode is skipped and logged.
func (s *Store) ListRuns(ctx context.Context, f RunFilter) (runs []Run, next string, err error) {
	limit := f.Limit
	switch {
	case limit <= 0:
		limit = DefaultListLimit
	case limit > MaxListLimit:
		limit = MaxListLimit
	}
	if f.Status != "" && !f.Status.Valid() {
		return nil, "", fmt.Errorf("list runs: %w: unknown status %q", ErrInvalid, f.Status)
	}
	if err := checkName("repo", f.Repo); err != nil {
		return nil, "", fmt.Errorf("list runs: %w", err)
	}
	if err := checkName("stack", f.Stack); err != nil {
		return nil, "", fmt.Errorf("list runs: %w", err)
	}
	var after []byte
	if f.Cursor != "" {
		if after, err = parseCursor(f.Cursor); err != nil {
			return nil, "", fmt.Errorf("list runs: %w", err)
		}
	}

	err = s.view(ctx, func(tx *bbolt.Tx) error {
		stored := tx.Bucket(runsBucket)
		j := newRunJoin(tx, f, after)
		for key := j.next(); key != nil; key = j.next() {
			val := stored.Get(key)
			if val == nil {
				s.skipUnreadable(runsBucket, formatRunID(key), errIndexedNotStored)
				continue
			}
			var run Run
			if err := json.Unmarshal(val, &run); err != nil {
				s.skipUnreadable(runsBucket, formatRunID(key), err)
				continue
			}
			if !f.match(&run) {
				continue
			}
			if len(runs) == limit {
				next = formatCursor(runs[limit-1].ID)
				return nil
			}
			runs = append(runs, run)
		}
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("list runs: %w", err)
	}
	return runs, next, nil
}

// match applies f to a decoded run.
func (f RunFilter) match(r *Run) bool {
	return (f.Repo == "" || repoKey(f.Repo) == repoKey(r.Repo)) &&
		(f.Stack == "" || f.Stack == r.Stack) &&
		(f.Status == "" || f.Status == r.Status) &&
		(f.Operation == "" || f.Operation == r.Operation) &&
		(f.Commit == "" || f.Commit == r.Commit) &&
		(f.PR == 0 || f.PR == r.PR)
}

// parseCursor decodes a ListRuns cursor into the run key to continue after.
// A cursor is the id of the last run of the previous page.
func parseCursor(cursor string) ([]byte, error) {
	key, err := parseRunID(cursor)
	if err != nil {
		return nil, fmt.Errorf("bad cursor: %w", err)
	}
	return key, nil
}

// formatCursor makes the cursor continuing after the run with id lastID.
func formatCursor(lastID string) string { return lastID }
