package main

import (
	"strings"
	"testing"
)

func TestRatio(t *testing.T) {
	in := `pkg: github.com/driftgate/driftgate/store
BenchmarkCompareEnqueueClaimFinish-2   100   20000000 ns/op
BenchmarkCompareListRuns100k/none-2    100    1000000 ns/op
pkg: github.com/driftgate/driftgate/store/postgres
BenchmarkCompareEnqueueClaimFinish-2   100   10000000 ns/op
BenchmarkCompareListRuns100k/none-2    100    3000000 ns/op
`
	var out strings.Builder
	if err := run(strings.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"EnqueueClaimFinish", "20.00 ms", "10.00 ms", "0.50", "ListRuns100k/none", "3.00"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if err := run(strings.NewReader(in[:strings.Index(in, "pkg: github.com/driftgate/driftgate/store/postgres")]), &out); err == nil {
		t.Error("benchmarks run on one store only: no error")
	}
}
