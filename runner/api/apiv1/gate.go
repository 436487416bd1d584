package apiv1

import (
	"slices"
	"time"
)

// Binding is what an apply run applies, captured when its plan finished,
// and what every approval of it binds to.
type Binding struct {
	// PlanRun is the run whose saved plan is applied.
	PlanRun string `json:"plan_run"`
	// PlanSHA256 is the hex sha256 of the saved plan file.
	PlanSHA256 string `json:"plan_sha256"`
	// Commit is the commit the plan was made from.
	Commit string `json:"commit"`
	// StateSerial is the serial of the state the plan was made against
	// (zero when the stack had no state yet).
	StateSerial uint64 `json:"state_serial"`
	// StateLineage is the lineage of that state ("" without one).
	StateLineage string `json:"state_lineage,omitempty"`
	// LockHash is the hex sha256 of the stack's .terraform.lock.hcl at the
	// commit, "" without one.
	LockHash string `json:"lock_hash,omitempty"`
	// TerraformVersion is the version of terraform that planned.
	TerraformVersion string `json:"terraform_version"`
	// Product is what planned, "terraform" or "opentofu"; empty in older
	// bindings.
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
	Approver string `json:"approver"`
	// Decision is what the approver decided.
	Decision Decision `json:"decision"`
	// Comment is the approver's comment, if any.
	Comment string `json:"comment,omitempty"`
	// At is when the decision was given.
	At time.Time `json:"at"`
	// Source says where the decision was given: ApprovalSourceDriftgate or
	// a forge's review.
	Source string `json:"source"`
	// Binding is the run's binding the approver saw.
	Binding Binding `json:"binding"`
}

// Approvers returns the distinct approvers among r's approvals who
// approved r's current binding, in order: the approvals that count toward
// the run's gate. Approvals of an older plan and rejections do not count;
// a run without a binding has none.
func (r *Run) Approvers() []string {
	var out []string
	for _, a := range r.Approvals {
		if r.Binding == nil || a.Decision != DecisionApprove || a.Binding != *r.Binding || slices.Contains(out, a.Approver) {
			continue
		}
		out = append(out, a.Approver)
	}
	return out
}

// DecisionRequest is the optional body of POST /api/v1/runs/{id}/approve,
// /reject and /api/v1/stacks/{repo}/{stack}/release. An empty body is no
// comment; the server refuses unknown fields.
type DecisionRequest struct {
	// Comment is kept on the run (approve, reject) and in the audit log.
	Comment string `json:"comment"`
}
