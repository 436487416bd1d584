package tfrun

import (
	"context"
	"fmt"
	"io"

	"github.com/hashicorp/terraform-exec/tfexec"
)

// freshInit returns terraform for a prepared work dir, its output going to
// logw, after `terraform init` in the work dir itself rather than through
// the stack's init cache. Apply, PullState and the lock probe start this
// way: the cache is locked for as long as a plan of the stack runs, an
// apply is never retried so it must not start on a stale init, and with
// the shared plugin cache an init costs little.
func (e *Executor) freshInit(ctx context.Context, bin *Binary, wd *Workdir, logw io.Writer) (*tfexec.Terraform, error) {
	tf, err := e.terraform(PlanRequest{Binary: bin, Workdir: wd})
	if err != nil {
		return nil, err
	}
	if _, _, err := tf.Version(ctx, false); err != nil {
		return nil, fmt.Errorf("terraform version: %w", err)
	}
	tf.SetStdout(logw)
	tf.SetStderr(logw)
	if err := e.init(ctx, tf, wd, "", logw); err != nil {
		return nil, &Error{Stage: StageInit, Err: err}
	}
	return tf, nil
}
