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
	// Log, when set, receives the raw output as it happens.
	Log io.Writer
}

// ApplyResult is what an apply produced. Log is terraform's output, in
// which terraform itself masks sensitive values.
type ApplyResult struct {
	TerraformVersion string
	Log              []byte
	Duration         time.Duration
}

// Apply runs init and `terraform apply PLANFILE`. It never plans: what is
// applied is exactly PlanFile. init always runs here (no init cache): an
// apply is never retried, so it must not start on a stale init.
func (e *Executor) Apply(ctx context.Context, req ApplyRequest) (*ApplyResult, error) {
	start := time.Now()
	res := &ApplyResult{TerraformVersion: req.Binary.Version.String()}
	var log lockedBuffer
	logw := io.Writer(&log)
	if req.Log != nil {
		logw = io.MultiWriter(&log, req.Log)
	}
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
	tf, err := e.freshInit(ctx, req.Binary, req.Workdir, logw)
	if err != nil {
		return finish(err)
	}
	if err := selectWorkspace(ctx, tf, req.Workspace); err != nil {
		return finish(&Error{Stage: StageWorkspace, Err: err})
	}
	header(logw, "terraform apply (saved plan)")
	if err := tf.Apply(ctx, tfexec.DirOrPlan(req.Workdir.PlanFile)); err != nil {
		return finish(&Error{Stage: StageApply, Err: err})
	}
	return finish(nil)
}

// StackApply is one saved plan of a stack to apply from a source tree.
type StackApply struct {
	StackPlan
	PlanFile []byte
	// ExpectVersion, when set, is the terraform version that made PlanFile
	// (PlanResult.TerraformVersion). Apply then refuses, with a
	// *VersionMismatchError, to apply it with any other version.
	ExpectVersion string
}

// Apply resolves the binary, copies the stack as for a plan (same default
// backend state) and applies the saved plan. When sa.ExpectVersion is set
// and the resolved binary is another version, it returns a
// *VersionMismatchError before copying anything or running terraform.
func (p *Planner) Apply(ctx context.Context, sa StackApply) (*ApplyResult, error) {
	bin, wd, cleanup, err := p.prepare(ctx, sa.StackPlan, sa.ExpectVersion)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	res, err := p.Executor.Apply(ctx, ApplyRequest{
		Binary: bin, Workdir: wd, Workspace: sa.Workspace, PlanFile: sa.PlanFile, Log: sa.Log,
	})
	if res != nil {
		res.TerraformVersion = bin.Version.String()
	}
	return res, err
}
