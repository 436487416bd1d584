package metrics

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.etcd.io/bbolt"

	"github.com/driftgate/driftgate/store"
)

// scrapeTimeout bounds the store reads of one scrape.
const scrapeTimeout = 5 * time.Second

// queueSource is what the state gauges read about runs.
type queueSource interface {
	ActiveRuns(ctx context.Context) ([]store.Run, error)
	ListRuns(ctx context.Context, f store.RunFilter) ([]store.Run, string, error)
}

// stackSource is what the state gauges read about stacks.
type stackSource interface {
	ListRepos(ctx context.Context) ([]store.RepoRecord, error)
	ListStacks(ctx context.Context, repo string) ([]store.StackRecord, error)
	ListStackDrift(ctx context.Context) ([]store.StackDrift, error)
	ListHolds(ctx context.Context) ([]store.Hold, error)
}

// StateSource is the store the state gauges are read from at scrape time.
type StateSource interface {
	queueSource
	stackSource
}

// driftStatuses are the statuses stacks are counted by; each has a
// series, zero or not.
var driftStatuses = []store.DriftStatus{store.DriftInSync, store.DriftDrifted, store.DriftPendingChanges, store.DriftErrored, store.DriftUnknown}

// stateCollector computes the gauges that reflect stored state when
// Prometheus scrapes, so they cannot drift from the store.
type stateCollector struct {
	src      StateSource
	busy     func() int
	slots    int
	perStack bool
	logger   *slog.Logger
	now      func() time.Time

	queueDepth, queueOldest, busyDesc, slotsDesc     *prometheus.Desc
	stacks, findings, awaiting, awaitingOldest, held *prometheus.Desc
	stackDrift, stackFindings, scrapeErrors          *prometheus.Desc
}

// WatchState registers the gauges read from src at scrape time: queue
// depth and oldest queued age, stacks by drift status, open findings,
// applies awaiting approval and their oldest age, held stacks; and the
// workers busy (busy, read live) out of slots.
func (m *Metrics) WatchState(src StateSource, busy func() int, slots int, logger *slog.Logger) {
	if m == nil {
		return
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(namespace+"_"+name, help, labels, nil)
	}
	c := &stateCollector{
		src: src, busy: busy, slots: slots, perStack: m.opts.PerStack, logger: logger, now: time.Now,
		queueDepth:     d("queue_depth", "Queued runs, by operation.", "operation"),
		queueOldest:    d("queue_oldest_age_seconds", "Age of the oldest queued run; 0 when none is queued."),
		busyDesc:       d("workers_busy", "Runs executing now."),
		slotsDesc:      d("workers_max", "Runs that may execute at once (max_parallel_runs)."),
		stacks:         d("stacks", "Stacks by repo and drift status.", "repo", "status"),
		findings:       d("drift_findings_open", "Open drift findings that are not accepted, by repo.", "repo"),
		awaiting:       d("applies_awaiting_approval", "Apply runs awaiting approval, by repo.", "repo"),
		awaitingOldest: d("applies_awaiting_approval_oldest_age_seconds", "Age of the oldest apply run awaiting approval since it was opened; 0 when none waits."),
		held:           d("stacks_held", "Stacks held after an interrupted apply, by repo.", "repo"),
		stackDrift:     d("stack_drift_status", "1 for each stack's drift status (metrics { per_stack = true } only).", "repo", "stack", "status"),
		stackFindings:  d("stack_drift_findings_open", "Open drift findings per stack (metrics { per_stack = true } only).", "repo", "stack"),
		scrapeErrors:   d("state_scrape_errors", "1 when reading the store for this scrape failed (see the daemon's log); the state gauges are then missing."),
	}
	m.reg.MustRegister(c)
}

// Describe sends the collector's descriptors.
func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.queueDepth, c.queueOldest, c.busyDesc, c.slotsDesc, c.stacks, c.findings,
		c.awaiting, c.awaitingOldest, c.held, c.stackDrift, c.stackFindings, c.scrapeErrors} {
		ch <- d
	}
}

// Collect reads the store and sends the gauges.
func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	if c.busy != nil {
		gauge(c.busyDesc, float64(c.busy()))
		gauge(c.slotsDesc, float64(c.slots))
	}
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	failed := 0.0
	if err := c.collectQueue(ctx, gauge); err != nil {
		c.logger.Warn("metrics: read the queue", "err", err)
		failed = 1
	}
	if err := c.collectStacks(ctx, gauge); err != nil {
		c.logger.Warn("metrics: read stacks", "err", err)
		failed = 1
	}
	gauge(c.scrapeErrors, failed)
}

func (c *stateCollector) collectQueue(ctx context.Context, gauge func(*prometheus.Desc, float64, ...string)) error {
	active, err := c.src.ActiveRuns(ctx)
	if err != nil {
		return err
	}
	now := c.now()
	depth := map[store.Operation]int{store.OperationPlan: 0, store.OperationApply: 0, store.OperationDrift: 0}
	var oldest time.Duration
	for _, r := range active {
		if r.Status != store.StatusQueued {
			continue
		}
		depth[r.Operation]++
		oldest = max(oldest, now.Sub(queuedAt(&r)))
	}
	for op, n := range depth {
		gauge(c.queueDepth, float64(n), string(op))
	}
	gauge(c.queueOldest, oldest.Seconds())

	awaiting := map[string]int{}
	var oldestWait time.Duration
	f := store.RunFilter{Status: store.StatusAwaitingApproval, Operation: store.OperationApply, Limit: store.MaxListLimit}
	for {
		runs, next, err := c.src.ListRuns(ctx, f)
		if err != nil {
			return err
		}
		for _, r := range runs {
			awaiting[r.Repo]++
			oldestWait = max(oldestWait, now.Sub(r.CreatedAt))
		}
		if next == "" {
			break
		}
		f.Cursor = next
	}
	for repo, n := range awaiting {
		gauge(c.awaiting, float64(n), repo)
	}
	gauge(c.awaitingOldest, oldestWait.Seconds())
	return nil
}

