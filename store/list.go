package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"go.etcd.io/bbolt"
)

// ListRuns returns the runs matching f, newest first, at most f.Limit of
// them, and a cursor to pass as f.Cursor for the next page; the cursor is
// empty when there are no more runs. Cursors are opaque strings; a malformed
// one fails with ErrInvalid.
//
// A repo (and stack) filter reads only the stacks' run indexes; other
// filters scan all runs from the newest.
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
		it := newRunIter(tx, f, after)
		stored := tx.Bucket(runsBucket)
		for {
			key, status, val := it.next()
			if key == nil {
				return nil
			}
			if status != nil && f.Status != "" && string(status) != string(f.Status) {
				continue
			}
			if val == nil {
				if val = stored.Get(key); val == nil {
					return fmt.Errorf("corrupt index: run %s is indexed but not stored", formatRunID(key))
				}
			}
			var run Run
			if err := json.Unmarshal(val, &run); err != nil {
				return fmt.Errorf("decode run %s: %w", formatRunID(key), err)
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
		(f.Commit == "" || f.Commit == r.Commit)
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

// runIter yields run keys newest first. status is the indexed status when
// the source knows it, val the encoded run when the source holds it; a nil
// key ends the iteration. Slices are valid only inside the transaction.
type runIter interface {
	next() (key, status, val []byte)
}

// newRunIter picks the cheapest source of candidates for f, starting
// strictly before the key after (or at the newest run when after is nil).
func newRunIter(tx *bbolt.Tx, f RunFilter, after []byte) runIter {
	index := tx.Bucket(runsByStackBucket)
	switch {
	case f.Repo != "" && f.Stack != "":
		it := &mergeIter{}
		if b := index.Bucket(stackKey(f.Repo, f.Stack)); b != nil {
			it.add(b, after)
		}
		return it
	case f.Repo != "":
		it := &mergeIter{}
		prefix := repoPrefix(f.Repo)
		c := index.Cursor()
		for name, v := c.Seek(prefix); name != nil && bytes.HasPrefix(name, prefix); name, v = c.Next() {
			if v == nil { // nested bucket: one stack of the repo
				it.add(index.Bucket(name), after)
			}
		}
		return it
	default:
		c := tx.Bucket(runsBucket).Cursor()
		k, v := seekBefore(c, after)
		return &scanIter{c: c, k: k, v: v}
	}
}

// seekBefore positions c on the last key strictly less than key, or on the
// last key of the bucket when key is nil.
func seekBefore(c *bbolt.Cursor, key []byte) (k, v []byte) {
	if key == nil {
		return c.Last()
	}
	if k, _ := c.Seek(key); k == nil {
		return c.Last()
	}
	return c.Prev()
}

// scanIter walks the runs bucket backwards.
type scanIter struct {
	c    *bbolt.Cursor
	k, v []byte
}

func (it *scanIter) next() (key, status, val []byte) {
	key, val = it.k, it.v
	if key != nil {
		it.k, it.v = it.c.Prev()
	}
	return key, nil, val
}

// mergeIter merges the run indexes of several stacks into one newest-first
// sequence by always yielding the greatest head key.
type mergeIter struct {
	heads []indexHead
}

type indexHead struct {
	c    *bbolt.Cursor
	k, v []byte
}

func (it *mergeIter) add(b *bbolt.Bucket, after []byte) {
	c := b.Cursor()
	if k, v := seekBefore(c, after); k != nil {
		it.heads = append(it.heads, indexHead{c: c, k: k, v: v})
	}
}

func (it *mergeIter) next() (key, status, val []byte) {
	best := -1
	for i, h := range it.heads {
		if best < 0 || bytes.Compare(h.k, it.heads[best].k) > 0 {
			best = i
		}
	}
	if best < 0 {
		return nil, nil, nil
	}
	h := &it.heads[best]
	key, status = h.k, h.v
	if h.k, h.v = h.c.Prev(); h.k == nil {
		it.heads = append(it.heads[:best], it.heads[best+1:]...)
	}
	return key, status, nil
}
