package store

import "time"

// The apply gate's records live on the apply run itself (Run.Binding,
// Run.Approvals, Run.Reason), so that a run, its approvals and its status
// change in one transaction (UpdateRun): an approval can never queue a run
// twice, and a superseded run can never be approved. Who may approve and
// what an approval does are the runner's rules (runner/gate_transitions.go).

// Binding is what an apply run applies, captured when its plan finished,
// and what every approval of it binds to. Before applying, the runner
// checks each field against what it finds then.
type Binding struct {
	// PlanRun is the run whose saved plan is applied.
	PlanRun string `json:"plan_run"`
	// PlanSHA256 is the hex sha256 of the saved plan file's bytes.
	PlanSHA256 string `json:"plan_sha256"`
	// Commit is the commit the plan was made from.
	Commit string `json:"commit"`
	// StateSerial and StateLineage are those of the state the plan was
	// made against (zero and "" when the stack had no state yet).
	StateSerial  uint64 `json:"state_serial"`
	StateLineage string `json:"state_lineage,omitempty"`
	// LockHash is the hex sha256 of the stack's .terraform.lock.hcl at the
	// commit, "" without one.
	LockHash string `json:"lock_hash,omitempty"`
	// TerraformVersion is the version of terraform that planned.
	TerraformVersion string `json:"terraform_version"`
	// Product is what planned, "terraform" or "opentofu"; empty in
	// bindings made before it was recorded, which check the version only.
	Product string `json:"product,omitempty"`
	// Destroys reports that the plan deletes or replaces resources.
	Destroys bool `json:"destroys,omitempty"`
}

// Decision is what an approver decided.
type Decision string

// Decisions.
const (
	// DecisionApprove approves the run's plan for apply.
	DecisionApprove Decision = "approve"
	// DecisionReject rejects it: the run ends as rejected.
	DecisionReject Decision = "reject"
)

// ApprovalSourceDriftgate is the Source of approvals given through
// driftgate's own API, CLI or UI.
const ApprovalSourceDriftgate = "driftgate"

// Approval is one approver's decision on an apply run.
type Approval struct {
	// Approver is the name of the API token (or forge user) that decided.
	Approver string    `json:"approver"`
	Decision Decision  `json:"decision"`
	Comment  string    `json:"comment,omitempty"`
	At       time.Time `json:"at"`
	// Source says where the decision was given: ApprovalSourceDriftgate,
	// or a forge's review (the forge type, such as "gitea", with ReviewID).
	Source string `json:"source"`
	// ReviewID is the id of the forge review the approval comes from.
	ReviewID int64 `json:"review_id,omitempty"`
	// Binding is the run's binding the approver saw. The runner refuses an
	// approval whose binding is not the run's.
	Binding Binding `json:"binding"`
}

// RunReason says, in a word a script can match, why a run waits, was
// refused or was superseded. Run.Error (or the waiting text) says it to a
// person.
type RunReason string

// Run reasons.
const (
	// ReasonNeedsApproval: a plan with changes on a manual stack.
	ReasonNeedsApproval RunReason = "needs_approval"
	// ReasonDestroyNeedsApproval: a plan that deletes or replaces
	// resources on an auto stack waits for approval.
	ReasonDestroyNeedsApproval RunReason = "destroy_needs_approval"
	// ReasonPlanTampered: the stored plan no longer hashes to the approved
	// sha256.
	ReasonPlanTampered RunReason = "plan_tampered"
	// ReasonStaleState: the state changed since the plan was made.
	ReasonStaleState RunReason = "stale_state"
	// ReasonSuperseded: a newer commit or plan of the stack replaced the
	// run's plan.
	ReasonSuperseded RunReason = "superseded"
	// ReasonVersionMismatch: the terraform that would apply is not the
	// version that planned.
	ReasonVersionMismatch RunReason = "version_mismatch"
	// ReasonLockMismatch: the dependency lock file is not the one planned
	// with.
	ReasonLockMismatch RunReason = "lock_mismatch"
	// ReasonWaitingForDependency: a stack this one depends_on has not
	// applied the same commit yet.
	ReasonWaitingForDependency RunReason = "waiting_for_dependency"
	// ReasonDependencyFailed: a stack this one depends_on failed to apply
	// the same commit.
	ReasonDependencyFailed RunReason = "dependency_failed"
	// ReasonHeadUnreadable: the tracked branch's head has a broken repo
	// config, so whether it changes the stack is unknown; the apply waits
	// for a commit that fixes it.
	ReasonHeadUnreadable RunReason = "head_unreadable"
	// ReasonStackHeld: the stack is held after an interrupted apply until
	// an admin releases it.
	ReasonStackHeld RunReason = "stack_held"
	// ReasonPlanDiffersFromReview: the apply of a pull request's merge
	// commit makes other changes than the PR's last plan of the stack,
	// which its reviewers approved, so their approvals do not count; it
	// waits for approvals through driftgate.
	ReasonPlanDiffersFromReview RunReason = "plan_differs_from_review"
)

// Hold keeps a stack from applying until an admin releases it: driftgate
// holds a stack whose apply was cut off (a crash or an interrupted
// shutdown), because its state may be half written and locked.
type Hold struct {
	Repo  string `json:"repo"`
	Stack string `json:"stack"`
	// RunID is the apply run that was cut off.
	RunID string `json:"run_id"`
	// Reason says, to a person, why the stack is held.
	Reason string    `json:"reason"`
	Since  time.Time `json:"since"`
	// StateSerial and StateLineage are those of the state pulled when the
	// stack was held, when it could be pulled (StatePulled).
	StatePulled  bool   `json:"state_pulled"`
	StateSerial  uint64 `json:"state_serial,omitempty"`
	StateLineage string `json:"state_lineage,omitempty"`
	// Lock is the Terraform state lock the cut-off apply left behind, when
	// driftgate could see one.
	Lock *StateLock `json:"lock,omitempty"`
}

// StateLock is a Terraform state lock left behind by a cut-off run.
type StateLock struct {
	// ID is the lock's id, what `terraform force-unlock` takes.
	ID        string    `json:"id"`
	Path      string    `json:"path,omitempty"`
	Who       string    `json:"who,omitempty"`
	Operation string    `json:"operation,omitempty"`
	Created   time.Time `json:"created,omitzero"`
	// Command is the command that clears the lock.
	Command string `json:"command"`
}
