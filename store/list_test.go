package store

import (
	"errors"
	"slices"
	"testing"

	"github.com/oklog/ulid/v2"
)

// seedRuns creates runs over two repos, several stacks and local runs, and
// returns their ids in creation order.
func seedRuns(tb testing.TB, s *Store) (ids []string, runs []Run) {
	tb.Helper()
	statuses := []RunStatus{StatusPlanned, StatusNoChanges, StatusErrored, StatusQueued}
	stacks := []struct{ repo, stack string }{
		{"infra", "net"}, {"infra", "dns"}, {"apps", "net"}, {"", "net"}, {"infra", "net"},
	}
	for i := range 20 {
		st := stacks[i%len(stacks)]
		r := createRun(tb, s, Run{Repo: st.repo, Stack: st.stack, Status: statuses[i%len(statuses)]})
		ids = append(ids, r.ID)
		runs = append(runs, r)
	}
	return ids, runs
}

// newestFirst returns the ids of the runs that satisfy keep, newest first.
func newestFirst(runs []Run, keep func(Run) bool) []string {
	var ids []string
	for i := len(runs) - 1; i >= 0; i-- {
		if keep(runs[i]) {
			ids = append(ids, runs[i].ID)
		}
	}
	return ids
}

func TestListRunsFilters(t *testing.T) {
	s := openTestStore(t, Options{})
	_, runs := seedRuns(t, s)

	tests := []struct {
		name   string
		filter RunFilter
		keep   func(Run) bool
	}{
		{"all", RunFilter{}, func(Run) bool { return true }},
		{"repo", RunFilter{Repo: "infra"}, func(r Run) bool { return r.Repo == "infra" }},
		{"repo and stack", RunFilter{Repo: "infra", Stack: "net"}, func(r Run) bool { return r.Repo == "infra" && r.Stack == "net" }},
		{"local runs", RunFilter{Repo: LocalRepo}, func(r Run) bool { return r.Repo == "" }},
		{"stack in any repo", RunFilter{Stack: "net"}, func(r Run) bool { return r.Stack == "net" }},
		{"status", RunFilter{Status: StatusErrored}, func(r Run) bool { return r.Status == StatusErrored }},
		{"repo and status", RunFilter{Repo: "infra", Status: StatusPlanned}, func(r Run) bool { return r.Repo == "infra" && r.Status == StatusPlanned }},
		{"repo, stack and status", RunFilter{Repo: "infra", Stack: "net", Status: StatusQueued}, func(r Run) bool {
			return r.Repo == "infra" && r.Stack == "net" && r.Status == StatusQueued
		}},
		{"unknown repo", RunFilter{Repo: "nope"}, func(Run) bool { return false }},
		{"unknown stack", RunFilter{Repo: "infra", Stack: "nope"}, func(Run) bool { return false }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, next, err := s.ListRuns(t.Context(), tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			want := newestFirst(runs, tt.keep)
			if !slices.Equal(runIDs(got), want) {
				t.Errorf("got %v\nwant %v", runIDs(got), want)
			}
			if next != "" {
				t.Errorf("next = %q, want none", next)
			}
		})
	}
}

