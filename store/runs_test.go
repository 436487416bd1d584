package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
)

func TestCreateRunAssignsIDAndDefaults(t *testing.T) {
	s := openTestStore(t, Options{})
	before := time.Now().Add(-time.Millisecond)
	r := createRun(t, s, Run{Repo: "infra", Stack: "net", Dir: "stacks/net", Commit: "abc", Trigger: "commit", Operation: "plan"})

	id, err := ulid.ParseStrict(r.ID)
	if err != nil {
		t.Fatalf("ID %q is not a ULID: %v", r.ID, err)
	}
	if r.Status != StatusQueued {
		t.Errorf("Status = %q, want %q", r.Status, StatusQueued)
	}
	if r.CreatedAt.Before(before) || r.CreatedAt.After(time.Now()) {
		t.Errorf("CreatedAt = %v, want about now", r.CreatedAt)
	}
	if got := id.Timestamp(); got.Sub(r.CreatedAt).Abs() > time.Millisecond {
		t.Errorf("ID time %v, CreatedAt %v: want the same millisecond", got, r.CreatedAt)
	}

	got, err := s.GetRun(t.Context(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != r.ID || got.Stack != "net" || got.Dir != "stacks/net" || !got.CreatedAt.Equal(r.CreatedAt) {
		t.Errorf("GetRun = %+v, want %+v", got, r)
	}
}

func TestRunRoundTrip(t *testing.T) {
	s := openTestStore(t, Options{})
	now := time.Date(2025, 3, 4, 5, 6, 7, 8, time.UTC)
	r := createRun(t, s, Run{Repo: "infra", Stack: "net", Status: StatusRunning, StartedAt: now})
	r.Status = StatusPlanned
	r.FinishedAt = now.Add(time.Minute)
	r.TerraformVersion = "1.9.8"
	r.Summary = &PlanSummary{Add: 1, Change: 2, Destroy: 3, Replace: 4, Import: 5, Drifted: 6, OutputChanges: 7, HasChanges: true}
	r.Attrs = map[AttrKey]string{"pr": "12"}
	if err := s.SaveRun(t.Context(), &r); err != nil {
		t.Fatalf("SaveRun: %v", err)
	}

	got, err := s.GetRun(t.Context(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != StatusPlanned || *got.Summary != *r.Summary || got.Attrs["pr"] != "12" ||
		!got.StartedAt.Equal(now) || !got.FinishedAt.Equal(r.FinishedAt) || got.TerraformVersion != "1.9.8" {
		t.Errorf("GetRun = %+v, want %+v", got, r)
	}
}

func TestCreateRunRejects(t *testing.T) {
	s := openTestStore(t, Options{})
	existing := createRun(t, s, Run{Repo: "infra", Stack: "net"})

	tests := []struct {
		name string
		run  Run
		want error
	}{
		{"empty stack", Run{Repo: "infra"}, ErrInvalid},
		{"NUL in repo", Run{Repo: "in\x00fra", Stack: "net"}, ErrInvalid},
		{"NUL in stack", Run{Repo: "infra", Stack: "n\x00et"}, ErrInvalid},
		{"unknown status", Run{Stack: "net", Status: "done"}, ErrInvalid},
		{"malformed id", Run{ID: "run-1", Stack: "net"}, ErrInvalid},
		{"duplicate id", Run{ID: existing.ID, Stack: "net"}, ErrExists},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.run
			err := s.CreateRun(t.Context(), &r)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if r.ID != tt.run.ID {
				t.Errorf("failed CreateRun changed ID to %q", r.ID)
			}
		})
	}
}

func TestCreateRunWithGivenID(t *testing.T) {
	s := openTestStore(t, Options{})
	id := ulid.Make().String()
	r := createRun(t, s, Run{ID: strings.ToLower(id), Stack: "net"})
	if r.ID != id {
		t.Errorf("ID = %q, want canonical %q", r.ID, id)
	}
}

func TestGetRunErrors(t *testing.T) {
	s := openTestStore(t, Options{})
	r := createRun(t, s, Run{Repo: "infra", Stack: "net"})

	tests := []struct {
		name    string
		id      string
		wantErr []error
	}{
		{"stored", r.ID, nil},
		{"stored, lower case", strings.ToLower(r.ID), nil},
		{"unknown", ulid.Make().String(), []error{ErrNotFound}},
		{"empty", "", []error{ErrNotFound, ErrInvalid}},
		{"too short", "01ARZ3NDEKTSV4RRFFQ69G5FA", []error{ErrNotFound, ErrInvalid}},
		{"bad characters", "01ARZ3NDEKTSV4RRFFQ69G5FA!", []error{ErrNotFound, ErrInvalid}},
		{"overflows 128 bits", "81ARZ3NDEKTSV4RRFFQ69G5FAV", []error{ErrNotFound, ErrInvalid}},
		{"path traversal", "../../../../etc/passwd0000", []error{ErrNotFound, ErrInvalid}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.GetRun(t.Context(), tt.id)
			if tt.wantErr == nil {
				if err != nil || got.ID != r.ID {
					t.Fatalf("GetRun = %v, %v; want run %s", got, err, r.ID)
				}
				return
			}
			for _, want := range tt.wantErr {
				if !errors.Is(err, want) {
					t.Errorf("err = %v, want %v", err, want)
				}
			}
		})
	}
}

func TestSaveRun(t *testing.T) {
	s := openTestStore(t, Options{})
	r := createRun(t, s, Run{Repo: "infra", Stack: "net"})

	tests := []struct {
		name   string
		change func(*Run)
		want   error
	}{
		{"status", func(r *Run) { r.Status = StatusRunning }, nil},
		{"zero CreatedAt keeps the stored one", func(r *Run) { r.CreatedAt = time.Time{} }, nil},
		{"empty status", func(r *Run) { r.Status = "" }, ErrInvalid},
		{"other stack", func(r *Run) { r.Stack = "dns" }, ErrInvalid},
		{"other repo", func(r *Run) { r.Repo = "apps" }, ErrInvalid},
		{"unknown run", func(r *Run) { r.ID = ulid.Make().String() }, ErrNotFound},
		{"malformed id", func(r *Run) { r.ID = "x" }, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := r
			tt.change(&u)
			err := s.SaveRun(t.Context(), &u)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			got, err := s.GetRun(t.Context(), r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !got.CreatedAt.Equal(r.CreatedAt) {
				t.Errorf("CreatedAt = %v, want %v", got.CreatedAt, r.CreatedAt)
			}
		})
	}
}

func TestLatestRun(t *testing.T) {
	s := openTestStore(t, Options{})
	createRun(t, s, Run{Repo: "infra", Stack: "net"})
	netLatest := createRun(t, s, Run{Repo: "infra", Stack: "net"})
	dns := createRun(t, s, Run{Repo: "infra", Stack: "dns"})
	local := createRun(t, s, Run{Stack: "net", Trigger: "local"})

	tests := []struct {
		repo, stack string
		want        string
		wantErr     error
	}{
		{"infra", "net", netLatest.ID, nil},
		{"infra", "dns", dns.ID, nil},
		{"", "net", local.ID, nil},
		{LocalRepo, "net", local.ID, nil},
		{"infra", "missing", "", ErrNotFound},
		{"missing", "net", "", ErrNotFound},
		{"infra", "", "", ErrInvalid},
	}
	for _, tt := range tests {
		got, err := s.LatestRun(t.Context(), tt.repo, tt.stack)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("LatestRun(%q, %q) err = %v, want %v", tt.repo, tt.stack, err, tt.wantErr)
			continue
		}
		if err == nil && got.ID != tt.want {
			t.Errorf("LatestRun(%q, %q) = %s, want %s", tt.repo, tt.stack, got.ID, tt.want)
		}
	}
}

