package runner

import (
	"context"
	"errors"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/driftgate/driftgate/store"
)

// OperationPlan is the operation of plan runs.
const OperationPlan = store.OperationPlan

// errCanceled is the cancellation cause of a run canceled through the API.
var errCanceled = errors.New("canceled on request")

// queueStore is what the dispatcher needs from the store.
type queueStore interface {
	ActiveRuns(ctx context.Context) ([]store.Run, error)
	runUpdater
}

// dispatcher starts queued runs, oldest first, at most max at a time and
// at most one per stack. Each run gets a context of its own, so stopping
// the dispatcher does not kill terraform: on shutdown running runs may
// finish for up to shutdownTimeout, then they are interrupted (SIGINT to
// terraform) and end as interrupted.
type dispatcher struct {
	store queueStore
	exec  func(ctx context.Context, run *store.Run)
	// blocked, when set, reports whether a queued run must wait for
	// something other than a free slot (a held stack, a dependency).
	blocked         func(ctx context.Context, run *store.Run) bool
	max             int
	shutdownTimeout time.Duration
	logger          *slog.Logger

	// health says whether the store writes: while a run's outcome waits
	// to be written, no run starts.
	health *writeHealth

	// metrics counts the runs started and finished; nil counts none.
	metrics runMetrics

	wake    chan struct{}
	mu      sync.Mutex
	running map[string]*activeRun // by run id
	busy    map[string]bool       // by stack key
	drifts  int                   // drift checks running
	wg      sync.WaitGroup
}

// runMetrics counts runs as the dispatcher starts and ends them.
type runMetrics interface {
	RunStarted(r *store.Run)
	RunFinished(r *store.Run, took time.Duration)
}

type activeRun struct {
	run    store.Run
	cancel context.CancelCauseFunc
	// unrecorded, when set, is why the run's outcome is not written yet:
	// its process has ended and the write is being retried.
	unrecorded error
}

func newDispatcher(st queueStore, exec func(context.Context, *store.Run), max int, shutdownTimeout time.Duration, logger *slog.Logger) *dispatcher {
	return &dispatcher{
		store: st, exec: exec, max: max, shutdownTimeout: shutdownTimeout, logger: logger,
		health:  &writeHealth{},
		wake:    make(chan struct{}, 1),
		running: map[string]*activeRun{},
		busy:    map[string]bool{},
	}
}

// Wake asks the dispatcher to look at the queue now.
func (d *dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run dispatches until ctx ends, then drains: it returns once every run it
// started has finished and recorded its outcome.
func (d *dispatcher) Run(ctx context.Context) error {
	// A slow tick catches anything a missed wake-up would leave queued.
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		if err := d.dispatch(ctx); err != nil && ctx.Err() == nil {
			d.logger.Error("dispatch", logErr, err)
		}
		select {
		case <-ctx.Done():
			d.drain()
			return nil
		case <-d.wake:
		case <-tick.C:
		}
	}
}

// dispatch claims and starts the queued runs that may start now.
func (d *dispatcher) dispatch(ctx context.Context) error {
	if ctx.Err() != nil || d.health.retrying() {
		return nil
	}
	runs, err := d.store.ActiveRuns(ctx)
	if err != nil {
		return err
	}
	// Applies first, then plans of commits, then drift checks; oldest
	// first within each (ActiveRuns is oldest first; the sort is stable).
	sort.SliceStable(runs, func(i, j int) bool { return priority(runs[i].Operation) < priority(runs[j].Operation) })
	for i := range runs {
		run := &runs[i]
		if run.Status != store.StatusQueued {
			continue
		}
		key := stackKey(run.Repo, run.Stack)
		d.mu.Lock()
		full, busy := len(d.running) >= d.max, d.busy[key]
		drifts := d.drifts
		d.mu.Unlock()
		if full {
			break
		}
		if busy {
			continue
		}
		// With room for more than one run, drift checks never take the
		// last slot: a commit plan or an apply always finds one free.
		if run.Operation == OperationDrift && d.max > 1 && drifts >= d.max-1 {
			continue
		}
		if d.blocked != nil && d.blocked(ctx, run) {
			continue
		}
		claimed, err := claimRun(ctx, d.store, run.ID)
		if errors.Is(err, store.ErrConflict) {
			continue // superseded or canceled meanwhile
		}
		if err != nil {
			if retryable(err) && ctx.Err() == nil {
				d.health.claimed(err)
			}
			return err
		}
		d.start(claimed)
	}
	// Every claim this pass made went through (or none was due): the
	// store writes as far as the queue can tell.
	d.health.claimed(nil)
	return nil
}

