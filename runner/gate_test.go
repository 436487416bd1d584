package runner

import (
	"errors"
	"strings"
	"testing"

	"github.com/driftgate/driftgate/planner"
	"github.com/driftgate/driftgate/runner/api"
	"github.com/driftgate/driftgate/store"
)

func TestPolicyMayDecide(t *testing.T) {
	keep := store.Binding{PlanRun: "p", PlanSHA256: "aa"}
	destroy := store.Binding{PlanRun: "p", PlanSHA256: "aa", Destroys: true}
	alice := api.Principal{Name: "alice", Role: api.RoleApprover}
	bob := api.Principal{Name: "bob", Role: api.RoleApprover}
	bobDestroy := api.Principal{Name: "bob", Role: api.RoleApprover, Permissions: []string{api.PermDestroy}}
	admin := api.Principal{Name: "root", Role: api.RoleAdmin}
	run := func(b store.Binding, by string) *store.Run {
		r := &store.Run{Binding: &b, Attrs: map[store.AttrKey]string{}}
		if by != "" {
			r.Attrs[store.AttrTriggeredBy] = by
		}
		return r
	}
	tests := []struct {
		name     string
		stack    planner.Stack
		run      *store.Run
		who      api.Principal
		decision store.Decision
		want     string // "" allowed, else a fragment of the refusal
	}{
		{"anyone with the role", planner.Stack{Name: "s"}, run(keep, ""), alice, store.DecisionApprove, ""},
		{"not in approvers", planner.Stack{Name: "s", Approvers: []string{"bob"}}, run(keep, ""), alice, store.DecisionApprove, "not an approver of stack s"},
		{"not in approvers may not reject either", planner.Stack{Name: "s", Approvers: []string{"bob"}}, run(keep, ""), alice, store.DecisionReject, "not an approver"},
		{"admin is not exempt from approvers", planner.Stack{Name: "s", Approvers: []string{"bob"}}, run(keep, ""), admin, store.DecisionApprove, "not an approver"},
		{"in approvers", planner.Stack{Name: "s", Approvers: []string{"bob"}}, run(keep, ""), bob, store.DecisionApprove, ""},
		{"own manual plan", planner.Stack{Name: "s"}, run(keep, "alice"), alice, store.DecisionApprove, "forbids approving one's own plan"},
		{"own plan, self approval allowed", planner.Stack{Name: "s", SelfApproval: true}, run(keep, "alice"), alice, store.DecisionApprove, ""},
		{"own plan may be rejected", planner.Stack{Name: "s"}, run(keep, "alice"), alice, store.DecisionReject, ""},
		{"someone else's plan", planner.Stack{Name: "s"}, run(keep, "bob"), alice, store.DecisionApprove, ""},
		{"destroy without the permission", planner.Stack{Name: "s"}, run(destroy, ""), bob, store.DecisionApprove, `"destroy" permission`},
		{"destroy with the permission", planner.Stack{Name: "s"}, run(destroy, ""), bobDestroy, store.DecisionApprove, ""},
		{"destroy by an admin", planner.Stack{Name: "s"}, run(destroy, ""), admin, store.DecisionApprove, ""},
		{"destroy on a stack that allows it", planner.Stack{Name: "s", AllowDestroy: true}, run(destroy, ""), bob, store.DecisionApprove, ""},
		{"rejecting a destroy needs no permission", planner.Stack{Name: "s"}, run(destroy, ""), bob, store.DecisionReject, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := policyOf(tt.stack).mayDecide(tt.run, tt.who, tt.decision)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.want != "" && err == nil:
				t.Errorf("allowed, want refusal %q", tt.want)
			case tt.want != "" && (!errors.Is(err, api.ErrForbidden) || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("refusal %v, want ErrForbidden with %q", err, tt.want)
			}
		})
	}
}

func TestPolicyAutoApplies(t *testing.T) {
	tests := []struct {
		name   string
		stack  planner.Stack
		b      store.Binding
		want   bool
		reason store.RunReason
	}{
		{"manual is the default", planner.Stack{Name: "s"}, store.Binding{}, false, store.ReasonNeedsApproval},
		{"auto", planner.Stack{Name: "s", Apply: planner.ApplyAuto}, store.Binding{}, true, ""},
		{"auto never destroys on its own", planner.Stack{Name: "s", Apply: planner.ApplyAuto, AllowDestroy: true}, store.Binding{Destroys: true}, false, store.ReasonDestroyNeedsApproval},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := policyOf(tt.stack)
			if got := p.autoApplies(tt.b); got != tt.want {
				t.Errorf("autoApplies = %v, want %v", got, tt.want)
			}
			if tt.want {
				return
			}
			if reason, why := p.waitReason(tt.b); reason != tt.reason || why == "" {
				t.Errorf("waitReason = %q %q, want %q", reason, why, tt.reason)
			}
		})
	}
}

func TestApproversAcrossSources(t *testing.T) {
	b := store.Binding{PlanRun: "p1", PlanSHA256: "aa"}
	other := store.Binding{PlanRun: "p0", PlanSHA256: "bb"}
	run := &store.Run{Binding: &b}
	got := Approvers(run.Binding, []store.Approval{
		{Approver: "alice", Decision: store.DecisionApprove, Binding: b},
		{Approver: "alice", Decision: store.DecisionApprove, Binding: b},
		{Approver: "bob", Decision: store.DecisionApprove, Binding: other},
		{Approver: "carol", Decision: store.DecisionReject, Binding: b},
		{Approver: "dave", Decision: store.DecisionApprove, Binding: b},
	})
	if strings.Join(got, ",") != "alice,dave" {
		t.Errorf("Approvers = %v, want alice and dave: one count each, none for another plan or a rejection", got)
	}
}

func TestAppliable(t *testing.T) {
	for trigger, want := range map[string]bool{
		TriggerCommit: true, TriggerInitial: true, TriggerForcePush: true, TriggerManual: true,
		TriggerRemediation: true, TriggerReplan: true, TriggerRelease: true,
		TriggerSchedule: false, TriggerPostApply: false, "pull-request": false, "local": false,
	} {
		if got := appliable(trigger); got != want {
			t.Errorf("appliable(%q) = %v, want %v", trigger, got, want)
		}
	}
}
