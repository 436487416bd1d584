package runner

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/driftgate/driftgate/planner"
	"github.com/driftgate/driftgate/planner/tfrun"
	"github.com/driftgate/driftgate/store"
)

// openApply opens the apply run of a finished plan with changes: bound to
// the plan's exact bytes and everything they were made against, queued at
// once when auto says so, else waiting for approval. Every older apply run
// of the stack still waiting or queued is superseded by it. A failure is
// logged: the plan run has already ended, and a later plan opens another.
func (d *Daemon) openApply(ctx context.Context, plan *store.Run, res *tfrun.PlanResult, stack planner.Stack, lockHash, trigger string, auto func(store.Binding) bool) {
	ctx = context.WithoutCancel(ctx)
	log := d.logger.With(logRun, plan.ID, logStack, plan.Stack)
	b, err := bindingOf(plan, res, lockHash)
	if err != nil {
		log.Error("bind apply to plan: nothing will be applied", logErr, err)
		return
	}
	apply := &store.Run{
		Repo: plan.Repo, Stack: plan.Stack, Dir: plan.Dir, Commit: plan.Commit,
		Trigger: trigger, Operation: OperationApply, Binding: &b, Summary: plan.Summary,
		Attrs: map[store.AttrKey]string{store.AttrPlanRun: plan.ID},
	}
	if by := plan.Attrs[store.AttrTriggeredBy]; by != "" {
		apply.Attrs[store.AttrTriggeredBy] = by
	}
	if len(stack.DependsOn) > 0 {
		apply.Attrs[store.AttrDependsOn] = strings.Join(stack.DependsOn, ",")
	}
	pol := policyOf(stack)
	if auto(b) {
		err = d.enqueue(ctx, apply)
	} else {
		apply.Status = store.StatusAwaitingApproval
		apply.Reason, apply.Waiting = pol.waitReason(b)
		err = d.store.CreateRun(ctx, apply)
	}
	if err != nil {
		log.Error("open apply run", logErr, err)
		return
	}
	superseded, err := supersedeLive(ctx, d.store, apply.Repo, apply.Stack, OperationApply, apply.ID, apply.Commit)
	if err != nil {
		log.Error("supersede older apply runs", logErr, err)
	}
	for _, id := range superseded {
		log.Info("apply run superseded", logBy, apply.ID, "superseded", id)
	}
	log.Info("apply run opened", "apply_run", apply.ID, logStatus, apply.Status, "reason", apply.Reason)
	// The apply of a merged PR's merge commit may be approved already, by
	// the PR's reviews.
	d.gateForge(ctx, apply)
}

// bindingOf is what an apply of plan's saved plan binds to. The state the
// plan was made against is read from the plan file itself.
func bindingOf(plan *store.Run, res *tfrun.PlanResult, lockHash string) (store.Binding, error) {
	if res == nil || len(res.PlanFile) == 0 {
		return store.Binding{}, fmt.Errorf("run %s saved no plan file", plan.ID)
	}
	serial, lineage, err := tfrun.PlanFileState(res.PlanFile)
	if err != nil {
		return store.Binding{}, fmt.Errorf("read the state of run %s's plan: %w", plan.ID, err)
	}
	sum := sha256.Sum256(res.PlanFile)
	b := store.Binding{
		PlanRun: plan.ID, PlanSHA256: hex.EncodeToString(sum[:]), Commit: plan.Commit,
		StateSerial: serial, StateLineage: lineage, LockHash: lockHash,
		TerraformVersion: res.TerraformVersion, Product: string(res.Product),
	}
	if s := plan.Summary; s != nil {
		b.Destroys = s.Destroy > 0 || s.Replace > 0
	}
	return b, nil
}
