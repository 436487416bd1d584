package postgres

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/driftgate/driftgate/store"
)

func createRun(tb testing.TB, s *Store, r store.Run) store.Run {
	tb.Helper()
	if err := s.CreateRun(tb.Context(), &r); err != nil {
		tb.Fatal(err)
	}
	return r
}

func ids(runs []store.Run) []string {
	out := make([]string, len(runs))
	for i := range runs {
		out[i] = runs[i].ID
	}
	return out
}

func TestRunRoundTrip(t *testing.T) {
	s, _ := openTest(t, Options{})
	ctx := t.Context()
	at := time.Date(2025, 3, 4, 5, 6, 7, 8, time.UTC)
	r := createRun(t, s, store.Run{Repo: "infra", Stack: "net", Dir: "stacks/net", Operation: store.OperationPlan, StartedAt: at})
	if r.ID == "" || r.Status != store.StatusQueued || r.CreatedAt.IsZero() {
		t.Fatalf("created %+v: want an id, queued, a creation time", r)
	}
	r.Status = store.StatusPlanned
	r.Summary = &store.PlanSummary{Add: 1, HasChanges: true}
	r.Attrs = map[store.AttrKey]string{"pr": "12"}
	r.CreatedAt = time.Time{}
	if err := s.SaveRun(ctx, &r); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetRun(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != store.StatusPlanned || got.Summary.Add != 1 || got.Attrs["pr"] != "12" ||
		!got.StartedAt.Equal(at) || got.CreatedAt.IsZero() {
		t.Fatalf("GetRun = %+v", got)
	}

	if _, err := s.GetRun(ctx, "nope"); !errors.Is(err, store.ErrNotFound) || !errors.Is(err, store.ErrInvalid) {
		t.Errorf("GetRun(malformed) = %v, want ErrNotFound and ErrInvalid", err)
	}
	if _, err := s.GetRun(ctx, "01ARZ3NDEKTSV4RRFFQ69G5FAV"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetRun(unknown) = %v, want ErrNotFound", err)
	}
	if err := s.CreateRun(ctx, &store.Run{ID: r.ID, Stack: "net"}); !errors.Is(err, store.ErrExists) {
		t.Errorf("CreateRun(duplicate) = %v, want ErrExists", err)
	}
	moved := *got
	moved.Stack = "other"
	if err := s.SaveRun(ctx, &moved); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("SaveRun(moved) = %v, want ErrInvalid", err)
	}
	latest, err := s.LatestRun(ctx, "infra", "net")
	if err != nil || latest.ID != r.ID {
		t.Errorf("LatestRun = %v, %v", latest, err)
	}
	if _, err := s.LatestRun(ctx, "", "net"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("LatestRun(local) = %v, want ErrNotFound", err)
	}
}

func TestListRunsPagesAndFilters(t *testing.T) {
	s, _ := openTest(t, Options{})
	ctx := t.Context()
	var all []store.Run
	for i := range 7 {
		r := store.Run{Repo: "infra", Stack: []string{"net", "db"}[i%2], Operation: store.OperationPlan, Commit: "c1", PR: i % 3}
		if i == 3 {
			r.Repo, r.Operation = "", store.OperationDrift
		}
		all = append(all, createRun(t, s, r))
	}
	slices.Reverse(all) // newest first

	var got []store.Run
	cursor := ""
	pages := 0
	for {
		page, next, err := s.ListRuns(ctx, store.RunFilter{Limit: 3, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, page...)
		pages++
		if next == "" {
			break
		}
		cursor = next
	}
	if !slices.Equal(ids(got), ids(all)) || pages != 3 {
		t.Fatalf("paged %v in %d pages, want %v in 3", ids(got), pages, ids(all))
	}

	tests := []struct {
		name string
		f    store.RunFilter
		want func(*store.Run) bool
	}{
		{"repo", store.RunFilter{Repo: "infra"}, func(r *store.Run) bool { return r.Repo == "infra" }},
		{"local", store.RunFilter{Repo: store.LocalRepo}, func(r *store.Run) bool { return r.Repo == "" }},
		{"stack", store.RunFilter{Stack: "db"}, func(r *store.Run) bool { return r.Stack == "db" }},
		{"operation", store.RunFilter{Operation: store.OperationDrift}, func(r *store.Run) bool { return r.Operation == store.OperationDrift }},
		{"pr", store.RunFilter{PR: 2}, func(r *store.Run) bool { return r.PR == 2 }},
		{"commit", store.RunFilter{Commit: "c1", Status: store.StatusQueued}, func(r *store.Run) bool { return true }},
		{"none", store.RunFilter{Commit: "c2"}, func(r *store.Run) bool { return false }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, next, err := s.ListRuns(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var want []store.Run
			for i := range all {
				if tt.want(&all[i]) {
					want = append(want, all[i])
				}
			}
			if !slices.Equal(ids(page), ids(want)) || next != "" {
				t.Errorf("ListRuns(%+v) = %v (next %q), want %v", tt.f, ids(page), next, ids(want))
			}
		})
	}
	for _, f := range []store.RunFilter{{Cursor: "bad"}, {Status: "done"}, {Repo: "a\x00b"}} {
		if _, _, err := s.ListRuns(ctx, f); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("ListRuns(%+v) = %v, want ErrInvalid", f, err)
		}
	}
}

