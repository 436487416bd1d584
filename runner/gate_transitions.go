package runner

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/driftgate/driftgate/store"
)

// Transitions of apply runs through the gate. Each is one transaction on
// the run record (store.UpdateRun, store.UpdateStackRuns), so an approval,
// the status it changes and the queue index change together: an approval
// can never queue a run twice, and a superseded run can never be approved.
//
//	awaiting_approval --approveRun (enough approvers)--> queued
//	awaiting_approval --queueAwaiting------------------> queued
//	awaiting_approval, queued --rejectRun--------------> rejected
//	awaiting_approval, queued --supersedeLive----------> superseded
//	awaiting_approval, queued --setWaiting-------------> (same status, what it waits for)

// stackUpdater is the store's transaction on the live runs of a stack.
type stackUpdater interface {
	UpdateStackRuns(ctx context.Context, repo, stack string, statuses []store.RunStatus, change store.RunChange) ([]store.Run, error)
}

// runGetUpdater reads a run and changes it in a transaction.
type runGetUpdater interface {
	runUpdater
	GetRun(ctx context.Context, id string) (*store.Run, error)
}

// Approvers returns the distinct approvers among approvals who approved
// binding b, in order; approvals of another binding (an older plan) and
// rejections do not count. A nil b has none.
func Approvers(b *store.Binding, approvals []store.Approval) []string {
	var out []string
	for _, a := range approvals {
		if b == nil || a.Decision != store.DecisionApprove || a.Binding != *b || slices.Contains(out, a.Approver) {
			continue
		}
		out = append(out, a.Approver)
	}
	return out
}

// approveRun records approval a of the apply run id, which must await
// approval. a.Decision must be DecisionApprove and a.Approver set
// (store.ErrInvalid otherwise); a zero a.At is set to now and an empty
// a.Source to store.ApprovalSourceDriftgate. The run fails with
// store.ErrConflict when it does not await approval, when its binding is
// not a.Binding (its plan changed since the approver saw it) and when
// a.Approver already approved it.
//
// Once required distinct approvers (at least one) have approved the run's
// current binding, the run is queued and its Reason and Waiting cleared.
// approveRun returns the run as stored, and on store.ErrConflict the run
// as it was found.
func approveRun(ctx context.Context, st runUpdater, id string, a store.Approval, required int) (*store.Run, error) {
	if a.Decision != store.DecisionApprove {
		return nil, fmt.Errorf("approve run %s: %w: decision is %q, not %q", id, store.ErrInvalid, a.Decision, store.DecisionApprove)
	}
	if a.Approver == "" {
		return nil, fmt.Errorf("approve run %s: %w: no approver", id, store.ErrInvalid)
	}
	a = defaultApproval(a)
	required = max(required, 1)
	return transition(ctx, st, "approve run", id, func(run *store.Run) error {
		if run.Status != store.StatusAwaitingApproval {
			return notLive(run, "awaiting approval")
		}
		if run.Binding == nil {
			return conflict("run %s has no plan to approve", run.ID)
		}
		if *run.Binding != a.Binding {
			return conflict("the plan of run %s changed since it was shown: approve again", run.ID)
		}
		for _, have := range run.Approvals {
			if have.Decision == store.DecisionApprove && have.Approver == a.Approver {
				return conflict("run %s is already approved by %s", run.ID, a.Approver)
			}
		}
		run.Approvals = append(run.Approvals, a)
		if len(Approvers(run.Binding, run.Approvals)) >= required {
			run.Status = store.StatusQueued
			run.Reason, run.Waiting = "", ""
		}
		return nil
	})
}

// rejectRun records rejection a of the apply run id, which must await
// approval or be queued (a running or finished run fails with
// store.ErrConflict). a.Decision must be DecisionReject and a.Approver set
// (store.ErrInvalid otherwise); At and Source are defaulted as by
// approveRun. The run ends as StatusRejected with Error "rejected by
// <approver>", followed by ": <comment>" when a has one.
func rejectRun(ctx context.Context, st runUpdater, id string, a store.Approval) (*store.Run, error) {
	if a.Decision != store.DecisionReject {
		return nil, fmt.Errorf("reject run %s: %w: decision is %q, not %q", id, store.ErrInvalid, a.Decision, store.DecisionReject)
	}
	if a.Approver == "" {
		return nil, fmt.Errorf("reject run %s: %w: no approver", id, store.ErrInvalid)
	}
	a = defaultApproval(a)
	return transition(ctx, st, "reject run", id, func(run *store.Run) error {
		if run.Status != store.StatusAwaitingApproval && run.Status != store.StatusQueued {
			return notLive(run, "awaiting approval or queued")
		}
		run.Approvals = append(run.Approvals, a)
		run.Status = store.StatusRejected
		run.FinishedAt = time.Now().UTC()
		run.Error = "rejected by " + a.Approver
		if a.Comment != "" {
			run.Error += ": " + a.Comment
		}
		run.Reason, run.Waiting = "", ""
		return nil
	})
}

