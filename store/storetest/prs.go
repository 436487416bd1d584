package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/driftgate/driftgate/store"
)

func testPRs(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t, Options{})

	_, err := s.GetPR(ctx, "infra", 7)
	wantErr(t, "GetPR unknown", err, store.ErrNotFound)

	// A fresh record has its repo and number; change edits it.
	rec, err := s.UpdatePR(ctx, "infra", 7, func(pr *store.PRRecord) error {
		if pr.Repo != "infra" || pr.Number != 7 || pr.HeadSHA != "" {
			t.Errorf("change got %+v, want a fresh record of infra#7", pr)
		}
		pr.HeadSHA, pr.BaseRef, pr.Author, pr.State = "h1", "main", "alice", "open"
		pr.Draft, pr.FromFork = true, true
		pr.PlannedHead, pr.PlannedStacks, pr.Comments = "h1", []string{"net", "dns"}, 2
		pr.Reviews = []store.PRReview{{ID: 1, User: "bob", State: "approved", CommitSHA: "h1", SubmittedAt: at(1)}}
		pr.Repo, pr.Number = "other", 99 // the key wins
		return nil
	})
	mustNot(t, "UpdatePR", err)
	if rec.Repo != "infra" || rec.Number != 7 || rec.UpdatedAt.IsZero() {
		t.Errorf("UpdatePR returned %+v, want infra#7 with UpdatedAt", rec)
	}
	got, err := s.GetPR(ctx, "infra", 7)
	if err != nil || !same(*got, *rec) {
		t.Errorf("GetPR = %+v, %v; want %+v", got, err, rec)
	}

	// A change sees the stored record; its error stores nothing.
	_, err = s.UpdatePR(ctx, "infra", 7, func(pr *store.PRRecord) error {
		if pr.HeadSHA != "h1" || len(pr.Reviews) != 1 {
			t.Errorf("change got %+v, want the stored record", pr)
		}
		pr.HeadSHA = "h2"
		return errNo
	})
	wantErr(t, "refused UpdatePR", err, errNo)
	if got, _ := s.GetPR(ctx, "infra", 7); got == nil || got.HeadSHA != "h1" {
		t.Errorf("a refused UpdatePR wrote %+v", got)
	}
	_, err = s.UpdatePR(ctx, "infra", 8, func(*store.PRRecord) error { return errNo })
	wantErr(t, "refused UpdatePR of a new PR", err, errNo)
	_, err = s.GetPR(ctx, "infra", 8)
	wantErr(t, "GetPR of a PR whose first UpdatePR was refused", err, store.ErrNotFound)

	for _, key := range []struct {
		repo   string
		number int
	}{{"", 1}, {"infra", 0}, {"infra", -1}, {"in\x00fra", 1}} {
		_, err := s.UpdatePR(ctx, key.repo, key.number, func(*store.PRRecord) error { return nil })
		wantErr(t, fmt.Sprintf("UpdatePR(%q, %d)", key.repo, key.number), err, store.ErrInvalid)
	}

	// PRByMergeCommit finds the merged PR of the repo by its merge commit.
	merge := func(repo string, n int, commit string) {
		_, err := s.UpdatePR(ctx, repo, n, func(pr *store.PRRecord) error { pr.State, pr.MergeCommit = "merged", commit; return nil })
		mustNot(t, "UpdatePR", err)
	}
	merge("infra", 7, "m7")
	merge("infra", 300, "m300")
	merge("infra2", 1, "m-other")
	if pr, err := s.PRByMergeCommit(ctx, "infra", "m300"); err != nil || pr.Number != 300 {
		t.Errorf("PRByMergeCommit(m300) = %+v, %v; want infra#300", pr, err)
	}
	if pr, err := s.PRByMergeCommit(ctx, "infra", "m7"); err != nil || pr.Number != 7 || pr.HeadSHA != "h1" {
		t.Errorf("PRByMergeCommit(m7) = %+v, %v; want infra#7", pr, err)
	}
	_, err = s.PRByMergeCommit(ctx, "infra", "m-other")
	wantErr(t, "PRByMergeCommit of another repo's commit", err, store.ErrNotFound)
	_, err = s.PRByMergeCommit(ctx, "infra", "nope")
	wantErr(t, "PRByMergeCommit unknown", err, store.ErrNotFound)
	_, err = s.UpdatePR(ctx, "infra", 9, func(pr *store.PRRecord) error { pr.State = "open"; return nil })
	mustNot(t, "UpdatePR", err)
	_, err = s.PRByMergeCommit(ctx, "infra", "")
	wantErr(t, "PRByMergeCommit empty commit", err, store.ErrNotFound)
}

func testSeenDelivery(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t, Options{})
	now := time.Now()

	seen := func(repo, id string, at time.Time) bool {
		t.Helper()
		fresh, err := s.SeenDelivery(ctx, repo, id, at)
		mustNot(t, "SeenDelivery", err)
		return fresh
	}
	if !seen("infra", "d1", now) {
		t.Error("first SeenDelivery(d1) = false, want new")
	}
	if seen("infra", "d1", now.Add(time.Minute)) {
		t.Error("second SeenDelivery(d1) = true, want a redelivery")
	}
	if !seen("infra2", "d1", now) {
		t.Error("SeenDelivery(d1) of another repo = false, want new")
	}
	for range 2 {
		if !seen("infra", "", now) {
			t.Error("SeenDelivery without id = false, want always new")
		}
	}
	mustNot(t, "ForgetDelivery", s.ForgetDelivery(ctx, "infra", "d1"))
	if !seen("infra", "d1", now) {
		t.Error("SeenDelivery(d1) after ForgetDelivery = false, want new")
	}
	mustNot(t, "ForgetDelivery unknown", s.ForgetDelivery(ctx, "infra", "never"))
	// Ids are remembered DeliveryIDTTL.
	if seen("infra", "d1", now.Add(store.DeliveryIDTTL-time.Minute)) {
		t.Error("SeenDelivery(d1) within the TTL = true, want a redelivery")
	}
	if !seen("infra", "d1", now.Add(store.DeliveryIDTTL+time.Hour)) {
		t.Error("SeenDelivery(d1) after the TTL = false, want new")
	}
}
