package apiv1

import "time"

// StackLock is a stack's lock as the server derives it from its runs: the
// body of GET /api/v1/stacks/{repo}/{stack}/lock and an element of
// LockList. A free stack has neither Holder nor Hold.
type StackLock struct {
	// Repo is the repo name.
	Repo string `json:"repo"`
	// Stack is the stack name.
	Stack string `json:"stack"`
	// Holder is the run that holds the stack now; nil when no run of the
	// stack is running.
	Holder *LockHolder `json:"holder,omitempty"`
	// Hold is set while the stack is held after a cut-off apply; no apply
	// starts until an admin releases it.
	Hold *Hold `json:"hold,omitempty"`
}

// LockHolder is the run holding a stack.
type LockHolder struct {
	// RunID is the run's id.
	RunID string `json:"run_id"`
	// Operation is what the run does.
	Operation string `json:"operation"`
	// Trigger says what started the run.
	Trigger string `json:"trigger,omitempty"`
	// TriggeredBy is the principal who triggered the run, if one did.
	TriggeredBy string `json:"triggered_by,omitempty"`
	// Since is when the run started.
	Since time.Time `json:"since"`
}

// Hold keeps a stack from applying until an admin releases it: driftgate
// holds a stack whose apply was cut off, because its state may be half
// written and locked.
type Hold struct {
	// Repo is the repo name.
	Repo string `json:"repo"`
	// Stack is the stack name.
	Stack string `json:"stack"`
	// RunID is the apply run that was cut off.
	RunID string `json:"run_id"`
	// Reason says, to a person, why the stack is held.
	Reason string `json:"reason"`
	// Since is when the stack was held.
	Since time.Time `json:"since"`
	// StatePulled reports whether the state could be pulled when the stack
	// was held; StateSerial and StateLineage are that state's then.
	StatePulled bool `json:"state_pulled"`
	// StateSerial is the serial of the pulled state.
	StateSerial uint64 `json:"state_serial,omitempty"`
	// StateLineage is the lineage of the pulled state.
	StateLineage string `json:"state_lineage,omitempty"`
	// Lock is the Terraform state lock the cut-off apply left behind, when
	// driftgate could see one.
	Lock *StateLock `json:"lock,omitempty"`
}

// StateLock is a Terraform state lock left behind by a cut-off run.
type StateLock struct {
	// ID is the lock's id, what `terraform force-unlock` takes.
	ID string `json:"id"`
	// Path is the locked state's path, when the backend says.
	Path string `json:"path,omitempty"`
	// Who is who took the lock, when the backend says.
	Who string `json:"who,omitempty"`
	// Operation is the terraform operation that took the lock.
	Operation string `json:"operation,omitempty"`
	// Created is when the lock was taken, when known.
	Created time.Time `json:"created,omitzero"`
	// Command is the command that clears the lock.
	Command string `json:"command"`
}

// Release is the body of POST /api/v1/stacks/{repo}/{stack}/release: the
// hold lifted and the plan queued.
type Release struct {
	// Released is the hold that was lifted.
	Released Hold `json:"released"`
	// Plan is the fresh plan queued so that the stack gets a plan made
	// against the state the cut-off apply left.
	Plan *Run `json:"plan,omitempty"`
}
