package apiv1

import "time"

// Resolved findings GET /api/v1/stacks/{repo}/{stack}/drift returns.
const (
	// DefaultDriftHistory is how many resolved findings are returned when
	// the request gives no history parameter.
	DefaultDriftHistory = 50
	// MaxDriftHistory is the largest history parameter accepted.
	MaxDriftHistory = 500
)

// DriftStatus is a stack's drift state.
type DriftStatus string

// Drift states.
const (
	// DriftInSync is a stack whose last check found no drift.
	DriftInSync DriftStatus = "in_sync"
	// DriftDrifted is a stack whose last check found drift.
	DriftDrifted DriftStatus = "drifted"
	// DriftPendingChanges is a stack whose code has changes not applied.
	DriftPendingChanges DriftStatus = "pending_changes"
	// DriftErrored is a stack whose last check failed (StackDrift.Error).
	DriftErrored DriftStatus = "errored"
	// DriftUnknown is a stack never checked.
	DriftUnknown DriftStatus = "unknown"
)

// StackDrift is a stack's drift state after its last check, with its
// findings: the body of GET /api/v1/stacks/{repo}/{stack}/drift and an
// element of DriftList.
type StackDrift struct {
	// Repo is the repo name.
	Repo string `json:"repo"`
	// Stack is the stack name.
	Stack string `json:"stack"`
	// Status is the stack's drift state; DriftUnknown when never checked.
	Status DriftStatus `json:"status"`
	// CheckedAt is when the last check ran; zero when never.
	CheckedAt time.Time `json:"checked_at,omitzero"`
	// RunID is the run of the last check.
	RunID string `json:"run_id,omitempty"`
	// Commit is the commit of the last check.
	Commit string `json:"commit,omitempty"`
	// Error is why the last check failed (status errored).
	Error string `json:"error,omitempty"`
	// Open counts open findings that are not accepted.
	Open int `json:"open"`
	// Accepted counts open findings that are accepted.
	Accepted int `json:"accepted"`
	// LastApplied is what driftgate last applied to the stack.
	LastApplied *AppliedInfo `json:"last_applied,omitempty"`
	// Findings are the stack's findings, newest first: every open one and,
	// from the stack's endpoint, the newest resolved ones.
	Findings []DriftFinding `json:"findings"`
}

// AppliedInfo describes a successful apply.
type AppliedInfo struct {
	// RunID is the apply run.
	RunID string `json:"run_id"`
	// Commit is the commit applied.
	Commit string `json:"commit"`
	// At is when the apply finished.
	At time.Time `json:"at"`
	// LockHash is the hex sha256 of the dependency lock file applied with.
	LockHash string `json:"lock_hash,omitempty"`
	// TerraformVersion is the version of terraform that applied.
	TerraformVersion string `json:"terraform_version,omitempty"`
	// Product is what applied, "terraform" or "opentofu"; empty in older
	// records.
	Product string `json:"product,omitempty"`
	// Providers maps provider addresses to the versions applied with.
	Providers map[string]string `json:"providers,omitempty"`
}

// DriftFinding is one resource's drift, open or resolved.
type DriftFinding struct {
	// ID is the finding's id; ids sort by creation.
	ID string `json:"id"`
	// Repo is the repo name.
	Repo string `json:"repo"`
	// Stack is the stack name.
	Stack string `json:"stack"`
	// Address is the drifted resource's address.
	Address string `json:"address"`
	// Kind is what the finding is about: "changed" or "deleted" (drift)
	// or "pending" (a change the plan would make that no drift explains).
	Kind string `json:"kind"`
	// Cause is driftgate's explanation: "out_of_band", "unapplied_code",
	// "provider_or_version" or "unknown".
	Cause string `json:"cause"`
	// Accepted reports whether a drift rule accepts the finding.
	Accepted bool `json:"accepted,omitempty"`
	// Rule names the rule that accepted it.
	Rule string `json:"rule,omitempty"`
	// Attributes are the drifted attributes, values redacted.
	Attributes []DriftAttribute `json:"attributes,omitempty"`
	// FirstSeen is when a check first found it.
	FirstSeen time.Time `json:"first_seen"`
	// LastSeen is when a check last found it.
	LastSeen time.Time `json:"last_seen"`
	// ResolvedAt is when a check no longer found it; zero while open.
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
	// FirstRun is the check run that first found it.
	FirstRun string `json:"first_run,omitempty"`
	// LastRun is the check run that last found it.
	LastRun string `json:"last_run,omitempty"`
}

// Open reports whether the finding has not resolved.
func (f *DriftFinding) Open() bool { return f.ResolvedAt.IsZero() }

// DriftAttribute is one attribute of a finding, its values redacted.
type DriftAttribute struct {
	// Path is the attribute's path in the resource.
	Path string `json:"path"`
	// Before is the value terraform recorded, as JSON.
	Before any `json:"before"`
	// After is the value found, as JSON.
	After any `json:"after"`
	// Sensitive reports that the values are sensitive and redacted.
	Sensitive bool `json:"sensitive,omitempty"`
}
