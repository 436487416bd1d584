package runner

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/driftgate/driftgate/store"
	"github.com/driftgate/driftgate/store/postgres"
	"github.com/driftgate/driftgate/test/pgtest"
)

func TestClaimOnNodeOneRunPerStackAcrossNodes(t *testing.T) {
	eachStore(t, func(t *testing.T, kind string) {
		s := storeOf(t, kind)
		ctx := t.Context()
		enqueue := func(stack string, op store.Operation) store.Run {
			t.Helper()
			r := store.Run{Repo: "infra", Stack: stack, Operation: op, Commit: "aaaaaaaaaaaaaaaa"}
			if _, err := enqueueRun(ctx, s, &r); err != nil {
				t.Fatal(err)
			}
			return r
		}
		plan, drift, other := enqueue("net", OperationPlan), enqueue("net", OperationDrift), enqueue("dns", OperationPlan)

		got, err := claimOnNode(ctx, s, &plan, "n1", 41)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != store.StatusRunning || got.StartedAt.IsZero() || nodeOf(got) != "n1" || jobOf(got) != 41 {
			t.Fatalf("claimed = %+v", got)
		}
		// Another node may not start a second run of the stack.
		if _, err := claimOnNode(ctx, s, &drift, "n2", 42); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("second run of a running stack: err = %v, want a conflict", err)
		}
		if r, _ := s.GetRun(ctx, drift.ID); r.Status != store.StatusQueued || nodeOf(r) != "" {
			t.Errorf("refused run = %s on %q, want queued on no node", r.Status, nodeOf(r))
		}
		// Another stack may.
		if _, err := claimOnNode(ctx, s, &other, "n2", 43); err != nil {
			t.Errorf("run of another stack: %v", err)
		}
		// A run claimed already is not claimed again.
		if _, err := claimOnNode(ctx, s, &plan, "n2", 44); !errors.Is(err, store.ErrConflict) {
			t.Errorf("claiming a running run: err = %v, want a conflict", err)
		}
		// Once the stack's run ends, the waiting one starts.
		got.Status, got.FinishedAt = store.StatusPlanned, time.Now()
		if err := s.FinishRun(ctx, got, nil, nil); err != nil {
			t.Fatal(err)
		}
		if r, err := claimOnNode(ctx, s, &drift, "n2", 45); err != nil || nodeOf(r) != "n2" {
			t.Errorf("claim after the stack's run ended: %+v, %v", r, err)
		}
		// A canceled run is not claimed.
		canceled := enqueue("web", OperationPlan)
		if _, err := cancelQueued(ctx, s, canceled.ID, "test"); err != nil {
			t.Fatal(err)
		}
		if _, err := claimOnNode(ctx, s, &canceled, "n1", 46); !errors.Is(err, store.ErrConflict) {
			t.Errorf("claiming a canceled run: err = %v, want a conflict", err)
		}
	})
}

func TestReclaimLostRetriesPlansOnceAndInterruptsApplies(t *testing.T) {
	eachStore(t, func(t *testing.T, kind string) {
		s := storeOf(t, kind)
		ctx := t.Context()
		running := func(stack string, op store.Operation, node string, retried bool) store.Run {
			t.Helper()
			r := store.Run{Repo: "infra", Stack: stack, Operation: op, Commit: "aaaaaaaaaaaaaaaa"}
			if _, err := enqueueRun(ctx, s, &r); err != nil {
				t.Fatal(err)
			}
			got, err := claimOnNode(ctx, s, &r, node, 7)
			if err != nil {
				t.Fatal(err)
			}
			if retried {
				got, err = s.UpdateRun(ctx, r.ID, func(r *store.Run) error { r.Attrs[store.AttrRetries] = "1"; return nil })
				if err != nil {
					t.Fatal(err)
				}
			}
			return *got
		}
		plan := running("a", OperationPlan, "lost", false)
		drift := running("b", OperationDrift, "lost", false)
		apply := running("c", OperationApply, "lost", false)
		again := running("d", OperationPlan, "lost", true)
		alive := running("e", OperationPlan, "alive", false)

		requeued, interrupted, err := reclaimLost(ctx, s, func(n string) bool { return n == "lost" }, "node lost")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := runIDs(requeued), []string{plan.ID, drift.ID}; !slices.Equal(got, want) {
			t.Errorf("queued again = %v, want %v", got, want)
		}
		if got, want := runIDs(interrupted), []string{apply.ID, again.ID}; !slices.Equal(got, want) {
			t.Errorf("interrupted = %v, want %v", got, want)
		}
		for _, id := range []string{plan.ID, drift.ID} {
			r, _ := s.GetRun(ctx, id)
			if r.Status != store.StatusQueued || retries(r) != 1 || nodeOf(r) != "" || jobOf(r) != 0 || !r.StartedAt.IsZero() {
				t.Errorf("run %s queued again = %s, retries %d, node %q, job %d", id, r.Status, retries(r), nodeOf(r), jobOf(r))
			}
		}
		for _, id := range []string{apply.ID, again.ID} {
			r, _ := s.GetRun(ctx, id)
			if r.Status != store.StatusInterrupted || r.Error != "node lost" || r.FinishedAt.IsZero() {
				t.Errorf("run %s = %s (%q), want interrupted", id, r.Status, r.Error)
			}
		}
		if r, _ := s.GetRun(ctx, alive.ID); r.Status != store.StatusRunning {
			t.Errorf("run of a live node = %s, want running", r.Status)
		}
		// The plan queued again and lost a second time is interrupted.
		if _, err := claimOnNode(ctx, s, &plan, "lost", 8); err != nil {
			t.Fatal(err)
		}
		requeued, interrupted, err = reclaimLost(ctx, s, func(n string) bool { return n == "lost" }, "node lost")
		if err != nil || len(requeued) != 0 || !slices.Equal(runIDs(interrupted), []string{plan.ID}) {
			t.Errorf("second loss: queued again %v, interrupted %v, %v; want the plan interrupted", runIDs(requeued), runIDs(interrupted), err)
		}
	})
}

