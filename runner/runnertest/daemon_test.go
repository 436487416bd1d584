package runnertest_test

import (
	"testing"

	"github.com/driftgate/driftgate/runner/runnertest"
	"github.com/driftgate/driftgate/store"
)

func TestStartOpensTheGate(t *testing.T) {
	d := runnertest.Start(t, runnertest.Repo{Name: "infra", Config: `
stack "network" {
  dir       = "network"
  approvals = 2
}
`, Dirs: []string{"network"}})
	plan := d.Latest("infra", "network", "plan")
	apply := d.Latest("infra", "network", "apply")
	if plan.Status != store.StatusPlanned || apply.Status != store.StatusAwaitingApproval || apply.Binding == nil || apply.Binding.PlanRun != plan.ID {
		t.Fatalf("plan %s, apply %s %+v", plan.Status, apply.Status, apply.Binding)
	}
}
