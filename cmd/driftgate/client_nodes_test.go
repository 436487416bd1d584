package main

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/driftgate/driftgate/runner/api/apitest"
	"github.com/driftgate/driftgate/runner/api/apiv1"
	"github.com/driftgate/driftgate/runner/runnertest"
	"github.com/driftgate/driftgate/store"
)

// TestNodesCommand lists the nodes of a real daemon: its own node, live,
// leading and running a plan, next to a node whose lease is over and one
// that is not ready, seeded as other nodes would have written them.
func TestNodesCommand(t *testing.T) {
	d := runnertest.StartWith(t, runnertest.Options{Heartbeat: 20 * time.Millisecond},
		runnertest.Repo{Name: "infra", Dirs: []string{"network"}})
	cli := func(args ...string) (int, string, string) {
		return runCLI(t, append(args, "--server", d.URL, "--token", apitest.ViewerToken)...)
	}
	ctx := context.Background()
	now := time.Now().UTC()
	for _, n := range []store.Node{
		{Name: "old-node", Version: "v0.9.0", StartedAt: now.Add(-3 * time.Hour), Heartbeat: now.Add(-2 * time.Hour), Leader: true,
			Running: []string{"01J00000000000000000000000"}, Workers: 2, Ready: true},
		{Name: "busy-node", Version: "v1.0.0", StartedAt: now, Heartbeat: now, Workers: 2,
			NotReady: "store cannot write: no space left on device; 1 write(s) of finished runs retrying"},
	} {
		if err := d.Store.PutNode(ctx, &n); err != nil {
			t.Fatal(err)
		}
	}

	d.Terraform.BlockPlans("network")
	code, _, errOut := runCLI(t, "plan-stack", "infra", "network", "--server", d.URL, "--token", apitest.Token)
	if code != exitOK {
		t.Fatalf("plan-stack: exit %d: %s", code, errOut)
	}
	<-d.Terraform.Started()
	plan := d.Latest("infra", "network", store.OperationPlan)
	defer runCLI(t, "cancel", plan.ID, "--server", d.URL, "--token", apitest.Token)
	deadline := time.Now().Add(10 * time.Second)
	for {
		nodes, err := d.Store.ListNodes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(nodes, func(n store.Node) bool { return n.Name == runnertest.Node })
		if i >= 0 && slices.Equal(nodes[i].Running, []string{plan.ID}) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the node record never showed run %s: %+v", plan.ID, nodes)
		}
		time.Sleep(5 * time.Millisecond)
	}

	code, out, errOut := cli("nodes")
	if code != exitOK {
		t.Fatalf("nodes: exit %d: %s", code, errOut)
	}
	checkWidth(t, out)
	want := "NAME       VERSION      STATE  LEADER  HEARTBEAT  RUNNING\n" +
		"busy-node  v1.0.0       live   -       0s         -\n" +
		"  not ready: store cannot write: no space left on device; 1 write(s) of finished\n" +
		"  runs retrying\n" +
		"old-node   v0.9.0       gone   -       2h         " + shortRunID("01J00000000000000000000000") + "\n" +
		"test-node  " + runnertest.NodeVersion + "  live   yes     0s         " + shortRunID(plan.ID) + "\n"
	if out != want {
		t.Errorf("nodes:\n%s\nwant:\n%s", out, want)
	}

	code, out, _ = cli("nodes", "-o", "json")
	var body struct {
		Nodes []apiv1.Node `json:"nodes"`
	}
	if err := json.Unmarshal([]byte(out), &body); code != exitOK || err != nil || len(body.Nodes) != 3 ||
		body.Nodes[2].Address != d.URL || body.Nodes[1].State != apiv1.NodeGone {
		t.Errorf("nodes -o json: exit %d, %v:\n%s", code, err, out)
	}
}

// TestNodesCommandErrors: a server that keeps no node list, and a request
// without a token.
func TestNodesCommandErrors(t *testing.T) {
	code, _, errOut := cannedCLI(t, &apitest.Canned{}, "nodes")
	if code != exitError || !strings.Contains(errOut, "this driftgate server keeps no node list") {
		t.Errorf("nodes of a server without a node list: exit %d %q", code, errOut)
	}
	srv := apitest.NewServer(t, &apitest.Canned{})
	code, _, errOut = runCLI(t, "nodes", "--server", srv.URL, "--token", "wrong")
	if code != exitError || errOut == "" {
		t.Errorf("nodes with a wrong token: exit %d %q", code, errOut)
	}
}
