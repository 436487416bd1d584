package runner

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/driftgate/driftgate/runner/api"
	"github.com/driftgate/driftgate/store"
)

// Locks returns the stacks that a run holds now or that are held. Both
// come from stored state, not from memory: a running run is one the store
// says is running, so a crash cannot leak a lock (start-up marks such runs
// interrupted).
func (s service) Locks(ctx context.Context, repo string) ([]api.StackLock, error) {
	if repo != "" {
		if _, ok := s.d.watcher(repo); !ok {
			return nil, &api.HintedError{Msg: fmt.Sprintf("repo %q is not configured", repo), Hint: api.HintRepos, Err: api.ErrNotFound}
		}
	}
	byKey := map[string]*api.StackLock{}
	get := func(r, st string) *api.StackLock {
		k := stackKey(r, st)
		if byKey[k] == nil {
			byKey[k] = &api.StackLock{Repo: r, Stack: st}
		}
		return byKey[k]
	}
	active, err := s.d.store.ActiveRuns(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range active {
		if r.Status == store.StatusRunning && (repo == "" || r.Repo == repo) {
			get(r.Repo, r.Stack).Holder = holderOf(r)
		}
	}
	holds, err := s.d.store.ListHolds(ctx)
	if err != nil {
		return nil, err
	}
	for _, h := range holds {
		if repo == "" || h.Repo == repo {
			get(h.Repo, h.Stack).Hold = &h
		}
	}
	out := make([]api.StackLock, 0, len(byKey))
	for _, l := range byKey {
		out = append(out, *l)
	}
	sort.Slice(out, func(i, j int) bool {
		return stackKey(out[i].Repo, out[i].Stack) < stackKey(out[j].Repo, out[j].Stack)
	})
	return out, nil
}

// StackLock returns one stack's lock.
func (s service) StackLock(ctx context.Context, repo, stack string) (*api.StackLock, error) {
	if _, err := s.stackRecord(ctx, repo, stack); err != nil {
		return nil, err
	}
	locks, err := s.Locks(ctx, repo)
	if err != nil {
		return nil, err
	}
	for _, l := range locks {
		if l.Stack == stack {
			return &l, nil
		}
	}
	return &api.StackLock{Repo: repo, Stack: stack}, nil
}

// ReleaseStack lifts a stack's hold, recorded in the audit log in the same
// write, and queues a fresh plan of it, made
// against whatever state the cut-off apply left, unless an apply run
// opened since the hold (so planned against that state) is already
// waiting: a fresh plan would supersede it.
func (s service) ReleaseStack(ctx context.Context, repo, stack, comment string) (*api.Release, error) {
	if _, err := s.stackRecord(ctx, repo, stack); err != nil {
		return nil, err
	}
	notHeld := &api.HintedError{Msg: fmt.Sprintf("stack %s of repo %s is not held", stack, repo), Hint: api.HintLocks, Err: api.ErrConflict}
	held, err := s.d.store.GetHold(ctx, repo, stack)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notHeld
	}
	if err != nil {
		return nil, err
	}
	detail := "released the hold of run " + held.RunID
	if comment != "" {
		detail += ": " + comment
	}
	about := &store.Run{ID: held.RunID, Repo: repo, Stack: stack}
	h, err := s.d.store.ReleaseStack(s.d.withAudit(ctx, store.AuditRelease, about, detail), repo, stack)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notHeld
	}
	if err != nil {
		return nil, s.d.writeFailed(err, "stack "+stack+" of repo "+repo+" was not released")
	}
	s.d.logger.Info("stack released", logRepo, repo, logStack, stack, logRun, h.RunID)
	out := &api.Release{Released: *h}
	var by string
	if p, ok := api.PrincipalFromContext(ctx); ok {
		by = p.Name
	}
	pending, _, err := s.d.store.ListRuns(ctx, store.RunFilter{Repo: repo, Stack: stack, Operation: OperationApply, Limit: 20})
	if err != nil {
		return nil, err
	}
	fresh := false
	for _, r := range pending {
		live := r.Status == store.StatusQueued || r.Status == store.StatusAwaitingApproval
		fresh = fresh || live && r.CreatedAt.After(h.Since)
	}
	if !fresh {
		plan, err := s.d.queueAtHead(ctx, repo, stack, OperationPlan, TriggerRelease, by)
		if err != nil {
			s.d.logger.Error("queue a plan after release", logStack, stack, logErr, err)
		} else {
			out.Plan = plan
		}
	}
	s.d.disp.Wake()
	return out, nil
}

func holderOf(r store.Run) *api.LockHolder {
	return &api.LockHolder{
		RunID: r.ID, Operation: string(r.Operation), Trigger: r.Trigger,
		TriggeredBy: r.Attrs[store.AttrTriggeredBy], Since: r.StartedAt,
	}
}
