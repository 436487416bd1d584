package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/driftgate/driftgate/runner/api"
	"github.com/driftgate/driftgate/store"
)

// daemonStore is what the daemon needs from the store.
type daemonStore interface {
	runStore
	queueStore
	watchStore
	ListRepos(ctx context.Context) ([]store.RepoRecord, error)
	GetStack(ctx context.Context, repo, name string) (*store.StackRecord, error)
	ListRuns(ctx context.Context, f store.RunFilter) ([]store.Run, string, error)
	GetRun(ctx context.Context, id string) (*store.Run, error)
	GetPlan(ctx context.Context, runID string) (*store.Plan, error)
	GetLog(ctx context.Context, runID string) ([]byte, error)
	EnqueueRun(ctx context.Context, r *store.Run) ([]string, error)
	CreateRun(ctx context.Context, r *store.Run) error
	GetPlanFile(ctx context.Context, runID string) ([]byte, string, error)
	DriftFindings(ctx context.Context, repo, stack string, open bool, limit int) ([]store.DriftFinding, error)
	StackDriftStatus(ctx context.Context, repo, stack string) (*store.StackDrift, error)
	ListStackDrift(ctx context.Context) ([]store.StackDrift, error)
	RecordDriftCheck(ctx context.Context, sd *store.StackDrift, findings []store.DriftFinding) error
	RecordApplied(ctx context.Context, repo, stack string, info store.AppliedInfo) error
	CancelQueued(ctx context.Context, id, reason string) (*store.Run, error)
	InterruptRunning(ctx context.Context, reason string) ([]store.Run, error)
	AppendAudit(ctx context.Context, e *store.AuditEntry) error
	PutStateVersion(ctx context.Context, sv *store.StateVersion) error
	ListStateVersions(ctx context.Context, repo, stack string, limit int) ([]store.StateVersion, error)
	GetStateVersion(ctx context.Context, repo, stack string, serial uint64) (*store.StateVersion, error)
	ListAudit(ctx context.Context, f store.AuditFilter) ([]store.AuditEntry, string, error)
	gateStore
}

// gateStore is what the apply gate needs from the store.
type gateStore interface {
	ApproveRun(ctx context.Context, id string, a store.Approval, required int) (*store.Run, error)
	RejectRun(ctx context.Context, id string, a store.Approval) (*store.Run, error)
	QueueAwaiting(ctx context.Context, id string) (*store.Run, error)
	SetWaiting(ctx context.Context, id string, reason store.RunReason, waiting string) (*store.Run, error)
	SupersedeLive(ctx context.Context, repo, stack, operation, byRunID, byCommit string) ([]string, error)
	HoldStack(ctx context.Context, h *store.Hold) error
	GetHold(ctx context.Context, repo, stack string) (*store.Hold, error)
	ReleaseStack(ctx context.Context, repo, stack string) (*store.Hold, error)
	ListHolds(ctx context.Context) ([]store.Hold, error)
}

// Daemon is driftgate's long-running process: it watches repositories,
// queues and runs plans, and serves the HTTP API. Build it with New and
// run it with Run.
type Daemon struct {
	cfg      Config
	store    daemonStore
	plans    *PlanRunner
	runner   stackRunner
	notifier notifier
	stateKey []byte
	watchers map[string]*repoWatcher
	disp     *dispatcher
	// approvalSources are where approvals of apply runs come from.
	approvalSources []approvalSource
	sched           *driftScheduler
	logger          *slog.Logger
	ready           atomic.Bool
	addr            atomic.Value // net.Addr, once listening
}

// New builds a daemon from its configuration, an open store and a stack
// planner. It starts nothing.
func New(cfg Config, st daemonStore, pl stackRunner, logger *slog.Logger) (*Daemon, error) {
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = DefaultShutdownTimeout
	}
	if err := cfg.check(); err != nil {
		return nil, fmt.Errorf("daemon config: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	d := &Daemon{
		cfg:      cfg,
		store:    st,
		plans:    &PlanRunner{Store: st, Planner: pl, Logger: logger},
		runner:   pl,
		watchers: map[string]*repoWatcher{},
		logger:   logger,

		approvalSources: []approvalSource{recordedApprovals{}},
	}
	d.disp = newDispatcher(st, d.execute, cfg.MaxParallelRuns, cfg.ShutdownTimeout, logger)
	d.disp.blocked = d.applyBlocked
	d.sched = newDriftScheduler(d, st, logger)
	if cfg.Notifier != nil {
		d.notifier = cfg.Notifier
	}
	for _, rc := range cfg.Repos {
		d.watchers[rc.Name] = newRepoWatcher(rc, cfg.DataDir, st, d.enqueue, logger)
	}
	return d, nil
}