// Retention keeps the newest finished runs of each stack, deletes the
// rest with their plans and logs, and never deletes a live run.
func TestRetentionPrunesFinishedRunsWithPlansAndLogs(t *testing.T) {
	s, _ := openTest(t, Options{Retention: 2})
	ctx := t.Context()
	queued := createRun(t, s, store.Run{Repo: "infra", Stack: "net"})
	var finished []store.Run
	for range 3 {
		r := createRun(t, s, store.Run{Repo: "infra", Stack: "net", Status: store.StatusPlanned})
		if err := s.PutPlan(ctx, &store.Plan{RunID: r.ID, Text: []byte("plan"), File: []byte("PKfile")}); err != nil {
			t.Fatal(err)
		}
		if err := s.PutLog(ctx, r.ID, []byte("log")); err != nil {
			t.Fatal(err)
		}
		finished = append(finished, r)
	}
	other := createRun(t, s, store.Run{Repo: "infra", Stack: "db", Status: store.StatusPlanned})
	// The fourth finished run prunes the oldest.
	createRun(t, s, store.Run{Repo: "infra", Stack: "net", Status: store.StatusErrored})

	if _, err := s.GetRun(ctx, finished[0].ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("oldest finished run: %v, want ErrNotFound", err)
	}
	var plans, logs int
	_ = s.pool.QueryRow(ctx, "SELECT count(*) FROM plans WHERE run_id = $1", finished[0].ID).Scan(&plans)
	_ = s.pool.QueryRow(ctx, "SELECT count(*) FROM logs WHERE run_id = $1", finished[0].ID).Scan(&logs)
	if plans != 0 || logs != 0 {
		t.Errorf("pruned run left %d plans and %d logs", plans, logs)
	}
	for _, r := range []store.Run{queued, finished[2], other} {
		if _, err := s.GetRun(ctx, r.ID); err != nil {
			t.Errorf("run %s (%s/%s): %v", r.ID, r.Stack, r.Status, err)
		}
	}
	if _, err := s.GetPlan(ctx, finished[2].ID); err != nil {
		t.Errorf("kept run's plan: %v", err)
	}

	// Prune after lowering the retention.
	low := openURLWithPool(t, s, Options{Retention: 1})
	n, err := low.Prune(ctx, "infra", "net")
	if err != nil || n != 1 {
		t.Fatalf("Prune = %d, %v; want 1", n, err)
	}
	page, _, _ := s.ListRuns(ctx, store.RunFilter{Repo: "infra", Stack: "net"})
	if len(page) != 2 || page[1].ID != queued.ID {
		t.Errorf("after Prune: %v, want the newest finished and the queued run", ids(page))
	}
}

// openURLWithPool is a second store on the database of s, with opts.
func openURLWithPool(tb testing.TB, s *Store, opts Options) *Store {
	tb.Helper()
	return openURL(tb, s.pool.Config().ConnString(), opts)
}
