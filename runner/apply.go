package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/driftgate/driftgate/planner/tfrun"
	"github.com/driftgate/driftgate/store"
)

// executeApply applies the saved plan the run was approved for, exactly,
// after verifying everything the approval bound to. A refused apply ends
// as refused (superseded when a newer commit replaced it) with the reason,
// and a fresh plan is queued; an apply cut off by a shutdown or a cancel
// holds the stack until an admin releases it.
//
// Terraform's output goes to live as it is printed: an apply's log is
// stored as printed, so live readers see what the store will hold.
func (d *Daemon) executeApply(ctx context.Context, run *store.Run, t *target, live io.Writer) {
	bg := context.WithoutCancel(ctx)
	file, err := d.verifyApply(ctx, run, t)
	var ref *refusal
	if errors.As(err, &ref) {
		d.refuse(ctx, run, ref)
		return
	}
	if err != nil {
		d.failRun(ctx, run, err)
		d.auditOutcome(ctx, store.AuditApply, run, store.AuditFailed, "could not verify the approved plan: "+err.Error())
		return
	}
	planRun := run.Binding.PlanRun
	d.logger.Info("apply started", logRun, run.ID, logStack, run.Stack, logPlanRun, planRun)
	b := run.Binding
	t.plan.Log = live
	res, err := d.runner.Apply(ctx, tfrun.StackApply{
		StackPlan: t.plan, PlanFile: file, ExpectVersion: b.TerraformVersion,
		ExpectProduct: tfrun.Product(b.Product),
		ExpectState:   &tfrun.StateRef{Serial: b.StateSerial, Lineage: b.StateLineage},
	})
	if ref, ok := applyRefusal(err); ok {
		d.refuse(ctx, run, ref)
		return
	}
	run.FinishedAt = time.Now().UTC()
	var log []byte
	if res != nil {
		log, run.TerraformVersion, run.Product = res.Log, res.TerraformVersion, string(res.Product)
	}
	cutOff := false
	switch {
	case err == nil:
		run.Status = store.StatusApplied
	case tfrun.IsCanceled(err) && errors.Is(context.Cause(ctx), ErrShutdown):
		run.Status, run.Error = store.StatusInterrupted, "interrupted: driftgate shut down while the apply was in progress"
		cutOff = true
	case tfrun.IsCanceled(err):
		run.Status, run.Error = store.StatusCanceled, "canceled while applying"
		cutOff = true
	default:
		run.Status, run.Error = store.StatusErrored, errorSummary(err, log)
	}
	// What the apply left is recorded before the run reads as finished,
	// whatever the outcome: a failed apply may have changed resources too.
	var ps *tfrun.PulledState
	if res != nil && res.State != nil {
		ps = d.recordPulled(bg, run, res.State)
	} else {
		ps = d.recordState(bg, run, t)
	}
	if run.Status == store.StatusApplied {
		info := store.AppliedInfo{RunID: run.ID, Commit: run.Commit, At: run.FinishedAt, LockHash: t.lockHash, TerraformVersion: run.TerraformVersion, Product: run.Product}
		record := func(ctx context.Context) error { return d.store.RecordApplied(ctx, run.Repo, run.Stack, info) }
		if err := d.persist(ctx, run.ID, "applied commit", record); err != nil {
			d.logger.Error("record apply", logRun, run.ID, logErr, err)
		}
	}
	if cutOff {
		d.hold(ctx, run, t, ps, "the apply was "+string(run.Status)+" before it finished; the state may be partly written")
	}
	finish := func(ctx context.Context) error { return d.store.FinishRun(ctx, run, nil, log) }
	if ferr := d.persistOutcome(ctx, run.ID, "outcome", finish); ferr != nil {
		d.logger.Error("record apply outcome", logRun, run.ID, logErr, ferr)
	}
	d.logger.Info("apply finished", logRun, run.ID, logStatus, run.Status)
	result := store.AuditOK
	if run.Status != store.StatusApplied {
		result = store.AuditFailed
	}
	d.auditOutcome(ctx, store.AuditApply, run, result, fmt.Sprintf("plan of run %s: %s", planRun, run.Status))
	if run.Status != store.StatusApplied {
		return
	}
	// Check again, so the stack's drift state shows what the apply did.
	check := &store.Run{Repo: run.Repo, Stack: run.Stack, Dir: run.Dir, Commit: run.Commit, Trigger: TriggerPostApply, Operation: OperationDrift}
	if err := d.enqueue(bg, check); err != nil {
		d.logger.Error("queue check after apply", logRun, run.ID, logErr, err)
	}
}

// refuse ends an apply run that may not apply what was approved, records
// why, and (unless a newer commit superseded it, whose plan is on its way)
// queues a fresh plan of the stack at its branch head. ctx is the run's.
func (d *Daemon) refuse(runCtx context.Context, run *store.Run, ref *refusal) {
	ctx := context.WithoutCancel(runCtx)
	run.Status, run.Reason, run.Error = store.StatusRefused, ref.reason, "apply refused: "+ref.Error()
	if ref.reason == store.ReasonSuperseded {
		run.Status = store.StatusSuperseded
	}
	run.FinishedAt = time.Now().UTC()
	d.logger.Warn("apply refused", logRun, run.ID, logStack, run.Stack, "reason", ref.reason, logErr, ref.msg)
	finish := func(ctx context.Context) error { return d.store.FinishRun(ctx, run, nil, []byte(run.Error+"\n")) }
	if err := d.persistOutcome(runCtx, run.ID, "outcome", finish); err != nil {
		d.logger.Error("record refused apply", logRun, run.ID, logErr, err)
	}
	d.auditOutcome(runCtx, store.AuditApply, run, store.AuditRefused, ref.Error())
	if ref.reason == store.ReasonSuperseded {
		return
	}
	if _, err := d.queueAtHead(ctx, run.Repo, run.Stack, OperationPlan, TriggerReplan, ""); err != nil {
		d.logger.Error("queue a fresh plan after a refused apply", logRun, run.ID, logErr, err)
	}
}
