package test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/driftgate/driftgate/store"
	"github.com/driftgate/driftgate/test/gittest"
	"github.com/driftgate/driftgate/test/pgtest"
	"github.com/driftgate/driftgate/test/tftest"
)

// BenchmarkCluster60 plans 60 stacks cold (their first plans, real
// terraform with the test provider) on one node with one worker, then on
// three nodes with one worker each, all on PostgreSQL, and reports each
// makespan (first plan started to last plan finished, so node start-up is
// not counted) and their ratio (3 nodes / 1 node). Run it with
// -benchtime 1x: each iteration is two whole clusters.
func BenchmarkCluster60(b *testing.B) {
	env := tftest.Setup(b)
	bin := buildDriftgate(b)
	for b.Loop() {
		one := clusterMakespan(b, env, bin, 1)
		three := clusterMakespan(b, env, bin, 3)
		b.ReportMetric(one.Seconds(), "s-1node")
		b.ReportMetric(three.Seconds(), "s-3nodes")
		b.ReportMetric(three.Seconds()/one.Seconds(), "3nodes/1node")
	}
}

// clusterMakespan starts n nodes of one worker each on a fresh database and
// repo of clusterStacks stacks and returns how long planning them all took.
func clusterMakespan(b *testing.B, env *tftest.Env, bin string, n int) time.Duration {
	b.Helper()
	work := b.TempDir()
	files := map[string]string{}
	stacks := addClusterStacks(files, "")
	up := gittest.New(b, files)
	dbURL := pgtest.NewDatabase(b)
	var nodes []*daemon
	for i := range n {
		name := fmt.Sprintf("n%d", i+1)
		data := filepath.Join(work, name)
		if err := os.MkdirAll(data, 0o700); err != nil {
			b.Fatal(err)
		}
		// Nodes sharing a database share the state versions' key.
		if err := os.WriteFile(filepath.Join(data, "statever.key"), bytes.Repeat([]byte{0x5c}, 32), 0o600); err != nil {
			b.Fatal(err)
		}
		config := filepath.Join(work, name+".hcl")
		if err := os.WriteFile(config, []byte(fmt.Sprintf(`
data_dir          = %q
listen            = %q
max_parallel_runs = 1
%s
database {
  type = "postgres"
  node = %q
}

repo "infra" {
  url           = %q
  branch        = "main"
  poll_interval = "1s"
}
`, data, freeAddr(b), terraformBlock(env), name, up.Dir)), 0o644); err != nil {
			b.Fatal(err)
		}
		nodes = append(nodes, newDaemon(b, env, bin, config, "DGTEST_ROOT="+filepath.Join(work, "objects"), "DRIFTGATE_DATABASE_URL="+dbURL))
	}
	for _, d := range nodes {
		d.start()
	}
	runs := nodes[0].waitRuns("cold plans", 20*time.Minute, func(r []store.Run) bool { return finished(r, up.Head(), stacks...) })
	var first, last time.Time
	for _, r := range runs {
		if r.Operation != store.OperationPlan {
			continue
		}
		if r.Status != store.StatusPlanned {
			b.Fatalf("plan of %s: %s %s", r.Stack, r.Status, r.Error)
		}
		if first.IsZero() || r.StartedAt.Before(first) {
			first = r.StartedAt
		}
		if r.FinishedAt.After(last) {
			last = r.FinishedAt
		}
	}
	for _, d := range nodes {
		d.stop(time.Minute)
	}
	return last.Sub(first)
}
