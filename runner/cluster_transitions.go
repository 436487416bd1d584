package runner

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/driftgate/driftgate/runner/api/apiv1"
	"github.com/driftgate/driftgate/store"
)

// Transitions of runs worked by several nodes (cluster mode). Like the
// single-node ones (transitions.go) they run inside the store's
// transactions, so they hold whichever store keeps the runs:
//
//	queued --claimOnNode (no other run of the stack running)--> running on a node
//	running on a lost node --reclaimLost--> queued again (a plan or drift check, once)
//	                                    --> interrupted (an apply, or a second loss)

// claimOnNode moves the queued run to running on node, recording the node
// and the queue job jobID on it, in one transaction over the live runs of
// its stack: it is refused with store.ErrConflict when the run is not
// queued any more or another run of the stack is running (on any node),
// so at most one run of a stack runs at a time across nodes.
func claimOnNode(ctx context.Context, st stackUpdater, run *store.Run, node string, jobID int64) (*store.Run, error) {
	var found bool
	changed, err := st.UpdateStackRuns(ctx, run.Repo, run.Stack, []store.RunStatus{store.StatusQueued, store.StatusRunning}, func(r *store.Run) (bool, error) {
		if r.ID != run.ID {
			if r.Status == store.StatusRunning {
				return false, conflict("stack %s is running run %s on node %s", r.Stack, r.ID, nodeOf(r))
			}
			return false, nil
		}
		found = true
		if r.Status != store.StatusQueued {
			return false, conflict("run %s is %s, not queued", r.ID, r.Status)
		}
		r.Status = store.StatusRunning
		r.StartedAt = time.Now().UTC()
		if r.Attrs == nil {
			r.Attrs = map[store.AttrKey]string{}
		}
		r.Attrs[store.AttrNode] = node
		r.Attrs[store.AttrJob] = strconv.FormatInt(jobID, 10)
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim run %s: %w", run.ID, err)
	}
	if !found || len(changed) != 1 {
		return nil, fmt.Errorf("claim run %s: %w", run.ID, conflict("run %s is not queued any more", run.ID))
	}
	return &changed[0], nil
}

// reclaimLost deals, in one transaction, with the runs left running by
// the nodes gone reports lost (their lease expired, or the node started
// again under the same name): a plan or drift check is queued again, once,
// counted in store.AttrRetries, to be worked by another node; one lost a
// second time, and every apply (its state may be partly written), is
// marked interrupted with reason. It returns both lists; the caller queues
// the first (attempt retries(run)) and holds the stacks of the applies.
func reclaimLost(ctx context.Context, st activeUpdater, gone func(node string) bool, reason string) (requeued, interrupted []store.Run, err error) {
	now := time.Now().UTC()
	changed, err := st.UpdateActiveRuns(ctx, func(run *store.Run) (bool, error) {
		if run.Status != store.StatusRunning || !gone(nodeOf(run)) {
			return false, nil
		}
		if run.Operation != OperationApply && retries(run) == 0 {
			run.Status = store.StatusQueued
			run.StartedAt = time.Time{}
			run.Attrs[store.AttrRetries] = "1"
			delete(run.Attrs, store.AttrNode)
			delete(run.Attrs, store.AttrJob)
			return true, nil
		}
		run.Status = store.StatusInterrupted
		run.FinishedAt = now
		run.Error = reason
		return true, nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("reclaim runs of lost nodes: %w", err)
	}
	for _, r := range changed {
		if r.Status == store.StatusQueued {
			requeued = append(requeued, r)
		} else {
			interrupted = append(interrupted, r)
		}
	}
	return requeued, interrupted, nil
}

// nodeOf is the node that claimed run, "" when none did (one node).
func nodeOf(run *store.Run) string { return run.Attrs[store.AttrNode] }

// retries is how many times run was queued again after its node was lost.
func retries(run *store.Run) int {
	n, _ := strconv.Atoi(run.Attrs[store.AttrRetries])
	return n
}

// jobOf is the queue job working run, 0 for none.
func jobOf(run *store.Run) int64 {
	n, _ := strconv.ParseInt(run.Attrs[store.AttrJob], 10, 64)
	return n
}

// lostNodes are the names of the nodes among nodes gone by the lease rule
// (nodeState) at now, self excepted: they stopped (crashed, lost the
// network or the database), and their runs are the leader's to reclaim.
func lostNodes(nodes []store.Node, self string, lease time.Duration, now time.Time) map[string]bool {
	lost := map[string]bool{}
	for _, n := range nodes {
		if n.Name != self && nodeState(n, now, lease) == apiv1.NodeGone {
			lost[n.Name] = true
		}
	}
	return lost
}