// queuedAt is when run r was queued: when it was created, or, for an
// apply run that waited for approval, when it was last approved.
func queuedAt(r *store.Run) time.Time {
	at := r.CreatedAt
	for _, a := range r.Approvals {
		if a.At.After(at) {
			at = a.At
		}
	}
	return at
}

func (c *stateCollector) collectStacks(ctx context.Context, gauge func(*prometheus.Desc, float64, ...string)) error {
	repos, err := c.src.ListRepos(ctx)
	if err != nil {
		return err
	}
	drifts, err := c.src.ListStackDrift(ctx)
	if err != nil {
		return err
	}
	holds, err := c.src.ListHolds(ctx)
	if err != nil {
		return err
	}
	type key struct{ repo, stack string }
	drift := make(map[key]store.StackDrift, len(drifts))
	for _, sd := range drifts {
		drift[key{sd.Repo, sd.Stack}] = sd
	}
	held := map[string]int{}
	for _, h := range holds {
		held[h.Repo]++
	}
	for _, repo := range repos {
		stacks, err := c.src.ListStacks(ctx, repo.Name)
		if err != nil {
			return err
		}
		counts := make(map[store.DriftStatus]int, len(driftStatuses))
		open := 0
		for _, s := range stacks {
			sd, ok := drift[key{repo.Name, s.Name}]
			status := sd.Status
			if !ok || status == "" {
				status = store.DriftUnknown
			}
			counts[status]++
			open += sd.Open
			if c.perStack {
				gauge(c.stackDrift, 1, repo.Name, s.Name, string(status))
				gauge(c.stackFindings, float64(sd.Open), repo.Name, s.Name)
			}
		}
		for _, st := range driftStatuses {
			gauge(c.stacks, float64(counts[st]), repo.Name, string(st))
		}
		gauge(c.findings, float64(open), repo.Name)
		gauge(c.held, float64(held[repo.Name]), repo.Name)
	}
	return nil
}

// boltSource is the bbolt database whose statistics are exported.
type boltSource interface {
	Stats() bbolt.Stats
	Path() string
}

// WatchBolt registers bbolt's statistics and the database file's size.
func (m *Metrics) WatchBolt(db boltSource) {
	if m == nil {
		return
	}
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc(namespace+"_bolt_"+name, help, nil, nil)
	}
	m.reg.MustRegister(&boltCollector{
		db:        db,
		size:      d("file_size_bytes", "Size of the database file."),
		readTx:    d("read_tx_total", "Read transactions started."),
		openTx:    d("read_tx_open", "Read transactions open now."),
		freePages: d("free_pages", "Free pages in the database."),
		freeBytes: d("freelist_inuse_bytes", "Bytes the freelist uses."),
		writes:    d("tx_writes_total", "Page writes made by write transactions."),
		writeTime: d("tx_write_seconds_total", "Time write transactions spent writing to disk."),
		spillTime: d("tx_spill_seconds_total", "Time write transactions spent spilling nodes."),
		rebalance: d("tx_rebalance_seconds_total", "Time write transactions spent rebalancing."),
	})
}

// boltCollector reads bbolt's statistics at scrape time.
type boltCollector struct {
	db                                                                                  boltSource
	size, readTx, openTx, freePages, freeBytes, writes, writeTime, spillTime, rebalance *prometheus.Desc
}

// Describe sends the collector's descriptors.
func (c *boltCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.size, c.readTx, c.openTx, c.freePages, c.freeBytes, c.writes, c.writeTime, c.spillTime, c.rebalance} {
		ch <- d
	}
}

// Collect sends bbolt's statistics.
func (c *boltCollector) Collect(ch chan<- prometheus.Metric) {
	send := func(d *prometheus.Desc, t prometheus.ValueType, v float64) {
		ch <- prometheus.MustNewConstMetric(d, t, v)
	}
	if fi, err := os.Stat(c.db.Path()); err == nil {
		send(c.size, prometheus.GaugeValue, float64(fi.Size()))
	}
	s := c.db.Stats()
	send(c.readTx, prometheus.CounterValue, float64(s.TxN))
	send(c.openTx, prometheus.GaugeValue, float64(s.OpenTxN))
	send(c.freePages, prometheus.GaugeValue, float64(s.FreePageN))
	send(c.freeBytes, prometheus.GaugeValue, float64(s.FreelistInuse))
	send(c.writes, prometheus.CounterValue, float64(s.TxStats.GetWrite()))
	send(c.writeTime, prometheus.CounterValue, s.TxStats.GetWriteTime().Seconds())
	send(c.spillTime, prometheus.CounterValue, s.TxStats.GetSpillTime().Seconds())
	send(c.rebalance, prometheus.CounterValue, s.TxStats.GetRebalanceTime().Seconds())
}
