package runner

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/driftgate/driftgate/runner/api"
	"github.com/driftgate/driftgate/runner/metrics"
	"github.com/driftgate/driftgate/runner/ui"
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
	runEnqueuer
	activeUpdater
	GetPlanFile(ctx context.Context, runID string) ([]byte, string, error)
	DriftFindings(ctx context.Context, repo, stack string, open bool, limit int) ([]store.DriftFinding, error)
	StackDriftStatus(ctx context.Context, repo, stack string) (*store.StackDrift, error)
	ListStackDrift(ctx context.Context) ([]store.StackDrift, error)
	RecordDriftCheck(ctx context.Context, sd *store.StackDrift, findings []store.DriftFinding) error
	RecordApplied(ctx context.Context, repo, stack string, info store.AppliedInfo) error
	AppendAudit(ctx context.Context, e *store.AuditEntry) error
	PutStateVersion(ctx context.Context, sv *store.StateVersion) error
	ListStateVersions(ctx context.Context, repo, stack string, limit int) ([]store.StateVersion, error)
	GetStateVersion(ctx context.Context, repo, stack string, serial uint64) (*store.StateVersion, error)
	ListAudit(ctx context.Context, f store.AuditFilter) ([]store.AuditEntry, string, error)
	gateStore
	prStore
	nodeStore
}

// gateStore is what the apply gate needs from the store; its rules
// (gate_transitions.go) run in UpdateRun and UpdateStackRuns.
type gateStore interface {
	stackUpdater
	HoldStack(ctx context.Context, h *store.Hold) error
	GetHold(ctx context.Context, repo, stack string) (*store.Hold, error)
	ReleaseStack(ctx context.Context, repo, stack string) (*store.Hold, error)
	ListHolds(ctx context.Context) ([]store.Hold, error)
}

// noBackupHelp is what GET /api/v1/backup answers (501) when the store
// cannot copy itself: only the bbolt store is a file the API streams.
const noBackupHelp = "this driftgate server's store is not a bbolt file the API can copy: " +
	"back up its PostgreSQL database with pg_dump (for example pg_dump --format=custom --file=driftgate.dump DATABASE_URL)"

// httpShutdownTimeout bounds how long a stopping daemon waits for API
// requests in progress.
const httpShutdownTimeout = 10 * time.Second

