package store

import (
	"context"
	"fmt"
	"time"
)

// Transitions of apply runs through the gate. Each is one transaction on
// the run record, so an approval, the status it changes and the queue
// index change together:
//
//	awaiting_approval --ApproveRun (enough approvers)--> queued
//	awaiting_approval --QueueAwaiting-------------------> queued
//	awaiting_approval, queued --RejectRun---------------> rejected
//	awaiting_approval, queued --SupersedeLive-----------> superseded

// ApproveRun records approval a of the apply run id, which must await
// approval. a.Decision must be DecisionApprove and a.Approver set
// (ErrInvalid otherwise); a zero a.At is set to now and an empty a.Source
// to ApprovalSourceDriftgate. The run fails with ErrConflict when it does
// not await approval, when its binding is not a.Binding (its plan changed
// since the approver saw it) and when a.Approver already approved it.
//
// Once required distinct approvers (at least one) have approved the run's
// current binding, the run is queued and its Reason and Waiting cleared.
// ApproveRun returns the run as stored, and on ErrConflict the run as it
// was found.
func (s *Store) ApproveRun(ctx context.Context, id string, a Approval, required int) (*Run, error) {
	if a.Decision != DecisionApprove {
		return nil, fmt.Errorf("approve run %s: %w: decision is %q, not %q", id, ErrInvalid, a.Decision, DecisionApprove)
	}
	if a.Approver == "" {
		return nil, fmt.Errorf("approve run %s: %w: no approver", id, ErrInvalid)
	}
	a = defaultApproval(a)
	required = max(required, 1)
	return s.transition(ctx, "approve run", id, func(run *Run) error {
		if run.Status != StatusAwaitingApproval {
			return notLive(run, "awaiting approval")
		}
		if run.Binding == nil {
			return conflict("run %s has no plan to approve", run.ID)
		}
		if *run.Binding != a.Binding {
			return conflict("the plan of run %s changed since it was shown: approve again", run.ID)
		}
		for _, have := range run.Approvals {
			if have.Decision == DecisionApprove && have.Approver == a.Approver {
				return conflict("run %s is already approved by %s", run.ID, a.Approver)
			}
		}
		run.Approvals = append(run.Approvals, a)
		if len(Approvers(run.Binding, run.Approvals)) >= required {
			run.Status = StatusQueued
			run.Reason, run.Waiting = "", ""
		}
		return nil
	})
}

// RejectRun records rejection a of the apply run id, which must await
// approval or be queued (a running or finished run fails with
// ErrConflict). a.Decision must be DecisionReject and a.Approver set
// (ErrInvalid otherwise); At and Source are defaulted as by ApproveRun.
// The run ends as StatusRejected with Error "rejected by <approver>",
// followed by ": <comment>" when a has one.
func (s *Store) RejectRun(ctx context.Context, id string, a Approval) (*Run, error) {
	if a.Decision != DecisionReject {
		return nil, fmt.Errorf("reject run %s: %w: decision is %q, not %q", id, ErrInvalid, a.Decision, DecisionReject)
	}
	if a.Approver == "" {
		return nil, fmt.Errorf("reject run %s: %w: no approver", id, ErrInvalid)
	}
	a = defaultApproval(a)
	return s.transition(ctx, "reject run", id, func(run *Run) error {
		if run.Status != StatusAwaitingApproval && run.Status != StatusQueued {
			return notLive(run, "awaiting approval or queued")
		}
		run.Approvals = append(run.Approvals, a)
		run.Status = StatusRejected
		run.FinishedAt = time.Now().UTC()
		run.Error = "rejected by " + a.Approver
		if a.Comment != "" {
			run.Error += ": " + a.Comment
		}
		run.Reason, run.Waiting = "", ""
		return nil
	})
}

