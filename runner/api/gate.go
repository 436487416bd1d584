package api

import (
	"time"

	"github.com/driftgate/driftgate/store"
)

// StackLock is a stack's lock as derived from its runs, as the Service
// returns it: the run holding it now, if any, and the hold that keeps it
// from applying, if any. The API sends it as an apiv1.StackLock.
type StackLock struct {
	Repo  string
	Stack string
	// Holder is the run that holds the stack now (one run per stack at a
	// time); nil when no run of the stack is running.
	Holder *LockHolder
	// Hold is set while the stack is held after a cut-off apply; no apply
	// starts until an admin releases it.
	Hold *store.Hold
}

// LockHolder is the run holding a stack.
type LockHolder struct {
	RunID     string
	Operation string
	Trigger   string
	// TriggeredBy is the principal who triggered the run, if one did.
	TriggeredBy string
	Since       time.Time
}

// Release is the outcome of releasing a held stack, as the Service
// returns it. The API sends it as an apiv1.Release.
type Release struct {
	// Released is the hold that was lifted.
	Released store.Hold
	// Plan is the fresh plan queued so that the stack gets a plan made
	// against the state the cut-off apply left.
	Plan *store.Run
}
