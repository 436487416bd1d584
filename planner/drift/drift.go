// Package drift decides what a drift check found. Evaluate is a pure
// function from the findings open before a check and the check's plan
// analysis to the findings open after it, the ones it resolved, the stack's
// drift status and the events to notify: what drifted, down to the
// attribute, since when, and why. Nothing here runs terraform or touches
// the store; the runner does that around it.
//
// A finding is one resource's drift (changed or deleted outside Terraform)
// or one resource the plan would change although no drift explains it
// (pending: code merged but not applied, or a provider or Terraform
// upgrade). A finding keeps its ID across checks for as long as it stays
// open, so an on-call engineer sees one story per resource instead of one
// alert per check.
package drift

import (
	"time"

	"github.com/driftgate/driftgate/planner/analysis"
	"github.com/oklog/ulid/v2"
)

// Status is a stack's drift state after a check.
type Status string

// Stack drift states.
const (
	// StatusInSync means the plan is empty, or every finding is accepted.
	StatusInSync Status = "in_sync"
	// StatusDrifted means some resource changed or vanished outside
	// Terraform and no ignore_drift rule accepts it.
	StatusDrifted Status = "drifted"
	// StatusPendingChanges means no drift, but the plan would change
	// resources: code not yet applied, or a provider or version change.
	StatusPendingChanges Status = "pending_changes"
	// StatusErrored means the last check failed; findings are as before.
	StatusErrored Status = "errored"
	// StatusUnknown is the state of a stack never checked. Evaluate never
	// returns it; it is the caller's default.
	StatusUnknown Status = "unknown"
)

// Kind is what a finding is about.
type Kind string

// Finding kinds. KindChanged and KindDeleted are drift; KindPending is not.
const (
	// KindChanged is a resource changed outside Terraform.
	KindChanged Kind = "changed"
	// KindDeleted is a resource deleted outside Terraform.
	KindDeleted Kind = "deleted"
	// KindPending is a resource the plan would change although no drift
	// explains it.
	KindPending Kind = "pending"
)

// Cause is driftgate's explanation of a finding.
type Cause string

// Causes.
const (
	// CauseOutOfBand is a change made outside Terraform (console, CLI,
	// another tool): every changed or deleted finding.
	CauseOutOfBand Cause = "out_of_band"
	// CauseUnappliedCode is a pending change whose code was merged but not
	// applied: the checked commit is not the last one driftgate applied,
	// or driftgate never applied the stack.
	CauseUnappliedCode Cause = "unapplied_code"
	// CauseProviderOrVersion is a pending change at the commit last
	// applied, with a different lock file, Terraform version or provider
	// versions: an upgrade changed what the code means.
	CauseProviderOrVersion Cause = "provider_or_version"
	// CauseUnknown is a pending change driftgate cannot explain: same
	// commit, same versions as the last apply.
	CauseUnknown Cause = "unknown"
)

// EventType says what happened to a finding in a check.
type EventType string

// Event types.
const (
	// EventFound is a finding that needs attention for the first time: new
	// and not accepted, or no longer accepted.
	EventFound EventType = "drift_found"
	// EventChanged is a finding still open whose kind, cause, planned
	// action or attributes changed since the last check.
	EventChanged EventType = "drift_changed"
	// EventResolved is a finding that no longer needs attention: the check
	// no longer sees it, or an ignore_drift rule now accepts it.
	EventResolved EventType = "drift_resolved"
	// EventCheckErrored is a check that failed.
	EventCheckErrored EventType = "check_errored"
)

// Attribute is one attribute path of a finding and its values, as the plan
// analysis gives them: already redacted, never invented.
type Attribute struct {
	// Path is the attribute path, such as tags["cost-center"] or
	// ingress[0].from_port.
	Path string `json:"path"`
	// Before is the value before the change: for drift, what Terraform
	// last recorded; for a pending change, the current value.
	Before any `json:"before"`
	// After is the value after the change: for drift, what is live now;
	// for a pending change, what the plan would set.
	After any `json:"after"`
	// Sensitive marks values replaced by the redaction marker.
	Sensitive bool `json:"sensitive,omitempty"`
	// Unknown marks an After known only after apply (After is then nil).
	Unknown bool `json:"unknown,omitempty"`
}

