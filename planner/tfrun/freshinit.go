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
//
// Init runs as plans run it (see command.go); what follows goes through a
// terraform-exec handle, which asks the binary its version before its
// first command. It is asked here, before the handle's output is the log,
// so that the answer stays out of it.
func (e *Executor) freshInit(ctx context.Context, bin *Binary, wd *Workdir, logw io.Writer) (*tfexec.Terraform, error) {
	tf, err := e.terraformExec(bin, wd)
	if err != nil {
		return nil, err
	}
	if _, _, err := tf.Version(ctx, false); err != nil {
		return nil, fmt.Errorf("terraform version: %w", err)
	}
	tf.SetStdout(logw)
	tf.SetStderr(logw)
	t := e.newTerraform(bin, wd.StackDir, "")
	t.SetStdout(logw)
	t.SetStderr(logw)
	if err := e.init(ctx, t, wd, "", logw); err != nil {
		return nil, &Error{Stage: StageInit, Err: err}
	}
	return tf, nil
}
