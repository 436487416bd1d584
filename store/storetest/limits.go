package storetest

import (
	"context"
	"slices"
	"testing"

	"github.com/driftgate/driftgate/store"
)

// testDefaults checks the limits that need many runs: the default
// retention (Options.Retention zero) and MaxListLimit.
func testDefaults(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t, Options{})
	live := createRun(t, s, store.Run{Repo: "infra", Stack: "dns", Status: store.StatusQueued})
	var first []string
	for i := range store.DefaultRetention + 2 {
		r := createRun(t, s, store.Run{Repo: "infra", Stack: "net", Status: store.StatusPlanned})
		if i < 2 {
			first = append(first, r.ID)
		}
	}
	for _, id := range first {
		_, err := s.GetRun(ctx, id)
		wantErr(t, "GetRun of a run beyond the default retention", err, store.ErrNotFound)
	}
	if n, err := s.Prune(ctx, "infra", "net"); err != nil || n != 0 {
		t.Errorf("Prune = %d, %v; want 0, CreateRun pruned already", n, err)
	}

	// DefaultRetention+1 runs in all: a page is at most MaxListLimit.
	got, next, err := s.ListRuns(ctx, store.RunFilter{Limit: store.MaxListLimit + 1})
	if err != nil || len(got) != store.MaxListLimit || next == "" {
		t.Fatalf("ListRuns(limit %d) = %d runs, cursor %q, %v; want %d and a cursor",
			store.MaxListLimit+1, len(got), next, err, store.MaxListLimit)
	}
	rest, next, err := s.ListRuns(ctx, store.RunFilter{Limit: store.MaxListLimit + 1, Cursor: next})
	if err != nil || next != "" || !slices.Equal(runIDs(rest), []string{live.ID}) {
		t.Errorf("second page = %v, %q, %v; want the oldest run, %s", runIDs(rest), next, err, live.ID)
	}
	kept, _, err := s.ListRuns(ctx, store.RunFilter{Repo: "infra", Stack: "net", Limit: store.MaxListLimit})
	if err != nil || len(kept) != store.DefaultRetention {
		t.Errorf("stack keeps %d runs, %v; want DefaultRetention (%d)", len(kept), err, store.DefaultRetention)
	}
}