// Daemon is driftgate's long-running process: it watches repositories,
// queues and runs plans, and serves the HTTP API. Build it with New and
// run it with Run.
type Daemon struct {
	// mu guards cfg, watchers and notifier, which Reload replaces.
	mu       sync.RWMutex
	cfg      Config
	store    daemonStore
	plans    *PlanRunner
	runner   stackRunner
	notifier NotifierRunner
	stateKey []byte
	watchers map[string]*repoWatcher
	disp     *dispatcher
	// cl is the daemon's part of a cluster; nil on one node.
	cl *clusterNode
	// approvalSources are where approvals of apply runs come from.
	approvalSources []approvalSource
	// prApprovals is the source of merged pull requests' reviews.
	prApprovals *forgeApprovals
	sched       *driftScheduler
	logger      *slog.Logger
	// health says whether the store writes; the dispatcher's.
	health *writeHealth
	// retryMin and retryMax bound the backoff of retried writes.
	retryMin, retryMax time.Duration
	ready              atomic.Bool
	auth               swapAuth     // the API's tokens; Reload replaces them
	units              *unitSet     // watchers and notifier while Run runs
	addr               atomic.Value // net.Addr, once listening
	metrics            *metrics.Metrics
	logs               *logHub           // output of the runs in progress, for live readers
	events             chan webhookEvent // verified webhook deliveries to act on
	outboxPoke         chan struct{}     // wakes the forge outbox loop
	node               NodeConfig        // this node's record (nodes.go), as New set it
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
	node, err := cfg.Node.withDefaults()
	if err != nil {
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
		logs:     newLogHub(),

		events:     make(chan webhookEvent, webhookQueue),
		outboxPoke: make(chan struct{}, 1),
		node:       node,
	}
	d.prApprovals = &forgeApprovals{d: d}
	d.approvalSources = []approvalSource{recordedApprovals{}, d.prApprovals}
	d.auth.set(cfg.Auth)
	d.disp = newDispatcher(st, d.execute, cfg.MaxParallelRuns, cfg.ShutdownTimeout, logger)
	d.disp.blocked = d.applyBlocked
	d.metrics = cfg.Metrics
	if d.metrics == nil {
		d.metrics = metrics.New(metrics.Options{})
	}
	d.disp.metrics = d.metrics
	d.metrics.WatchState(st, d.disp.busyCount, cfg.MaxParallelRuns, logger)
	d.health = d.disp.health
	if cfg.Cluster != nil {
		cl, err := newClusterNode(d, *cfg.Cluster)
		if err != nil {
			return nil, fmt.Errorf("daemon config: %w", err)
		}
		d.cl = cl
		if d.node.Leader == nil {
			d.node.Leader = cl.elector
		}
	}
	d.plans.Persist = d.persistOutcome
	d.retryMin, d.retryMax = retryMin, retryMax
	d.sched = newDriftScheduler(d, st, logger)
	if cfg.Notifier != nil {
		d.notifier = cfg.Notifier
	}
	for _, rc := range cfg.Repos {
		d.watchers[rc.Name] = newRepoWatcher(rc, cfg.DataDir, st, d.enqueue, logger)
		d.watchers[rc.Name].fetches = d.metrics
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
	if d.cl != nil {
		if err := d.checkSharedStateKey(ctx); err != nil {
			return err
		}
	}
	started := time.Now().UTC()
	d.removeStaleWorkdirs()
	var interrupted []store.Run
	if d.cl == nil {
		interrupted, err = interruptRunning(ctx, d.store, "interrupted: driftgate stopped (crash or kill) while the run was in progress; it was not resumed")
		if err != nil {
			return fmt.Errorf("recover queue: %w", err)
		}
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
	if d.cl != nil {
		// This node's runs of an earlier life (it died): its plans are
		// tried again once, its applies interrupted and held.
		self := d.node.Name
		d.reclaim(ctx, func(n string) bool { return n == self },
			"interrupted: node "+self+" stopped (crash or kill) while the run was in progress; it was not resumed")
	}
	ln, err := net.Listen("tcp", d.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (set listen in the config to a free address)", d.cfg.Listen, err)
	}
	d.addr.Store(ln.Addr())
	if d.cfg.TLS != nil {
		ln = tls.NewListener(ln, d.cfg.TLS.Config())
	} else if !loopback(d.cfg.Listen) {
		d.logger.Warn("serving plain HTTP on a non-loopback address: API tokens travel in clear; set tls { cert_file, key_file } or tls { acme { ... } }",
			logAddr, ln.Addr().String())
	}
	srv := &http.Server{
		Handler:           d.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
	}
	srv.RegisterOnShutdown(d.logs.close)
	d.logger.Info("driftgate serving", logAddr, ln.Addr().String(), logCount, len(d.watchers))

	g, gctx := errgroup.WithContext(ctx)
	// Watchers and the notifier run as units Reload may replace; one that
	// fails (not one that a reload stops) ends the daemon.
	failed := make(chan error, 1)
	units := newUnitSet(gctx, func(name string, err error) {
		select {
		case failed <- fmt.Errorf("%s: %w", name, err):
		default:
		}
	})
	d.mu.Lock()
	d.units = units
	for name, w := range d.watchers {
		units.start(unitRepo+name, d.leaderOnly(w.Run))
	}
	if d.notifier != nil {
		units.start(unitNotifier, d.leaderOnly(d.notifier.Run))
	}
	d.mu.Unlock()
	g.Go(func() error {
		defer units.wait()
		select {
		case err := <-failed:
			return err
		case <-gctx.Done():
			return nil
		}
	})
	g.Go(func() error { return d.leaderOnly(d.sched.Run)(gctx) })
	g.Go(func() error { return d.runEvents(gctx) })
	g.Go(func() error { return d.leaderOnly(d.runOutbox)(gctx) })
	if d.cl != nil {
		g.Go(func() error { return d.leaderOnly(d.checkLeases)(gctx) })
		g.Go(func() error { return d.leaderOnly(d.resumeNotifications)(gctx) })
		g.Go(func() error { return d.leaderOnly(d.listenPokes)(gctx) })
	}
	if d.cfg.TLS != nil {
		g.Go(func() error { return d.cfg.TLS.Run(gctx) })
	}
	drained := make(chan struct{})
	g.Go(func() error {
		defer close(drained)
		if d.cl != nil {
			return d.runCluster(gctx)
		}
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
		// Shutdown counts a connection that never sent a request as
		// idle only once it is 5 s old, so give it more than that; what is
		// still open after it (a stuck client) is closed, not an error.
		sctx, cancel := context.WithTimeout(context.Background(), httpShutdownTimeout)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			d.logger.Warn("API connections still open at shutdown; closing them", logErr, err)
			return srv.Close()
		}
		return nil
	})
	d.ready.Store(true)
	g.Go(func() error {
		d.runHeartbeat(gctx, drained, started)
		return nil
	})
	err = g.Wait()
	d.ready.Store(false)
	d.mu.Lock()
	d.units = nil
	d.mu.Unlock()
	d.logger.Info("driftgate stopped")
	return err
}

// loopback reports whether the listen address is a loopback one, so
// plain HTTP on it stays on the machine.
func loopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Handler is the daemon's HTTP API and GET /metrics, as Run serves them.
// It reads and writes the store without Run: tests serve it over a store
// they seeded, with nothing running in the background.
func (d *Daemon) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", d.metrics.Handler())
	mux.HandleFunc("POST /webhooks/{repo}", d.serveWebhook)
	opts := []api.Option{api.WithAudit(d.store), api.WithLiveLogs(d.logs), api.WithoutBackup(noBackupHelp)}
	if b, ok := d.store.(api.Backuper); ok { // bbolt's file; PostgreSQL has pg_dump
		opts = append(opts, api.WithBackup(b))
	}
	apiHandler := api.NewHandler(service{d}, &d.auth, d.logger, opts...)
	mux.Handle("/", ui.Handler(d.cfg.UI, service{d}, &d.auth, apiHandler, d.logger))
	return d.metrics.Instrument(mux)
}

