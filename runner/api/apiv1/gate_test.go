package apiv1_test

import (
	"slices"
	"testing"

	"github.com/driftgate/driftgate/runner/api/apiv1"
)

func TestRunApprovers(t *testing.T) {
	cur := apiv1.Binding{PlanRun: "p", PlanSHA256: "new"}
	old := apiv1.Binding{PlanRun: "p", PlanSHA256: "old"}
	approve := func(who string, b apiv1.Binding) apiv1.Approval {
		return apiv1.Approval{Approver: who, Decision: apiv1.DecisionApprove, Binding: b}
	}
	tests := []struct {
		name string
		run  apiv1.Run
		want []string
	}{
		{"no binding", apiv1.Run{Approvals: []apiv1.Approval{approve("a", cur)}}, nil},
		{"current binding, in order, distinct", apiv1.Run{Binding: &cur, Approvals: []apiv1.Approval{
			approve("b", cur), approve("a", cur), approve("b", cur)}}, []string{"b", "a"}},
		{"older plan and rejections do not count", apiv1.Run{Binding: &cur, Approvals: []apiv1.Approval{
			approve("a", old), {Approver: "c", Decision: apiv1.DecisionReject, Binding: cur}, approve("d", cur)}}, []string{"d"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.run.Approvers(); !slices.Equal(got, tt.want) {
				t.Errorf("Approvers() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFilterQuery(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"empty run filter", apiv1.RunFilter{}.Query().Encode(), ""},
		{"run filter", apiv1.RunFilter{Repo: "infra", Stack: "a b", Status: apiv1.StatusQueued, PR: 3, Limit: 10, Cursor: "c"}.Query().Encode(),
			"cursor=c&limit=10&pr=3&repo=infra&stack=a+b&status=queued"},
		{"run filter sends a bad limit for the server to refuse", apiv1.RunFilter{Limit: -1}.Query().Encode(), "limit=-1"},
		{"empty audit filter", apiv1.AuditFilter{Limit: -1}.Query().Encode(), ""},
		{"audit filter", apiv1.AuditFilter{Repo: "infra", Stack: "s", Actor: "alice", Action: apiv1.AuditApprove, Limit: 5, Cursor: "c"}.Query().Encode(),
			"action=approve&actor=alice&cursor=c&limit=5&repo=infra&stack=s"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: query %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}
