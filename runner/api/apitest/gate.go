package apitest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/driftgate/driftgate/runner/api"
	"github.com/driftgate/driftgate/store"
)

// DefaultApprovals is how many approvals an apply run needs in a stack
// RequireApprovals was not called for.
const DefaultApprovals = 1

// Names of the gate methods, as GateCall.Method and FailGate take them.
const (
	MethodApproveRun   = "ApproveRun"
	MethodRejectRun    = "RejectRun"
	MethodApplyRun     = "ApplyRun"
	MethodLocks        = "Locks"
	MethodStackLock    = "StackLock"
	MethodReleaseStack = "ReleaseStack"
)

// GateCall is one call of a gate method of the Service.
type GateCall struct {
	// Method is one of the Method names.
	Method string
	// RunID is the run of ApproveRun, RejectRun and ApplyRun.
	RunID string
	// Repo and Stack name the stack of StackLock and ReleaseStack, and
	// Repo the repo of Locks.
	Repo, Stack string
	// Comment is the comment of ApproveRun, RejectRun and ReleaseStack.
	Comment string
	// Principal is the name of the principal in the call's context, ""
	// without one.
	Principal string
}

// gateState is the Service's apply gate: the approvals stacks require,
// the held stacks, the errors to answer, and the calls.
type gateState struct {
	required map[string]int        // by stackKey; absent: DefaultApprovals
	holds    map[string]store.Hold // by stackKey
	errs     map[string]error      // by method
	calls    []GateCall
}

// stackKey is the key of a stack in gateState's maps.
func stackKey(repo, stack string) string { return repo + "/" + stack }

// RequireApprovals makes apply runs of repo/stack need n approvals before
// they are queued; with 0, ApplyRun queues them without any, as for a stack
// with apply = "auto".
func (s *Service) RequireApprovals(repo, stack string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gate.required == nil {
		s.gate.required = make(map[string]int)
	}
	s.gate.required[stackKey(repo, stack)] = n
}

// HoldStack holds h.Repo/h.Stack with h, until ReleaseStack lifts it.
func (s *Service) HoldStack(h store.Hold) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gate.holds == nil {
		s.gate.holds = make(map[string]store.Hold)
	}
	s.gate.holds[stackKey(h.Repo, h.Stack)] = h
}

// FailGate makes the gate method named method (see the Method names)
// record its call and return err; nil restores it. FailWith's error, when
// set, comes first.
func (s *Service) FailGate(method string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gate.errs == nil {
		s.gate.errs = make(map[string]error)
	}
	s.gate.errs[method] = err
}

// GateCalls returns the calls of the gate methods, in order.
func (s *Service) GateCalls() []GateCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]GateCall(nil), s.gate.calls...)
}