// queueAwaiting queues the apply run id, which must await approval
// (store.ErrConflict otherwise), without an approval: for a stack that
// applies on its own. It clears the run's Reason and Waiting.
func queueAwaiting(ctx context.Context, st runUpdater, id string) (*store.Run, error) {
	return transition(ctx, st, "queue run", id, func(run *store.Run) error {
		if run.Status != store.StatusAwaitingApproval {
			return notLive(run, "awaiting approval")
		}
		run.Status = store.StatusQueued
		run.Reason, run.Waiting = "", ""
		return nil
	})
}

// setWaiting sets the Reason and Waiting of the run id, which must be
// queued or await approval (store.ErrConflict otherwise), and returns the
// run. When both already have those values nothing is written, so a
// dispatcher may call it on every pass.
func setWaiting(ctx context.Context, st runGetUpdater, id string, reason store.RunReason, waiting string) (*store.Run, error) {
	check := func(run *store.Run) error {
		if run.Status != store.StatusQueued && run.Status != store.StatusAwaitingApproval {
			return notLive(run, "queued or awaiting approval")
		}
		return nil
	}
	run, err := st.GetRun(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("set waiting: %w", err)
	}
	if err := check(run); err != nil {
		return run, fmt.Errorf("set waiting of run %s: %w", id, err)
	}
	if run.Reason == reason && run.Waiting == waiting {
		return run, nil
	}
	return transition(ctx, st, "set waiting of run", id, func(run *store.Run) error {
		if err := check(run); err != nil {
			return err
		}
		run.Reason, run.Waiting = reason, waiting
		return nil
	})
}

// supersedeLive marks superseded, in one transaction, every run of the
// stack repo/stack with the given operation that is queued or awaits
// approval, except the run byRunID, which supersedes them (from commit
// byCommit), and runs of pull requests. Each gets Reason
// ReasonSuperseded, an Error naming byRunID and AttrSupersededBy. Running
// runs are left alone. It returns the ids of the superseded runs, oldest
// first.
func supersedeLive(ctx context.Context, st stackUpdater, repo, stack string, operation store.Operation, byRunID, byCommit string) ([]string, error) {
	by, err := ulid.ParseStrict(byRunID)
	if err != nil {
		return nil, fmt.Errorf("supersede runs: %w: run id %q is not a ULID: %w", store.ErrInvalid, byRunID, err)
	}
	byRunID = by.String()
	now := time.Now().UTC()
	live := []store.RunStatus{store.StatusQueued, store.StatusAwaitingApproval}
	changed, err := st.UpdateStackRuns(ctx, repo, stack, live, func(run *store.Run) (bool, error) {
		if run.ID == byRunID || run.Operation != operation || run.PR != 0 {
			return false, nil
		}
		run.Status = store.StatusSuperseded
		run.FinishedAt = now
		run.Reason, run.Waiting = store.ReasonSuperseded, ""
		run.Error = fmt.Sprintf("superseded by run %s (%s)", byRunID, shortCommit(byCommit))
		if run.Attrs == nil {
			run.Attrs = map[store.AttrKey]string{}
		}
		run.Attrs[store.AttrSupersededBy] = byRunID
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("supersede %s runs: %w", operation, err)
	}
	return runIDs(changed), nil
}

// defaultApproval fills a's zero At and empty Source.
func defaultApproval(a store.Approval) store.Approval {
	if a.At.IsZero() {
		a.At = time.Now().UTC()
	}
	if a.Source == "" {
		a.Source = store.ApprovalSourceDriftgate
	}
	return a
}

// notLive is the conflict of a run that is not in a status the caller
// wants, said so that a user understands why: a superseded, refused,
// rejected or canceled run carries its Error.
func notLive(run *store.Run, want string) error {
	msg := fmt.Sprintf("run %s is %s", run.ID, run.Status)
	switch run.Status {
	case store.StatusSuperseded, store.StatusRefused, store.StatusRejected, store.StatusCanceled:
		if run.Error != "" {
			msg += " (" + run.Error + ")"
		}
	}
	return conflict("%s, not %s", msg, want)
}
