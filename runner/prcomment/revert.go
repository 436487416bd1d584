package prcomment

import (
	"reflect"

	"github.com/driftgate/driftgate/planner/analysis"
)

// driftIndex holds, per address, the attributes a resource's drift changed
// (resources changed outside Terraform, not deleted).
type driftIndex map[string]map[string]analysis.AttributeChange

func newDriftIndex(a *analysis.Analysis) driftIndex {
	idx := driftIndex{}
	if a == nil {
		return idx
	}
	for _, d := range a.Drift {
		if d.Kind != analysis.DriftChanged {
			continue
		}
		attrs := map[string]analysis.AttributeChange{}
		for _, at := range d.Attributes {
			attrs[at.Path] = at
		}
		idx[d.Address] = attrs
	}
	return idx
}

// revertsAttr reports whether the planned change at of the resource at
// address moves a drifted attribute back to its pre-drift value: the drift
// went from X to Y at the same path, and the plan goes from Y to X, with no
// sensitive or unknown value on either side.
func (idx driftIndex) revertsAttr(address string, at analysis.AttributeChange) bool {
	d, ok := idx[address][at.Path]
	if !ok || at.Sensitive || at.Unknown || d.Sensitive || d.Unknown {
		return false
	}
	return reflect.DeepEqual(at.Before, d.After) && reflect.DeepEqual(at.After, d.Before)
}

// reverts reports whether the planned change c only reverts drift made
// outside Terraform: an in-place update, not an import, of a resource that
// drifted, changing at least one attribute, every one of which reverts.
func (idx driftIndex) reverts(c analysis.ResourceChange) bool {
	if c.Action != analysis.ActionUpdate || c.Importing || len(c.Attributes) == 0 {
		return false
	}
	if _, ok := idx[c.Address]; !ok {
		return false
	}
	for _, at := range c.Attributes {
		if !idx.revertsAttr(c.Address, at) {
			return false
		}
	}
	return true
}

// splitChanges separates the changes the PR's code makes from those that
// only revert drift, keeping the plan's order in each.
func splitChanges(a *analysis.Analysis) (own, reverting []analysis.ResourceChange, idx driftIndex) {
	idx = newDriftIndex(a)
	if a == nil {
		return nil, nil, idx
	}
	for _, c := range a.Changes {
		if idx.reverts(c) {
			reverting = append(reverting, c)
		} else {
			own = append(own, c)
		}
	}
	return own, reverting, idx
}
