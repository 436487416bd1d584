package runner

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/driftgate/driftgate/runner/api/apiv1"
	"github.com/driftgate/driftgate/store"
)

// TestWireApproversAgree: the CLI counts approvals from the wire type
// (apiv1.Run.Approvers) for display; it must agree with the gate's rule.
func TestWireApproversAgree(t *testing.T) {
	b := store.Binding{PlanRun: "01ARZ3NDEKTSV4RRFFQ69G5FAV", PlanSHA256: "aa"}
	old := b
	old.PlanSHA256 = "bb"
	ok := func(who string, bind store.Binding) store.Approval {
		return store.Approval{Approver: who, Decision: store.DecisionApprove, Binding: bind}
	}
	cases := map[string]*store.Run{
		"no binding": {Approvals: []store.Approval{ok("alice", b)}},
		"counted":    {Binding: &b, Approvals: []store.Approval{ok("alice", b), ok("gitea:bob", b)}},
		"repeat":     {Binding: &b, Approvals: []store.Approval{ok("alice", b), ok("alice", b)}},
		"stale":      {Binding: &b, Approvals: []store.Approval{ok("alice", old), ok("carol", b)}},
		"rejected": {Binding: &b, Approvals: []store.Approval{ok("alice", b),
			{Approver: "dave", Decision: store.DecisionReject, Binding: b}}},
	}
	for name, r := range cases {
		raw, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var w apiv1.Run
		if err := json.Unmarshal(raw, &w); err != nil {
			t.Fatal(err)
		}
		var want []string
		if r.Binding != nil {
			want = Approvers(r.Binding, r.Approvals)
		}
		if got := w.Approvers(); !slices.Equal(got, want) {
			t.Errorf("%s: apiv1 counts %v, the gate %v", name, got, want)
		}
	}
}
