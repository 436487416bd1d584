package runner

import (
	"context"
	"fmt"

	"github.com/driftgate/driftgate/store"
)

// persistOutcome is persist for the outcome of a run this node worked. On a
// cluster node the outcome is written only while the run is still this
// node's: running, and claimed by this node's name. A node cut off from
// the database long enough for its lease to lapse finds its runs
// reclaimed (queued again for another node, or interrupted and held) when
// it comes back; what it ran then belongs to the cluster's record, and
// writing over it would undo the reclaim.
func (d *Daemon) persistOutcome(ctx context.Context, runID, what string, write func(context.Context) error) error {
	if d.cl == nil {
		return d.persist(ctx, runID, what, write)
	}
	return d.persist(ctx, runID, what, func(ctx context.Context) error {
		cur, err := d.store.GetRun(ctx, runID)
		if err != nil {
			return err
		}
		if err := ownedBy(cur, d.node.Name); err != nil {
			return err
		}
		return write(ctx)
	})
}

// ownedBy refuses a run that is no longer node's to finish.
func ownedBy(run *store.Run, node string) error {
	if run.Status != store.StatusRunning || run.Attrs[store.AttrNode] != node {
		return &store.ConflictError{Reason: fmt.Sprintf("run %s is %s on node %q now, not running on this node (%s): the cluster reclaimed it while this node was cut off; its outcome here is not recorded",
			run.ID, run.Status, run.Attrs[store.AttrNode], node)}
	}
	return nil
}
