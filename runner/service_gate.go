package runner

import (
	"context"
	"errors"
	"fmt"

	"github.com/driftgate/driftgate/runner/api"
	"github.com/driftgate/driftgate/store"
)

// ApproveRun records the principal's approval of an apply run, queueing it
// once every required approval is in. Like every decision, it is recorded
// in the audit log in the same write; when the store cannot write, neither
// is (ErrUnavailable).
func (s service) ApproveRun(ctx context.Context, id, comment string) (*store.Run, error) {
	return s.decide(ctx, id, comment, store.DecisionApprove)
}

// RejectRun records the principal's rejection; the run ends as rejected.
func (s service) RejectRun(ctx context.Context, id, comment string) (*store.Run, error) {
	return s.decide(ctx, id, comment, store.DecisionReject)
}

func (s service) decide(ctx context.Context, id, comment string, decision store.Decision) (*store.Run, error) {
	action := store.AuditApprove
	if decision == store.DecisionReject {
		action = store.AuditReject
	}
	p, ok := api.PrincipalFromContext(ctx)
	if !ok {
		return nil, fmt.Errorf("no principal in the request: %w", api.ErrForbidden)
	}
	run, pol, err := s.applyRun(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := pol.mayDecide(run, p, decision); err != nil {
		s.d.audit(ctx, action, run, store.AuditRefused, err.Error())
		return nil, err
	}
	a := store.Approval{Approver: p.Name, Decision: decision, Comment: comment, Source: store.ApprovalSourceDriftgate, Binding: *run.Binding}
	elsewhere := 0
	if decision == store.DecisionApprove {
		// Approvals from other sources count towards the requirement too:
		// every source's approvers but those recorded on the run.
		all, err := s.d.approvals(ctx, run)
		if err != nil {
			return nil, err
		}
		elsewhere = len(Approvers(run.Binding, all)) - len(Approvers(run.Binding, run.Approvals))
	}
	detail := fmt.Sprintf("%s of run %s", decision, run.Binding.PlanRun)
	if comment != "" {
		detail += ": " + comment
	}
	actx := s.d.withAudit(ctx, action, run, detail)
	var out *store.Run
	if decision == store.DecisionReject {
		out, err = rejectRun(actx, s.d.store, id, a)
	} else {
		out, err = approveRun(actx, s.d.store, id, a, max(1, pol.required-elsewhere))
	}
	if c, ok := errors.AsType[*store.ConflictError](err); ok {
		s.d.audit(ctx, action, run, store.AuditRefused, err.Error())
		return nil, fmt.Errorf("%s: %w", c.Reason, api.ErrConflict)
	}
	if err != nil {
		return nil, s.d.writeFailed(err, "the "+string(decision)+" of run "+id+" was not recorded")
	}
	if out.Status == store.StatusQueued {
		s.d.disp.Wake()
	} else if decision == store.DecisionApprove {
		got := len(Approvers(out.Binding, out.Approvals)) + elsewhere
		why := fmt.Sprintf("%d of %d approvals; needs %d more%s", got, pol.required, pol.required-got, pol.approversHint())
		reason := out.Reason
		if reason == "" {
			reason = store.ReasonNeedsApproval
		}
		if w, err := setWaiting(ctx, s.d.store, id, reason, why); err == nil {
			out = w
		}
	}
	return out, nil
}

// ApplyRun queues an apply run awaiting approval whose gate is satisfied.
func (s service) ApplyRun(ctx context.Context, id string) (*store.Run, error) {
	run, pol, err := s.applyRun(ctx, id)
	if err != nil {
		return nil, err
	}
	if run.Status != store.StatusAwaitingApproval {
		return nil, fmt.Errorf("run %s is %s, not awaiting approval%s: %w", id, run.Status, suffix(run.Error), api.ErrConflict)
	}
	all, err := s.d.approvals(ctx, run)
	if err != nil {
		return nil, err
	}
	got := len(Approvers(run.Binding, all))
	if !pol.autoApplies(*run.Binding) && got < pol.required {
		msg := fmt.Sprintf("run %s has %d of the %d approvals stack %s requires%s; approve it with `driftgate approve %s`",
			id, got, pol.required, run.Stack, pol.approversHint(), id)
		s.d.audit(ctx, store.AuditApply, run, store.AuditRefused, msg)
		return nil, fmt.Errorf("%s: %w", msg, api.ErrConflict)
	}
	out, err := queueAwaiting(s.d.withAudit(ctx, store.AuditApply, run, "queued for apply"), s.d.store, id)
	if c, ok := errors.AsType[*store.ConflictError](err); ok {
		return nil, fmt.Errorf("%s: %w", c.Reason, api.ErrConflict)
	}
	if err != nil {
		return nil, s.d.writeFailed(err, "run "+id+" was not queued for apply")
	}
	s.d.disp.Wake()
	return out, nil
}

// applyRun reads an apply run of a watched repo and its stack's policy at
// the run's commit.
func (s service) applyRun(ctx context.Context, id string) (*store.Run, policy, error) {
	run, err := s.Run(ctx, id)
	if err != nil {
		return nil, policy{}, err
	}
	if run.Operation != OperationApply {
		return nil, policy{}, &api.HintedError{Msg: fmt.Sprintf("run %s is a %s run; only apply runs are approved or applied", id, run.Operation),
			Hint: api.HintAwaiting, Err: api.ErrConflict}
	}
	if run.Binding == nil {
		return nil, policy{}, fmt.Errorf("run %s has no approval binding (an older driftgate opened it); plan the stack again: %w", id, api.ErrConflict)
	}
	t, err := s.d.resolve(ctx, run)
	if err != nil {
		return nil, policy{}, fmt.Errorf("read the apply policy of stack %s at commit %s: %w: %w", run.Stack, run.Commit, api.ErrConflict, err)
	}
	return run, policyOf(t.stack), nil
}

func suffix(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}
