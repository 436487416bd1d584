package drift

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/driftgate/driftgate/planner/analysis"
)

// t0 and t1 are the times of the previous check and of the check under test.
var (
	t0 = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	t1 = t0.Add(time.Hour)
)

// seqIDs returns an ID maker giving new-1, new-2, ...
func seqIDs() func() string {
	n := 0
	return func() string {
		n++
		return fmt.Sprintf("new-%d", n)
	}
}

// attr is an analysis attribute change.
func attr(path string, before, after any) analysis.AttributeChange {
	return analysis.AttributeChange{Path: path, Before: before, After: after}
}

// changedDrift is a drift entry of a resource changed outside Terraform.
func changedDrift(addr string, attrs ...analysis.AttributeChange) analysis.ResourceChange {
	return analysis.ResourceChange{Address: addr, Action: analysis.ActionUpdate, Kind: analysis.DriftChanged, Attributes: attrs}
}

// deletedDrift is a drift entry of a resource deleted outside Terraform.
func deletedDrift(addr string) analysis.ResourceChange {
	return analysis.ResourceChange{Address: addr, Action: analysis.ActionDelete, Kind: analysis.DriftDeleted}
}

// change is a planned change.
func change(addr string, action analysis.Action, attrs ...analysis.AttributeChange) analysis.ResourceChange {
	return analysis.ResourceChange{Address: addr, Action: action, Attributes: attrs}
}

// plan is an analysis of the given drift and changes.
func plan(drift []analysis.ResourceChange, changes ...analysis.ResourceChange) *analysis.Analysis {
	return &analysis.Analysis{TerraformVersion: "1.9.0", Drift: drift, Changes: changes}
}

// drifts is a list of drift entries, for plan.
func drifts(d ...analysis.ResourceChange) []analysis.ResourceChange { return d }

// check is a check at t1 by run r1 of commit c1, applied at c1 with the
// same toolchain, using seqIDs.
func check(a *analysis.Analysis, rules ...Rule) Check {
	return Check{
		RunID: "r1", At: t1, Commit: "c1", Analysis: a,
		LockHash: "lock1", TerraformVersion: "1.9.0", Providers: map[string]string{"hashicorp/aws": "5.0.0"},
		LastApplied: &Applied{Commit: "c1", LockHash: "lock1", TerraformVersion: "1.9.0", Providers: map[string]string{"hashicorp/aws": "5.0.0"}},
		Rules:       rules,
		NewID:       seqIDs(),
	}
}

// jsonNum is a number as the plan analysis decodes it.
func jsonNum(s string) json.Number { return json.Number(s) }

// assertResult compares results, printing both as JSON on a difference.
func assertResult(t testing.TB, got, want Result) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("result:\ngot  %s\nwant %s", g, w)
	}
}

// ev is an event of the check made by check().
func ev(typ EventType, f Finding) Event {
	return Event{Type: typ, Finding: f, RunID: "r1", At: t1}
}
