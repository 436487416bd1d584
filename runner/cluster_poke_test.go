package runner

import (
	"testing"
	"time"

	"github.com/driftgate/driftgate/store"
)

// TestClusterPushToAFollowerPollsOnTheLeader: a push webhook reaching a
// node that does not lead makes the leader poll at once, through the
// database, not at its next poll (an hour away here).
func TestClusterPushToAFollowerPollsOnTheLeader(t *testing.T) {
	h := newClusterHarness(t, "a")
	h.seen()
	var nodes []*clusterNodeOf
	for _, name := range []string{"n1", "n2"} {
		n := h.node(name, 1)
		n.d.watchers["infra"].cfg.PollInterval = time.Hour
		nodes = append(nodes, n.start(t))
	}
	var leader, follower *clusterNodeOf
	deadline := time.Now().Add(20 * time.Second)
	for leader == nil {
		for i, n := range nodes {
			if n.d.cl.elector.Leading() {
				leader, follower = n, nodes[1-i]
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no node leads")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The leader's first poll has seen the head; wait for it to be idle.
	time.Sleep(time.Second)
	commit := h.repo.Commit("change a", map[string]string{"a/main.tf": `resource "x" "z" {}` + "\n"})
	follower.d.pokeRepo(t.Context(), "infra")
	deadline = time.Now().Add(15 * time.Second)
	for {
		runs, _, err := h.st.ListRuns(t.Context(), store.RunFilter{Repo: "infra", Stack: "a", Commit: commit})
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the leader did not poll after a push reached the follower (leader %s)", leader.d.node.Name)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
