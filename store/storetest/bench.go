package storetest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/driftgate/driftgate/store"
)

// BenchEnqueueClaimFinish measures one run's store writes on s: enqueue
// it (superseding the stack's queued runs), claim it, and finish it with a
// plan and a log. Both stores run it under the same name, so that `make
// bench` can report one against the other.
func BenchEnqueueClaimFinish(b *testing.B, s Store) {
	ctx := b.Context()
	supersede := func(old *store.Run) (bool, error) { old.Status = store.StatusSuperseded; return true, nil }
	plan := &store.Plan{Text: []byte("plan"), JSON: []byte(`{}`), File: []byte("PK plan")}
	i := 0
	for b.Loop() {
		r := store.Run{Repo: "infra", Stack: fmt.Sprintf("s%d", i%50), Operation: store.OperationPlan}
		i++
		if _, err := s.Enqueue(ctx, &r, supersede); err != nil {
			b.Fatal(err)
		}
		run, err := s.UpdateRun(ctx, r.ID, func(run *store.Run) error { run.Status = store.StatusRunning; return nil })
		if err != nil {
			b.Fatal(err)
		}
		run.Status = store.StatusPlanned
		if err := s.FinishRun(ctx, run, plan, []byte("log")); err != nil {
			b.Fatal(err)
		}
	}
}

// ListBenchFilters are the filters both stores' 100,000-run listing
// benchmarks time, by sub-benchmark name, over runs spread across repos
// repo-0..repo-9 and stacks stacks/service-000..099.
var ListBenchFilters = []struct {
	Name   string
	Filter store.RunFilter
}{
	{"none", store.RunFilter{}},
	{"repo+stack", store.RunFilter{Repo: "repo-3", Stack: "stacks/service-042"}},
	{"repo+stack+status=errored", store.RunFilter{Repo: "repo-3", Stack: "stacks/service-042", Status: store.StatusErrored}},
	{"status=errored", store.RunFilter{Status: store.StatusErrored}},
}

// BenchRuns are n finished-and-live runs spread over repos repo-0..repo-9
// and stacks stacks/service-000..099, in creation order across stacks, with
// the status and operation mix of a busy install (mostly finished plans,
// some drift checks and applies, a few errors and live runs). The same
// seed gives the same runs, so both stores list the same data.
func BenchRuns(n int) []store.Run {
	rng := rand.New(rand.NewPCG(1, 2))
	statuses := []struct {
		s store.RunStatus
		w int
	}{
		{store.StatusNoChanges, 500}, {store.StatusPlanned, 300}, {store.StatusErrored, 50},
		{store.StatusSuperseded, 50}, {store.StatusApplied, 40}, {store.StatusInterrupted, 5},
		{store.StatusCanceled, 5}, {store.StatusRejected, 3}, {store.StatusRefused, 2},
		{store.StatusAwaitingApproval, 1}, {store.StatusQueued, 1},
	}
	pickStatus := func() store.RunStatus {
		x := rng.IntN(957)
		for _, s := range statuses {
			if x < s.w {
				return s.s
			}
			x -= s.w
		}
		return store.StatusNoChanges
	}
	start := time.Now().Add(-90 * 24 * time.Hour).UTC().Truncate(time.Microsecond)
	ids := store.NewIDs()
	runs := make([]store.Run, n)
	for i := range runs {
		at := start.Add(time.Duration(i) * time.Minute)
		id, err := ids.Next(at)
		if err != nil {
			panic(err)
		}
		stack := fmt.Sprintf("stacks/service-%03d", rng.IntN(100))
		r := store.Run{
			ID: id, Repo: fmt.Sprintf("repo-%d", rng.IntN(10)), Stack: stack, Dir: stack,
			Commit: fmt.Sprintf("%040x", rng.Uint64()), Trigger: "commit", Status: pickStatus(),
			TerraformVersion: "1.11.4", CreatedAt: at, StartedAt: at.Add(time.Second), FinishedAt: at.Add(40 * time.Second),
			Summary: &store.PlanSummary{Add: 1, Change: 2, HasChanges: true},
			Attrs:   map[store.AttrKey]string{store.AttrReasons: "stacks/service: main.tf"},
		}
		switch x := rng.IntN(100); {
		case x < 80:
			r.Operation = store.OperationPlan
		case x < 95:
			r.Operation = store.OperationDrift
		default:
			r.Operation = store.OperationApply
		}
		if r.Status == store.StatusErrored {
			r.Error = "terraform plan: exit status 1: Error: Invalid reference " + strings.Repeat("x", 60)
		}
		runs[i] = r
	}
	return runs
}

// BenchListRuns times a page of runs with each of ListBenchFilters on s,
// loaded with BenchRuns.
func BenchListRuns(b *testing.B, s Store) {
	for _, f := range ListBenchFilters {
		b.Run(f.Name, func(b *testing.B) {
			for b.Loop() {
				if _, _, err := s.ListRuns(b.Context(), f.Filter); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
