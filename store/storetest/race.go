package storetest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/driftgate/driftgate/store"
)

// race runs fn in workers goroutines at once and returns their errors.
func race(fn func(i int) error) []error {
	errs := make([]error, workers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range workers {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// count returns how many of errs are nil and how many match target.
func count(errs []error, target error) (ok, matched int) {
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, target):
			matched++
		}
	}
	return ok, matched
}

// testRaces checks the races several daemons sharing one store run: one
// claim of a run wins, one release of a hold, one first sight of a
// webhook delivery; read-modify-writes of a PR lose nothing; audit entries
// appended at once are all kept.
func testRaces(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t, Options{})

	t.Run("one claim wins", func(t *testing.T) {
		r := createRun(t, s, store.Run{Repo: "infra", Stack: "claim"})
		errs := race(func(int) error {
			_, err := s.UpdateRun(ctx, r.ID, func(run *store.Run) error {
				if run.Status != store.StatusQueued {
					return &store.ConflictError{Reason: "run is " + string(run.Status)}
				}
				run.Status = store.StatusRunning
				return nil
			})
			return err
		})
		if ok, conflicts := count(errs, store.ErrConflict); ok != 1 || conflicts != workers-1 {
			t.Errorf("%d claims won, %d refused: %v; want exactly one winner", ok, conflicts, errs)
		}
	})

	t.Run("one release wins", func(t *testing.T) {
		mustNot(t, "HoldStack", s.HoldStack(ctx, &store.Hold{Repo: "infra", Stack: "held", RunID: unknownID}))
		errs := race(func(int) error { _, err := s.ReleaseStack(ctx, "infra", "held"); return err })
		if ok, missing := count(errs, store.ErrNotFound); ok != 1 || missing != workers-1 {
			t.Errorf("%d releases returned the hold, %d found none: %v; want exactly one", ok, missing, errs)
		}
	})

	t.Run("one first sight of a webhook delivery", func(t *testing.T) {
		now := time.Now()
		fresh := make([]bool, workers)
		errs := race(func(i int) error {
			var err error
			fresh[i], err = s.SeenDelivery(ctx, "infra", "delivery-1", now)
			return err
		})
		if ok, _ := count(errs, nil); ok != workers {
			t.Fatalf("SeenDelivery errors: %v", errs)
		}
		if n := len(slices.DeleteFunc(fresh, func(f bool) bool { return !f })); n != 1 {
			t.Errorf("%d of %d SeenDelivery calls saw the delivery as new, want exactly 1", n, workers)
		}
	})

	t.Run("UpdatePR loses no update", func(t *testing.T) {
		errs := race(func(int) error {
			_, err := s.UpdatePR(ctx, "infra", 5, func(pr *store.PRRecord) error { pr.Comments++; return nil })
			return err
		})
		if ok, _ := count(errs, nil); ok != workers {
			t.Fatalf("UpdatePR errors: %v", errs)
		}
		if pr, err := s.GetPR(ctx, "infra", 5); err != nil || pr.Comments != workers {
			t.Errorf("PR comments = %v after %d increments (%v); updates were lost", pr, workers, err)
		}
	})

	t.Run("AppendAudit keeps every entry", func(t *testing.T) {
		ids := make([]string, workers)
		errs := race(func(i int) error {
			e := store.AuditEntry{Actor: "racer", Action: store.AuditPlan, Result: store.AuditOK}
			err := s.AppendAudit(ctx, &e)
			ids[i] = e.ID
			return err
		})
		if ok, _ := count(errs, nil); ok != workers {
			t.Fatalf("AppendAudit errors: %v", errs)
		}
		listed := listAudit(t, s, store.AuditFilter{Actor: "racer", Limit: 5})
		slices.Sort(ids)
		if got := reversed(auditIDs(listed)); !slices.Equal(got, ids) || len(slices.Compact(slices.Clone(ids))) != workers {
			t.Errorf("listed %v, appended %v; want every entry once, newest first", auditIDs(listed), ids)
		}
	})
}
