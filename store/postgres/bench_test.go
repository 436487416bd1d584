package postgres

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/driftgate/driftgate/store"
)

// benchRuns is the size of the run-listing benchmark's database, as the
// bbolt store's BenchmarkListRuns100k.
const benchRuns = 100_000

// fillBench stores n finished runs spread over 10 repos of 100 stacks,
// written in bulk (COPY): the benchmark measures reading them.
func fillBench(b *testing.B, s *Store, n int) {
	b.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	ids := store.NewIDs()
	start := time.Now().Add(-90 * 24 * time.Hour).UTC()
	statuses := []store.RunStatus{store.StatusNoChanges, store.StatusPlanned, store.StatusErrored, store.StatusApplied}
	ops := []store.Operation{store.OperationPlan, store.OperationPlan, store.OperationDrift, store.OperationApply}
	rows := make([][]any, 0, n)
	for i := range n {
		at := start.Add(time.Duration(i) * time.Minute)
		id, err := ids.Next(at)
		if err != nil {
			b.Fatal(err)
		}
		run := store.Run{
			ID: id, Repo: fmt.Sprintf("repo-%d", rng.IntN(10)), Stack: fmt.Sprintf("stacks/service-%03d", rng.IntN(100)),
			Commit: fmt.Sprintf("%040x", rng.Uint64()), Trigger: "commit", Status: statuses[rng.IntN(len(statuses))],
			Operation: ops[rng.IntN(len(ops))], TerraformVersion: "1.11.4", CreatedAt: at, StartedAt: at, FinishedAt: at,
			Summary: &store.PlanSummary{Add: 1, Change: 2, HasChanges: true},
		}
		data, err := json.Marshal(&run)
		if err != nil {
			b.Fatal(err)
		}
		rows = append(rows, []any{run.ID, run.Repo, run.Stack, string(run.Status), string(run.Operation), run.Commit, run.PR, data})
	}
	_, err := s.pool.CopyFrom(b.Context(), pgx.Identifier{"runs"},
		[]string{"id", "repo", "stack", "status", "operation", "commit_id", "pr", "data"}, pgx.CopyFromRows(rows))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.pool.Exec(b.Context(), "ANALYZE runs"); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkListRuns100k lists a page of one stack's runs, and of one
// stack's runs in one status, among 100,000 runs.
func BenchmarkListRuns100k(b *testing.B) {
	s, _ := openTest(b, Options{Retention: -1})
	fillBench(b, s, benchRuns)
	for _, f := range []struct {
		name string
		f    store.RunFilter
	}{
		{"stack", store.RunFilter{Repo: "repo-3", Stack: "stacks/service-042"}},
		{"stack+status", store.RunFilter{Repo: "repo-3", Stack: "stacks/service-042", Status: store.StatusErrored}},
		{"all", store.RunFilter{}},
	} {
		b.Run(f.name, func(b *testing.B) {
			for b.Loop() {
				if _, _, err := s.ListRuns(b.Context(), f.f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEnqueueClaimFinish enqueues a run (superseding queued ones),
// claims it and finishes it with a plan and log: one run's store writes.
func BenchmarkEnqueueClaimFinish(b *testing.B) {
	s, _ := openTest(b, Options{})
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
