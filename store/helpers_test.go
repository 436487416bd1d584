package store

import (
	"context"
	"testing"
)

// openTestStore opens a store in a fresh temp dir and closes it at cleanup.
func openTestStore(tb testing.TB, opts Options) *Store {
	tb.Helper()
	s, err := Open(tb.TempDir(), opts)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

// createRun stores a copy of r and returns it with its assigned fields.
func createRun(tb testing.TB, s *Store, r Run) Run {
	tb.Helper()
	if err := s.CreateRun(context.Background(), &r); err != nil {
		tb.Fatalf("CreateRun(%s/%s): %v", r.Repo, r.Stack, err)
	}
	return r
}

// runIDs returns the ids of runs, in order.
func runIDs(runs []Run) []string {
	ids := make([]string, len(runs))
	for i, r := range runs {
		ids[i] = r.ID
	}
	return ids
}

// reversed returns a reversed copy of ids.
func reversed(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[len(ids)-1-i] = id
	}
	return out
}

// keepOthers is the change of an enqueue that leaves the stack's other
// queued runs alone.
func keepOthers(*Run) (bool, error) { return false, nil }
