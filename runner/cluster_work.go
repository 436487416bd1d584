package runner

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/driftgate/driftgate/runner/gitrepo"
	"github.com/driftgate/driftgate/runner/riverq"
	"github.com/driftgate/driftgate/store"
)

// work is the queue's handler on every node: it starts the run runID here
// when it may start now, and runs it to its end as the dispatcher does
// (the same execution, metrics, live logs and cancel). A run that is not
// queued any more is done with; one that must wait (its stack runs
// another run on some node, an apply's gate, no free slot, a store that
// fails) is put back with riverq.ErrBusy.
func (d *Daemon) work(ctx context.Context, runID string) error {
	if d.cl.unhealthy() != nil || d.health.retrying() {
		return riverq.ErrBusy
	}
	run, err := d.store.GetRun(ctx, runID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil // pruned
	case err != nil:
		d.logger.Error("read a run offered by the queue", logRun, runID, logErr, err)
		return riverq.ErrBusy
	case run.Status != store.StatusQueued:
		return nil
	}
	if w, ok := d.watcher(run.Repo); ok {
		if _, err := d.clusterMirror(ctx, w, run); err != nil {
			d.logger.Warn("fetch the commit of a run", logRun, run.ID, logErr, err) // the run says it cannot read its commit
		}
	}
	if d.applyBlocked(ctx, run) {
		return riverq.ErrBusy
	}
	runCtx, cancel, end, ok := d.disp.admit(run)
	if !ok {
		return riverq.ErrBusy
	}
	defer end()
	jobID, _ := riverq.JobID(ctx)
	claimed, err := claimOnNode(ctx, d.store, run, d.node.Name, jobID)
	if err != nil {
		if !errors.Is(err, store.ErrConflict) {
			d.health.claimed(err)
			d.logger.Error("claim run", logRun, runID, logErr, err)
		}
		return riverq.ErrBusy // the next offer finds it done, or starts it
	}
	d.health.claimed(nil)
	// The queue's context ends when the run's job is canceled (from any
	// node: a cancel through the API) or when the queue stops for good
	// after the shutdown timeout.
	stop := context.AfterFunc(ctx, func() {
		if riverq.CanceledByJobCancel(ctx) {
			cancel(errCanceled)
			return
		}
		cancel(ErrShutdown)
	})
	defer stop()
	d.logger.Info("run started on this node", logRun, claimed.ID, logStack, claimed.Stack, "node", d.node.Name)
	d.disp.execute(runCtx, claimed)
	return nil
}

// cancelElsewhere interrupts the running run on whichever node runs it,
// through its queue job; it reports false when the run has no job (it
// runs on no node of the cluster, or the daemon is not one).
func (d *Daemon) cancelElsewhere(ctx context.Context, run *store.Run) (bool, error) {
	job := jobOf(run)
	if d.cl == nil || job == 0 {
		return false, nil
	}
	if err := d.cl.queue.Cancel(ctx, job); err != nil {
		return false, fmt.Errorf("cancel run %s on node %s: %w", run.ID, nodeOf(run), err)
	}
	return true, nil
}

// clusterMirror is the mirror of w holding run's commit: a node that does
// not poll (it does not lead) opens its mirror and fetches the branch, or
// the pull request's head, when the commit is missing.
func (d *Daemon) clusterMirror(ctx context.Context, w *repoWatcher, run *store.Run) (*gitrepo.Mirror, error) {
	m, err := w.openMirror(ctx)
	if err != nil {
		return nil, err
	}
	commit := plumbing.NewHash(run.Commit)
	if _, err := m.Repo().TreeFS(commit); err == nil {
		return m, nil
	}
	if _, err := m.Fetch(ctx); err != nil {
		return nil, fmt.Errorf("fetch repo %s for commit %s: %w", run.Repo, shortCommit(run.Commit), err)
	}
	if _, err := m.Repo().TreeFS(commit); err == nil || run.PR == 0 || w.cfg.Forge == nil {
		return m, nil
	}
	if _, err := m.FetchRef(ctx, w.cfg.Forge.headRef(run.PR)); err != nil {
		return nil, fmt.Errorf("fetch pull request #%d of repo %s for commit %s: %w", run.PR, run.Repo, shortCommit(run.Commit), err)
	}
	return m, nil
}
