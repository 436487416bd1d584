package runner

import (
	"context"
	"fmt"

	"github.com/driftgate/driftgate/planner/tfrun"
	"github.com/driftgate/driftgate/store"
)

// hold keeps the stack of an apply that was cut off (a crash, a shutdown,
// a cancel) from applying again until an admin releases it. It records
// what is known of the state the apply left: the state the caller pulled
// and recorded (ps, nil when it could not) and the Terraform state lock
// left behind, with the command that clears it.
func (d *Daemon) hold(runCtx context.Context, run *store.Run, t *target, ps *tfrun.PulledState, why string) {
	ctx := context.WithoutCancel(runCtx)
	h := &store.Hold{Repo: run.Repo, Stack: run.Stack, RunID: run.ID, Reason: why}
	if ps != nil {
		h.StatePulled, h.StateSerial, h.StateLineage = true, ps.Serial, ps.Lineage
	}
	if t != nil {
		lock, err := d.runner.StateLock(ctx, t.plan)
		if err != nil {
			d.logger.Warn("look for a state lock left behind", logRun, run.ID, logErr, err)
			h.Reason += fmt.Sprintf("; whether a Terraform state lock was left behind is unknown (%v): if the next run reports one, clear it as Terraform's message says", err)
		}
		if lock != nil {
			h.Lock = &store.StateLock{ID: lock.ID, Path: lock.Path, Who: lock.Who, Operation: lock.Operation, Created: lock.Created, Command: lock.Command}
			if lock.Command == "" {
				// Still held by a live process, or held by someone unknown:
				// nothing to clear blindly.
				h.Lock.Command = "(none: the lock is held by a live process or its holder is unknown; find it before clearing anything)"
			}
		}
	}
	if err := d.persist(runCtx, run.ID, "hold", func(ctx context.Context) error { return d.store.HoldStack(ctx, h) }); err != nil {
		d.logger.Error("hold stack after a cut-off apply", logRun, run.ID, logStack, run.Stack, logErr, err)
		return
	}
	detail := h.Reason
	if h.Lock != nil {
		detail += "; state lock " + h.Lock.ID + " left behind: " + h.Lock.Command
	}
	d.logger.Warn("stack held", logRun, run.ID, logStack, run.Stack, "why", detail)
	d.auditOutcome(runCtx, store.AuditHold, run, store.AuditOK, detail)
}

// holdCutOff holds the stack of an apply run found running at start-up:
// the process that ran it died.
func (d *Daemon) holdCutOff(ctx context.Context, run *store.Run) {
	why := "driftgate stopped (crash or kill) while applying; the state may be partly written"
	t, err := d.resolve(ctx, run)
	if err != nil {
		d.logger.Warn("resolve the stack of a cut-off apply", logRun, run.ID, logErr, err)
		d.hold(ctx, run, nil, nil, why+"; its state could not be read: "+err.Error())
		return
	}
	d.hold(ctx, run, t, d.recordState(ctx, run, t), why)
}
