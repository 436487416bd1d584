package runner

import (
	"context"
	"sync"
	"time"

	"github.com/driftgate/driftgate/store"
)

// leadership hands this node's terms as leader to the duties that run only
// on the leader (leaderOnly): each waits for a term, runs with its context
// and waits for the next one when it ends. A term ends only once every
// duty has returned, so two nodes never do them at once.
type leadership struct {
	mu      sync.Mutex
	term    context.Context // nil while not leading
	changed chan struct{}   // closed when term is set
	wg      sync.WaitGroup  // duties running in the term
}

// hold is the elector's lead function: it makes ctx the current term until
// ctx ends, then waits for the duties to return.
func (l *leadership) hold(ctx context.Context) {
	l.mu.Lock()
	l.term = ctx
	if l.changed != nil {
		close(l.changed)
		l.changed = nil
	}
	l.mu.Unlock()
	<-ctx.Done()
	l.mu.Lock()
	l.term = nil
	l.mu.Unlock()
	l.wg.Wait()
}

// current is the term now, or nil and a channel closed when one starts.
// While it returns a term, the caller is counted in the term's duties and
// must call l.wg.Done when it returns.
func (l *leadership) current() (context.Context, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.term != nil && l.term.Err() == nil {
		l.wg.Add(1)
		return l.term, nil
	}
	if l.changed == nil {
		l.changed = make(chan struct{})
	}
	return nil, l.changed
}

// run runs fn in every term until ctx ends. An error of fn not caused by
// the end of its term or of ctx is returned.
func (l *leadership) run(ctx context.Context, fn func(context.Context) error) error {
	for {
		term, next := l.current()
		if term == nil {
			select {
			case <-ctx.Done():
				return nil
			case <-next:
				continue
			}
		}
		tctx, cancel := context.WithCancel(ctx)
		stop := context.AfterFunc(term, cancel)
		err := fn(tctx)
		if err == nil {
			<-tctx.Done() // fn is done for this term
		}
		stop()
		cancel()
		l.wg.Done()
		if ctx.Err() != nil {
			return nil
		}
		if err != nil && term.Err() == nil {
			return err
		}
	}
}

// checkLeases reclaims, every half lease until ctx ends, the runs of the
// nodes whose heartbeat is older than the lease. The leader runs it.
func (d *Daemon) checkLeases(ctx context.Context) error {
	lease := d.node.Lease
	for {
		recs, err := d.store.ListNodes(ctx)
		if err != nil && ctx.Err() == nil {
			d.logger.Error("read node records", logErr, err)
		}
		if err == nil {
			if lost := lostNodes(recs, d.node.Name, lease, time.Now()); len(lost) > 0 {
				d.reclaim(ctx, func(n string) bool { return lost[n] },
					"interrupted: the node running it stopped heartbeating for longer than its lease ("+lease.String()+"); it was not resumed")
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(lease / 2):
		}
	}
}

// reclaim puts back the plans and drift checks of the nodes gone reports
// lost (once) and marks their applies, and runs lost twice, interrupted,
// holding the stacks of the applies.
func (d *Daemon) reclaim(ctx context.Context, gone func(string) bool, reason string) {
	requeued, interrupted, err := reclaimLost(ctx, d.store, gone, reason)
	if err != nil {
		if ctx.Err() == nil {
			d.logger.Error("reclaim runs of lost nodes", logErr, err)
		}
		return
	}
	for i := range requeued {
		r := &requeued[i]
		d.logger.Warn("run's node was lost: queued again for another node", logRun, r.ID, logStack, r.Stack, "retry", retries(r))
		if err := d.offer(ctx, r); err != nil {
			d.logger.Error("offer a run queued again", logRun, r.ID, logErr, err) // the leader offers it again
		}
	}
	for i := range interrupted {
		r := &interrupted[i]
		d.logger.Warn("run's node was lost: marked interrupted", logRun, r.ID, logRepo, r.Repo, logStack, r.Stack)
		if r.Operation != OperationApply {
			continue
		}
		// Hold the stack at once, so that no node starts another apply
		// of it meanwhile; holdCutOff then records the state the apply
		// left (pulling it takes terraform) in the hold.
		h := &store.Hold{Repo: r.Repo, Stack: r.Stack, RunID: r.ID, Reason: reason}
		if err := d.store.HoldStack(context.WithoutCancel(ctx), h); err != nil {
			d.logger.Error("hold the stack of a cut-off apply", logRun, r.ID, logStack, r.Stack, logErr, err)
		}
		d.holdCutOff(ctx, r)
	}
}

// resumeNotifications has the leader's notifier deliver, every Reoffer,
// the notifications other nodes recorded.
func (d *Daemon) resumeNotifications(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(d.cl.cfg.Reoffer):
		}
		d.mu.RLock()
		n, ok := d.notifier.(interface{ Resume(context.Context) error })
		d.mu.RUnlock()
		if ok {
			if err := n.Resume(ctx); err != nil && ctx.Err() == nil {
				d.logger.Error("resume notifications of other nodes", logErr, err)
			}
		}
	}
}
