package runner

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/driftgate/driftgate/runner/cluster"
	"github.com/driftgate/driftgate/runner/riverq"
	"github.com/driftgate/driftgate/store"
)

// Cluster mode. With Config.Cluster set, the daemon is one node of several
// sharing one database: runs go through the River queue (riverq) instead
// of the local dispatcher loop, any node with a free worker works them
// (cluster_work.go), and one node, the leader (cluster.Elector), polls
// git, schedules drift checks, delivers notifications and forge updates,
// offers queued runs to the queue again and reclaims the runs of nodes
// whose lease expired (cluster_lead.go). Every node serves the API, the UI
// and webhooks.

// ClusterConfig makes the daemon one node of a cluster. The node's name
// and lease are Config.Node's: a node whose heartbeat is older than the
// lease is lost, and its runs are reclaimed; leadership moves within a
// lease.
type ClusterConfig struct {
	// Pool is the shared PostgreSQL database River's queue lives in
	// (migrated with riverq.Migrate).
	Pool *pgxpool.Pool
	// URL is the same database's URL: the leader election holds a
	// connection of its own.
	URL string
	// Reoffer is how often the leader offers every queued run to the queue
	// again; zero means DefaultReoffer.
	Reoffer time.Duration
	// FetchPollInterval is how often an idle node looks for runs besides
	// the queue's notifications; zero means River's default.
	FetchPollInterval time.Duration
}

// DefaultReoffer is how often the leader offers queued runs again when
// ClusterConfig.Reoffer is zero.
const DefaultReoffer = 3 * time.Second

func (c *ClusterConfig) check() error {
	var errs []error
	if c.Pool == nil || c.URL == "" {
		errs = append(errs, errors.New("cluster: no database (pool and URL)"))
	}
	return errors.Join(errs...)
}

// clusterNode is the daemon's part of a cluster.
type clusterNode struct {
	cfg     ClusterConfig
	queue   *riverq.Queue
	elector *cluster.Elector
	lead    *leadership
	// dbErr, when set, is why this node cannot reach the database: it
	// takes no run and is not ready.
	dbErr atomic.Pointer[error]
}

// newClusterNode builds the queue and the elector of d's node.
func newClusterNode(d *Daemon, cfg ClusterConfig) (*clusterNode, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if cfg.Reoffer <= 0 {
		cfg.Reoffer = DefaultReoffer
	}
	c := &clusterNode{cfg: cfg, lead: &leadership{}}
	q, err := riverq.New(cfg.Pool, riverq.Config{
		NodeID: d.node.Name, Workers: d.cfg.MaxParallelRuns, Handler: d.work,
		Logger: d.logger.With("component", "queue"), FetchPollInterval: cfg.FetchPollInterval,
	})
	if err != nil {
		return nil, err
	}
	c.queue = q
	// A leader checks its hold every half election lease and a follower
	// takes over within two: half the node lease moves leadership within
	// the node lease.
	c.elector = &cluster.Elector{URL: cfg.URL, NodeID: d.node.Name, Lease: d.node.Lease / 2, Logger: d.logger}
	return c, nil
}

// unhealthy is why the node cannot reach the database, or nil.
func (c *clusterNode) unhealthy() error {
	if p := c.dbErr.Load(); p != nil {
		return *p
	}
	return nil
}

// runCluster works runs from the queue until ctx ends, campaigns for the
// lead and, while leading, does the leader's duties; it replaces the
// dispatcher's loop. On the way out the queue stops taking runs and lets
// the running ones finish for up to Config.ShutdownTimeout, then
// interrupts them.
func (d *Daemon) runCluster(ctx context.Context) error {
	c := d.cl
	if err := c.queue.Start(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		_ = c.elector.Run(ctx, c.lead.hold)
	})
	wg.Go(func() { d.watchDatabase(ctx) })
	wg.Go(func() { d.offerLoop(ctx) })
	<-ctx.Done()
	wg.Wait()
	sctx, cancel := context.WithTimeout(context.Background(), d.cfg.ShutdownTimeout)
	defer cancel()
	if n := d.disp.busyCount(); n > 0 {
		d.logger.Info("waiting for running plans before shutdown", logCount, n, logDuration, d.cfg.ShutdownTimeout)
	}
	if err := c.queue.Stop(sctx); err != nil {
		return err
	}
	return nil
}

// watchDatabase pings the database every half lease; while it does not
// answer, the node takes no run and /readyz says why.
func (d *Daemon) watchDatabase(ctx context.Context) {
	c := d.cl
	every := d.node.Lease / 2
	for {
		pctx, cancel := context.WithTimeout(ctx, every)
		err := c.cfg.Pool.Ping(pctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			err = fmt.Errorf("the database cannot be reached (%w); this node takes no run", innermost(err))
			if c.dbErr.Swap(&err) == nil {
				d.logger.Error("database lost: taking no run", logErr, err)
			}
		} else if c.dbErr.Swap(nil) != nil {
			d.logger.Info("database reachable again: taking runs")
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// offerLoop offers queued runs to the queue: this node's when woken (a run
// it queued), and, while it leads, every queued run every Reoffer (runs
// queued by a node that died before offering them, or put back by
// reclaimLost). Offering is idempotent per run and attempt.
func (d *Daemon) offerLoop(ctx context.Context) {
	tick := time.NewTicker(d.cl.cfg.Reoffer)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.disp.wake:
		case <-tick.C:
			if !d.cl.elector.Leading() {
				continue
			}
		}
		if err := d.offerQueued(ctx); err != nil && ctx.Err() == nil {
			d.logger.Error("offer queued runs", logErr, err)
		}
	}
}

// offerQueued offers every queued run to the queue.
func (d *Daemon) offerQueued(ctx context.Context) error {
	runs, err := d.store.ActiveRuns(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for i := range runs {
		if runs[i].Status == store.StatusQueued {
			errs = append(errs, d.offer(ctx, &runs[i]))
		}
	}
	return errors.Join(errs...)
}

// offer offers the queued run to the queue.
func (d *Daemon) offer(ctx context.Context, run *store.Run) error {
	_, err := d.cl.queue.Enqueue(ctx, run.ID, queuePriority(run.Operation), retries(run))
	return err
}

// queuePriority is the queue's priority of a run: applies, then commit and
// pull-request plans, then drift checks (as priority on one node).
func queuePriority(op store.Operation) riverq.Priority {
	switch priority(op) {
	case 0:
		return riverq.PriorityApply
	case 2:
		return riverq.PriorityDrift
	}
	return riverq.PriorityPlan
}

// leaderOnly is fn run only while this node leads, with a context that
// ends when leadership is lost, and run again at the next term; on one
// node it is fn.
func (d *Daemon) leaderOnly(fn func(context.Context) error) func(context.Context) error {
	if d.cl == nil {
		return fn
	}
	return func(ctx context.Context) error { return d.cl.lead.run(ctx, fn) }
}
