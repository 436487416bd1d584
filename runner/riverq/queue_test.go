package riverq

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/errgroup"

	"github.com/driftgate/driftgate/test/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// database returns a pool on a fresh, migrated database.
func database(t *testing.T) string {
	t.Helper()
	url := pgtest.NewDatabase(t)
	if err := Migrate(context.Background(), newPool(t, url)); err != nil {
		t.Fatal(err)
	}
	return url
}

func newPool(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// node starts a queue of its own pool on url, stopped at cleanup.
func node(t *testing.T, url, id string, workers int, h Handler) *Queue {
	t.Helper()
	q := newQueue(t, url, id, workers, h)
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := q.Stop(ctx); err != nil {
			t.Errorf("stop %s: %v", id, err)
		}
	})
	return q
}

func newQueue(t *testing.T, url, id string, workers int, h Handler) *Queue {
	t.Helper()
	q, err := New(newPool(t, url), Config{NodeID: id, Workers: workers, Handler: h, FetchPollInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// worked records which node worked which run.
type worked struct {
	mu   sync.Mutex
	runs map[string][]string
	all  chan string
}

func newWorked() *worked { return &worked{runs: map[string][]string{}, all: make(chan string, 1000)} }

func (w *worked) handler(node string, each time.Duration) Handler {
	return func(ctx context.Context, runID string) error {
		select {
		case <-time.After(each):
		case <-ctx.Done():
			return ctx.Err()
		}
		w.mu.Lock()
		w.runs[runID] = append(w.runs[runID], node)
		w.mu.Unlock()
		w.all <- runID
		return nil
	}
}

func (w *worked) wait(t *testing.T, n int) []string {
	t.Helper()
	var got []string
	timeout := time.After(60 * time.Second)
	for len(got) < n {
		select {
		case id := <-w.all:
			got = append(got, id)
		case <-timeout:
			t.Fatalf("%d of %d runs worked after 60s", len(got), n)
		}
	}
	return got
}

func TestEveryRunWorkedOnceAcrossNodes(t *testing.T) {
	url := database(t)
	w := newWorked()
	var queues []*Queue
	for i := range 3 {
		id := fmt.Sprintf("node-%d", i)
		queues = append(queues, node(t, url, id, 2, w.handler(id, 50*time.Millisecond)))
	}
	ctx := context.Background()
	const runs = 30
	var g errgroup.Group
	for i := range runs {
		g.Go(func() error {
			_, err := queues[i%3].Enqueue(ctx, fmt.Sprintf("run-%02d", i), PriorityPlan, 0)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	w.wait(t, runs)
	time.Sleep(500 * time.Millisecond) // a run worked twice would show now
	w.mu.Lock()
	defer w.mu.Unlock()
	nodes := map[string]int{}
	for id, by := range w.runs {
		if len(by) != 1 {
			t.Errorf("run %s worked %d times (%v)", id, len(by), by)
		}
		nodes[by[0]]++
	}
	if len(w.runs) != runs {
		t.Errorf("%d distinct runs worked, want %d", len(w.runs), runs)
	}
	t.Logf("runs per node: %v", nodes)
}

func TestPriorityOrder(t *testing.T) {
	url := database(t)
	w := newWorked()
	q := newQueue(t, url, "solo", 1, w.handler("solo", 0))
	ctx := context.Background()
	for _, r := range []struct {
		id string
		p  Priority
	}{{"drift", PriorityDrift}, {"plan", PriorityPlan}, {"apply", PriorityApply}} {
		if _, err := q.Enqueue(ctx, r.id, r.p, 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = q.Stop(context.Background()) })
	if got, want := w.wait(t, 3), []string{"apply", "plan", "drift"}; !slices.Equal(got, want) {
		t.Errorf("worked in order %v, want %v", got, want)
	}
}

func TestEnqueueTwiceIsOneJob(t *testing.T) {
	url := database(t)
	q := newQueue(t, url, "n", 1, func(context.Context, string) error { return nil })
	ctx := context.Background()
	a, err := q.Enqueue(ctx, "run-1", PriorityPlan, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := q.Enqueue(ctx, "run-1", PriorityPlan, 0)
	if err != nil {
		t.Fatal(err)
	}
	c, err := q.Enqueue(ctx, "run-1", PriorityPlan, 1)
	if err != nil {
		t.Fatal(err)
	}
	if a != b || a == c {
		t.Errorf("job ids %d, %d (same run, attempt 0) and %d (attempt 1): want the first two equal, the third new", a, b, c)
	}
}

func TestBusyRunComesBack(t *testing.T) {
	url := database(t)
	var mu sync.Mutex
	tries := 0
	done := make(chan struct{})
	node(t, url, "n", 1, func(ctx context.Context, runID string) error {
		mu.Lock()
		defer mu.Unlock()
		tries++
		if tries == 1 {
			return ErrBusy
		}
		close(done)
		return nil
	})
	q := newQueue(t, url, "client", 1, func(context.Context, string) error { return nil })
	if _, err := q.Enqueue(context.Background(), "run-1", PriorityPlan, 0); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("a busy run was not offered again")
	}
}

func TestCancelReachesTheRunningNode(t *testing.T) {
	url := database(t)
	started := make(chan struct{})
	ended := make(chan error, 1)
	node(t, url, "runner", 1, func(ctx context.Context, runID string) error {
		close(started)
		<-ctx.Done()
		ended <- ctx.Err()
		return ctx.Err()
	})
	other := newQueue(t, url, "api", 1, func(context.Context, string) error { return nil })
	ctx := context.Background()
	job, err := other.Enqueue(ctx, "run-1", PriorityApply, 0)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("run not started")
	}
	if err := other.Cancel(ctx, job); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-ended:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("handler context ended with %v, want canceled", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("canceling the job from another node did not cancel the run")
	}
}

func TestMigrateTogether(t *testing.T) {
	url := pgtest.NewDatabase(t)
	var g errgroup.Group
	for range 3 {
		pool := newPool(t, url)
		g.Go(func() error { return Migrate(context.Background(), pool) })
	}
	if err := g.Wait(); err != nil {
		t.Fatalf("concurrent migrations: %v", err)
	}
}
