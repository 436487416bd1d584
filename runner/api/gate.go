package api

import (
	"time"

	"github.com/driftgate/driftgate/store"
)

// StackLock is a stack's lock as derived from its runs: the run holding it
// now, if any, and the hold that keeps it from applying, if any.
type StackLock struct {
	Repo  string `json:"repo"`
	Stack string `json:"stack"`
	// Holder is the run that holds the stack now (one run per stack at a
	// time); nil when no run of the stack is running.
	Holder *LockHolder `json:"holder,omitempty"`
	// Hold is set while the stack is held after a cut-off apply; no apply
	// starts until an admin releases it.
	Hold *store.Hold `json:"hold,omitempty"`
}

// LockHolder is the run holding a stack.
type LockHolder struct {
	RunID     string `json:"run_id"`
	Operation string `json:"operation"`
	Trigger   string `json:"trigger,omitempty"`
	// TriggeredBy is the principal who triggered the run, if one did.
	TriggeredBy string    `json:"triggered_by,omitempty"`
	Since       time.Time `json:"since"`
}

// Release is the outcome of releasing a held stack.
type Release struct {
	// Released is the hold that was lifted.
	Released store.Hold `json:"released"`
	// Plan is the fresh plan queued so that the stack gets a plan made
	// against the state the cut-off apply left.
	Plan *store.Run `json:"plan,omitempty"`
}

// decisionRequest is the optional body of approve, reject and release.
type decisionRequest struct {
	Comment string `json:"comment"`
}
