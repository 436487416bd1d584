package storetest

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/driftgate/driftgate/store"
)

// workers is how many goroutines race in each concurrency test.
const workers = 16

// counterKey is the attribute the UpdateRun race increments.
const counterKey store.AttrKey = "counter"

func testConcurrency(t *testing.T, open Open) {
	ctx := context.Background()

	t.Run("UpdateRun loses no update", func(t *testing.T) {
		s := open(t, Options{})
		r := createRun(t, s, store.Run{Repo: "infra", Stack: "net", Attrs: map[store.AttrKey]string{counterKey: "0"}})
		errs := make(chan error, workers)
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				_, err := s.UpdateRun(ctx, r.ID, func(run *store.Run) error {
					n, err := strconv.Atoi(run.Attrs[counterKey])
					if err != nil {
						return err
					}
					run.Attrs[counterKey] = strconv.Itoa(n + 1)
					return nil
				})
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("UpdateRun: %v", err)
			}
		}
		if got := getRun(t, s, r.ID); got.Attrs[counterKey] != strconv.Itoa(workers) {
			t.Errorf("counter = %s after %d increments; updates were lost", got.Attrs[counterKey], workers)
		}
	})

	t.Run("Enqueue leaves one queued", func(t *testing.T) {
		s := open(t, Options{})
		type result struct {
			id      string
			changed []store.Run
			err     error
		}
		results := make(chan result, workers)
		var wg sync.WaitGroup
		for i := range workers {
			wg.Go(func() {
				r := store.Run{Repo: "infra", Stack: "net", Commit: strconv.Itoa(i)}
				changed, err := s.Enqueue(ctx, &r, supersede(&r.ID))
				results <- result{r.ID, changed, err}
			})
		}
		wg.Wait()
		close(results)
		var ids, superseded []string
		for res := range results {
			if res.err != nil {
				t.Errorf("Enqueue: %v", res.err)
				continue
			}
			ids = append(ids, res.id)
			superseded = append(superseded, runIDs(res.changed)...)
		}
		queued, _, err := s.ListRuns(ctx, store.RunFilter{Repo: "infra", Stack: "net", Status: store.StatusQueued})
		mustNot(t, "ListRuns", err)
		all, _, err := s.ListRuns(ctx, store.RunFilter{Repo: "infra", Stack: "net"})
		mustNot(t, "ListRuns", err)
		if len(queued) != 1 || len(all) != workers {
			t.Fatalf("%d runs, %d queued: %v; want %d runs and exactly one left queued", len(all), len(queued), runIDs(queued), workers)
		}
		if newest := all[0].ID; queued[0].ID != newest {
			t.Errorf("queued run %s is not the newest run %s", queued[0].ID, newest)
		}
		// Every other run was superseded once, by a run created after it.
		slices.Sort(superseded)
		if len(slices.Compact(superseded)) != workers-1 {
			t.Errorf("runs reported superseded: %v; want each of the %d others once", superseded, workers-1)
		}
		for _, r := range all[1:] {
			by := r.Attrs[store.AttrSupersededBy]
			if r.Status != store.StatusSuperseded || by <= r.ID || !slices.Contains(ids, by) {
				t.Errorf("run %s is %s, superseded by %q; want superseded by a newer run", r.ID, r.Status, by)
			}
		}
	})

	t.Run("CreateRun ids are distinct", func(t *testing.T) {
		s := open(t, Options{})
		ids := make(chan string, workers)
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				r := store.Run{Repo: "infra", Stack: "net"}
				if err := s.CreateRun(ctx, &r); err != nil {
					t.Errorf("CreateRun: %v", err)
				}
				ids <- r.ID
			})
		}
		wg.Wait()
		close(ids)
		var got []string
		for id := range ids {
			got = append(got, id)
		}
		slices.Sort(got)
		listed, _, err := s.ListRuns(ctx, store.RunFilter{})
		mustNot(t, "ListRuns", err)
		if len(slices.Compact(slices.Clone(got))) != workers || !slices.Equal(reversed(runIDs(listed)), got) {
			t.Errorf("created %v, listed %v; want %d distinct runs, all listed", got, runIDs(listed), workers)
		}
	})
}
