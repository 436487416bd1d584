package tfrun

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/hashicorp/terraform-exec/tfexec"
)

// StageStatePull is the `terraform state pull` step.
const StageStatePull Stage = "state pull"

// StatePullRequest is one state to pull in a prepared work dir.
type StatePullRequest struct {
	Binary    *Binary
	Workdir   *Workdir
	Workspace string
	// Log, when set, receives init's output and terraform's diagnostics.
	// The state itself never goes to it.
	Log io.Writer
}

// PulledState is a stack's state as its backend holds it. Raw is the state
// exactly as `terraform state pull` printed it, secrets in the clear: keep
// it only as privately as the backend does, and redact it
// (planner/statever) before storing or showing it.
type PulledState struct {
	Raw     []byte
	Serial  uint64
	Lineage string
	// TerraformVersion is the version of the binary that pulled the state,
	// as in PlanResult and ApplyResult; the state's own terraform_version
	// is in Raw. Product is the binary's product.
	TerraformVersion string
	Product          Product
	// Empty reports that the backend holds no state yet: the stack was
	// never applied. Raw is then empty, and Serial and Lineage are zero.
	Empty bool
}

// PullState runs init and `terraform state pull`. Like Apply, it inits
// afresh in the work dir rather than through the stack's init cache: the
// cache is locked for as long as a plan of the stack runs, and a state
// pull, which usually follows an apply, should not wait behind a drift
// check; with the shared plugin cache an init costs little.
func (e *Executor) PullState(ctx context.Context, req StatePullRequest) (*PulledState, error) {
	defer e.share.join()()
	logw := req.Log
	if logw == nil {
		logw = io.Discard
	}
	tf, err := e.freshInit(ctx, req.Binary, req.Workdir, logw)
	if err != nil {
		return nil, err
	}
	if err := selectWorkspace(ctx, tf, req.Workspace); err != nil {
		return nil, &Error{Stage: StageWorkspace, Err: err}
	}
	return pullState(ctx, tf, req.Binary, logw)
}

// pullState runs `terraform state pull` on an initialized handle whose
// output goes to logw. The state itself never goes to logw: terraform-exec
// copies a command's stdout to the handle's stdout as well as returning
// it, so stdout is muted for the pull and given back to logw after.
func pullState(ctx context.Context, tf *tfexec.Terraform, bin *Binary, logw io.Writer) (*PulledState, error) {
	header(logw, "terraform state pull")
	tf.SetStdout(io.Discard)
	defer tf.SetStdout(logw)
	raw, err := tf.StatePull(ctx)
	if err != nil {
		return nil, &Error{Stage: StageStatePull, Err: err}
	}
	ps, err := parsePulledState([]byte(raw))
	if err != nil {
		return nil, &Error{Stage: StageStatePull, Err: err}
	}
	ps.Product, ps.TerraformVersion = bin.Product, bin.Version.String()
	return ps, nil
}

// PullState resolves the binary, copies the stack as for a plan (same
// default backend state) and pulls its current state. A stack on the
// default backend whose state file does not exist yet has nothing to pull:
// that is answered without running terraform (the first plan of every
// stack records its state, and most have none).
func (p *Planner) PullState(ctx context.Context, sp StackPlan) (*PulledState, error) {
	if p.noDefaultState(sp) {
		return &PulledState{Empty: true}, nil
	}
	bin, wd, cleanup, err := p.prepare(ctx, sp, "", "")
	if err != nil {
		return nil, err
	}
	defer cleanup()
	return p.Executor.PullState(ctx, StatePullRequest{
		Binary: bin, Workdir: wd, Workspace: sp.Workspace, Log: sp.Log,
	})
}

// stateHeader is the part of a v4 state parsePulledState reads.
type stateHeader struct {
	Version json.Number `json:"version"`
	Serial  uint64      `json:"serial"`
	Lineage string      `json:"lineage"`
}

// parsePulledState reads the serial and lineage of the state raw holds, as
// `terraform state pull` printed it: nothing at all when there is no state.
func parsePulledState(raw []byte) (*PulledState, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return &PulledState{Raw: raw, Empty: true}, nil
	}
	var h stateHeader
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadState, err)
	}
	if h.Version != "4" {
		return nil, fmt.Errorf("%w: format version %q, want 4", ErrBadState, h.Version)
	}
	if h.Lineage == "" {
		return nil, fmt.Errorf("%w: no lineage", ErrBadState)
	}
	return &PulledState{Raw: raw, Serial: h.Serial, Lineage: h.Lineage}, nil
}
