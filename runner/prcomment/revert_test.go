package prcomment

import (
	"testing"

	"github.com/driftgate/driftgate/planner/analysis"
)

func TestReverts(t *testing.T) {
	drifted := func(attrs ...analysis.AttributeChange) analysis.ResourceChange {
		return analysis.ResourceChange{Address: "dg_thing.a", Kind: analysis.DriftChanged, Action: analysis.ActionUpdate, Attributes: attrs}
	}
	update := func(attrs ...analysis.AttributeChange) analysis.ResourceChange {
		return analysis.ResourceChange{Address: "dg_thing.a", Action: analysis.ActionUpdate, Attributes: attrs}
	}
	sensitive := analysis.AttributeChange{Path: "p", Before: analysis.Marker, After: analysis.Marker, Sensitive: true}
	for _, tc := range []struct {
		name   string
		drift  analysis.ResourceChange
		change analysis.ResourceChange
		want   bool
	}{
		{"exact revert", drifted(attr("x", "1", "2")), update(attr("x", "2", "1")), true},
		{"reverts part of the drift", drifted(attr("x", "1", "2"), attr("y", "a", "b")), update(attr("x", "2", "1")), true},
		{"also changes an attribute that did not drift", drifted(attr("x", "1", "2")), update(attr("x", "2", "1"), attr("z", "a", "b")), false},
		{"moves to a third value", drifted(attr("x", "1", "2")), update(attr("x", "2", "3")), false},
		{"starts from another value", drifted(attr("x", "1", "2")), update(attr("x", "5", "1")), false},
		{"other resource drifted", func() analysis.ResourceChange {
			d := drifted(attr("x", "1", "2"))
			d.Address = "dg_thing.b"
			return d
		}(), update(attr("x", "2", "1")), false},
		{"deleted outside terraform, created again", analysis.ResourceChange{Address: "dg_thing.a", Kind: analysis.DriftDeleted},
			analysis.ResourceChange{Address: "dg_thing.a", Action: analysis.ActionCreate, Attributes: []analysis.AttributeChange{attr("x", nil, "1")}}, false},
		{"replace", drifted(attr("x", "1", "2")), func() analysis.ResourceChange {
			c := update(attr("x", "2", "1"))
			c.Action = analysis.ActionReplace
			return c
		}(), false},
		{"import", drifted(attr("x", "1", "2")), func() analysis.ResourceChange {
			c := update(attr("x", "2", "1"))
			c.Importing = true
			return c
		}(), false},
		{"no attributes", drifted(attr("x", "1", "2")), update(), false},
		{"sensitive values cannot be compared", drifted(sensitive), update(sensitive), false},
		{"unknown after apply", drifted(attr("x", "1", "2")), update(analysis.AttributeChange{Path: "x", Before: "2", Unknown: true}), false},
		{"nested values compared whole", drifted(attr("tags", map[string]any{"a": "1"}, map[string]any{"a": "2"})),
			update(attr("tags", map[string]any{"a": "2"}, map[string]any{"a": "1"})), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := &analysis.Analysis{Changes: []analysis.ResourceChange{tc.change}, Drift: []analysis.ResourceChange{tc.drift}}
			own, reverting, _ := splitChanges(a)
			if got := len(reverting) == 1; got != tc.want || len(own)+len(reverting) != 1 {
				t.Errorf("reverts = %v (own %d, reverting %d), want %v", got, len(own), len(reverting), tc.want)
			}
		})
	}
}
