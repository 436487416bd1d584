package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/driftgate/driftgate/store"
)

func testListRuns(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t, Options{Retention: -1})

	// Twenty runs over three repos (one local), two stack names, every
	// operation, several statuses, commits and PRs; created oldest first.
	repos := []string{"infra", "app", ""}
	stacks := []string{"net", "dns"}
	ops := []store.Operation{store.OperationPlan, store.OperationApply, store.OperationDrift}
	statuses := []store.RunStatus{store.StatusQueued, store.StatusPlanned, store.StatusErrored, store.StatusRunning, store.StatusNoChanges}
	var all []store.Run
	for i := range 20 {
		all = append(all, createRun(t, s, store.Run{
			Repo: repos[i%3], Stack: stacks[i%2], Operation: ops[i%3], Status: statuses[i%5],
			Commit: fmt.Sprintf("commit%d", i%4), PR: i % 3,
		}))
	}
	slices.Reverse(all) // newest first, as ListRuns returns them

	// want is the documented meaning of each filter field, on the runs
	// created above.
	want := func(keep func(r store.Run) bool) []string {
		var ids []string
		for _, r := range all {
			if keep(r) {
				ids = append(ids, r.ID)
			}
		}
		return ids
	}
	repoOf := func(r store.Run) string {
		if r.Repo == "" {
			return store.LocalRepo
		}
		return r.Repo
	}
	cases := []struct {
		name string
		f    store.RunFilter
		want []string
	}{
		{"all", store.RunFilter{}, want(func(store.Run) bool { return true })},
		{"repo", store.RunFilter{Repo: "infra"}, want(func(r store.Run) bool { return r.Repo == "infra" })},
		{"local repo", store.RunFilter{Repo: store.LocalRepo}, want(func(r store.Run) bool { return r.Repo == "" })},
		{"stack in any repo", store.RunFilter{Stack: "net"}, want(func(r store.Run) bool { return r.Stack == "net" })},
		{"repo and stack", store.RunFilter{Repo: "app", Stack: "dns"}, want(func(r store.Run) bool { return r.Repo == "app" && r.Stack == "dns" })},
		{"local stack", store.RunFilter{Repo: store.LocalRepo, Stack: "net"}, want(func(r store.Run) bool { return r.Repo == "" && r.Stack == "net" })},
		{"status", store.RunFilter{Status: store.StatusPlanned}, want(func(r store.Run) bool { return r.Status == store.StatusPlanned })},
		{"operation", store.RunFilter{Operation: store.OperationDrift}, want(func(r store.Run) bool { return r.Operation == store.OperationDrift })},
		{"commit", store.RunFilter{Commit: "commit1"}, want(func(r store.Run) bool { return r.Commit == "commit1" })},
		{"commit prefix does not match", store.RunFilter{Commit: "commit"}, nil},
		{"pr", store.RunFilter{PR: 2}, want(func(r store.Run) bool { return r.PR == 2 })},
		{"every field", store.RunFilter{Repo: "app", Stack: "net", Status: store.StatusQueued, Operation: store.OperationApply, Commit: "commit2", PR: 1},
			want(func(r store.Run) bool {
				return repoOf(r) == "app" && r.Stack == "net" && r.Status == store.StatusQueued &&
					r.Operation == store.OperationApply && r.Commit == "commit2" && r.PR == 1
			})},
		{"status and stack", store.RunFilter{Stack: "dns", Status: store.StatusErrored},
			want(func(r store.Run) bool { return r.Stack == "dns" && r.Status == store.StatusErrored })},
		{"unknown repo", store.RunFilter{Repo: "nope"}, nil},
		{"unknown stack", store.RunFilter{Stack: "nope"}, nil},
	}
	for _, c := range cases {
		// One page, and pages of two: the same runs in the same order.
		got, next, err := s.ListRuns(ctx, withLimit(c.f, store.MaxListLimit))
		if err != nil || next != "" || !slices.Equal(runIDs(got), c.want) {
			t.Errorf("%s: ListRuns = %v, %q, %v\nwant %v", c.name, runIDs(got), next, err, c.want)
		}
		if paged := listAll(t, s, withLimit(c.f, 2)); !slices.Equal(paged, c.want) {
			t.Errorf("%s: by pages of 2 = %v\nwant %v", c.name, paged, c.want)
		}
	}

	// Pages: a full last page has no cursor after it.
	ids := want(func(store.Run) bool { return true })
	f := store.RunFilter{Limit: 5}
	for page := 0; page < 4; page++ {
		got, next, err := s.ListRuns(ctx, f)
		mustNot(t, "ListRuns page", err)
		if !slices.Equal(runIDs(got), ids[page*5:page*5+5]) {
			t.Errorf("page %d = %v, want %v", page, runIDs(got), ids[page*5:page*5+5])
		}
		if (next == "") != (page == 3) {
			t.Errorf("page %d: next cursor %q; want one on every page but the last", page, next)
		}
		f.Cursor = next
	}

	// A run created between two pages does not shift the next page.
	page1, next, err := s.ListRuns(ctx, store.RunFilter{Limit: 5})
	mustNot(t, "ListRuns", err)
	newer := createRun(t, s, store.Run{Repo: "infra", Stack: "net", Status: store.StatusPlanned})
	page2, _, err := s.ListRuns(ctx, store.RunFilter{Limit: 5, Cursor: next})
	mustNot(t, "ListRuns", err)
	if !slices.Equal(runIDs(page1), ids[:5]) || !slices.Equal(runIDs(page2), ids[5:10]) {
		t.Errorf("pages around a new run = %v, %v; want %v, %v", runIDs(page1), runIDs(page2), ids[:5], ids[5:10])
	}
	all = append([]store.Run{newer}, all...)

	// The status filter follows a run's status when it changes.
	moved := all[0]
	from := moved.Status
	moved.Status = store.StatusCanceled
	mustNot(t, "SaveRun", s.SaveRun(ctx, &moved))
	got, _, err := s.ListRuns(ctx, store.RunFilter{Status: from, Limit: store.MaxListLimit})
	mustNot(t, "ListRuns", err)
	if slices.Contains(runIDs(got), moved.ID) {
		t.Errorf("ListRuns(status %s) still lists run %s, now canceled", from, moved.ID)
	}
	got, _, err = s.ListRuns(ctx, store.RunFilter{Status: store.StatusCanceled})
	if err != nil || !slices.Equal(runIDs(got), []string{moved.ID}) {
		t.Errorf("ListRuns(canceled) = %v, %v; want [%s]", runIDs(got), err, moved.ID)
	}

	// Limits: zero or negative is DefaultListLimit.
	for range store.DefaultListLimit + 1 - len(all) {
		createRun(t, s, store.Run{Repo: "bulk", Stack: "many", Status: store.StatusPlanned})
	}
	for _, limit := range []int{0, -1} {
		got, next, err := s.ListRuns(ctx, store.RunFilter{Limit: limit})
		if err != nil || len(got) != store.DefaultListLimit || next == "" {
			t.Errorf("ListRuns(limit %d) = %d runs, cursor %q, %v; want %d and a cursor",
				limit, len(got), next, err, store.DefaultListLimit)
		}
	}

	_, _, err = s.ListRuns(ctx, store.RunFilter{Cursor: badID})
	wantErr(t, "ListRuns malformed cursor", err, store.ErrInvalid)
	_, _, err = s.ListRuns(ctx, store.RunFilter{Status: "sleeping"})
	wantErr(t, "ListRuns unknown status", err, store.ErrInvalid)
	_, _, err = s.ListRuns(ctx, store.RunFilter{Repo: "in\x00fra"})
	wantErr(t, "ListRuns NUL repo", err, store.ErrInvalid)
	_, _, err = s.ListRuns(ctx, store.RunFilter{Stack: "n\x00et"})
	wantErr(t, "ListRuns NUL stack", err, store.ErrInvalid)
}

func withLimit(f store.RunFilter, limit int) store.RunFilter {
	f.Limit = limit
	return f
}

// listAll follows ListRuns's cursors from the first page to the last and
// returns every id, in order.
func listAll(t *testing.T, s Store, f store.RunFilter) []string {
	t.Helper()
	var ids []string
	for range 1000 {
		got, next, err := s.ListRuns(context.Background(), f)
		mustNot(t, "ListRuns", err)
		if len(got) > f.Limit {
			t.Fatalf("ListRuns returned %d runs, over the limit %d", len(got), f.Limit)
		}
		ids = append(ids, runIDs(got)...)
		if next == "" {
			return ids
		}
		if len(got) == 0 {
			t.Fatalf("ListRuns returned an empty page with cursor %q", next)
		}
		f.Cursor = next
	}
	t.Fatal("ListRuns cursors never end")
	return nil
}