func TestListRunsPagination(t *testing.T) {
	s := openTestStore(t, Options{})
	_, runs := seedRuns(t, s)

	filters := []RunFilter{
		{},
		{Repo: "infra"},
		{Repo: "infra", Stack: "net"},
		{Status: StatusPlanned},
		{Repo: "infra", Status: StatusQueued},
	}
	for _, f := range filters {
		want := newestFirst(runs, func(r Run) bool { return f.match(&r) })
		for _, limit := range []int{1, 2, 3, 7, len(want), len(want) + 1} {
			f := f
			f.Limit = limit
			var got []string
			pages := 0
			for {
				page, next, err := s.ListRuns(t.Context(), f)
				if err != nil {
					t.Fatalf("%+v: %v", f, err)
				}
				if len(page) > limit {
					t.Fatalf("%+v: page of %d runs", f, len(page))
				}
				got = append(got, runIDs(page)...)
				pages++
				if next == "" {
					break
				}
				if len(page) != limit {
					t.Fatalf("%+v: short page of %d with a next cursor", f, len(page))
				}
				f.Cursor = next
				if pages > len(runs) {
					t.Fatalf("%+v: pagination does not end", f)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("%+v: paged\n%v\nwant\n%v", f, got, want)
			}
		}
	}
}

func TestListRunsCursorOfDeletedRun(t *testing.T) {
	s := openTestStore(t, Options{})
	ids, _ := seedRuns(t, s)
	// A cursor need not name a stored run: listing continues before it.
	cursor := ulid.MustParse(ids[10])
	for i := len(cursor) - 1; i >= 0; i-- { // add one: an id between ids[10] and ids[11]
		if cursor[i]++; cursor[i] != 0 {
			break
		}
	}
	got, _, err := s.ListRuns(t.Context(), RunFilter{Cursor: cursor.String(), Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	if want := reversed(ids[8:11]); !slices.Equal(runIDs(got), want) {
		t.Errorf("got %v, want %v", runIDs(got), want)
	}
}

func TestListRunsLimits(t *testing.T) {
	s := openTestStore(t, Options{Retention: -1})
	s.db.NoSync = true
	for range MaxListLimit + 5 {
		createRun(t, s, Run{Repo: "infra", Stack: "net", Status: StatusPlanned})
	}
	tests := []struct {
		limit, want int
	}{
		{0, DefaultListLimit},
		{-3, DefaultListLimit},
		{10, 10},
		{MaxListLimit + 100, MaxListLimit},
	}
	for _, tt := range tests {
		got, next, err := s.ListRuns(t.Context(), RunFilter{Repo: "infra", Limit: tt.limit})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != tt.want || next == "" {
			t.Errorf("Limit %d: %d runs, next %q; want %d and a cursor", tt.limit, len(got), next, tt.want)
		}
	}
}

func TestListRunsRejects(t *testing.T) {
	s := openTestStore(t, Options{})
	tests := []struct {
		name   string
		filter RunFilter
	}{
		{"malformed cursor", RunFilter{Cursor: "page-2"}},
		{"unknown status", RunFilter{Status: "done"}},
		{"NUL in repo", RunFilter{Repo: "a\x00b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := s.ListRuns(t.Context(), tt.filter); !errors.Is(err, ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestListRunsOperationAndCommit(t *testing.T) {
	s := openTestStore(t, Options{})
	var runs []Run
	for i, op := range []Operation{OperationPlan, OperationApply, OperationPlan, OperationDrift, OperationApply} {
		commit := []string{"aaaa", "bbbb"}[i%2]
		runs = append(runs, createRun(t, s, Run{Repo: "infra", Stack: []string{"net", "dns"}[i%2], Operation: op, Commit: commit}))
	}
	tests := []struct {
		name   string
		filter RunFilter
		keep   func(Run) bool
	}{
		{"operation", RunFilter{Operation: "apply"}, func(r Run) bool { return r.Operation == "apply" }},
		{"commit", RunFilter{Commit: "aaaa"}, func(r Run) bool { return r.Commit == "aaaa" }},
		{"operation and commit", RunFilter{Operation: "plan", Commit: "aaaa"}, func(r Run) bool { return r.Operation == "plan" && r.Commit == "aaaa" }},
		{"with repo and stack", RunFilter{Repo: "infra", Stack: "net", Operation: "apply"}, func(r Run) bool { return r.Stack == "net" && r.Operation == "apply" }},
		{"commit prefix does not match", RunFilter{Commit: "aa"}, func(Run) bool { return false }},
		{"unknown operation", RunFilter{Operation: "destroy"}, func(Run) bool { return false }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, next, err := s.ListRuns(t.Context(), tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			if want := newestFirst(runs, tt.keep); !slices.Equal(runIDs(got), want) || next != "" {
				t.Errorf("got %v (next %q), want %v", runIDs(got), next, want)
			}
		})
	}
}
