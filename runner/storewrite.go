package runner

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/driftgate/driftgate/runner/api"
	"github.com/driftgate/driftgate/store"
)

// Writes that fail. A run's outcome is written when its process ends; when
// the store cannot write it (a full disk), the run would read as running
// forever with no process behind it. So outcome writes are retried, with
// backoff, until they succeed or driftgate stops (start-up then marks the
// run interrupted, as after a crash). Meanwhile the run keeps its slot and
// its stack stays locked in memory, the daemon reports itself not ready
// (/readyz answers 503 "store cannot write: ...") and starts no new run.
// Audited actions asked for through the API are recorded in the same
// transaction as the action (store.WithAudit), or before it when the
// action writes nothing (interrupting a running run): when the audit entry
// cannot be written, the action is refused (503) and nothing happens.

// Bounds of the backoff between attempts at a failed write.
const (
	retryMin = 200 * time.Millisecond
	retryMax = 30 * time.Second
)

// errStoreWrite is the cause of API errors about writes the store refused.
var errStoreWrite = errors.New("store cannot write")

// writeHealth tracks the writes that failed and are being retried (by
// what they write) and the last failed claim of a queued run.
type writeHealth struct {
	mu       sync.Mutex
	pending  map[string]error // what -> its last error
	claimErr error
}

// failing records that writing what failed with err and is retried.
func (h *writeHealth) failing(what string, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.pending == nil {
		h.pending = map[string]error{}
	}
	h.pending[what] = err
}

// done records that what was written, or given up on.
func (h *writeHealth) done(what string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.pending, what)
}

// claimed records how the last claim of a queued run went.
func (h *writeHealth) claimed(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.claimErr = err
}

// retrying reports whether some outcome is waiting to be written.
func (h *writeHealth) retrying() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.pending) > 0
}

// err is nil while the store writes, else why the daemon is not ready. It
// is served on the public /readyz, so it names the innermost cause (such as
// "no space left on device") and no paths or ids: the log has those.
func (h *writeHealth) err() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.pending) == 0 && h.claimErr == nil {
		return nil
	}
	if len(h.pending) == 0 {
		return fmt.Errorf("%w: %w; queued runs cannot start", errStoreWrite, innermost(h.claimErr))
	}
	whats := make([]string, 0, len(h.pending))
	for w := range h.pending {
		whats = append(whats, w)
	}
	sort.Strings(whats)
	return fmt.Errorf("%w: %w; %d write(s) of finished runs retrying; no new run starts until a write succeeds (free space in the data dir)",
		errStoreWrite, innermost(h.pending[whats[0]]), len(whats))
}

// innermost is the last error of err's chain.
func innermost(err error) error {
	for next := errors.Unwrap(err); next != nil; next = errors.Unwrap(err) {
		err = next
	}
	return err
}

// retryable reports whether err is the store failing to write, as opposed
// to refusing what was asked (which no retry changes).
func retryable(err error) bool {
	for _, refusal := range []error{store.ErrNotFound, store.ErrExists, store.ErrInvalid, store.ErrConflict, context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, refusal) {
			return false
		}
	}
	return true
}

// persist writes what with write, retrying while the store fails to write
// until it succeeds or driftgate stops: ctx is the run's context, and its
// end for any cause but a cancel through the API (a shutdown) ends the
// retries. While it retries, the daemon is not ready and starts no run, and a
// cancel of runID says the run has ended but is not recorded yet.
func (d *Daemon) persist(ctx context.Context, runID, what string, write func(context.Context) error) error {
	bg := context.WithoutCancel(ctx)
	what += " of run " + runID
	err := write(bg)
	if err == nil || !retryable(err) {
		return err
	}
	defer d.health.done(what)
	defer d.disp.recorded(runID)
	wait, done := d.retryMin, ctx.Done()
	for attempt := 1; ; attempt++ {
		d.health.failing(what, err)
		d.disp.recording(runID, err)
		if ctx.Err() != nil && !errors.Is(context.Cause(ctx), errCanceled) {
			d.logger.Error("store cannot write; giving up for shutdown: start-up marks the run interrupted", logWhat, what, logErr, err)
			return err
		}
		d.logger.Error("store cannot write; retrying", logWhat, what, logCount, attempt, logRetryIn, wait, logErr, err)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-done:
			done = nil // canceled: retry now, and stop only for shutdown
			t.Stop()
		}
		wait = min(2*wait, d.retryMax)
		if err = write(bg); err == nil {
			d.logger.Info("store writes again: recorded", logWhat, what, logCount, attempt+1)
			d.disp.Wake()
			return nil
		}
		if !retryable(err) {
			return err
		}
	}
}