// Run recovers the queue, then watches, dispatches and serves until ctx
// ends. On the way out it stops taking work, lets running plans finish for
// up to Config.ShutdownTimeout, interrupts the rest, and closes the API.
func (d *Daemon) Run(ctx context.Context) error {
	key, err := loadStateKey(d.cfg.DataDir)
	if err != nil {
		return err
	}
	d.stateKey = key
	d.removeStaleWorkdirs()
	interrupted, err := d.store.InterruptRunning(ctx, "interrupted: driftgate stopped (crash or kill) while the run was in progress; it was not resumed")
	if err != nil {
		return fmt.Errorf("recover queue: %w", err)
	}
	// Open every mirror before dispatching: queued runs recovered from the
	// last process plan commits that are already in them. Opening is
	// local; a mirror that cannot be opened is the watcher's to report.
	for _, w := range d.watchers {
		if _, err := w.openMirror(ctx); err != nil {
			d.logger.Warn("open git mirror", logRepo, w.cfg.Name, logErr, err)
		}
	}
	for i := range interrupted {
		r := &interrupted[i]
		d.logger.Warn("run was running when driftgate stopped: marked interrupted", logRun, r.ID, logRepo, r.Repo, logStack, r.Stack)
		if r.Operation == OperationApply {
			d.holdCutOff(ctx, r)
		}
	}
	ln, err := net.Listen("tcp", d.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (set listen in the config to a free address)", d.cfg.Listen, err)
	}
	d.addr.Store(ln.Addr())
	srv := &http.Server{
		Handler:           api.NewHandler(service{d}, d.cfg.Auth, d.logger, api.WithAudit(d.store)),
		ReadHeaderTimeout: 10 * time.Second,
	}
	d.logger.Info("driftgate serving", logAddr, ln.Addr().String(), logCount, len(d.watchers))

	g, gctx := errgroup.WithContext(ctx)
	for _, w := range d.watchers {
		g.Go(func() error { return w.Run(gctx) })
	}
	g.Go(func() error { return d.sched.Run(gctx) })
	if d.cfg.Notifier != nil {
		g.Go(func() error { return d.cfg.Notifier.Run(gctx) })
	}
	drained := make(chan struct{})
	g.Go(func() error {
		defer close(drained)
		return d.disp.Run(gctx)
	})
	g.Go(func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("http server: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		<-drained
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	})
	d.ready.Store(true)
	err = g.Wait()
	d.ready.Store(false)
	d.logger.Info("driftgate stopped")
	return err
}

// Addr is the API's listening address once Run is serving, else nil.
func (d *Daemon) Addr() net.Addr {
	a, _ := d.addr.Load().(net.Addr)
	return a
}

// audit appends an entry to the audit log, naming the API principal in ctx
// as the actor (driftgate itself when there is none). The log failing does
// not undo the action; it is logged.
func (d *Daemon) audit(ctx context.Context, action store.AuditAction, run *store.Run, result store.AuditResult, detail string) {
	actor := store.AuditActor
	if p, ok := api.PrincipalFromContext(ctx); ok {
		actor = p.Name
	}
	e := &store.AuditEntry{Actor: actor, Action: action, Result: result, Detail: detail}
	if run != nil {
		e.Repo, e.Stack, e.RunID = run.Repo, run.Stack, run.ID
	}
	if err := d.store.AppendAudit(context.WithoutCancel(ctx), e); err != nil {
		d.logger.Error("append audit entry", logErr, err)
	}
}

// enqueue queues a run and wakes the dispatcher.
func (d *Daemon) enqueue(ctx context.Context, r *store.Run) error {
	superseded, err := d.store.EnqueueRun(ctx, r)
	if err != nil {
		return err
	}
	for _, id := range superseded {
		d.logger.Info("queued run superseded", logRun, id, logStack, r.Stack, logBy, r.ID)
	}
	// A new plan of a stack replaces the plans of it still waiting to be
	// applied: the newest plan is the one to approve.
	if r.Operation == OperationPlan {
		applies, err := d.store.SupersedeLive(ctx, r.Repo, r.Stack, OperationApply, r.ID, r.Commit)
		if err != nil {
			return err
		}
		for _, id := range applies {
			d.logger.Info("apply run superseded by a newer plan", logRun, id, logStack, r.Stack, logBy, r.ID)
		}
	}
	d.disp.Wake()
	return nil
}
