package store

import (
	"errors"
	"testing"
)

// TestConflictsAreTyped checks that the store's refusals are a
// *ConflictError whose Reason is the whole user-facing text, so callers
// show it without cutting the error's string apart.
func TestConflictsAreTyped(t *testing.T) {
	s := openTestStore(t, Options{})
	ctx := t.Context()
	run := awaitingRun(t, s)
	if _, err := s.ApproveRun(ctx, run.ID, approval("alice"), 2); err != nil {
		t.Fatal(err)
	}
	queued := createRun(t, s, Run{Repo: "infra", Stack: "db", Operation: "plan"})
	if _, err := s.CancelQueued(ctx, queued.ID, "test"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		err  func() error
		want string
	}{
		{"approve twice", func() error {
			_, err := s.ApproveRun(ctx, run.ID, approval("alice"), 2)
			return err
		}, "run " + run.ID + " is already approved by alice"},
		{"reject a finished run", func() error {
			_, err := s.RejectRun(ctx, queued.ID, rejection("bob", ""))
			return err
		}, "run " + queued.ID + " is canceled (test), not awaiting approval or queued"},
		{"cancel twice", func() error {
			_, err := s.CancelQueued(ctx, queued.ID, "again")
			return err
		}, "run " + queued.ID + " is canceled"},
	}
	for _, tt := range tests {
		err := tt.err()
		var c *ConflictError
		if !errors.As(err, &c) || c.Reason != tt.want || !errors.Is(err, ErrConflict) {
			t.Errorf("%s: %v, want a *ConflictError with reason %q wrapping ErrConflict", tt.name, err, tt.want)
		}
	}
}
