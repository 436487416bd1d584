package apiv1

import "time"

// AuditAction names what an audit entry records. The list grows with
// driftgate; a refused request without an action of its own is recorded
// as "<METHOD> <route>".
type AuditAction string

// Audit actions.
const (
	// AuditPlan is a plan triggered through the API.
	AuditPlan AuditAction = "plan"
	// AuditDriftCheck is a drift check.
	AuditDriftCheck AuditAction = "drift-check"
	// AuditCancel is a run canceled.
	AuditCancel AuditAction = "cancel"
	// AuditApprove is an approval.
	AuditApprove AuditAction = "approve"
	// AuditReject is a rejection.
	AuditReject AuditAction = "reject"
	// AuditApply is an apply queued.
	AuditApply AuditAction = "apply"
	// AuditHold is a stack held after a cut-off apply.
	AuditHold AuditAction = "hold"
	// AuditRelease is a held stack released.
	AuditRelease AuditAction = "release"
	// AuditReadAudit is a read of the audit log.
	AuditReadAudit AuditAction = "read-audit"
)

// AuditResult is how the recorded action ended.
type AuditResult string

// Audit results.
const (
	// AuditOK is an action that was done.
	AuditOK AuditResult = "ok"
	// AuditRefused is an action that was not allowed; Detail says why.
	AuditRefused AuditResult = "refused"
	// AuditFailed is an action that was allowed but did not succeed;
	// Detail says why.
	AuditFailed AuditResult = "failed"
)

// AuditEntry is one record of the audit log, an element of AuditPage.
type AuditEntry struct {
	// ID is the entry's ULID, time-ordered.
	ID string `json:"id"`
	// Time is when the entry was recorded.
	Time time.Time `json:"time"`
	// Actor is the name of the API token that acted, or "driftgate" for
	// what driftgate did on its own.
	Actor string `json:"actor"`
	// Action is what was done or attempted.
	Action AuditAction `json:"action"`
	// Repo names the repo the action was about, if any.
	Repo string `json:"repo,omitempty"`
	// Stack names the stack the action was about, if any.
	Stack string `json:"stack,omitempty"`
	// RunID names the run the action was about, if any.
	RunID string `json:"run_id,omitempty"`
	// Result is how it ended.
	Result AuditResult `json:"result"`
	// Detail explains a refusal or a failure, or adds context.
	Detail string `json:"detail,omitempty"`
}
