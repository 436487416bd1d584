package runner

import (
	"context"
	"log/slog"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/driftgate/driftgate/store"
)

// schedStore is what the drift scheduler reads.
type schedStore interface {
	ListStacks(ctx context.Context, repo string) ([]store.StackRecord, error)
	ActiveRuns(ctx context.Context) ([]store.Run, error)
}

// driftScheduler queues drift checks when stacks are due: each stack on
// its drift_schedule (from .driftgate.hcl, else the repo's), shifted by a
// deterministic per-stack offset so stacks sharing a schedule spread over
// its period. A check is not queued while an apply of the stack is pending
// or running; it comes at the next due time.
type driftScheduler struct {
	d      *Daemon
	store  schedStore
	tick   time.Duration
	logger *slog.Logger

	due   map[string]time.Time  // by stack key
	specs map[string]scheduleAt // by stack key: the spec the due time was computed from
}

type scheduleAt struct {
	spec  string
	sched cron.Schedule
}

func newDriftScheduler(d *Daemon, st schedStore, logger *slog.Logger) *driftScheduler {
	return &driftScheduler{d: d, store: st, tick: time.Second, logger: logger, due: map[string]time.Time{}, specs: map[string]scheduleAt{}}
}

// Run checks for due stacks every tick until ctx ends.
func (s *driftScheduler) Run(ctx context.Context) error {
	t := time.NewTicker(s.tick)
	defer t.Stop()
	for {
		if err := s.check(ctx, time.Now()); err != nil && ctx.Err() == nil {
			s.logger.Error("drift schedule", logErr, err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// check queues the checks due at now.
func (s *driftScheduler) check(ctx context.Context, now time.Time) error {
	active, err := s.store.ActiveRuns(ctx)
	if err != nil {
		return err
	}
	applying := map[string]bool{}
	for _, r := range active {
		if r.Operation == OperationApply {
			applying[stackKey(r.Repo, r.Stack)] = true
		}
	}
	seen := map[string]bool{}
	for _, rc := range s.d.repos() {
		w, ok := s.d.watcher(rc.Name)
		if !ok {
			continue
		}
		m := w.Mirror()
		if m == nil {
			continue
		}
		stacks, err := s.store.ListStacks(ctx, rc.Name)
		if err != nil {
			return err
		}
		for _, st := range stacks {
			key := stackKey(rc.Name, st.Name)
			spec := st.Attrs[store.AttrDriftSchedule]
			if spec == "" {
				spec = rc.DriftSchedule
			}
			sched, ok := s.schedule(key, spec)
			if !ok {
				continue
			}
			seen[key] = true
			due, ok := s.due[key]
			if !ok {
				s.due[key] = nextCheck(sched, key, now)
				continue
			}
			if now.Before(due) {
				continue
			}
			s.due[key] = nextCheck(sched, key, now)
			if applying[key] {
				s.logger.Info("drift check skipped: an apply of the stack is pending", logRepo, rc.Name, logStack, st.Name)
				continue
			}
			head, err := m.Head()
			if err != nil {
				continue
			}
			run := &store.Run{Repo: rc.Name, Stack: st.Name, Dir: st.Dir, Commit: head.String(), Trigger: TriggerSchedule, Operation: OperationDrift}
			if err := s.d.enqueue(ctx, run); err != nil {
				return err
			}
		}
	}
	for key := range s.due {
		if !seen[key] {
			delete(s.due, key)
			delete(s.specs, key)
		}
	}
	return nil
}

// schedule returns the parsed schedule of a stack, re-parsing only when its
// spec changed; ok is false when checks are off or the spec is invalid (the
// config loaders reject invalid specs, so that is logged once).
func (s *driftScheduler) schedule(key, spec string) (cron.Schedule, bool) {
	if cur, ok := s.specs[key]; ok && cur.spec == spec {
		return cur.sched, cur.sched != nil
	}
	delete(s.due, key)
	sched, err := parseSchedule(spec)
	if err != nil {
		s.logger.Warn("invalid drift schedule", logStack, key, logErr, err)
	}
	s.specs[key] = scheduleAt{spec: spec, sched: sched}
	return sched, sched != nil
}
