package apiv1

import (
	"slices"
	"time"
)

// RunStatus is the lifecycle state of a run.
type RunStatus string

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
	// StatusAwaitingApproval is an apply run waiting for approval.
	StatusAwaitingApproval RunStatus = "awaiting_approval"
	// StatusApplied is an apply run that applied its plan.
	StatusApplied RunStatus = "applied"
	// StatusRejected is an apply run an approver rejected.
	StatusRejected RunStatus = "rejected"
	// StatusRefused is an apply run the gate refused to start because what
	// was approved no longer holds (Run.Reason says what).
	StatusRefused RunStatus = "refused"
)

// Statuses returns every run status, in the order the API documents them.
func Statuses() []RunStatus {
	return []RunStatus{
		StatusQueued, StatusRunning, StatusPlanned, StatusNoChanges,
		StatusErrored, StatusInterrupted, StatusSuperseded, StatusCanceled,
		StatusAwaitingApproval, StatusApplied, StatusRejected, StatusRefused,
	}
}

// Valid reports whether s is one of Statuses. A newer server may send a
// status an older client does not know.
func (s RunStatus) Valid() bool {
	return slices.Contains(Statuses(), s)
}

// Terminal reports whether a run in status s has finished and will not
// change state again.
func (s RunStatus) Terminal() bool {
	return s.Valid() && s != StatusQueued && s != StatusRunning && s != StatusAwaitingApproval
}

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

// RunReason says, in a word a script can match, why a run waits, was
// refused or was superseded; Run.Error or Run.Waiting says it to a person.
// The server's list of reasons grows; a client treats an unknown one as
// opaque text.
type RunReason string

// Run is one execution of terraform against a stack at a commit: the body
// of GET /api/v1/runs/{id}, of the endpoints that queue or change a run,
// and an element of the run listing.
type Run struct {
	// ID is the run's ULID, time-ordered.
	ID string `json:"id"`
	// Repo is the repo name; empty for local runs.
	Repo string `json:"repo,omitempty"`
	// Stack is the stack name within the repo.
	Stack string `json:"stack"`
	// Dir is the stack directory relative to the repo root.
	Dir string `json:"dir,omitempty"`
	// Commit is the commit the run planned.
	Commit string `json:"commit,omitempty"`
	// Trigger says what started the run: "commit", "manual", "local",
	// "pull_request", ...
	Trigger string `json:"trigger,omitempty"`
	// Operation is what the run does.
	Operation Operation `json:"operation,omitempty"`
	// Status is the run's state.
	Status RunStatus `json:"status"`
	// TerraformVersion is the version of terraform that ran.
	TerraformVersion string `json:"terraform_version,omitempty"`
	// Product is what ran, "terraform" or "opentofu"; empty (read as
	// terraform) for runs recorded before it was.
	Product string `json:"product,omitempty"`
	// CreatedAt is when the run was created.
	CreatedAt time.Time `json:"created_at,omitzero"`
	// StartedAt is when terraform started; zero before.
	StartedAt time.Time `json:"started_at,omitzero"`
	// FinishedAt is when the run reached a terminal status; zero before.
	FinishedAt time.Time `json:"finished_at,omitzero"`
	// Summary counts the plan's changes once they are known.
	Summary *PlanSummary `json:"summary,omitempty"`
	// Error is the failure message of an errored, refused, rejected,
	// superseded or canceled run.
	Error string `json:"error,omitempty"`
	// Binding is what an apply run applies and its approvals bind to.
	Binding *Binding `json:"binding,omitempty"`
	// Approvals are the decisions given on an apply run, oldest first.
	Approvals []Approval `json:"approvals,omitempty"`
	// Reason says why a run waits, was refused or superseded.
	Reason RunReason `json:"reason,omitempty"`
	// Waiting explains, while a live run waits, what it waits for.
	Waiting string `json:"waiting,omitempty"`
	// Attrs holds small metadata by key, such as "triggered_by",
	// "plan_run", "superseded_by" or "depends_on".
	Attrs map[string]string `json:"attrs,omitempty"`
	// PR is the number of the pull request a run plans; zero for runs of
	// the tracked branch.
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
