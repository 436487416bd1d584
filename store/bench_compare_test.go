package store_test

import (
	"testing"

	"github.com/driftgate/driftgate/store"
	"github.com/driftgate/driftgate/store/storetest"
)

// The Compare benchmarks run the same store operations as store/postgres's
// benchmarks of the same names; `make bench` reports one against the other.

// BenchmarkCompareListRuns100k lists pages of storetest.BenchRuns(100,000).
func BenchmarkCompareListRuns100k(b *testing.B) {
	s, err := store.Open(b.TempDir(), store.Options{Retention: -1, NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for _, r := range storetest.BenchRuns(100_000) {
		if err := s.CreateRun(b.Context(), &r); err != nil {
			b.Fatal(err)
		}
	}
	storetest.BenchListRuns(b, s)
}

// BenchmarkCompareEnqueueClaimFinish is one run's store writes, each
// committed to disk (fsync) as a daemon commits them.
func BenchmarkCompareEnqueueClaimFinish(b *testing.B) {
	s, err := store.Open(b.TempDir(), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.BenchEnqueueClaimFinish(b, s)
}