// gateCall records c with the principal in ctx and returns the error to
// answer at once: FailWith's, else FailGate's for c.Method, else nil.
func (s *Service) gateCall(ctx context.Context, c GateCall) error {
	c.Principal = principalName(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gate.calls = append(s.gate.calls, c)
	if s.err != nil {
		return s.err
	}
	return s.gate.errs[c.Method]
}

// required is how many approvals an apply run of repo/stack needs.
func (s *Service) required(repo, stack string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n, ok := s.gate.required[stackKey(repo, stack)]; ok {
		return n
	}
	return DefaultApprovals
}

// principalName is the name of the principal in ctx, "" without one.
func principalName(ctx context.Context) string {
	p, _ := api.PrincipalFromContext(ctx)
	return p.Name
}

// ApproveRun implements api.Service: it appends the principal's approval
// to a run awaiting approval, and queues the run once it has the approvals
// its stack requires (see RequireApprovals). A run not awaiting approval,
// or one the principal already decided on, is api.ErrConflict.
func (s *Service) ApproveRun(ctx context.Context, id, comment string) (*store.Run, error) {
	run, err := s.decide(ctx, GateCall{Method: MethodApproveRun, RunID: id, Comment: comment}, store.DecisionApprove)
	return s.auditRun(ctx, store.AuditApprove, id, run, err)
}

// RejectRun implements api.Service: it appends the principal's rejection
// to a run awaiting approval, or queued, and ends it rejected. The same
// conflicts as ApproveRun's apply.
func (s *Service) RejectRun(ctx context.Context, id, comment string) (*store.Run, error) {
	run, err := s.decide(ctx, GateCall{Method: MethodRejectRun, RunID: id, Comment: comment}, store.DecisionReject)
	return s.auditRun(ctx, store.AuditReject, id, run, err)
}

// ApplyRun implements api.Service: it queues a run awaiting approval that
// has the approvals its stack requires (none after RequireApprovals(...,
// 0)). Any other run is api.ErrConflict.
func (s *Service) ApplyRun(ctx context.Context, id string) (*store.Run, error) {
	run, err := s.apply(ctx, id)
	return s.auditRun(ctx, store.AuditApply, id, run, err)
}

// auditRun records action on run id (run, when known) in the audit log and
// returns run, or nil with err.
func (s *Service) auditRun(ctx context.Context, action store.AuditAction, id string, run *store.Run, err error) (*store.Run, error) {
	if run == nil {
		run = &store.Run{ID: id}
	}
	s.audit(ctx, action, "", "", run, err)
	if err != nil {
		return nil, err
	}
	return run, nil
}

// decide does ApproveRun's and RejectRun's work. On a refusal it returns
// the run too.
func (s *Service) decide(ctx context.Context, c GateCall, d store.Decision) (*store.Run, error) {
	if err := s.gateCall(ctx, c); err != nil {
		return nil, err
	}
	run, err := s.Store.GetRun(ctx, c.RunID)
	if err != nil {
		return nil, err
	}
	rejectQueued := d == store.DecisionReject && run.Status == store.StatusQueued
	if run.Status != store.StatusAwaitingApproval && !rejectQueued {
		return run, fmt.Errorf("run %s is %s, not awaiting approval: %w", run.ID, run.Status, api.ErrConflict)
	}
	who := principalName(ctx)
	for _, a := range run.Approvals {
		if a.Approver == who {
			return run, fmt.Errorf("%s already decided %s on run %s: %w", who, a.Decision, run.ID, api.ErrConflict)
		}
	}
	now := time.Now().UTC()
	a := store.Approval{Approver: who, Decision: d, Comment: c.Comment, At: now, Source: store.ApprovalSourceDriftgate}
	if run.Binding != nil {
		a.Binding = *run.Binding
	}
	run.Approvals = append(run.Approvals, a)
	need, have := s.required(run.Repo, run.Stack), approvals(run)
	switch {
	case d == store.DecisionReject:
		run.Status, run.FinishedAt, run.Waiting, run.Reason = store.StatusRejected, now, "", ""
	case have >= need:
		run.Status, run.Waiting, run.Reason = store.StatusQueued, "", ""
	default:
		run.Waiting = Waiting(have, need)
	}
	if err := s.Store.UpdateRun(ctx, run); err != nil {
		return nil, err
	}
	return run, nil
}

// apply does ApplyRun's work. On a refusal it returns the run too.
func (s *Service) apply(ctx context.Context, id string) (*store.Run, error) {
	if err := s.gateCall(ctx, GateCall{Method: MethodApplyRun, RunID: id}); err != nil {
		return nil, err
	}
	run, err := s.Store.GetRun(ctx, id)
	if err != nil {
		return nil, err
	}
	if run.Status != store.StatusAwaitingApproval {
		return run, fmt.Errorf("run %s is %s; only a run awaiting approval can be queued for apply: %w", run.ID, run.Status, api.ErrConflict)
	}
	if need, have := s.required(run.Repo, run.Stack), approvals(run); have < need {
		return run, fmt.Errorf("run %s has %d of the %d approvals stack %s/%s requires: %w",
			run.ID, have, need, run.Repo, run.Stack, api.ErrConflict)
	}
	run.Status, run.Waiting, run.Reason = store.StatusQueued, "", ""
	if err := s.Store.UpdateRun(ctx, run); err != nil {
		return nil, err
	}
	return run, nil
}

// approvals counts the approving decisions on run.
func approvals(run *store.Run) int {
	n := 0
	for _, a := range run.Approvals {
		if a.Decision == store.DecisionApprove {
			n++
		}
	}
	return n
}

// Waiting is the Waiting text of a run with have of the need approvals its
// stack requires, as the fake sets it.
func Waiting(have, need int) string {
	more := "approvals"
	if need-have == 1 {
		more = "approval"
	}
	return fmt.Sprintf("waiting for %d more %s (%d of %d)", need-have, more, have, need)
}

// Locks implements api.Service: the stacks of repo (or of every repo)
// that a running run holds or that HoldStack held. An unknown repo is
// api.ErrNotFound.
func (s *Service) Locks(ctx context.Context, repo string) ([]api.StackLock, error) {
	if err := s.gateCall(ctx, GateCall{Method: MethodLocks, Repo: repo}); err != nil {
		return nil, err
	}
	stacks, err := s.Stacks(ctx, repo)
	if err != nil {
		return nil, err
	}
	var locks []api.StackLock
	for _, st := range stacks {
		l, err := s.lock(ctx, st.Repo, st.Name)
		if err != nil {
			return nil, err
		}
		if l.Holder != nil || l.Hold != nil {
			locks = append(locks, *l)
		}
	}
	return locks, nil
}

// StackLock implements api.Service. An unknown stack is api.ErrNotFound.
func (s *Service) StackLock(ctx context.Context, repo, stack string) (*api.StackLock, error) {
	if err := s.gateCall(ctx, GateCall{Method: MethodStackLock, Repo: repo, Stack: stack}); err != nil {
		return nil, err
	}
	if err := s.stateStack(ctx, repo, stack); err != nil {
		return nil, err
	}
	return s.lock(ctx, repo, stack)
}

// lock derives a stack's lock: its running run, if any, and its hold.
func (s *Service) lock(ctx context.Context, repo, stack string) (*api.StackLock, error) {
	l := &api.StackLock{Repo: repo, Stack: stack}
	running, _, err := s.Store.ListRuns(ctx, store.RunFilter{Repo: repo, Stack: stack, Status: store.StatusRunning, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(running) > 0 {
		r := running[0]
		since := r.StartedAt
		if since.IsZero() {
			since = r.CreatedAt
		}
		l.Holder = &api.LockHolder{
			RunID: r.ID, Operation: r.Operation, Trigger: r.Trigger,
			TriggeredBy: r.Attrs["requested_by"], Since: since,
		}
	}
	s.mu.Lock()
	if h, ok := s.gate.holds[stackKey(repo, stack)]; ok {
		l.Hold = &h
	}
	s.mu.Unlock()
	return l, nil
}

// ReleaseStack implements api.Service: it lifts the stack's hold and
// queues a manual plan of it (which gets the ScriptTriggered script). A
// stack that is not held is api.ErrConflict; an unknown one
// api.ErrNotFound.
func (s *Service) ReleaseStack(ctx context.Context, repo, stack, comment string) (*api.Release, error) {
	rel, err := s.release(ctx, repo, stack, comment)
	var plan *store.Run
	if rel != nil {
		plan = rel.Plan
	}
	s.audit(ctx, store.AuditRelease, repo, stack, plan, err)
	if err != nil {
		return nil, err
	}
	return rel, nil
}

// release does ReleaseStack's work.
func (s *Service) release(ctx context.Context, repo, stack, comment string) (*api.Release, error) {
	if err := s.gateCall(ctx, GateCall{Method: MethodReleaseStack, Repo: repo, Stack: stack, Comment: comment}); err != nil {
		return nil, err
	}
	if err := s.stateStack(ctx, repo, stack); err != nil {
		return nil, err
	}
	key := stackKey(repo, stack)
	s.mu.Lock()
	h, held := s.gate.holds[key]
	s.mu.Unlock()
	if !held {
		return nil, fmt.Errorf("stack %s/%s is not held; there is nothing to release: %w", repo, stack, api.ErrConflict)
	}
	// A repo not fetched yet gets no plan, as the daemon would queue none.
	plan, err := s.queue(ctx, repo, stack, "plan")
	if err != nil && !errors.Is(err, api.ErrConflict) {
		return nil, err
	}
	s.mu.Lock()
	delete(s.gate.holds, key)
	s.mu.Unlock()
	return &api.Release{Released: h, Plan: plan}, nil
}