// withAudit returns ctx carrying the audit entry of an action asked for
// through the API: the store writes it in the transaction of the action's
// write made with that context, or neither.
func (d *Daemon) withAudit(ctx context.Context, action store.AuditAction, run *store.Run, detail string) context.Context {
	return store.WithAudit(ctx, d.auditEntry(ctx, action, run, store.AuditOK, detail))
}

// withQueuedAudit is withAudit for a write that queues run: the entry
// names the id the run is given in that write.
func (d *Daemon) withQueuedAudit(ctx context.Context, action store.AuditAction, run *store.Run, detail string) context.Context {
	return store.WithAuditOf(ctx, d.auditEntry(ctx, action, run, store.AuditOK, detail))
}

// auditFirst records in the audit log, before it is done, an action asked
// for through the API that writes nothing else. When the entry cannot be written the action must
// not happen: the error (503) says so.
func (d *Daemon) auditFirst(ctx context.Context, action store.AuditAction, run *store.Run, detail string) error {
	e := d.auditEntry(ctx, action, run, store.AuditOK, detail)
	if err := d.store.AppendAudit(context.WithoutCancel(ctx), e); err != nil {
		d.logger.Error("append audit entry; refusing the action", logAction, string(action), logErr, err)
		return fmt.Errorf("the audit log cannot be written, so nothing was done (%s): try again later; the server log has the details: %w",
			errStoreWrite, api.ErrUnavailable)
	}
	return nil
}

// auditOutcome records in the audit log what a run did, retrying as
// persist does: the run's outcome is not recorded until its entry is.
func (d *Daemon) auditOutcome(ctx context.Context, action store.AuditAction, run *store.Run, result store.AuditResult, detail string) {
	e := d.auditEntry(ctx, action, run, result, detail)
	err := d.persist(ctx, run.ID, "audit entry", func(ctx context.Context) error { return d.store.AppendAudit(ctx, e) })
	if err != nil {
		d.logger.Error("append audit entry", logRun, run.ID, logErr, err)
	}
}

// notDone records that an action audited by auditFirst was not done after
// all, and why.
func (d *Daemon) notDone(ctx context.Context, action store.AuditAction, run *store.Run, result store.AuditResult, why error) {
	d.audit(ctx, action, run, result, "not done: "+why.Error())
}

// writeFailed is the API error of an action the store failed to record:
// ErrUnavailable when the store cannot write (the cause is logged; the
// audit entry was not written either), else err.
func (d *Daemon) writeFailed(err error, what string) error {
	if !retryable(err) {
		return err
	}
	d.logger.Error(what, logErr, err)
	return fmt.Errorf("%s: %s (nothing was done, nor audited); try again later: %w", what, errStoreWrite, api.ErrUnavailable)
}

// auditEntry is an entry naming the API principal in ctx as the actor
// (driftgate itself when there is none).
func (d *Daemon) auditEntry(ctx context.Context, action store.AuditAction, run *store.Run, result store.AuditResult, detail string) *store.AuditEntry {
	actor := store.AuditActor
	if p, ok := api.PrincipalFromContext(ctx); ok {
		actor = p.Name
	}
	e := &store.AuditEntry{Actor: actor, Action: action, Result: result, Detail: detail}
	if run != nil {
		e.Repo, e.Stack, e.RunID = run.Repo, run.Stack, run.ID
	}
	return e
}
