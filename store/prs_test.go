package store

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

func TestListRunsByPR(t *testing.T) {
	s := openTestStore(t, Options{})
	ctx := t.Context()
	var pr7 []string
	for i, pr := range []int{0, 7, 8, 7} {
		r := createRun(t, s, Run{Repo: "infra", Stack: "net", Operation: "plan", Commit: fmt.Sprintf("c%d", i), PR: pr})
		if pr == 7 {
			pr7 = append(pr7, r.ID)
		}
	}
	runs, _, err := s.ListRuns(ctx, RunFilter{PR: 7})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := runIDs(runs), reversed(pr7); !slices.Equal(got, want) {
		t.Errorf("ListRuns(PR 7) = %v, want %v", got, want)
	}
}

func TestSeenDeliveryOncePerDay(t *testing.T) {
	s := openTestStore(t, Options{})
	ctx := t.Context()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i, tc := range []struct {
		repo, id string
		at       time.Time
		want     bool
	}{
		{"infra", "d1", now, true},
		{"infra", "d1", now.Add(time.Hour), false},
		{"other", "d1", now.Add(time.Hour), true},
		{"infra", "d1", now.Add(25 * time.Hour), true},
		{"infra", "d1", now.Add(26 * time.Hour), false},
	} {
		got, err := s.SeenDelivery(ctx, tc.repo, tc.id, tc.at)
		if err != nil || got != tc.want {
			t.Errorf("%d: SeenDelivery(%s, %s) = %v, %v; want %v", i, tc.repo, tc.id, got, err, tc.want)
		}
	}
}

func TestForgetDelivery(t *testing.T) {
	s := openTestStore(t, Options{})
	ctx := t.Context()
	now := time.Now()
	if fresh, _ := s.SeenDelivery(ctx, "infra", "d1", now); !fresh {
		t.Fatal("first delivery not fresh")
	}
	if err := s.ForgetDelivery(ctx, "infra", "d1"); err != nil {
		t.Fatal(err)
	}
	if fresh, _ := s.SeenDelivery(ctx, "infra", "d1", now); !fresh {
		t.Error("a forgotten delivery is not taken as new")
	}
}

func TestPRRecordByMergeCommit(t *testing.T) {
	s := openTestStore(t, Options{})
	ctx := t.Context()
	if _, err := s.UpdatePR(ctx, "infra", 7, func(r *PRRecord) error {
		r.Author, r.HeadSHA, r.State, r.MergeCommit = "alice", "head7", "merged", "merge7"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	got, err := s.PRByMergeCommit(ctx, "infra", "merge7")
	if err != nil || got.Number != 7 || got.Author != "alice" || got.HeadSHA != "head7" {
		t.Fatalf("PRByMergeCommit = %+v, %v", got, err)
	}
	if _, err := s.PRByMergeCommit(ctx, "infra", "other"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown merge commit: err = %v, want ErrNotFound", err)
	}
}

func TestOutboxCoalescesAndSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := t.Context()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	comment := func(body string) OutboxItem {
		return OutboxItem{Repo: "infra", Kind: OutboxComment, PR: 7, Marker: "<!-- m1 -->", Body: body}
	}
	status := OutboxItem{Repo: "infra", Kind: OutboxStatus, Commit: "abc", Context: "driftgate/plan", State: "pending"}
	if err := s.QueueOutbox(ctx, comment("first"), status); err != nil {
		t.Fatal(err)
	}
	if err := s.QueueOutbox(ctx, comment("second")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Now()
	items, err := s.PendingOutbox(ctx, "infra", now)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || items[0].Body != "second" || items[1].Context != "driftgate/plan" {
		t.Fatalf("pending after restart = %+v, want the newest comment body and the status", items)
	}
	// A failed delivery waits; a newer body queued while delivering wins.
	if err := s.RetryOutbox(ctx, items[1], now.Add(time.Minute), errors.New("forge down")); err != nil {
		t.Fatal(err)
	}
	if err := s.QueueOutbox(ctx, comment("third")); err != nil {
		t.Fatal(err)
	}
	if err := s.DoneOutbox(ctx, items[0]); err != nil {
		t.Fatal(err)
	}
	items, _ = s.PendingOutbox(ctx, "infra", now)
	if len(items) != 1 || items[0].Body != "third" {
		t.Fatalf("pending = %+v, want only the third body (the status waits)", items)
	}
	later, _ := s.PendingOutbox(ctx, "", now.Add(2*time.Minute))
	if len(later) != 2 || later[1].Attempts != 1 || later[1].LastError != "forge down" {
		t.Fatalf("pending later = %+v, want the retried status with its attempt", later)
	}
}
