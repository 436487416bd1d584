package storetest

import (
	"context"
	"testing"

	"github.com/driftgate/driftgate/store"
)

// testErrorKinds checks the error kind of every call that takes a run or
// delivery id, for an id no store holds and for one that is not an id,
// and that a done context stops reads and writes.
func testErrorKinds(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t, Options{})
	r := createRun(t, s, store.Run{Repo: "infra", Stack: "net", Status: store.StatusRunning})
	noop := func(*store.Run) error { return nil }

	calls := []struct {
		name string
		call func(id string) error
		// unknown and malformed are the errors every store returns.
		unknown, malformed []error
	}{
		{"GetRun", func(id string) error { _, err := s.GetRun(ctx, id); return err },
			[]error{store.ErrNotFound}, []error{store.ErrNotFound, store.ErrInvalid}},
		{"UpdateRun", func(id string) error { _, err := s.UpdateRun(ctx, id, noop); return err },
			[]error{store.ErrNotFound}, []error{store.ErrInvalid}},
		{"SaveRun", func(id string) error {
			return s.SaveRun(ctx, &store.Run{ID: id, Repo: "infra", Stack: "net", Status: store.StatusQueued})
		}, []error{store.ErrNotFound}, []error{store.ErrInvalid}},
		{"FinishRun", func(id string) error {
			return s.FinishRun(ctx, &store.Run{ID: id, Repo: "infra", Stack: "net", Status: store.StatusPlanned}, nil, nil)
		}, []error{store.ErrNotFound}, []error{store.ErrInvalid}},
		{"PutPlan", func(id string) error { return s.PutPlan(ctx, &store.Plan{RunID: id, Text: []byte("x")}) },
			[]error{store.ErrNotFound}, []error{store.ErrInvalid}},
		{"GetPlan", func(id string) error { _, err := s.GetPlan(ctx, id); return err },
			[]error{store.ErrNotFound}, []error{store.ErrNotFound}},
		{"GetPlanFile", func(id string) error { _, _, err := s.GetPlanFile(ctx, id); return err },
			[]error{store.ErrNotFound}, []error{store.ErrNotFound}},
		{"PutLog", func(id string) error { return s.PutLog(ctx, id, []byte("x")) },
			[]error{store.ErrNotFound}, []error{store.ErrInvalid}},
		{"GetLog", func(id string) error { _, err := s.GetLog(ctx, id); return err },
			[]error{store.ErrNotFound}, []error{store.ErrNotFound}},
		{"GetDelivery", func(id string) error { _, err := s.GetDelivery(ctx, id); return err },
			[]error{store.ErrNotFound}, []error{store.ErrNotFound, store.ErrInvalid}},
		{"PutDelivery", func(id string) error { return s.PutDelivery(ctx, &store.Delivery{ID: id, Sink: "s"}) },
			[]error{store.ErrNotFound}, []error{store.ErrInvalid}},
	}
	for _, c := range calls {
		wantErr(t, c.name+" unknown id", c.call(unknownID), c.unknown...)
		wantErr(t, c.name+" malformed id", c.call(badID), c.malformed...)
		if c.name != "PutDelivery" { // an empty id is a new delivery
			wantErr(t, c.name+" empty id", c.call(""), c.malformed...)
		}
	}
	if got := getRun(t, s, r.ID); got.Status != store.StatusRunning {
		t.Errorf("calls on other ids changed run %s: %+v", r.ID, got)
	}

	// A done context: reads and writes fail with its error and write
	// nothing.
	done, cancel := context.WithCancel(ctx)
	cancel()
	_, err := s.GetRun(done, r.ID)
	wantErr(t, "GetRun with a done context", err, context.Canceled)
	_, err = s.UpdateRun(done, r.ID, func(run *store.Run) error { run.Status = store.StatusErrored; return nil })
	wantErr(t, "UpdateRun with a done context", err, context.Canceled)
	wantErr(t, "CreateRun with a done context", s.CreateRun(done, &store.Run{Repo: "infra", Stack: "net"}), context.Canceled)
	if got := getRun(t, s, r.ID); got.Status != store.StatusRunning {
		t.Errorf("UpdateRun with a done context wrote %+v", got)
	}
	if latest, _ := s.LatestRun(ctx, "infra", "net"); latest == nil || latest.ID != r.ID {
		t.Errorf("CreateRun with a done context stored a run: latest %+v", latest)
	}
}
