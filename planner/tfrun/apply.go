package tfrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/hashicorp/terraform-exec/tfexec"
)

// StageApply is the apply step of an apply run.
const StageApply Stage = "apply"

// ApplyRequest is one saved plan to apply in a prepared work dir: a copy of
// the same commit the plan was made from.
type ApplyRequest struct {
	Binary    *Binary
	Workdir   *Workdir
	Workspace string
	// PlanFile is the exact plan to apply, as `terraform plan -out` wrote
	// it. Terraform refuses it when the state changed since (stale plan).
	PlanFile []byte
	// ExpectState, when set, is the state the plan was made against (see
	// PlanFileState): the state is pulled first, in the same work dir, and
	// anything else is a *StaleStateError before terraform applies.
	ExpectState *StateRef
	// Log, when set, receives the raw output as it happens.
	Log io.Writer
	// OnPhase, when set, is told how long init and apply took.
	OnPhase PhaseFunc
}

// ApplyResult is what an apply produced. Log is terraform's output, in
// which terraform itself masks sensitive values.
type ApplyResult struct {
	// Product and TerraformVersion are the binary's product and version.
	Product          Product
	TerraformVersion string
	Log              []byte
	Duration         time.Duration
	// State is the state as the apply left it, pulled in the same work dir
	// right after terraform apply returned, whatever it returned; nil when
	// terraform did not get to apply or the pull failed (the log says
	// why). It holds secrets in the clear, as PulledState does.
	State *PulledState
}

// afterApplyPull bounds the state pull after an apply, which runs even
// when the apply was interrupted: what it left must be recorded.
const afterApplyPull = time.Minute

// Apply runs init and `terraform apply PLANFILE`. It never plans: what is
// applied is exactly PlanFile. init always runs here (no init cache): an
// apply is never retried, so it must not start on a stale init.
func (e *Executor) Apply(ctx context.Context, req ApplyRequest) (*ApplyResult, error) {
	start := time.Now()
	defer e.share.join()()
	res := &ApplyResult{Product: req.Binary.Product, TerraformVersion: req.Binary.Version.String()}
	// req.Log sees the output in the order it is stored: stdout and
	// stderr are copied concurrently.
	log := lockedBuffer{tee: req.Log}
	logw := io.Writer(&log)
	finish := func(err error) (*ApplyResult, error) {
		res.Log = log.Bytes()
		res.Duration = time.Since(start)
		return res, err
	}
	if len(req.PlanFile) == 0 {
		return finish(errors.New("no plan file to apply"))
	}
	if err := os.WriteFile(req.Workdir.PlanFile, req.PlanFile, 0o600); err != nil {
		return finish(fmt.Errorf("write plan file: %w", err))
	}
	var tf *tfexec.Terraform
	err := req.OnPhase.timed(StageInit, func() (err error) {
		tf, err = e.freshInit(ctx, req.Binary, req.Workdir, logw)
		return err
	})
	if err != nil {
		return finish(err)
	}
	if err := selectWorkspace(ctx, tf, req.Workspace); err != nil {
		return finish(&Error{Stage: StageWorkspace, Err: err})
	}
	if want := req.ExpectState; want != nil {
		ps, err := pullState(ctx, tf, req.Binary, logw)
		if err != nil {
			return finish(err)
		}
		if got := (StateRef{Serial: ps.Serial, Lineage: ps.Lineage}); got != *want {
			return finish(&StaleStateError{Want: *want, Got: got})
		}
	}
	header(logw, "terraform apply (saved plan)")
	applyErr := req.OnPhase.timed(StageApply, func() error { return tf.Apply(ctx, tfexec.DirOrPlan(req.Workdir.PlanFile)) })
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), afterApplyPull)
	defer cancel()
	if ps, err := pullState(pctx, tf, req.Binary, logw); err == nil {
		res.State = ps
	} else {
		fmt.Fprintf(logw, "driftgate: the state after the apply could not be read: %v\n", err)
	}
	if applyErr != nil {
		return finish(&Error{Stage: StageApply, Err: applyErr})
	}
	return finish(nil)
}

// StackApply is one saved plan of a stack to apply from a source tree.
type StackApply struct {
	StackPlan
	PlanFile []byte
	// ExpectState is as in ApplyRequest.
	ExpectState *StateRef
	// ExpectVersion, when set, is the terraform version that made PlanFile
	// (PlanResult.TerraformVersion). Apply then refuses, with a
	// *VersionMismatchError, to apply it with any other version.
	ExpectVersion string
	// ExpectProduct, when set, is the product that made PlanFile
	// (PlanResult.Product). Apply refuses, as for the version, to apply
	// it with the other product; empty checks the version alone.
	ExpectProduct Product
}

// Apply resolves the binary, copies the stack as for a plan (same default
// backend state) and applies the saved plan. When sa.ExpectVersion is set
// and the resolved binary is another product or version, it returns a
// *VersionMismatchError before copying anything or running terraform.
func (p *Planner) Apply(ctx context.Context, sa StackApply) (*ApplyResult, error) {
	bin, wd, cleanup, err := p.prepare(ctx, sa.StackPlan, sa.ExpectProduct, sa.ExpectVersion)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	res, err := p.Executor.Apply(ctx, ApplyRequest{
		Binary: bin, Workdir: wd, Workspace: sa.Workspace, PlanFile: sa.PlanFile,
		ExpectState: sa.ExpectState, Log: sa.Log, OnPhase: sa.OnPhase,
	})
	if res != nil {
		res.Product, res.TerraformVersion = bin.Product, bin.Version.String()
	}
	return res, err
}
