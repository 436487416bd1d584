package notify

import (
	"slices"
	"time"
)

// EventType says what happened to a stack's drift.
type EventType string

// Event types.
const (
	// DriftFound is a resource found drifted for the first time.
	DriftFound EventType = "drift_found"
	// DriftChanged is a known drift whose attributes changed since.
	DriftChanged EventType = "drift_changed"
	// DriftResolved is a drift that is gone: the resource matches Terraform
	// again.
	DriftResolved EventType = "drift_resolved"
	// CheckErrored is a drift check that failed; Event.Error says why.
	CheckErrored EventType = "check_errored"
)

// EventTypes lists every event type, in a stable order.
var EventTypes = []EventType{DriftFound, DriftChanged, DriftResolved, CheckErrored}

// Valid reports whether t is one of the declared event types.
func (t EventType) Valid() bool { return slices.Contains(EventTypes, t) }

// SensitiveValue replaces the values of sensitive attributes.
const SensitiveValue = "(sensitive value)"

// Event is one notification. Its JSON form, snake_case, is the body of a
// webhook request.
type Event struct {
	// ID is the event's unique id, the receiver's idempotency key. Notify
	// assigns a ULID when it is empty.
	ID string `json:"id"`
	// Type says what happened.
	Type EventType `json:"type"`
	// Time is when it happened. Notify sets it to now when zero.
	Time time.Time `json:"time"`
	// Repo and Stack name the stack; Repo is empty for local runs.
	Repo  string `json:"repo"`
	Stack string `json:"stack"`
	// RunID is the driftgate run that found it.
	RunID string `json:"run_id,omitempty"`
	// Commit is the commit the run checked.
	Commit string `json:"commit,omitempty"`
	// Finding is the drifted resource, one per event; nil for
	// CheckErrored.
	Finding *Finding `json:"finding,omitempty"`
	// Error is why the check failed, for CheckErrored.
	Error string `json:"error,omitempty"`
	// URL links to the run in driftgate's API or UI, if known.
	URL string `json:"url,omitempty"`
}

// Finding is one drifted resource.
type Finding struct {
	// Address is the resource address, such as aws_instance.web.
	Address string `json:"address"`
	// Kind is "changed", "deleted" or "pending".
	Kind string `json:"kind"`
	// Cause is "out_of_band", "unapplied_code", "provider_or_version" or
	// "unknown".
	Cause string `json:"cause"`
	// Attributes are the drifted attributes.
	Attributes []Attribute `json:"attributes,omitempty"`
	// FirstSeen and LastSeen bound the checks that saw the drift.
	FirstSeen time.Time `json:"first_seen,omitzero"`
	LastSeen  time.Time `json:"last_seen,omitzero"`
	// ResolvedAt is when the drift was found gone, for DriftResolved.
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
}

// Attribute is one drifted attribute. Values are redacted upstream; a
// Sensitive attribute's values are replaced again before anything is sent.
type Attribute struct {
	// Path is the attribute path, such as tags.env.
	Path string `json:"path"`
	// Before is the value Terraform recorded; After the value found.
	Before any `json:"before"`
	After  any `json:"after"`
	// Sensitive marks a value that must never be shown.
	Sensitive bool `json:"sensitive,omitempty"`
}

// Redacted returns a copy of ev in which every sensitive attribute's Before
// and After are SensitiveValue, whatever they were. ev is not modified.
func (ev Event) Redacted() Event {
	if ev.Finding == nil {
		return ev
	}
	f := *ev.Finding
	f.Attributes = slices.Clone(f.Attributes)
	for i := range f.Attributes {
		if f.Attributes[i].Sensitive {
			f.Attributes[i].Before = SensitiveValue
			f.Attributes[i].After = SensitiveValue
		}
	}
	ev.Finding = &f
	return ev
}
