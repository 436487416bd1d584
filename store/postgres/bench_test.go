package postgres

import (
	"encoding/json"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/driftgate/driftgate/store"
	"github.com/driftgate/driftgate/store/storetest"
)

// fillBench stores runs in bulk (COPY): the benchmark measures reading
// them.
func fillBench(b *testing.B, s *Store, runs []store.Run) {
	b.Helper()
	rows := make([][]any, 0, len(runs))
	for _, run := range runs {
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

// The Compare benchmarks run the same store operations as the bbolt
// store's benchmarks of the same names; `make bench` reports one against
// the other.

// BenchmarkCompareListRuns100k lists pages of storetest.BenchRuns(100,000).
func BenchmarkCompareListRuns100k(b *testing.B) {
	s, _ := openTest(b, Options{Retention: -1})
	fillBench(b, s, storetest.BenchRuns(100_000))
	storetest.BenchListRuns(b, s)
}

// BenchmarkCompareEnqueueClaimFinish is one run's store writes.
func BenchmarkCompareEnqueueClaimFinish(b *testing.B) {
	s, _ := openTest(b, Options{})
	storetest.BenchEnqueueClaimFinish(b, s)
}
