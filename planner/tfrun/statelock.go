package tfrun

import (
	"context"
	"errors"
	"path"
	"regexp"
	"strings"
	"time"
)

// LockInfo is a lock on a stack's state, as Terraform records it.
type LockInfo struct {
	// ID identifies the lock to force-unlock. It is empty when a backend
	// refused the lock without saying whose it is.
	ID        string
	Path      string
	Operation string
	Who       string
	Version   string
	Created   time.Time
	// Info is the free text the locking terraform added, usually empty.
	Info string
	// Held reports that the lock is in force: terraform would fail to lock
	// the state now. A local backend's lock is an OS lock on the state
	// file, released when its process dies, so for local state Held means
	// that a terraform process still runs; the lock info file of a
	// terraform that was killed stays behind with Held false, and the next
	// terraform to lock the state replaces and then removes it. Any other
	// backend keeps its lock until it is released, so there Held is always
	// true.
	Held bool
	// Command is the shell command an operator runs to clear the lock;
	// empty while a local lock is held, which only ending its process
	// clears, and when ID is empty.
	Command string
}

// StateLock returns the lock on sp's state, or nil when there is none.
//
// For local state, driftgate's default backend (sp.Backend "") or an
// explicit `backend "local"` with an absolute path, it reads the lock info
// file Terraform's local backend writes next to the state file,
// .<state file name>.lock.info, as in
// <data dir>/state/repo/web/.terraform.tfstate.lock.info (a workspace other
// than the default has its state file in workspaces/<name>/ there, or in
// <workspace_dir>/<name>/ for an explicit backend). A local backend whose
// path is relative (or unset) keeps its state in the run's copy, which does
// not outlive the run: there is nothing to find, and StateLock returns nil.
// The local backend locks with an OS-level lock on the state file, which
// dies with its process, and uses the file only as information about the
// lock: a terraform killed mid-run leaves the file behind (Held false),
// and `terraform force-unlock` cannot remove it (Terraform 1.11 answers
// "LocalState not locked"). So the Command is `rm '<lock info file>'`,
// for driftgate's default backend (for which the operator has no
// terraform dir anyway) and an explicit one alike.
//
// For any other backend it probes: a `terraform plan -lock-timeout=0s` in a
// fresh copy of the stack that targets nothing, so it reads no data
// sources, and reports the lock terraform could not acquire (see
// probeLock and parseLockError). The Command is then `terraform
// -chdir=<stack dir> force-unlock -force <ID>`, to run from the root of an
// initialised checkout, with TF_WORKSPACE set for a workspace other than
// the default. The cloud and remote backends, whose plans run remotely, are
// not probed: they give ErrNoLockProbe.
func (p *Planner) StateLock(ctx context.Context, sp StackPlan) (*LockInfo, error) {
	switch sp.Backend {
	case "":
		if sp.Key == "" && sp.State == nil {
			return nil, errors.New("stack has no backend and no key to keep its state under")
		}
		return readLocalLock(p.stateOf(sp).WorkspacePath(sp.Workspace))
	case "local":
		b, found, err := readLocalBackend(sp.Source, sp.Layout.Dir)
		if err != nil {
			return nil, err
		}
		statePath := b.statePath(sp.Workspace)
		if !found || statePath == "" {
			return nil, nil
		}
		return readLocalLock(statePath)
	}
	return p.probeLock(ctx, sp)
}

// forceUnlockCommand is the command that releases lock id on the state of
// the stack in dir (relative to the checkout root) and workspace.
func forceUnlockCommand(dir, workspace, id string) string {
	var b strings.Builder
	if workspace != "" && workspace != defaultWorkspace {
		b.WriteString("TF_WORKSPACE=" + shellQuote(workspace) + " ")
	}
	b.WriteString("terraform -chdir=" + shellQuote(path.Clean(dir)) + " force-unlock -force " + shellQuote(id))
	return b.String()
}

// shellSafe matches words a POSIX shell takes literally.
var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_./@%+=:,-]+$`)

// shellQuote returns s as one word for a POSIX shell.
func shellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