// Finding is one resource's drift or pending change, open or resolved.
type Finding struct {
	// ID identifies the finding across checks: a finding that continues
	// keeps its ID; a new one gets a new ID.
	ID string `json:"id"`
	// Address is the resource address, such as module.app.aws_instance.web[0].
	Address string `json:"address"`
	Kind    Kind   `json:"kind"`
	Cause   Cause  `json:"cause"`
	// Action is what the plan would do to a pending finding's resource
	// (create, update, replace, delete, forget); empty for drift.
	Action analysis.Action `json:"action,omitempty"`
	// Accepted marks a finding an ignore_drift rule matches: shown, never
	// alerted on, and not making the stack drifted.
	Accepted bool `json:"accepted,omitempty"`
	// Rule is the accepting rule, as Rule.String renders it.
	Rule string `json:"rule,omitempty"`
	// Attributes are the changed attributes; none for a deleted resource.
	Attributes []Attribute `json:"attributes,omitempty"`
	// FirstSeen and LastSeen are the times of the first and the latest
	// check that saw the finding.
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// ResolvedAt is the time of the check that no longer saw it; zero
	// while the finding is open.
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
	// FirstRun and LastRun are the runs of those checks.
	FirstRun string `json:"first_run,omitempty"`
	LastRun  string `json:"last_run,omitempty"`
}

// Open reports whether the finding has not been resolved.
func (f *Finding) Open() bool { return f.ResolvedAt.IsZero() }

// Applied is what was live at the last apply driftgate knows of.
type Applied struct {
	Commit           string `json:"commit"`
	LockHash         string `json:"lock_hash,omitempty"`
	TerraformVersion string `json:"terraform_version,omitempty"`
	// Product is "terraform" or "opentofu"; empty when not recorded.
	Product   string            `json:"product,omitempty"`
	Providers map[string]string `json:"providers,omitempty"`
}

// Check is one finished plan of a stack's tracked branch, with what
// Evaluate needs to explain it.
type Check struct {
	// RunID is the run that planned.
	RunID string
	// At is the check's time: LastSeen of what it sees, ResolvedAt of what
	// it no longer sees.
	At time.Time
	// Commit is the commit planned, the tracked branch's head.
	Commit string
	// Analysis is the plan's analysis. Nil makes the check an error.
	Analysis *analysis.Analysis
	// LockHash, TerraformVersion and Providers (source address to version)
	// describe this check's toolchain. An empty value means not recorded
	// and is never compared. TerraformVersion defaults to the analysis's.
	LockHash         string
	TerraformVersion string
	Providers        map[string]string
	// Product is what planned, "terraform" or "opentofu": switching
	// between them is a toolchain change too. Empty is not compared.
	Product string
	// LastApplied is the last apply driftgate knows of; nil when driftgate
	// never applied the stack.
	LastApplied *Applied
	// Rules are the stack's ignore_drift rules, in file order: the first
	// that matches a finding accepts it.
	Rules []Rule
	// NewID makes the IDs of new findings; nil means the package's NewID.
	// Tests set it to get stable IDs.
	NewID func() string
}

// Event is something to notify about one finding, or a failed check.
type Event struct {
	Type EventType `json:"type"`
	// Finding is the finding as it is after the check; zero for
	// EventCheckErrored.
	Finding Finding `json:"finding,omitzero"`
	// Error is why the check failed, for EventCheckErrored.
	Error string `json:"error,omitempty"`
	// RunID and At are the check's.
	RunID string    `json:"run_id,omitempty"`
	At    time.Time `json:"at"`
}

// Result is what a check decided, each list ordered by address then kind.
type Result struct {
	// Status is the stack's drift state after the check.
	Status Status
	// Open are the findings open after the check: the ones it continued
	// (ID, FirstSeen and FirstRun kept; the rest updated) and the new ones.
	Open []Finding
	// Resolved are the findings open before the check that it no longer
	// sees, with ResolvedAt set to the check's time.
	Resolved []Finding
	// Events are what to notify: one per finding that needs attention for
	// the first time, changed while needing it, or stopped needing it;
	// none for findings seen again unchanged or accepted throughout.
	Events []Event
}

// NewID returns a new finding ID: a ULID, random and sortable by creation
// time.
func NewID() string {
	return ulid.Make().String()
}
