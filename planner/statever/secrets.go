package statever

import (
	"bytes"

	"github.com/driftgate/driftgate/planner/analysis"
)

// Secrets returns the sensitive values of raw, a state in format v4 as
// Terraform keeps it (a local state file) or prints it (`terraform state
// pull`): every string Redact would replace by a marker, from the paths
// each instance lists in sensitive_attributes and from sensitive outputs.
// An empty raw, a state not written yet, holds none. It is how a plan's
// log is masked while the plan runs, before Terraform says what the plan
// holds that is sensitive.
func Secrets(raw []byte) (*analysis.Secrets, error) {
	out := analysis.NewSecrets()
	if len(bytes.TrimSpace(raw)) == 0 {
		return out, nil
	}
	// The markers are thrown away: any key does.
	_, found, err := redactState(raw, make([]byte, MinKeySize))
	if err != nil {
		return nil, err
	}
	for s := range found {
		out.Add(s)
	}
	return out, nil
}
