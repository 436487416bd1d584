package test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/driftgate/driftgate/store"
	"github.com/driftgate/driftgate/test/gittest"
	"github.com/driftgate/driftgate/test/pgtest"
	"github.com/driftgate/driftgate/test/tftest"
)

// clusterStacks is how many stacks the cluster end-to-end test plans.
const clusterStacks = 60

// TestClusterEndToEnd runs three driftgate serve processes on one
// PostgreSQL database against a real git repository and real terraform
// with the test provider: every stack is planned once, by the nodes
// together; the API answers the same from every node; a node killed with
// kill -9 mid-plan loses no run (its plan is worked again by another node,
// once); a node killed mid-apply leaves the apply interrupted, never run
// again, and its stack held; stopping the leader moves polling to another
// node within about its lease.
func TestClusterEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	env := tftest.Setup(t)
	bin := buildDriftgate(t)
	work := t.TempDir()
	objects := filepath.Join(work, "objects")
	statePath := filepath.Join(work, "state", "slow.tfstate")
	// 60 stacks of one object, and "slow", whose apply takes long.
	files := map[string]string{"stacks/slow/main.tf": gateStack(statePath, objects, "slow", "small", slowApply)}
	repoConfig := "stack \"slow\" {\n  dir = \"stacks/slow\"\n}\n"
	stacks := append([]string{"slow"}, addClusterStacks(files, repoConfig)...)
	up := gittest.New(t, files)
	first := up.Head()
	dbURL := pgtest.NewDatabase(t)
	key := bytes.Repeat([]byte{0x5c}, 32) // the nodes share the state versions' key
	var nodes []*daemon
	for i := range 3 {
		name := fmt.Sprintf("n%d", i+1)
		data := filepath.Join(work, name)
		if err := os.MkdirAll(data, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(data, "statever.key"), key, 0o600); err != nil {
			t.Fatal(err)
		}
		config := filepath.Join(work, name+".hcl")
		if err := os.WriteFile(config, []byte(fmt.Sprintf(`
data_dir          = %q
listen            = %q
max_parallel_runs = 2
shutdown_timeout  = "3s"
%s
database {
  type  = "postgres"
  node  = %q
  lease = "3s"
}

repo "infra" {
  url           = %q
  branch        = "main"
  poll_interval = "1s"
}
%s`, data, freeAddr(t), terraformBlock(env), name, up.Dir, gateTokens())), 0o644); err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, newDaemon(t, env, bin, config, "DGTEST_ROOT="+objects, "DRIFTGATE_DATABASE_URL="+dbURL))
	}
	for _, n := range nodes {
		n.start()
	}

	// Every stack is planned once, by the nodes together.
	runs := nodes[0].waitRuns("initial plans", 10*time.Minute, func(r []store.Run) bool { return finished(r, first, stacks...) })
	workedBy := map[string]int{}
	for _, r := range runs {
		if r.Operation != store.OperationPlan {
			continue
		}
		if r.Commit != first || r.Status != store.StatusPlanned {
			t.Errorf("plan run %s of %s = %s at %s, want planned at %s", r.ID, r.Stack, r.Status, r.Commit, first)
		}
		workedBy[r.Attrs[store.AttrNode]]++
	}
	if got := countPlans(runs); got != len(stacks) {
		t.Errorf("%d plan runs, want one per stack (%d):\n%s", got, len(stacks), describe(runs))
	}
	if len(workedBy) < 2 {
		t.Errorf("plans worked by %v, want the nodes to share them", workedBy)
	}

	// The API answers the same from every node.
	want := runKeys(runs)
	for _, n := range nodes[1:] {
		if got := runKeys(n.runs()); !slices.Equal(got, want) {
			t.Errorf("node %s lists %d runs, node n1 %d: they differ", n.addr, len(got), len(want))
		}
	}

	// kill -9 of the node running a plan: the plan is worked again, once,
	// by another node.
	slow := up.Commit("slow s00", map[string]string{"stacks/s00/main.tf": clusterStackTF("s00", clusterSlowTF)})
	plan := waitPlan(t, nodes[0], "s00", slow, store.StatusRunning)
	victim := nodeNamed(nodes, plan.Attrs[store.AttrNode])
	if victim == nil {
		t.Fatalf("plan %s runs on node %q, not one of the test's", plan.ID, plan.Attrs[store.AttrNode])
	}
	victim.kill9()
	alive := slices.DeleteFunc(slices.Clone(nodes), func(n *daemon) bool { return n == victim })
	done := waitPlan(t, alive[0], "s00", slow, store.StatusPlanned)
	if done.ID != plan.ID || done.Attrs[store.AttrRetries] != "1" || done.Attrs[store.AttrNode] == plan.Attrs[store.AttrNode] {
		t.Errorf("plan after its node was killed = %s, retries %q, on %q; want %s planned again once on another node than %q",
			done.ID, done.Attrs[store.AttrRetries], done.Attrs[store.AttrNode], plan.ID, plan.Attrs[store.AttrNode])
	}

	// kill -9 of the node running an apply: the apply is interrupted, not
	// run again, and its stack held.
	cut := alive[0].applyRun("slow apply awaiting approval", "slow", first, store.StatusAwaitingApproval)
	alive[0].approve(cut.ID, aliceToken)
	deadline := time.Now().Add(2 * time.Minute)
	for !fileExists(tftest.ObjectPath(objects, tftest.Servers, "slow")) {
		if time.Now().After(deadline) {
			t.Fatalf("the apply never created the server\n%s", alive[0].log())
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	applying := alive[0].run(cut.ID)
	victim2 := nodeNamed(alive, applying.Attrs[store.AttrNode])
	if applying.Status != store.StatusRunning || victim2 == nil {
		t.Fatalf("apply %s is %s on node %q", cut.ID, applying.Status, applying.Attrs[store.AttrNode])
	}
	victim2.kill9()
	survivor := slices.DeleteFunc(slices.Clone(alive), func(n *daemon) bool { return n == victim2 })[0]
	if r := survivor.waitStatus(cut.ID, time.Minute, store.StatusInterrupted); r.Attrs[store.AttrNode] != victim2.nodeName() {
		t.Errorf("interrupted apply ran on %q, want %q", r.Attrs[store.AttrNode], victim2.nodeName())
	}
	// The stack is held at once, then the hold records the state the
	// apply left.
	deadline = time.Now().Add(time.Minute)
	for {
		status, body := survivor.call("GET", "/api/v1/stacks/infra/slow/lock", viewerToken)
		var lock struct {
			Hold *store.Hold `json:"hold"`
		}
		if status != http.StatusOK || json.Unmarshal(body, &lock) != nil || lock.Hold == nil || lock.Hold.RunID != cut.ID {
			t.Fatalf("lock of stack slow after its node was killed mid-apply: %d %s", status, body)
		}
		if lock.Hold.StatePulled {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the hold never recorded the state the apply left: %s", body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// The killed nodes come back: their runs were dealt with already.
	victim.start()
	victim2.start()
	time.Sleep(2 * time.Second)
	if r := survivor.run(cut.ID); r.Status != store.StatusInterrupted {
		t.Errorf("cut-off apply is now %s", r.Status)
	}
	started := 0
	for _, n := range nodes {
		for _, line := range strings.Split(n.log(), "\n") {
			if strings.Contains(line, "apply started") && strings.Contains(line, cut.ID) {
				started++
			}
		}
	}
	if started != 1 {
		t.Errorf("the cut-off apply started %d times across the nodes, want once", started)
	}
	alive = nodes

	// Stopping the leader moves polling to another node within about its
	// lease (3s) and a poll (1s).
	leader := nodeNamed(alive, leaderName(t, alive[0]))
	if leader == nil {
		t.Fatal("no live node leads")
	}
	leader.stop(30 * time.Second)
	rest := slices.DeleteFunc(slices.Clone(alive), func(n *daemon) bool { return n == leader })
	stopped := time.Now()
	next := up.Commit("change s01", map[string]string{"stacks/s01/main.tf": clusterStackTF("s01", "# changed\n")})
	waitPlan(t, rest[0], "s01", next, store.StatusPlanned)
	if name := leaderName(t, rest[0]); nodeNamed(rest, name) == nil {
		t.Errorf("leader after the stop = %q, want a node still running", name)
	}
	t.Logf("after the leader stopped, the next commit was planned in %s", time.Since(stopped).Round(time.Millisecond))
}

// addClusterStacks adds the clusterStacks generated stacks (s00, s01, ...)
// to files, and .driftgate.hcl declaring them after repoConfig; it returns
// their names.
func addClusterStacks(files map[string]string, repoConfig string) []string {
	var stacks []string
	for i := range clusterStacks {
		name := fmt.Sprintf("s%02d", i)
		stacks = append(stacks, name)
		files["stacks/"+name+"/main.tf"] = clusterStackTF(name, "")
		repoConfig += fmt.Sprintf("stack %q {\n  dir = \"stacks/%s\"\n}\n", name, name)
	}
	files[".driftgate.hcl"] = repoConfig
	return stacks
}

// clusterStackTF is a stack with one object of the test provider.
func clusterStackTF(name, extra string) string {
	return tftest.ProviderBlock("") + fmt.Sprintf(`resource "dgtest_server" "this" {
  name = %q
}
%s`, name, extra)
}

// clusterSlowTF makes a plan take a few seconds.
const clusterSlowTF = `
data "dgtest_wait" "slow" {
  duration = "8s"
}
`

func countPlans(runs []store.Run) int {
	n := 0
	for _, r := range runs {
		if r.Operation == store.OperationPlan {
			n++
		}
	}
	return n
}

// runKeys are the runs as ids and statuses, sorted.
func runKeys(runs []store.Run) []string {
	out := make([]string, 0, len(runs))
	for _, r := range runs {
		out = append(out, r.ID+" "+string(r.Status))
	}
	slices.Sort(out)
	return out
}

// waitPlan waits for the plan of stack at commit to reach status.
func waitPlan(t *testing.T, d *daemon, stack, commit string, status store.RunStatus) store.Run {
	t.Helper()
	var found store.Run
	d.waitRuns(fmt.Sprintf("plan of %s at %s %s", stack, commit[:8], status), 3*time.Minute, func(runs []store.Run) bool {
		for _, r := range runs {
			if r.Stack == stack && r.Commit == commit && r.Operation == store.OperationPlan && r.Status == status {
				found = r
				return true
			}
		}
		return false
	})
	return found
}

// nodeNamed is the daemon among nodes whose database block names it name.
func nodeNamed(nodes []*daemon, name string) *daemon {
	for _, n := range nodes {
		if n.nodeName() == name {
			return n
		}
	}
	return nil
}

// nodeName is the node name in d's config.
func (d *daemon) nodeName() string {
	return filepath.Base(d.config[:len(d.config)-len(".hcl")])
}

// leaderName is the live leader as d's GET /api/v1/nodes says, polled
// until one leads.
func leaderName(t *testing.T, d *daemon) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		status, body := d.call("GET", "/api/v1/nodes", testToken)
		if status != http.StatusOK {
			t.Fatalf("GET nodes: %d %s", status, body)
		}
		var out struct {
			Nodes []struct {
				Name   string `json:"name"`
				State  string `json:"state"`
				Leader bool   `json:"leader"`
			} `json:"nodes"`
		}
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatal(err)
		}
		for _, n := range out.Nodes {
			if n.Leader && n.State == "live" {
				return n.Name
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no live leader: %s", body)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
