package runner_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/driftgate/driftgate/runner/api/apitest"
	"github.com/driftgate/driftgate/runner/api/apiv1"
	"github.com/driftgate/driftgate/runner/apiclient"
	"github.com/driftgate/driftgate/runner/runnertest"
	"github.com/driftgate/driftgate/store"
)

// waitNode polls the daemon's node record until ok holds, and returns it.
func waitNode(t *testing.T, d *runnertest.Daemon, what string, ok func(n *store.Node) bool) *store.Node {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		nodes, err := d.Store.ListNodes(context.Background())
		if err != nil {
			t.Fatalf("list nodes: %v", err)
		}
		i := slices.IndexFunc(nodes, func(n store.Node) bool { return n.Name == runnertest.Node })
		if i >= 0 && ok(&nodes[i]) {
			return &nodes[i]
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for the node record to show %s; nodes: %+v", what, nodes)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestNodeRecord runs the real daemon and reads its node record: written
// at start, showing the run it executes while one runs, still written
// (not ready, stopping) while a shutdown waits for that run, and deleted
// once the daemon has stopped.
func TestNodeRecord(t *testing.T) {
	d := runnertest.StartWith(t, runnertest.Options{Heartbeat: 20 * time.Millisecond},
		runnertest.Repo{Name: "infra", Dirs: []string{"network"}})
	ctx := context.Background()
	c := apiclient.New(d.URL, apitest.ViewerToken)

	// The first plans of the repo ran at start; the record says so until
	// the next beat.
	idle := waitNode(t, d, "ready and idle", func(n *store.Node) bool { return n.Ready && len(n.Running) == 0 })
	if idle.Version != runnertest.NodeVersion || idle.Address != d.URL || !idle.Leader || idle.Workers != 2 ||
		idle.StartedAt.IsZero() || idle.Heartbeat.Before(idle.StartedAt) || idle.NotReady != "" {
		t.Errorf("idle node record = %+v", idle)
	}
	nodes, err := c.Nodes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes) != 1 || nodes[0].Name != runnertest.Node || nodes[0].State != apiv1.NodeLive || !nodes[0].Leader ||
		nodes[0].Running == nil || nodes[0].Version != runnertest.NodeVersion {
		t.Errorf("GET /api/v1/nodes = %+v, want %s live and leading", nodes, runnertest.Node)
	}

	d.Terraform.BlockPlans("network")
	run, err := apiclient.New(d.URL, apitest.Token).TriggerPlan(ctx, "infra", "network")
	if err != nil {
		t.Fatal(err)
	}
	<-d.Terraform.Started()
	waitNode(t, d, "the plan running", func(n *store.Node) bool { return slices.Equal(n.Running, []string{run.ID}) })
	if nodes, err := c.Nodes(ctx); err != nil || len(nodes) != 1 || !slices.Equal(nodes[0].Running, []string{run.ID}) {
		t.Errorf("GET /api/v1/nodes while %s runs = %+v, %v", run.ID, nodes, err)
	}

	// A shutdown lets the plan run on for a while: the node still beats,
	// saying it is stopping, until the run has ended.
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		d.Stop()
	}()
	stopping := waitNode(t, d, "the node stopping", func(n *store.Node) bool { return !n.Ready })
	if stopping.NotReady != "stopping: finishing the runs in progress" || !slices.Equal(stopping.Running, []string{run.ID}) {
		t.Errorf("node record while stopping = %+v", stopping)
	}
	<-stopped
	if nodes, err := d.Store.ListNodes(ctx); err != nil || len(nodes) != 0 {
		t.Errorf("nodes after a clean shutdown = %+v, %v; want none", nodes, err)
	}
	if r := d.WaitRun(run.ID, store.StatusInterrupted); r.Status != store.StatusInterrupted {
		t.Errorf("the blocked plan ended %s", r.Status)
	}
}
