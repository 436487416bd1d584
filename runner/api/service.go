package api

import (
	"context"
	"errors"

	"github.com/driftgate/driftgate/planner/statever"
	"github.com/driftgate/driftgate/store"
)

// Sentinel errors a Service wraps (with %w) so the handler can answer with
// the right status. The store's ErrNotFound and ErrInvalid are understood
// too. Any other error is answered 500 with a generic message and logged.
var (
	// ErrNotFound reports that the repo, stack or run asked for does not
	// exist. The handler answers 404.
	ErrNotFound = errors.New("not found")

	// ErrConflict reports a request the current state does not allow, such
	// as canceling a finished run. The handler answers 409 with the
	// error's text, so the text must make sense to a user.
	ErrConflict = errors.New("conflict")

	// ErrForbidden reports a principal whose role suffices for the route
	// but whom the stack's apply policy does not allow to do this (not in
	// the approvers list, approving their own run, a destroying plan
	// without the destroy permission). The handler answers 403 with the
	// error's text.
	ErrForbidden = errors.New("forbidden")

	// ErrBadRequest reports an argument the Service cannot accept. The
	// handler answers 400 with the error's text.
	ErrBadRequest = errors.New("bad request")

	// ErrUnavailable reports a request that cannot be served now, such as
	// an audited action while the audit log cannot be written: nothing was
	// done. The handler answers 503 with the error's text.
	ErrUnavailable = errors.New("unavailable")
)

// Service is what the HTTP API needs from the daemon. Methods return the
// sentinel errors above (wrapped) for answers other than 500.
type Service interface {
	// Repos returns the watched repos with their sync status and last
	// error.
	Repos(ctx context.Context) ([]store.RepoRecord, error)

	// Stacks returns the stacks of repo, or of every repo when repo is "".
	Stacks(ctx context.Context, repo string) ([]store.StackRecord, error)

	// Runs returns the runs matching f, newest first, and the cursor of the
	// next page ("" when there is none).
	Runs(ctx context.Context, f store.RunFilter) ([]store.Run, string, error)

	// Run returns one run.
	Run(ctx context.Context, id string) (*store.Run, error)

	// Plan returns the plan of a run, with the redacted plan JSON in
	// Plan.JSON. A run without a plan yet is ErrNotFound.
	Plan(ctx context.Context, id string) (*store.Plan, error)

	// Log returns the log of a run.
	Log(ctx context.Context, id string) ([]byte, error)

	// TriggerPlan queues a manual plan of a stack at its branch head and
	// returns the queued run. The principal who asked is in ctx (see
	// PrincipalFromContext).
	TriggerPlan(ctx context.Context, repo, stack string) (*store.Run, error)

	// CancelRun cancels a queued run at once, or asks a running run to stop
	// and returns it; a finished run is ErrConflict.
	CancelRun(ctx context.Context, id string) (*store.Run, error)

	// Drift returns the drift state of every stack of repo, or of every
	// repo when repo is "", by repo and stack, each with its open findings
	// (accepted ones included). A stack never checked has status
	// store.DriftUnknown. An unknown repo is ErrNotFound.
	Drift(ctx context.Context, repo string) ([]StackDriftView, error)

	// StackDrift returns one stack's drift state and its findings, newest
	// first: every open one and the newest history resolved ones (none
	// when history is 0). The handler passes a history from 0 to
	// apiv1.MaxDriftHistory. An unknown repo or stack is ErrNotFound.
	StackDrift(ctx context.Context, repo, stack string, history int) (*StackDriftView, error)

	// CheckDrift queues a drift check of a stack at its branch head now
	// (trigger "manual") and returns the queued run. The principal who
	// asked is in ctx (see PrincipalFromContext).
	CheckDrift(ctx context.Context, repo, stack string) (*store.Run, error)

	// StateVersions lists a stack's recorded state versions, newest first,
	// without their bodies (limit <= 0: all). An unknown repo or stack is
	// ErrNotFound; a stack without versions gives an empty list.
	StateVersions(ctx context.Context, repo, stack string, limit int) ([]store.StateVersion, error)

	// StateVersion returns one of a stack's recorded state versions with
	// its redacted body (a planner/statever.Version as JSON) in Version. An
	// unknown repo, stack or serial is ErrNotFound.
	StateVersion(ctx context.Context, repo, stack string, serial uint64) (*store.StateVersion, error)

	// StateDiff compares two of a stack's recorded state versions,
	// attribute by attribute (see statever.Diff). An unknown repo or stack,
	// or either serial unknown, is ErrNotFound.
	StateDiff(ctx context.Context, repo, stack string, from, to uint64) (*statever.Changes, error)

	// ApproveRun records the principal's approval (in ctx) of an apply run
	// awaiting approval, and queues the run once it has every approval its
	// stack requires. A principal the stack's policy does not allow
	// (approvers list, self-approval, the destroy permission) is
	// ErrForbidden; a run that is not awaiting approval (superseded,
	// already approved by this principal, finished) is ErrConflict.
	ApproveRun(ctx context.Context, id, comment string) (*store.Run, error)

	// RejectRun records the principal's rejection of an apply run that
	// has not started; the run ends as rejected. The same checks as
	// ApproveRun apply.
	RejectRun(ctx context.Context, id, comment string) (*store.Run, error)

	// ApplyRun queues an apply run awaiting approval whose gate is
	// satisfied: a stack with apply = "auto" and a plan that destroys
	// nothing, or every required approval given. Otherwise it is
	// ErrConflict saying what is missing.
	ApplyRun(ctx context.Context, id string) (*store.Run, error)

	// Locks returns the stacks of repo (every repo when "") that a run
	// holds now or that are held, by repo and stack.
	Locks(ctx context.Context, repo string) ([]StackLock, error)

	// StackLock returns one stack's lock; a free stack has neither Holder
	// nor Hold. An unknown repo or stack is ErrNotFound.
	StackLock(ctx context.Context, repo, stack string) (*StackLock, error)

	// ReleaseStack lifts a stack's hold (the principal in ctx is recorded)
	// and queues a fresh plan of it. A stack that is not held is
	// ErrConflict.
	ReleaseStack(ctx context.Context, repo, stack, comment string) (*Release, error)

	// Ready returns nil when the daemon is ready to serve (store open,
	// watchers started). Its error text is shown to unauthenticated
	// clients of /readyz, so it must carry no secrets.
	Ready(ctx context.Context) error
}
