package tfrun

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-exec/tfexec"
)

// StageLockProbe is the plan StateLock runs to find a backend's lock.
const StageLockProbe Stage = "lock probe"

// probeTarget is the only resource the probe plan targets. No
// configuration declares it, so the plan reads no data source (a slow one
// would otherwise delay the probe) and plans nothing: it locks the state,
// reads it and unlocks it. A plan without -out writes nothing.
const probeTarget = "terraform_data.driftgate_lock_probe"

// Backends whose `terraform plan` runs remotely, in HCP Terraform or
// Terraform Enterprise: a probe there would queue a run.
var remoteRunBackends = []string{"cloud", "remote"}

// probeLock finds the lock on the state of a stack with a backend other
// than local: it copies the stack as for a plan and runs the probe.
func (p *Planner) probeLock(ctx context.Context, sp StackPlan) (*LockInfo, error) {
	if slices.Contains(remoteRunBackends, sp.Backend) {
		return nil, fmt.Errorf("backend %q: %w", sp.Backend, ErrNoLockProbe)
	}
	bin, wd, cleanup, err := p.prepare(ctx, sp, "", "")
	if err != nil {
		return nil, err
	}
	defer cleanup()
	li, err := p.Executor.probeLock(ctx, PlanRequest{
		Binary: bin, Workdir: wd, Workspace: sp.Workspace, Log: sp.Log,
	})
	if li != nil && li.ID != "" {
		li.Command = forceUnlockCommand(sp.Layout.Dir, sp.Workspace, li.ID)
	}
	return li, err
}

// probeLock runs init and `terraform plan -refresh=false -lock=true
// -lock-timeout=0s -input=false -target=<nothing>` in a prepared work dir.
// A plan that succeeds took the lock, so there was none: nil, nil. One
// that fails with "Error acquiring the state lock" gives the lock it
// printed (see parseLockError), Held; its ID is empty when the backend did
// not say whose lock it is. Any other failure is returned as an *Error. Like
// PullState, it inits afresh rather than through the init cache, and it
// never creates a workspace: one that does not exist has no state to lock.
func (e *Executor) probeLock(ctx context.Context, req PlanRequest) (*LockInfo, error) {
	defer e.share.join()()
	logw := req.Log
	if logw == nil {
		logw = io.Discard
	}
	tf, err := e.freshInit(ctx, req.Binary, req.Workdir, logw)
	if err != nil {
		return nil, err
	}
	if ws := req.Workspace; ws != "" && ws != defaultWorkspace {
		if err := tf.WorkspaceSelect(ctx, ws); err != nil {
			list, _, listErr := tf.WorkspaceList(ctx)
			if listErr == nil && !slices.Contains(list, ws) {
				return nil, nil
			}
			return nil, &Error{Stage: StageWorkspace, Err: err}
		}
	}
	var stderr lockedBuffer
	tf.SetStderr(io.MultiWriter(logw, &stderr))
	header(logw, "terraform plan (lock probe)")
	opts := []tfexec.PlanOption{
		tfexec.Refresh(false), tfexec.Lock(true), tfexec.LockTimeout("0s"), tfexec.Target(probeTarget),
	}
	for _, vf := range req.Workdir.VarFiles {
		opts = append(opts, tfexec.VarFile(vf))
	}
	since := time.Now()
	if _, err := tf.Plan(ctx, opts...); err != nil {
		li := parseLockError(string(stderr.Bytes()), since, req.Binary.Version.String())
		if li == nil || IsCanceled(err) {
			return nil, &Error{Stage: StageLockProbe, Err: err}
		}
		li.Held = true
		return li, nil
	}
	return nil, nil
}

// lockCreatedLayout is how Terraform prints a lock's creation time (Go's
// time.Time.String).
const lockCreatedLayout = "2006-01-02 15:04:05.999999999 -0700 MST"

// probeOperation is the operation of the lock the probe plan asks for.
const probeOperation = "OperationTypePlan"

var (
	// ansiEscape matches the colour codes of terraform's output without
	// -no-color.
	ansiEscape = regexp.MustCompile("\x1b\\[[0-9;]*m")
	// messageLockID matches the lock ID some backends (http) name in the
	// error message itself.
	messageLockID = regexp.MustCompile(`\bID=([^\s,;]+)`)
)

// parseLockError reads the lock terraform reports when it fails with
// "Error acquiring the state lock", from the "Lock Info:" block of its
// diagnostic (statemgr.LockInfo.String). It returns nil when text holds no
// such error, or one without a lock ID (a backend that could not even be
// asked). Colour codes and the diagnostic's box-drawing margin are ignored.
//
// Some backends print the lock terraform asked for instead of the one that
// refused it: the http backend of Terraform 1.11 does, and names the
// holder's ID only in the message ("HTTP remote state already locked:
// ID=..."). A message naming another ID wins, and the block's details,
// which describe the asking terraform, are dropped. A block that is
// the probe's own without such a message (a plan lock of version, created
// at or after since) gives a lock without an ID: the backend refused the
// lock without saying whose it is. A zero since turns that check off.
func parseLockError(text string, since time.Time, version string) *LockInfo {
	text = ansiEscape.ReplaceAllString(text, "")
	_, rest, ok := strings.Cut(text, "Error acquiring the state lock")
	if !ok {
		return nil
	}
	message, block, ok := strings.Cut(rest, "Lock Info:")
	if !ok {
		return nil
	}
	li := parseLockInfoBlock(block)
	if li.ID == "" {
		return nil
	}
	if m := messageLockID.FindStringSubmatch(message); m != nil && m[1] != li.ID {
		return &LockInfo{ID: m[1], Path: li.Path}
	}
	if !since.IsZero() && li.Operation == probeOperation && li.Version == version && !li.Created.Before(since) {
		return &LockInfo{Path: li.Path}
	}
	return li
}

// parseLockInfoBlock reads the "  Key: value" lines that follow
// "Lock Info:", up to the first blank line.
func parseLockInfoBlock(block string) *LockInfo {
	li := &LockInfo{}
	lines := strings.Split(block, "\n")
	for _, line := range lines[1:] {
		line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "│"))
		key, value, ok := strings.Cut(line, ":")
		if line == "" || !ok {
			break
		}
		value = strings.TrimSpace(value)
		switch key {
		case "ID":
			li.ID = value
		case "Path":
			li.Path = value
		case "Operation":
			li.Operation = value
		case "Who":
			li.Who = value
		case "Version":
			li.Version = value
		case "Created":
			value, _, _ = strings.Cut(value, " m=") // a monotonic clock reading
			li.Created, _ = time.Parse(lockCreatedLayout, value)
		case "Info":
			li.Info = value
		}
	}
	return li
}