func TestConcurrentCreateRunIDsAreUniqueAndOrdered(t *testing.T) {
	s := openTestStore(t, Options{Retention: -1})
	s.db.NoSync = true // the test is about ids, not durability
	const workers, perWorker = 16, 25

	ids := make([][]string, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for range perWorker {
				r := Run{Repo: "infra", Stack: []string{"a", "b", "c"}[w%3]}
				if err := s.CreateRun(context.Background(), &r); err != nil {
					t.Error(err)
					return
				}
				ids[w] = append(ids[w], r.ID)
			}
		})
	}
	wg.Wait()

	seen := map[string]bool{}
	for w, list := range ids {
		if !slices.IsSorted(list) {
			t.Errorf("worker %d got ids out of order: %v", w, list)
		}
		for _, id := range list {
			if seen[id] {
				t.Errorf("duplicate id %s", id)
			}
			seen[id] = true
		}
	}
	runs, _, err := s.ListRuns(t.Context(), RunFilter{Limit: MaxListLimit})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != workers*perWorker {
		t.Fatalf("ListRuns returned %d runs, want %d", len(runs), workers*perWorker)
	}
	for i := 1; i < len(runs); i++ {
		if runs[i-1].ID <= runs[i].ID {
			t.Fatalf("ListRuns not newest first at %d: %s then %s", i, runs[i-1].ID, runs[i].ID)
		}
		if runs[i-1].CreatedAt.Before(runs[i].CreatedAt) {
			t.Errorf("run %s created after newer id %s", runs[i].ID, runs[i-1].ID)
		}
	}
}

func TestIDSourceIsMonotonic(t *testing.T) {
	g := newIDSource()
	now := time.Now()
	times := []time.Time{
		now, now, now, // same millisecond
		now.Add(time.Millisecond),
		now.Add(-time.Hour), // the clock stepped back
		now.Add(-time.Hour),
		now.Add(time.Second),
	}
	var prev ulid.ULID
	for i, ts := range times {
		id, err := g.next(ts)
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 && id.Compare(prev) <= 0 {
			t.Errorf("id %d (%s) does not sort after %s", i, id, prev)
		}
		prev = id
	}
}
