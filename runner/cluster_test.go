package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/driftgate/driftgate/planner/tfrun"
	"github.com/driftgate/driftgate/runner/api"
	"github.com/driftgate/driftgate/runner/riverq"
	"github.com/driftgate/driftgate/store"
	"github.com/driftgate/driftgate/store/postgres"
	"github.com/driftgate/driftgate/test/gittest"
	"github.com/driftgate/driftgate/test/pgtest"
)

// clusterHarness is several daemons in cluster mode, as nodes sharing one
// store (bbolt, or the PostgreSQL store in River's database) and one River
// queue on a real PostgreSQL, watching one real git repo, with
// gatedTerraform as their runner.
type clusterHarness struct {
	t    *testing.T
	st   daemonStore
	url  string
	repo *gittest.Repo
	tf   *gatedTerraform
}

// Stores of the cluster tests.
const (
	onBolt     = "bbolt"
	onPostgres = "postgres"
)

// eachStore runs test on the bbolt store and on the PostgreSQL store.
func eachStore(t *testing.T, test func(t *testing.T, kind string)) {
	for _, kind := range []string{onBolt, onPostgres} {
		t.Run(kind, func(t *testing.T) { test(t, kind) })
	}
}

func newClusterHarness(t *testing.T, stacks ...string) *clusterHarness {
	t.Helper()
	return newClusterHarnessOn(t, onBolt, stacks...)
}

// newClusterHarnessOn is newClusterHarness with its runs in the store kind.
func newClusterHarnessOn(t *testing.T, kind string, stacks ...string) *clusterHarness {
	t.Helper()
	url := pgtest.NewDatabase(t)
	pool := clusterPool(t, url)
	if err := riverq.Migrate(t.Context(), pool); err != nil {
		t.Fatal(err)
	}
	var st daemonStore = openStore(t)
	if kind == onPostgres {
		ps, err := postgres.Open(t.Context(), url, postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = ps.Close() })
		st = ps
	}
	files := map[string]string{".driftgate.hcl": "# every stack with its defaults\n"}
	for _, s := range stacks {
		files[s+"/main.tf"] = `resource "x" "y" {}` + "\n"
	}
	return &clusterHarness{t: t, st: st, url: url, repo: gittest.New(t, files), tf: newGatedTerraform()}
}

func clusterPool(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// seen records the repo's head as seen, so the leader plans nothing on
// its own: the test queues the runs.
func (h *clusterHarness) seen() {
	h.t.Helper()
	if err := h.st.PutRepo(h.t.Context(), &store.RepoRecord{Name: "infra", URL: h.repo.Dir, Branch: "main", LastCommit: h.repo.Head(), Status: string(RepoOK)}); err != nil {
		h.t.Fatal(err)
	}
}

// clusterNodeOf is one node of a clusterHarness.
type clusterNodeOf struct {
	d    *Daemon
	stop func()
}

// node builds the node name with workers workers; start runs it.
func (h *clusterHarness) node(name string, workers int) *clusterNodeOf {
	h.t.Helper()
	dir := h.t.TempDir()
	// Nodes share the state versions' key, as they share the store.
	if err := os.WriteFile(filepath.Join(dir, stateKeyFile), bytes.Repeat([]byte{7}, 32), 0o600); err != nil {
		h.t.Fatal(err)
	}
	d, err := New(Config{
		DataDir: dir, Listen: "127.0.0.1:0", MaxParallelRuns: workers, ShutdownTimeout: 5 * time.Second,
		Auth:  api.StaticToken("test-token"),
		Repos: []RepoConfig{{Name: "infra", URL: h.repo.Dir, Branch: "main", PollInterval: time.Second}},
		Node:  NodeConfig{Name: name, Lease: time.Second},
		Cluster: &ClusterConfig{
			Pool: clusterPool(h.t, h.url), URL: h.url, Reoffer: 200 * time.Millisecond, FetchPollInterval: 100 * time.Millisecond,
		},
	}, h.st, h.tf, slog.New(slog.DiscardHandler).With("node", name))
	if err != nil {
		h.t.Fatal(err)
	}
	return &clusterNodeOf{d: d}
}

// start runs n until the test ends or n.stop is called.
func (n *clusterNodeOf) start(t *testing.T) *clusterNodeOf {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.d.Run(ctx) }()
	var once sync.Once
	n.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("node stopped: %v", err)
			}
		})
	}
	t.Cleanup(n.stop)
	return n
}

// queue stores a queued run of op on stack at the repo's head.
func (h *clusterHarness) queue(stack string, op store.Operation) store.Run {
	h.t.Helper()
	r := store.Run{Repo: "infra", Stack: stack, Operation: op, Commit: h.repo.Head(), Trigger: TriggerManual}
	if _, err := enqueueRun(h.t.Context(), h.st, &r); err != nil {
		h.t.Fatal(err)
	}
	return r
}

