package runner

import (
	"context"
	"fmt"
	"time"

	"github.com/driftgate/driftgate/store"
)

// Transitions of runs through the durable queue. The rules live here and
// run inside the store's transactional primitives (store.UpdateRun,
// store.Enqueue, store.UpdateActiveRuns), so whichever store keeps the
// runs, a run and the queue change together:
//
//	(new) --enqueueRun--------------> queued (older queued runs it supersedes --> superseded)
//	queued --claimRun---------------> running (never twice)
//	queued --cancelQueued-----------> canceled
//	running --interruptRunning------> interrupted (at start-up: its process died)
//
// Runs found running at start-up were cut off by a crash: they are marked
// interrupted, never resumed or run twice.

// runUpdater is the store's transaction on one run.
type runUpdater interface {
	UpdateRun(ctx context.Context, id string, change func(*store.Run) error) (*store.Run, error)
}

// runEnqueuer is the store's transaction that queues a run.
type runEnqueuer interface {
	Enqueue(ctx context.Context, r *store.Run, change store.RunChange) ([]store.Run, error)
}

// activeUpdater is the store's transaction on every unfinished run.
type activeUpdater interface {
	UpdateActiveRuns(ctx context.Context, change store.RunChange) ([]store.Run, error)
}

// supersedes reports whether queuing run r makes the older queued run old
// obsolete: the same operation, and the same PR (or both of the tracked
// branch). A PR's runs and the tracked branch's never replace each other.
func supersedes(r, old *store.Run) bool {
	return r.Operation == old.Operation && r.PR == old.PR
}

// enqueueRun stores r as a new queued run and, in the same transaction,
// marks every older queued run of the same stack it supersedes superseded
// by it. It returns the ids of the superseded runs.
func enqueueRun(ctx context.Context, st runEnqueuer, r *store.Run) ([]string, error) {
	changed, err := st.Enqueue(ctx, r, func(old *store.Run) (bool, error) {
		if !supersedes(r, old) {
			return false, nil
		}
		old.Status = store.StatusSuperseded
		old.FinishedAt = time.Now().UTC()
		old.Error = fmt.Sprintf("superseded by run %s (%s)", r.ID, shortCommit(r.Commit))
		if old.Attrs == nil {
			old.Attrs = map[store.AttrKey]string{}
		}
		old.Attrs[store.AttrSupersededBy] = r.ID
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	return runIDs(changed), nil
}

// claimRun moves a queued run to running, stamping StartedAt, and returns
// it. A run that is no longer queued (superseded, canceled, already taken)
// fails with store.ErrConflict, so no run is ever started twice.
func claimRun(ctx context.Context, st runUpdater, id string) (*store.Run, error) {
	return transition(ctx, st, "claim run", id, func(run *store.Run) error {
		if run.Status != store.StatusQueued {
			return conflict("run %s is %s, not queued", run.ID, run.Status)
		}
		run.Status = store.StatusRunning
		run.StartedAt = time.Now().UTC()
		return nil
	})
}

// cancelQueued cancels a queued run at once. A running run is returned
// unchanged with store.ErrConflict wrapped in a message saying it is
// running (the caller interrupts it instead); a finished run fails with
// store.ErrConflict.
func cancelQueued(ctx context.Context, st runUpdater, id, reason string) (*store.Run, error) {
	return transition(ctx, st, "cancel run", id, func(run *store.Run) error {
		if run.Status != store.StatusQueued {
			return conflict("run %s is %s", run.ID, run.Status)
		}
		run.Status = store.StatusCanceled
		run.FinishedAt = time.Now().UTC()
		run.Error = reason
		return nil
	})
}

// interruptRunning marks every run that is still running as interrupted,
// with reason as its error, and returns them. Called at start-up: those
// runs belonged to a process that died. The store skips (and logs) a run
// whose record does not decode, so that it does not keep the daemon from
// starting.
func interruptRunning(ctx context.Context, st activeUpdater, reason string) ([]store.Run, error) {
	now := time.Now().UTC()
	out, err := st.UpdateActiveRuns(ctx, func(run *store.Run) (bool, error) {
		if run.Status != store.StatusRunning {
			return false, nil
		}
		run.Status = store.StatusInterrupted
		run.FinishedAt = now
		run.Error = reason
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("interrupt running runs: %w", err)
	}
	return out, nil
}

// transition applies change to the stored run id in one transaction;
// change returns an error to refuse, and the run as found comes back with
// it.
func transition(ctx context.Context, st runUpdater, what, id string, change func(*store.Run) error) (*store.Run, error) {
	run, err := st.UpdateRun(ctx, id, change)
	if err != nil {
		return run, fmt.Errorf("%s: %w", what, err)
	}
	return run, nil
}

// conflict is the refusal of a transition: a *store.ConflictError whose
// Reason is the formatted text, which callers show as it is.
func conflict(format string, args ...any) error {
	return &store.ConflictError{Reason: fmt.Sprintf(format, args...)}
}

// runIDs are the ids of runs, in order.
func runIDs(runs []store.Run) []string {
	ids := make([]string, len(runs))
	for i := range runs {
		ids[i] = runs[i].ID
	}
	return ids
}

// shortCommit is the commit as a superseded run's error names it.
func shortCommit(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	if c == "" {
		return "no commit"
	}
	return c
}
