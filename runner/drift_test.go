package runner

import (
	"testing"

	"github.com/driftgate/driftgate/planner/analysis"
)

func TestOnlyReverts(t *testing.T) {
	attr := func(paths ...string) []analysis.AttributeChange {
		var out []analysis.AttributeChange
		for _, p := range paths {
			out = append(out, analysis.AttributeChange{Path: p})
		}
		return out
	}
	sizeDrift := analysis.ResourceChange{Address: "x.web", Kind: analysis.DriftChanged, Attributes: attr("size")}
	deleted := analysis.ResourceChange{Address: "x.db", Kind: analysis.DriftDeleted}
	tests := []struct {
		name string
		a    *analysis.Analysis
		want bool
	}{
		{"revert an attribute", &analysis.Analysis{Drift: []analysis.ResourceChange{sizeDrift},
			Changes: []analysis.ResourceChange{{Address: "x.web", Action: analysis.ActionUpdate, Attributes: attr("size")}}}, true},
		{"recreate a deleted resource", &analysis.Analysis{Drift: []analysis.ResourceChange{deleted},
			Changes: []analysis.ResourceChange{{Address: "x.db", Action: analysis.ActionCreate}}}, true},
		{"code change rides along on the drifted resource", &analysis.Analysis{Drift: []analysis.ResourceChange{sizeDrift},
			Changes: []analysis.ResourceChange{{Address: "x.web", Action: analysis.ActionUpdate, Attributes: attr("size", "port")}}}, false},
		{"change elsewhere", &analysis.Analysis{Drift: []analysis.ResourceChange{sizeDrift},
			Changes: []analysis.ResourceChange{{Address: "x.web", Action: analysis.ActionUpdate, Attributes: attr("size")}, {Address: "x.new", Action: analysis.ActionCreate}}}, false},
		{"replacement", &analysis.Analysis{Drift: []analysis.ResourceChange{sizeDrift},
			Changes: []analysis.ResourceChange{{Address: "x.web", Action: analysis.ActionReplace}}}, false},
		{"destroy", &analysis.Analysis{Drift: []analysis.ResourceChange{sizeDrift},
			Changes: []analysis.ResourceChange{{Address: "x.web", Action: analysis.ActionDelete}}}, false},
		{"create where nothing was deleted", &analysis.Analysis{Drift: []analysis.ResourceChange{sizeDrift},
			Changes: []analysis.ResourceChange{{Address: "x.web", Action: analysis.ActionCreate}}}, false},
		{"output change", &analysis.Analysis{Drift: []analysis.ResourceChange{sizeDrift},
			Outputs: []analysis.OutputChange{{Name: "o"}}}, false},
		{"no analysis", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := onlyReverts(tt.a); got != tt.want {
				t.Errorf("onlyReverts = %v, want %v", got, tt.want)
			}
		})
	}
}