// wait polls the run id until cond holds, for up to 30 s.
func (h *clusterHarness) wait(id, what string, cond func(*store.Run) bool) *store.Run {
	h.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r, err := h.st.GetRun(h.t.Context(), id)
		if err != nil {
			h.t.Fatal(err)
		}
		if cond(r) {
			return r
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("run %s (%s %s) is %s on node %q, never %s", id, r.Stack, r.Operation, r.Status, nodeOf(r), what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func finished(r *store.Run) bool {
	return r.FinishedAt.After(r.CreatedAt) && r.Status != store.StatusQueued
}

// gatedTerraform is fakeTerraform counting the plans of each stack, whose
// plans of a stack held with hold wait until the stack is let go or the
// run's context ends.
type gatedTerraform struct {
	*fakeTerraform
	mu      sync.Mutex
	plans   map[string]int
	held    map[string]chan struct{}
	started chan string
}

func newGatedTerraform() *gatedTerraform {
	return &gatedTerraform{fakeTerraform: newFakeTerraform(), plans: map[string]int{}, held: map[string]chan struct{}{}, started: make(chan string, 100)}
}

func (g *gatedTerraform) hold(stack string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.held[stack] = make(chan struct{})
}

func (g *gatedTerraform) letGo(stack string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	close(g.held[stack])
	delete(g.held, stack)
}

func (g *gatedTerraform) planned(stack string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.plans[stack]
}

func (g *gatedTerraform) Plan(ctx context.Context, sp tfrun.StackPlan) (*tfrun.PlanResult, error) {
	stack := stackOfKey(sp.Key)
	g.mu.Lock()
	g.plans[stack]++
	held := g.held[stack]
	g.mu.Unlock()
	g.started <- stack
	if held != nil {
		select {
		case <-held:
		case <-ctx.Done():
			return nil, fmt.Errorf("plan of %s: %w", stack, ctx.Err())
		}
	}
	return g.fakeTerraform.Plan(ctx, sp)
}

func TestClusterWorksEveryRunOnceAcrossNodes(t *testing.T) {
	eachStore(t, func(t *testing.T, kind string) {
		stacks := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
		h := newClusterHarnessOn(t, kind, stacks...)
		nodes := []*clusterNodeOf{h.node("n1", 2).start(t), h.node("n2", 2).start(t)}
		_ = nodes
		// The leader polls the repo and queues a first plan of every stack;
		// the nodes work them.
		deadline := time.Now().Add(60 * time.Second)
		for {
			runs, _, err := h.st.ListRuns(t.Context(), store.RunFilter{Repo: "infra", Operation: OperationPlan, Limit: store.MaxListLimit})
			if err != nil {
				t.Fatal(err)
			}
			done := 0
			for i := range runs {
				if finished(&runs[i]) {
					done++
				}
			}
			if done == len(stacks) && len(runs) == len(stacks) {
				byStack := map[string]store.Run{}
				for _, r := range runs {
					byStack[r.Stack] = r
				}
				for _, s := range stacks {
					r := byStack[s]
					if r.Status != store.StatusPlanned || (nodeOf(&r) != "n1" && nodeOf(&r) != "n2") {
						t.Errorf("stack %s: run %s %s on node %q, want planned on n1 or n2", s, r.ID, r.Status, nodeOf(&r))
					}
					if n := h.tf.planned(s); n != 1 {
						t.Errorf("stack %s planned %d times, want once", s, n)
					}
				}
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d of %d plans finished (%d runs)", done, len(stacks), len(runs))
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
}

func TestClusterPriorities(t *testing.T) {
	h := newClusterHarness(t, "a", "b", "c")
	h.seen()
	n := h.node("n1", 1)
	drift := h.queue("a", OperationDrift)
	plan := h.queue("b", OperationPlan)
	apply := h.queue("c", OperationApply)
	// Offered before the node works, so that it finds all three waiting.
	if err := n.d.offerQueued(t.Context()); err != nil {
		t.Fatal(err)
	}
	n.start(t)
	runs := map[string]*store.Run{}
	for _, r := range []store.Run{drift, plan, apply} {
		runs[r.ID] = h.wait(r.ID, "finished", finished)
	}
	a, p, d := runs[apply.ID].StartedAt, runs[plan.ID].StartedAt, runs[drift.ID].StartedAt
	if !a.Before(p) || !p.Before(d) {
		t.Errorf("started apply %s, plan %s, drift %s: want the apply, then the plan, then the drift check", a, p, d)
	}
}

func TestClusterBusyStackWaitsAndCancelReachesTheRunningNode(t *testing.T) {
	eachStore(t, func(t *testing.T, kind string) {
		h := newClusterHarnessOn(t, kind, "a")
		h.seen()
		h.tf.hold("a")
		n1, n2 := h.node("n1", 2).start(t), h.node("n2", 2).start(t)
		plan := h.queue("a", OperationPlan)
		n1.d.disp.Wake()
		running := h.wait(plan.ID, "running", func(r *store.Run) bool { return r.Status == store.StatusRunning })
		drift := h.queue("a", OperationDrift)
		n2.d.disp.Wake()
		time.Sleep(time.Second) // several offers and fetches
		if r, _ := h.st.GetRun(t.Context(), drift.ID); r.Status != store.StatusQueued {
			t.Fatalf("drift check of a stack running a plan = %s on %q, want queued", r.Status, nodeOf(r))
		}
		// Cancel through the node that does not run the plan.
		other := n1
		if nodeOf(running) == "n1" {
			other = n2
		}
		if _, err := (service{other.d}).CancelRun(t.Context(), plan.ID); err != nil {
			t.Fatalf("cancel through the other node: %v", err)
		}
		got := h.wait(plan.ID, "finished", finished)
		if got.Status != store.StatusCanceled {
			t.Errorf("canceled plan = %s (%s), want canceled", got.Status, got.Error)
		}
		h.tf.letGo("a")
		if got := h.wait(drift.ID, "finished", finished); got.Status == store.StatusQueued || got.Status == store.StatusCanceled {
			t.Errorf("drift check after the plan = %s", got.Status)
		}
	})
}

func TestClusterReclaimsTheRunsOfALostNode(t *testing.T) {
	eachStore(t, func(t *testing.T, kind string) {
		h := newClusterHarnessOn(t, kind, "a", "b", "c")
		h.seen()
		ctx := t.Context()
		// Node "gone" claimed a plan and an apply, then stopped heartbeating.
		if err := h.st.PutNode(ctx, &store.Node{Name: "gone", Heartbeat: time.Now().Add(-time.Hour)}); err != nil {
			t.Fatal(err)
		}
		claim := func(stack string, op store.Operation) store.Run {
			t.Helper()
			r := h.queue(stack, op)
			if _, err := claimOnNode(ctx, h.st, &r, "gone", 1); err != nil {
				t.Fatal(err)
			}
			return r
		}
		plan, apply := claim("a", OperationPlan), claim("b", OperationApply)
		// "alive" heartbeats: its run is left alone.
		if err := h.st.PutNode(ctx, &store.Node{Name: "alive", Heartbeat: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		r := h.queue("c", OperationPlan)
		if _, err := claimOnNode(ctx, h.st, &r, "alive", 2); err != nil {
			t.Fatal(err)
		}
		h.node("n1", 2).start(t)
		h.node("n2", 2).start(t)

		got := h.wait(plan.ID, "planned again on a live node", func(r *store.Run) bool { return finished(r) })
		if got.Status != store.StatusPlanned || retries(got) != 1 || (nodeOf(got) != "n1" && nodeOf(got) != "n2") {
			t.Errorf("plan of the lost node = %s, retries %d, on %q; want planned once more on n1 or n2", got.Status, retries(got), nodeOf(got))
		}
		if n := h.tf.planned("a"); n != 1 {
			t.Errorf("stack a planned %d times here, want once", n)
		}
		got = h.wait(apply.ID, "interrupted", finished)
		if got.Status != store.StatusInterrupted {
			t.Errorf("apply of the lost node = %s, want interrupted", got.Status)
		}
		hold, err := h.st.GetHold(ctx, "infra", "b")
		if err != nil || hold.RunID != apply.ID {
			t.Errorf("hold of stack b = %+v, %v; want held by %s", hold, err, apply.ID)
		}
		if got, _ := h.st.GetRun(ctx, r.ID); got.Status != store.StatusRunning {
			t.Errorf("run of a live node = %s, want running", got.Status)
		}
	})
}

func TestClusterNodeWithoutDatabaseTakesNoRunAndIsNotReady(t *testing.T) {
	h := newClusterHarness(t, "a")
	n := h.node("n1", 1)
	// A database that does not answer: nothing listens on port 1.
	lost, err := pgxpool.New(context.Background(), "postgres://driftgate@127.0.0.1:1/driftgate?connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lost.Close)
	n.d.cl.cfg.Pool = lost
	n.d.ready.Store(true) // started, as far as readiness goes
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { n.d.watchDatabase(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(10 * time.Second)
	for n.d.cl.unhealthy() == nil {
		if time.Now().After(deadline) {
			t.Fatal("the node never noticed the database is gone")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := (service{n.d}).Ready(t.Context()); err == nil || !strings.Contains(err.Error(), "the database cannot be reached") {
		t.Errorf("ready = %v, want the database named", err)
	}
	r := h.queue("a", OperationPlan)
	if err := n.d.work(t.Context(), r.ID); !errors.Is(err, riverq.ErrBusy) {
		t.Errorf("work without the database = %v, want ErrBusy", err)
	}
	if got, _ := h.st.GetRun(t.Context(), r.ID); got.Status != store.StatusQueued {
		t.Errorf("run offered to a node without the database = %s, want queued", got.Status)
	}
}

func TestClusterLeaderOffersRunsNobodyOffered(t *testing.T) {
	h := newClusterHarness(t, "a")
	h.seen()
	h.node("n1", 1).start(t)
	// Queued in the store without a wake-up: as if the node that queued
	// it died before offering it.
	r := h.queue("a", OperationPlan)
	if got := h.wait(r.ID, "finished", finished); got.Status != store.StatusPlanned {
		t.Errorf("run nobody offered = %s, want planned", got.Status)
	}
}

func TestClusterLeadershipMovesWhenTheLeaderStops(t *testing.T) {
	h := newClusterHarness(t, "a")
	h.seen()
	nodes := []*clusterNodeOf{h.node("n1", 1).start(t), h.node("n2", 1).start(t)}
	leader := func() int {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			var leading []int
			for i, n := range nodes {
				if n.d.cl.elector.Leading() {
					leading = append(leading, i)
				}
			}
			if len(leading) > 1 {
				t.Fatalf("nodes %v lead at once", leading)
			}
			if len(leading) == 1 {
				return leading[0]
			}
			if time.Now().After(deadline) {
				t.Fatal("no node leads")
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	first := leader()
	stopped := time.Now()
	nodes[first].stop()
	nodes = slices.Delete(nodes, first, first+1)
	leader()
	lease := nodes[0].d.node.Lease
	if took := time.Since(stopped); took > lease+time.Second {
		t.Errorf("leadership moved in %s, want within the lease (%s) and a second of slack", took, lease)
	}
}

func TestClusterNodeStopLetsRunsFinishThenInterruptsThem(t *testing.T) {
	h := newClusterHarness(t, "a", "b")
	h.seen()
	h.tf.hold("a")
	h.tf.hold("b")
	n := h.node("n1", 2)
	n.d.cfg.ShutdownTimeout = 2 * time.Second
	n.start(t)
	quick, stuck := h.queue("a", OperationPlan), h.queue("b", OperationPlan)
	n.d.disp.Wake()
	for _, r := range []store.Run{quick, stuck} {
		h.wait(r.ID, "running", func(r *store.Run) bool { return r.Status == store.StatusRunning })
	}
	stopped := make(chan struct{})
	go func() { n.stop(); close(stopped) }()
	time.Sleep(500 * time.Millisecond)
	select {
	case <-stopped:
		t.Fatal("the node stopped without waiting for its runs")
	default:
	}
	h.tf.letGo("a") // finishes within the shutdown timeout
	<-stopped
	if got := h.wait(quick.ID, "finished", finished); got.Status != store.StatusPlanned {
		t.Errorf("run that finished during the shutdown = %s, want planned", got.Status)
	}
	if got := h.wait(stuck.ID, "finished", finished); got.Status != store.StatusInterrupted {
		t.Errorf("run still going after the shutdown timeout = %s (%s), want interrupted", got.Status, got.Error)
	}
}

func TestClusterNodeStartedAgainReclaimsItsRuns(t *testing.T) {
	h := newClusterHarness(t, "a", "b")
	h.seen()
	ctx := t.Context()
	// n1 was running a plan and an apply when it died; it starts again.
	claim := func(stack string, op store.Operation) store.Run {
		t.Helper()
		r := h.queue(stack, op)
		if _, err := claimOnNode(ctx, h.st, &r, "n1", 1); err != nil {
			t.Fatal(err)
		}
		return r
	}
	plan, apply := claim("a", OperationPlan), claim("b", OperationApply)
	h.node("n1", 1).start(t)
	if got := h.wait(plan.ID, "finished", finished); got.Status != store.StatusPlanned || retries(got) != 1 {
		t.Errorf("plan of the node's previous life = %s, retries %d; want planned again once", got.Status, retries(got))
	}
	if got := h.wait(apply.ID, "finished", finished); got.Status != store.StatusInterrupted {
		t.Errorf("apply of the node's previous life = %s, want interrupted", got.Status)
	}
	if hold, err := h.st.GetHold(ctx, "infra", "b"); err != nil || hold.RunID != apply.ID {
		t.Errorf("hold of stack b = %+v, %v; want held by %s", hold, err, apply.ID)
	}
}