// QueueAwaiting queues the apply run id, which must await approval
// (ErrConflict otherwise), without an approval: for a stack that applies
// on its own. It clears the run's Reason and Waiting.
func (s *Store) QueueAwaiting(ctx context.Context, id string) (*Run, error) {
	return s.transition(ctx, "queue run", id, func(run *Run) error {
		if run.Status != StatusAwaitingApproval {
			return notLive(run, "awaiting approval")
		}
		run.Status = StatusQueued
		run.Reason, run.Waiting = "", ""
		return nil
	})
}

// SetWaiting sets the Reason and Waiting of the run id, which must be
// queued or await approval (ErrConflict otherwise), and returns the run.
// When both already have those values nothing is written, so a dispatcher
// may call it on every pass.
func (s *Store) SetWaiting(ctx context.Context, id string, reason RunReason, waiting string) (*Run, error) {
	check := func(run *Run) error {
		if run.Status != StatusQueued && run.Status != StatusAwaitingApproval {
			return notLive(run, "queued or awaiting approval")
		}
		return nil
	}
	run, err := s.GetRun(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("set waiting: %w", err)
	}
	if err := check(run); err != nil {
		return run, fmt.Errorf("set waiting of run %s: %w", id, err)
	}
	if run.Reason == reason && run.Waiting == waiting {
		return run, nil
	}
	return s.transition(ctx, "set waiting of run", id, func(run *Run) error {
		if err := check(run); err != nil {
			return err
		}
		run.Reason, run.Waiting = reason, waiting
		return nil
	})
}

// SupersedeLive marks superseded, in one transaction, every run of the
// stack repo/stack with the given operation that is queued or awaits
// approval, except the run byRunID, which supersedes them (from commit
// byCommit). Each gets Reason ReasonSuperseded, an Error naming byRunID
// and AttrSupersededBy. Running runs are left alone. It returns the ids of
// the superseded runs, oldest first.
func (s *Store) SupersedeLive(ctx context.Context, repo, stack string, operation Operation, byRunID, byCommit string) ([]string, error) {
	if err := checkStackKey(repo, stack); err != nil {
		return nil, fmt.Errorf("supersede runs: %w", err)
	}
	byKey, err := parseRunID(byRunID)
	if err != nil {
		return nil, fmt.Errorf("supersede runs: %w", err)
	}
	byRunID = formatRunID(byKey)
	now := time.Now().UTC()
	changed, err := s.UpdateStackRuns(ctx, repo, stack, []RunStatus{StatusQueued, StatusAwaitingApproval}, func(run *Run) (bool, error) {
		if run.ID == byRunID || run.Operation != operation || run.PR != 0 {
			return false, nil
		}
		run.Status = StatusSuperseded
		run.FinishedAt = now
		run.Reason, run.Waiting = ReasonSuperseded, ""
		run.Error = fmt.Sprintf("superseded by run %s (%s)", byRunID, shortCommit(byCommit))
		if run.Attrs == nil {
			run.Attrs = map[AttrKey]string{}
		}
		run.Attrs[AttrSupersededBy] = byRunID
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("supersede %s runs of stack %s/%s: %w", operation, repoKey(repo), stack, err)
	}
	out := make([]string, len(changed))
	for i := range changed {
		out[i] = changed[i].ID
	}
	return out, nil
}

// defaultApproval fills a's zero At and empty Source.
func defaultApproval(a Approval) Approval {
	if a.At.IsZero() {
		a.At = time.Now().UTC()
	}
	if a.Source == "" {
		a.Source = ApprovalSourceDriftgate
	}
	return a
}

// notLive is the ErrConflict of a run that is not in a status the caller
// wants, said so that a user understands why: a superseded, refused,
// rejected or canceled run carries its Error.
func notLive(run *Run, want string) error {
	msg := fmt.Sprintf("run %s is %s", run.ID, run.Status)
	switch run.Status {
	case StatusSuperseded, StatusRefused, StatusRejected, StatusCanceled:
		if run.Error != "" {
			msg += " (" + run.Error + ")"
		}
	}
	return conflict("%s, not %s", msg, want)
}
