package store

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// benchRuns is the size of the run-listing benchmark's database.
const benchRuns = 100_000

// fillBenchStore stores n runs spread over 10 repos of 100 stacks each, in
// creation order across stacks, with the status and operation mix of a
// busy install: mostly finished plans, some drift checks and applies, a few
// errors, and a handful of live runs.
func fillBenchStore(b *testing.B, s *Store, n int) {
	b.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(weights map[string]int) string {
		total := 0
		for _, w := range weights {
			total += w
		}
		keys := make([]string, 0, len(weights))
		for k := range weights {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		x := rng.IntN(total)
		for _, k := range keys {
			if x < weights[k] {
				return k
			}
			x -= weights[k]
		}
		return keys[0]
	}
	statuses := map[string]int{
		string(StatusNoChanges): 500, string(StatusPlanned): 300, string(StatusErrored): 50,
		string(StatusSuperseded): 50, string(StatusApplied): 40, string(StatusInterrupted): 5,
		string(StatusCanceled): 5, string(StatusRejected): 3, string(StatusRefused): 2,
		string(StatusAwaitingApproval): 1, string(StatusQueued): 1,
	}
	ops := map[string]int{"plan": 80, "drift": 15, "apply": 5}
	start := time.Now().Add(-90 * 24 * time.Hour).UTC()
	const batch = 2000
	for done := 0; done < n; done += batch {
		err := s.update(b.Context(), func(tx *bbolt.Tx) error {
			for i := done; i < min(done+batch, n); i++ {
				repo, stack := rng.IntN(10), rng.IntN(100)
				at := start.Add(time.Duration(i) * time.Minute)
				run := Run{
					Repo:             fmt.Sprintf("repo-%d", repo),
					Stack:            fmt.Sprintf("stacks/service-%03d", stack),
					Dir:              fmt.Sprintf("stacks/service-%03d", stack),
					Commit:           fmt.Sprintf("%040x", rng.Uint64()),
					Trigger:          "commit",
					Status:           RunStatus(pick(statuses)),
					TerraformVersion: "1.11.4",
					CreatedAt:        at,
					StartedAt:        at.Add(time.Second),
					FinishedAt:       at.Add(40 * time.Second),
					Summary:          &PlanSummary{Add: 1, Change: 2, HasChanges: true},
					Attrs:            map[AttrKey]string{AttrReasons: "stacks/service: main.tf"},
				}
				switch pick(ops) { // literals, whatever string type Operation has
				case "plan":
					run.Operation = "plan"
				case "drift":
					run.Operation = "drift"
				default:
					run.Operation = "apply"
				}
				if run.Status == StatusErrored {
					run.Error = "terraform plan: exit status 1: Error: Invalid reference " + strings.Repeat("x", 60)
				}
				if _, err := s.createRun(tx, nil, &run); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// p99ms is the 99th percentile of d in milliseconds.
func p99ms(d []time.Duration) float64 {
	slices.Sort(d)
	return float64(d[len(d)*99/100].Microseconds()) / 1000
}

// BenchmarkListRuns100k lists one page of runs with each documented filter
// from a database of 100,000 runs and reports the 99th percentile of its
// wall time (p99-ms) and of the CPU time it used (cpu-p99-ms, Linux only:
// on a shared machine the wall time also counts other processes' turns),
// and the database's bytes on disk per run.
func BenchmarkListRuns100k(b *testing.B) {
	s := openTestStore(b, Options{Retention: -1})
	s.db.NoSync = true // only the setup skips fsync
	fillBenchStore(b, s, benchRuns)
	s.db.NoSync = false

	// bytes/run is the database's size on disk (every page up to the high
	// water mark: records, indexes, branch pages, free pages) per run;
	// record-bytes/run is the size of the run records alone.
	b.Run("size", func(b *testing.B) {
		var size, records int64
		err := s.db.View(func(tx *bbolt.Tx) error {
			size = tx.Size()
			return tx.Bucket(runsBucket).ForEach(func(_, v []byte) error {
				records += int64(len(v))
				return nil
			})
		})
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
		}
		b.ReportMetric(float64(size)/benchRuns, "bytes/run")
		b.ReportMetric(float64(records)/benchRuns, "record-bytes/run")
	})

	// A cursor a tenth of the way into every run, for a later page.
	all, _, err := s.ListRuns(b.Context(), RunFilter{Limit: MaxListLimit})
	if err != nil {
		b.Fatal(err)
	}
	mid := all[len(all)/10].ID
	for _, bc := range []struct {
		name   string
		filter RunFilter
	}{
		{"none", RunFilter{}},
		{"none/later-page", RunFilter{Cursor: mid}},
		{"repo", RunFilter{Repo: "repo-3"}},
		{"repo+stack", RunFilter{Repo: "repo-3", Stack: "stacks/service-042"}},
		{"stack", RunFilter{Stack: "stacks/service-042"}},
		{"status=errored", RunFilter{Status: StatusErrored}},
		{"status=queued", RunFilter{Status: StatusQueued}},
		{"status=awaiting_approval", RunFilter{Status: StatusAwaitingApproval}},
		{"operation=apply", RunFilter{Operation: "apply"}},
		{"repo+status=errored", RunFilter{Repo: "repo-3", Status: StatusErrored}},
		{"repo+status=queued", RunFilter{Repo: "repo-3", Status: StatusQueued}},
		{"repo+stack+status=errored", RunFilter{Repo: "repo-3", Stack: "stacks/service-042", Status: StatusErrored}},
		{"status=errored+operation=apply", RunFilter{Status: StatusErrored, Operation: "apply"}},
		{"repo+stack+operation=apply", RunFilter{Repo: "repo-3", Stack: "stacks/service-042", Operation: "apply"}},
		{"status=errored/max-limit", RunFilter{Status: StatusErrored, Limit: MaxListLimit}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			var wall, cpu []time.Duration
			for b.Loop() {
				t0, c0 := time.Now(), threadCPU()
				if _, _, err := s.ListRuns(b.Context(), bc.filter); err != nil {
					b.Fatal(err)
				}
				wall = append(wall, time.Since(t0))
				cpu = append(cpu, threadCPU()-c0)
			}
			b.ReportMetric(p99ms(wall), "p99-ms")
			b.ReportMetric(p99ms(cpu), "cpu-p99-ms")
		})
	}
}