func TestLostNodes(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	nodes := []store.Node{
		{Name: "self", Heartbeat: now.Add(-time.Hour)},
		{Name: "fresh", Heartbeat: now.Add(-5 * time.Second)},
		{Name: "edge", Heartbeat: now.Add(-15 * time.Second)},
		{Name: "stale", Heartbeat: now.Add(-16 * time.Second)},
	}
	got := lostNodes(nodes, "self", 15*time.Second, now)
	if want := []string{"stale"}; !slices.Equal(slices.Sorted(maps.Keys(got)), want) {
		t.Errorf("lost = %v, want %v", got, want)
	}
}

func TestLeadershipRunsDutiesOnlyInTerms(t *testing.T) {
	var l leadership
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	started := make(chan struct{}, 4)
	ended := make(chan struct{}, 4)
	done := make(chan error, 1)
	go func() {
		done <- l.run(ctx, func(ctx context.Context) error {
			started <- struct{}{}
			<-ctx.Done()
			ended <- struct{}{}
			return nil
		})
	}()
	select {
	case <-started:
		t.Fatal("a duty ran before this node led")
	case <-time.After(50 * time.Millisecond):
	}
	for term := range 2 {
		tctx, stop := context.WithCancel(ctx)
		held := make(chan struct{})
		go func() { l.hold(tctx); close(held) }()
		<-started
		stop()
		<-held // the term ends once the duty returned
		select {
		case <-ended:
		default:
			t.Fatalf("term %d ended before its duty returned", term)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestAdmitKeepsALastWorkerFromDriftChecks(t *testing.T) {
	d := newDispatcher(openStore(t), nil, 2, time.Minute, nil)
	run := func(id, stack string, op store.Operation) *store.Run {
		return &store.Run{ID: id, Repo: "infra", Stack: stack, Operation: op}
	}
	_, _, endDrift, ok := d.admit(run("1", "a", OperationDrift))
	if !ok {
		t.Fatal("first drift check refused")
	}
	if _, _, _, ok := d.admit(run("2", "b", OperationDrift)); ok {
		t.Error("a second drift check took the last worker")
	}
	if _, _, _, ok := d.admit(run("3", "a", OperationPlan)); ok {
		t.Error("a second run of a stack running here was admitted")
	}
	_, _, endPlan, ok := d.admit(run("4", "b", OperationPlan))
	if !ok {
		t.Fatal("a plan was refused the last worker")
	}
	if _, _, _, ok := d.admit(run("5", "c", OperationApply)); ok {
		t.Error("a run was admitted with every worker busy")
	}
	endDrift()
	endPlan()
	if _, _, _, ok := d.admit(run("6", "b", OperationDrift)); !ok {
		t.Error("a drift check was refused with every worker free")
	}
}

// storeOf is an empty store of kind: bbolt in a temp dir, or PostgreSQL
// in a fresh database.
func storeOf(t *testing.T, kind string) daemonStore {
	t.Helper()
	if kind == onBolt {
		return openStore(t)
	}
	ps, err := postgres.Open(t.Context(), pgtest.NewDatabase(t), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ps.Close() })
	return ps
}

func TestClaimOnNodeRaceOneWinsPerStack(t *testing.T) {
	eachStore(t, func(t *testing.T, kind string) {
		s := storeOf(t, kind)
		ctx := t.Context()
		var runs []store.Run
		for _, op := range []store.Operation{OperationPlan, OperationDrift, OperationApply} {
			r := store.Run{Repo: "infra", Stack: "net", Operation: op, Commit: "aaaaaaaaaaaaaaaa"}
			if _, err := enqueueRun(ctx, s, &r); err != nil {
				t.Fatal(err)
			}
			runs = append(runs, r)
		}
		// Nine nodes claim the stack's three queued runs at once.
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := 0
		for i := range 9 {
			wg.Go(func() {
				r := runs[i%len(runs)]
				_, err := claimOnNode(ctx, s, &r, fmt.Sprintf("n%d", i), int64(i))
				if err != nil && !errors.Is(err, store.ErrConflict) {
					t.Errorf("claim: %v", err)
				}
				if err == nil {
					mu.Lock()
					won++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		active, err := s.ActiveRuns(ctx)
		if err != nil {
			t.Fatal(err)
		}
		running := 0
		for _, r := range active {
			if r.Status == store.StatusRunning {
				running++
			}
		}
		if won != 1 || running != 1 {
			t.Errorf("%d claims won, %d runs running; want one of each", won, running)
		}
	})
}
