package apiv1

import (
	"encoding/json"
	"time"

	"github.com/driftgate/driftgate/planner/statever"
)

// StateVersion is one recorded state version of a stack: the body of GET
// /api/v1/stacks/{repo}/{stack}/state-versions/{serial}, and, without
// Version, an element of StateVersionList.
type StateVersion struct {
	// Repo is the repo name.
	Repo string `json:"repo"`
	// Stack is the stack name.
	Stack string `json:"stack"`
	// Serial is the state's serial: Terraform increments it on every write.
	Serial uint64 `json:"serial"`
	// Lineage is the state's lineage: new only when the state is created
	// from scratch.
	Lineage string `json:"lineage"`
	// SHA256 is the hex sha256 of the raw state.
	SHA256 string `json:"sha256"`
	// RunID is the run that recorded the version, if any.
	RunID string `json:"run_id,omitempty"`
	// CreatedAt is when the version was first recorded.
	CreatedAt time.Time `json:"created_at"`
	// Resources counts the resource instances in the state.
	Resources int `json:"resources"`
	// Version is the redacted state (a planner/statever.Version as JSON);
	// listings leave it out.
	Version json.RawMessage `json:"version,omitempty"`
}

// StateDiff is the body of GET /api/v1/stacks/{repo}/{stack}/state-diff:
// what changed from one recorded state version of a stack to another.
type StateDiff struct {
	// From is the serial compared from.
	From uint64 `json:"from"`
	// To is the serial compared to.
	To uint64 `json:"to"`
	// Changes is what differs, attribute by attribute; its lists are
	// omitted when empty.
	Changes statever.Changes `json:"changes"`
}
