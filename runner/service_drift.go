package runner

import (
	"context"
	"errors"
	"fmt"

	"github.com/driftgate/driftgate/runner/api"
	"github.com/driftgate/driftgate/store"
)

// Drift returns every known stack's drift state with its open findings;
// stacks never checked are unknown.
func (s service) Drift(ctx context.Context, repo string) ([]api.StackDriftView, error) {
	stacks, err := s.Stacks(ctx, repo)
	if err != nil {
		return nil, err
	}
	records, err := s.d.store.ListStackDrift(ctx)
	if err != nil {
		return nil, err
	}
	byKey := map[string]store.StackDrift{}
	for _, r := range records {
		byKey[stackKey(r.Repo, r.Stack)] = r
	}
	out := make([]api.StackDriftView, 0, len(stacks))
	for _, st := range stacks {
		v, err := s.driftView(ctx, st.Repo, st.Name, byKey, 0)
		if err != nil {
			return nil, err
		}
		out = append(out, *v)
	}
	return out, nil
}

// StackDrift returns one stack's drift state with its open findings and
// up to history resolved ones, newest first.
func (s service) StackDrift(ctx context.Context, repo, stack string, history int) (*api.StackDriftView, error) {
	if _, err := s.stackRecord(ctx, repo, stack); err != nil {
		return nil, err
	}
	return s.driftView(ctx, repo, stack, nil, history)
}

// CheckDrift queues a drift check of the stack at its branch head.
func (s service) CheckDrift(ctx context.Context, repo, stack string) (*store.Run, error) {
	return s.queueAtHead(ctx, repo, stack, OperationDrift)
}

func (s service) driftView(ctx context.Context, repo, stack string, byKey map[string]store.StackDrift, history int) (*api.StackDriftView, error) {
	var sd store.StackDrift
	if byKey != nil {
		var ok bool
		if sd, ok = byKey[stackKey(repo, stack)]; !ok {
			sd = store.StackDrift{Repo: repo, Stack: stack, Status: store.DriftUnknown}
		}
	} else {
		rec, err := s.d.store.StackDriftStatus(ctx, repo, stack)
		switch {
		case errors.Is(err, store.ErrNotFound):
			sd = store.StackDrift{Repo: repo, Stack: stack, Status: store.DriftUnknown}
		case err != nil:
			return nil, err
		default:
			sd = *rec
		}
	}
	findings, err := s.d.store.DriftFindings(ctx, repo, stack, history == 0, 0)
	if err != nil {
		return nil, err
	}
	if history > 0 {
		findings = keepHistory(findings, history)
	}
	if findings == nil {
		findings = []store.DriftFinding{}
	}
	return &api.StackDriftView{StackDrift: sd, Findings: findings}, nil
}

// keepHistory keeps every open finding and the newest n resolved ones.
func keepHistory(all []store.DriftFinding, n int) []store.DriftFinding {
	out := all[:0:0]
	resolved := 0
	for _, f := range all {
		if !f.Open() {
			if resolved >= n {
				continue
			}
			resolved++
		}
		out = append(out, f)
	}
	return out
}

// stackRecord returns a configured repo's stack, or a not-found error that
// says where to look.
func (s service) stackRecord(ctx context.Context, repo, stack string) (*store.StackRecord, error) {
	if _, ok := s.d.watcher(repo); !ok {
		return nil, &api.HintedError{Msg: fmt.Sprintf("repo %q is not configured", repo), Hint: api.HintRepos, Err: api.ErrNotFound}
	}
	rec, err := s.d.store.GetStack(ctx, repo, stack)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &api.HintedError{Msg: fmt.Sprintf("repo %q has no stack %q at its last commit", repo, stack), Hint: api.HintStacks(repo), Err: api.ErrNotFound}
	}
	return rec, err
}

// queueAtHead queues an operation on a stack at the last fetched head,
// recorded in the audit log in the same write: when the store cannot
// write, neither is (ErrUnavailable). The entry names the stack, the
// commit and the id the run is given in that write.
func (s service) queueAtHead(ctx context.Context, repo, stack string, op store.Operation) (*store.Run, error) {
	var by string
	if p, ok := api.PrincipalFromContext(ctx); ok {
		by = p.Name
	}
	run, err := s.d.runAtHead(ctx, repo, stack, op, TriggerManual, by)
	if err != nil {
		return nil, err
	}
	action := store.AuditPlan
	if op == OperationDrift {
		action = store.AuditDriftCheck
	}
	if err := s.d.enqueue(s.d.withQueuedAudit(ctx, action, run, "queued at "+run.Commit), run); err != nil {
		if run.ID != "" { // queued and audited; what failed came after
			return nil, err
		}
		return nil, s.d.writeFailed(err, "no "+string(op)+" of stack "+stack+" was queued")
	}
	return run, nil
}

// queueAtHead queues a run of op on a stack at the last fetched head of
// its repo's branch, triggered by trigger (and the principal named by, if
// any).
func (d *Daemon) queueAtHead(ctx context.Context, repo, stack string, op store.Operation, trigger, by string) (*store.Run, error) {
	run, err := d.runAtHead(ctx, repo, stack, op, trigger, by)
	if err != nil {
		return nil, err
	}
	if err := d.enqueue(ctx, run); err != nil {
		return nil, err
	}
	return run, nil
}

// runAtHead is the run queueAtHead queues, not stored yet.
func (d *Daemon) runAtHead(ctx context.Context, repo, stack string, op store.Operation, trigger, by string) (*store.Run, error) {
	rec, err := service{d}.stackRecord(ctx, repo, stack)
	if err != nil {
		return nil, err
	}
	w, ok := d.watcher(repo)
	if !ok {
		return nil, fmt.Errorf("repo %q is no longer configured: %w", repo, api.ErrNotFound)
	}
	m := w.Mirror()
	if m == nil {
		return nil, &api.HintedError{Msg: fmt.Sprintf("repo %q has not been fetched yet", repo), Hint: api.HintRepoStatus, Err: api.ErrConflict}
	}
	head, err := m.Head()
	if err != nil {
		return nil, fmt.Errorf("repo %q has not been fetched yet (%v): %w", repo, err, api.ErrConflict)
	}
	run := &store.Run{Repo: repo, Stack: stack, Dir: rec.Dir, Commit: head.String(), Trigger: trigger, Operation: op}
	if by != "" {
		run.Attrs = map[store.AttrKey]string{store.AttrTriggeredBy: by}
	}
	return run, nil
}