func (d *dispatcher) start(run *store.Run) {
	runCtx, _, end := d.begin(run)
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		defer func() {
			end()
			d.Wake()
		}()
		d.execute(runCtx, run)
	}()
}

// begin counts run as running and returns its own context, the cancel of
// that context and end, which stops counting it.
func (d *dispatcher) begin(run *store.Run) (context.Context, context.CancelCauseFunc, func()) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.add(run)
}

// admit is begin for a run that may start only if no run of its stack is
// running here and, with room for more than one run, it is not a drift
// check that would take the last slot; ok is false when it may not.
func (d *dispatcher) admit(run *store.Run) (ctx context.Context, cancel context.CancelCauseFunc, end func(), ok bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.busy[stackKey(run.Repo, run.Stack)] || len(d.running) >= d.max ||
		run.Operation == OperationDrift && d.max > 1 && d.drifts >= d.max-1 {
		return nil, nil, nil, false
	}
	ctx, cancel, end = d.add(run)
	return ctx, cancel, end, true
}

// add counts run as running; d.mu is held.
func (d *dispatcher) add(run *store.Run) (context.Context, context.CancelCauseFunc, func()) {
	runCtx, cancel := context.WithCancelCause(context.Background())
	key := stackKey(run.Repo, run.Stack)
	d.running[run.ID] = &activeRun{run: *run, cancel: cancel}
	d.busy[key] = true
	if run.Operation == OperationDrift {
		d.drifts++
	}
	return runCtx, cancel, func() {
		cancel(nil)
		d.mu.Lock()
		delete(d.running, run.ID)
		delete(d.busy, key)
		if run.Operation == OperationDrift {
			d.drifts--
		}
		d.mu.Unlock()
	}
}

// execute runs run with its metrics.
func (d *dispatcher) execute(ctx context.Context, run *store.Run) {
	if d.metrics != nil {
		d.metrics.RunStarted(run)
		defer func(start time.Time) { d.metrics.RunFinished(run, time.Since(start)) }(time.Now())
	}
	d.exec(ctx, run)
}

// busyCount is how many runs are executing now.
func (d *dispatcher) busyCount() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.running)
}

// cancel interrupts a running run; it reports whether the run was running,
// and, for a run whose process has ended but whose outcome is not written
// yet, why (the run is then left alone: there is nothing to interrupt).
func (d *dispatcher) cancel(id string) (running bool, unrecorded error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	a, ok := d.running[id]
	switch {
	case !ok:
		return false, nil
	case a.unrecorded != nil:
		return true, a.unrecorded
	}
	a.cancel(errCanceled)
	return true, nil
}

// unrecorded is why run id's ended outcome is not written yet, or nil.
func (d *dispatcher) unrecorded(id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if a, ok := d.running[id]; ok {
		return a.unrecorded
	}
	return nil
}

// recording notes that run id has ended and that writing its outcome
// failed with err and is retried.
func (d *dispatcher) recording(id string, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if a, ok := d.running[id]; ok {
		a.unrecorded = err
	}
}

// recorded notes that run id's outcome was written, or given up on.
func (d *dispatcher) recorded(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if a, ok := d.running[id]; ok {
		a.unrecorded = nil
	}
}

// drain waits for running runs, interrupting them after shutdownTimeout.
func (d *dispatcher) drain() {
	done := make(chan struct{})
	go func() {
		d.wg.Wait()
		close(done)
	}()
	d.mu.Lock()
	n := len(d.running)
	d.mu.Unlock()
	if n > 0 {
		d.logger.Info("waiting for running plans before shutdown", logCount, n, logDuration, d.shutdownTimeout)
	}
	select {
	case <-done:
		return
	case <-time.After(d.shutdownTimeout):
	}
	d.mu.Lock()
	for _, a := range d.running {
		d.logger.Warn("interrupting run for shutdown", logRun, a.run.ID, logStack, a.run.Stack)
		a.cancel(ErrShutdown)
	}
	d.mu.Unlock()
	<-done
}

func stackKey(repo, stack string) string { return repo + "\x00" + stack }

// priority orders queued runs: lower runs first.
func priority(op store.Operation) int {
	switch op {
	case OperationApply:
		return 0
	case OperationDrift:
		return 2
	}
	return 1
}