// Metrics are the metrics the daemon feeds and serves.
func (d *Daemon) Metrics() *metrics.Metrics { return d.metrics }

// Addr is the API's listening address once Run is serving, else nil.
func (d *Daemon) Addr() net.Addr {
	a, _ := d.addr.Load().(net.Addr)
	return a
}

// audit appends an entry to the audit log, naming the API principal in ctx
// as the actor (driftgate itself when there is none), about something that
// was refused or did not happen: failing to write it is logged. What
// happens is recorded first (auditFirst) or retried (auditOutcome).
func (d *Daemon) audit(ctx context.Context, action store.AuditAction, run *store.Run, result store.AuditResult, detail string) {
	e := d.auditEntry(ctx, action, run, result, detail)
	if err := d.store.AppendAudit(context.WithoutCancel(ctx), e); err != nil {
		d.logger.Error("append audit entry", logErr, err)
	}
}

// enqueue queues a run and wakes the dispatcher.
func (d *Daemon) enqueue(ctx context.Context, r *store.Run) error {
	superseded, err := enqueueRun(ctx, d.store, r)
	if err != nil {
		return err
	}
	for _, id := range superseded {
		d.logger.Info("queued run superseded", logRun, id, logStack, r.Stack, logBy, r.ID)
	}
	// A new plan of a stack replaces the plans of it still waiting to be
	// applied: the newest plan is the one to approve. A PR's plan is not
	// one to apply, and replaces nothing of the branch.
	if r.Operation == OperationPlan && r.PR == 0 {
		applies, err := supersedeLive(ctx, d.store, r.Repo, r.Stack, OperationApply, r.ID, r.Commit)
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
