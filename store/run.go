package store

import "time"

// RunStatus is the lifecycle state of a run.
type RunStatus string

// Operation is what a run does.
type Operation string

// Operations of runs.
const (
	// OperationPlan plans a stack.
	OperationPlan Operation = "plan"
	// OperationApply applies the saved plan of a plan run.
	OperationApply Operation = "apply"
	// OperationDrift plans a stack to find drift (a refresh-only plan).
	OperationDrift Operation = "drift"
)

// Run statuses. Queued, running and awaiting-approval runs are live; the
// rest are terminal.
const (
	// StatusQueued is a run waiting for a worker.
	StatusQueued RunStatus = "queued"
	// StatusRunning is a run whose terraform process is under way.
	StatusRunning RunStatus = "running"
	// StatusPlanned is a finished plan that has changes.
	StatusPlanned RunStatus = "planned"
	// StatusNoChanges is a finished plan without changes.
	StatusNoChanges RunStatus = "no_changes"
	// StatusErrored is a run that failed.
	StatusErrored RunStatus = "errored"
	// StatusInterrupted is a run stopped by a daemon shutdown.
	StatusInterrupted RunStatus = "interrupted"
	// StatusSuperseded is a run replaced by a newer run of the same stack.
	StatusSuperseded RunStatus = "superseded"
	// StatusCanceled is a run canceled by a user.
	StatusCanceled RunStatus = "canceled"
	// StatusAwaitingApproval is an apply run waiting for approval; it is
	// live but never started by the queue until approved.
	StatusAwaitingApproval RunStatus = "awaiting_approval"
	// StatusApplied is an apply run that applied its plan.
	StatusApplied RunStatus = "applied"
	// StatusRejected is an apply run an approver rejected.
	StatusRejected RunStatus = "rejected"
	// StatusRefused is an apply run the gate refused to start because
	// what was approved no longer holds (Run.Reason says what).
	StatusRefused RunStatus = "refused"
)

// Valid reports whether s is one of the declared statuses.
func (s RunStatus) Valid() bool {
	switch s {
	case StatusQueued, StatusRunning, StatusPlanned, StatusNoChanges,
		StatusErrored, StatusInterrupted, StatusSuperseded, StatusCanceled,
		StatusAwaitingApproval, StatusApplied, StatusRejected, StatusRefused:
		return true
	}
	return false
}

// Terminal reports whether a run in status s has finished and will not
// change state again. Only terminal runs are removed by retention.
func (s RunStatus) Terminal() bool {
	return s.Valid() && s != StatusQueued && s != StatusRunning && s != StatusAwaitingApproval
}

// Run is one execution of terraform against a stack at a commit. It is
// stored as JSON; the tags are the storage format.
type Run struct {
	// ID is the run's ULID, time-ordered. CreateRun assigns it when empty.
	ID string `json:"id"`
	// Repo is the repo name; empty for local runs (indexed as LocalRepo).
	Repo string `json:"repo,omitempty"`
	// Stack is the stack name within the repo.
	Stack string `json:"stack"`
	// Dir is the stack directory relative to the repo root.
	Dir string `json:"dir,omitempty"`
	// Commit is the commit the run planned.
	Commit string `json:"commit,omitempty"`
	// Trigger says what started the run: "commit", "manual", "local", ...
	Trigger string `json:"trigger,omitempty"`
	// Operation is what the run does: OperationPlan, OperationApply or
	// OperationDrift.
	Operation Operation `json:"operation,omitempty"`
	// Status is the run's state. CreateRun defaults it to StatusQueued.
	Status RunStatus `json:"status"`
	// TerraformVersion is the version of terraform that ran.
	TerraformVersion string `json:"terraform_version,omitempty"`
	// Product is what ran, "terraform" or "opentofu"; TerraformVersion is
	// its version. Records from before it was recorded have it empty, read
	// as terraform.
	Product string `json:"product,omitempty"`
	// CreatedAt is when the run was created. CreateRun sets it when zero.
	CreatedAt time.Time `json:"created_at,omitzero"`
	// StartedAt is when terraform started.
	StartedAt time.Time `json:"started_at,omitzero"`
	// FinishedAt is when the run reached a terminal status.
	FinishedAt time.Time `json:"finished_at,omitzero"`
	// Summary counts the plan's changes once it is known.
	Summary *PlanSummary `json:"summary,omitempty"`
	// Error is the failure message of an errored run.
	Error string `json:"error,omitempty"`
	// Binding is what an apply run applies and its approvals bind to.
	Binding *Binding `json:"binding,omitempty"`
	// Approvals are the decisions given on an apply run, oldest first.
	Approvals []Approval `json:"approvals,omitempty"`
	// Reason says why a run waits, was refused or superseded; Error or
	// Waiting says it in words.
	Reason RunReason `json:"reason,omitempty"`
	// Waiting explains, while a live run waits, what it waits for.
	Waiting string `json:"waiting,omitempty"`
	// Attrs holds small metadata, by the keys in attrs.go.
	Attrs map[AttrKey]string `json:"attrs,omitempty"`
	// PR is the number of the pull request a run plans (Trigger
	// "pull_request"); zero for runs of the tracked branch.
	PR int `json:"pr,omitempty"`
}

// PlanSummary counts what a plan would do.
type PlanSummary struct {
	// Add is the number of resources to create.
	Add int `json:"add"`
	// Change is the number of resources to update in place.
	Change int `json:"change"`
	// Destroy is the number of resources to destroy.
	Destroy int `json:"destroy"`
	// Replace is the number of resources to destroy and re-create.
	Replace int `json:"replace"`
	// Import is the number of resources to import.
	Import int `json:"import"`
	// Drifted is the number of resources changed outside terraform.
	Drifted int `json:"drifted"`
	// OutputChanges is the number of changed outputs.
	OutputChanges int `json:"output_changes"`
	// HasChanges reports whether applying the plan would change anything.
	HasChanges bool `json:"has_changes"`
}

// Page size limits of ListRuns.
const (
	// DefaultListLimit is the page size when RunFilter.Limit is zero.
	DefaultListLimit = 50
	// MaxListLimit is the largest page ListRuns returns.
	MaxListLimit = 500
)

// RunFilter selects runs for ListRuns. Zero fields match everything.
type RunFilter struct {
	// Repo restricts the listing to one repo; use LocalRepo for local runs.
	Repo string
	// Stack restricts the listing to one stack name.
	Stack string
	// Status restricts the listing to runs in one status.
	Status RunStatus
	// Operation restricts the listing to runs of one operation, matched
	// exactly.
	Operation Operation
	// Commit restricts the listing to runs of one commit, matched exactly
	// against the full commit id.
	Commit string
	// PR restricts the listing to the runs of one pull request number.
	PR int
	// Limit is the page size: zero or negative means DefaultListLimit, and
	// values above MaxListLimit are lowered to it.
	Limit int
	// Cursor continues a listing after the page that returned it.
	Cursor string
}
