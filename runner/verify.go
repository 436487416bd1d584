package runner

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/driftgate/driftgate/planner"
	"github.com/driftgate/driftgate/planner/tfrun"
	"github.com/driftgate/driftgate/store"
)

// refusal is why an apply run may not apply what was approved.
type refusal struct {
	reason store.RunReason
	msg    string
}

func (r *refusal) Error() string { return string(r.reason) + ": " + r.msg }

// verifyApply checks, just before terraform runs, everything the run's
// approval bound to: the stored plan bytes still hash to the approved
// sha256, no newer commit on the tracked branch affects the stack, and
// the lock file is the one planned with. It returns the plan file to
// apply, or a refusal; any other error means the check itself failed. The
// terraform version and the state the plan was made against are checked
// by the planner in the apply's own work dir, before terraform applies
// (StackApply.ExpectVersion and ExpectState; see applyRefusal).
func (d *Daemon) verifyApply(ctx context.Context, run *store.Run, t *target) ([]byte, error) {
	b := run.Binding
	if b == nil {
		return nil, &refusal{store.ReasonPlanTampered, "the run has no approval binding (it was opened by an older driftgate); plan again"}
	}
	if run.Attrs[store.AttrPlanRun] != b.PlanRun || run.Commit != b.Commit {
		return nil, &refusal{store.ReasonPlanTampered, fmt.Sprintf("the run points at plan run %s of commit %s, but was approved for plan run %s of commit %s",
			run.Attrs[store.AttrPlanRun], short(plumbing.NewHash(run.Commit)), b.PlanRun, short(plumbing.NewHash(b.Commit)))}
	}
	file, sum, err := d.store.GetPlanFile(ctx, b.PlanRun)
	switch {
	case errors.Is(err, store.ErrEncrypted):
		return nil, fmt.Errorf("plan of run %s: %w", b.PlanRun, err)
	case err != nil:
		return nil, &refusal{store.ReasonPlanTampered, fmt.Sprintf("the stored plan of run %s cannot be read back as it was stored: %v", b.PlanRun, err)}
	case sum != b.PlanSHA256:
		return nil, &refusal{store.ReasonPlanTampered, fmt.Sprintf("the stored plan of run %s hashes to %s, not the approved %s", b.PlanRun, sum, b.PlanSHA256)}
	}
	newer, err := d.newerCommit(ctx, run)
	if err != nil {
		return nil, fmt.Errorf("look for newer commits: %w", err)
	}
	if newer != "" {
		return nil, &refusal{store.ReasonSuperseded, newer}
	}
	if t.lockHash != b.LockHash {
		return nil, &refusal{store.ReasonLockMismatch, "the stack's .terraform.lock.hcl is not the one the plan was made with"}
	}
	return file, nil
}

// newerCommit says which newer commit of the tracked branch supersedes the
// run's, "" when none: one that changes what the stack plans, removes the
// stack, or a history rewrite that dropped the run's commit.
func (d *Daemon) newerCommit(ctx context.Context, run *store.Run) (string, error) {
	w, ok := d.watcher(run.Repo)
	if !ok || w.Mirror() == nil {
		return "", fmt.Errorf("repo %q is not being watched", run.Repo)
	}
	m := w.Mirror()
	head, err := m.Head()
	if err != nil {
		return "", err
	}
	at := plumbing.NewHash(run.Commit)
	if head == at {
		return "", nil
	}
	ok, err = m.IsAncestor(ctx, at, head)
	if err != nil {
		return "", err
	}
	if !ok {
		return fmt.Sprintf("commit %s is no longer on the tracked branch (history was rewritten; head is %s)", short(at), short(head)), nil
	}
	fsys, err := m.Repo().TreeFS(head)
	if err != nil {
		return "", err
	}
	cfg, diags := planner.LoadRepoConfig(fsys)
	if diags.HasErrors() {
		// The dispatcher holds applies back while head is broken; this is
		// a head that broke since.
		return "", fmt.Errorf("head %s has a broken %s, so whether it changes stack %s is unknown: %w", short(head), planner.RepoConfigFile, run.Stack, diags)
	}
	disc, err := planner.Discover(ctx, fsys, planner.DiscoverOptions{Config: cfg})
	if err != nil {
		return "", err
	}
	changed, err := m.Repo().ChangedFiles(ctx, at, head)
	if err != nil {
		return "", err
	}
	found := false
	for _, s := range disc.Stacks {
		found = found || s.Name == run.Stack
	}
	if !found {
		return fmt.Sprintf("stack %s is gone at head %s", run.Stack, short(head)), nil
	}
	for _, a := range planner.Affected(disc.Stacks, changed) {
		if a.Stack == run.Stack {
			return fmt.Sprintf("head %s changes the stack since commit %s; its plan waits for approval instead", short(head), short(at)), nil
		}
	}
	return "", nil
}

// applyRefusal turns the planner's checks before applying into a refusal:
// another terraform version, or a state that moved since the plan.
func applyRefusal(err error) (*refusal, bool) {
	var vm *tfrun.VersionMismatchError
	if errors.As(err, &vm) {
		return &refusal{store.ReasonVersionMismatch, vm.Error()}, true
	}
	var st *tfrun.StaleStateError
	if errors.As(err, &st) {
		return &refusal{store.ReasonStaleState, st.Error()}, true
	}
	return nil, false
}
