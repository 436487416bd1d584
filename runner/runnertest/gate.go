package runnertest

import (
	"context"
	"testing"
	"time"

	"github.com/driftgate/driftgate/runner/api/apitest"
	"github.com/driftgate/driftgate/store"
)

// GateConfig is infra's .driftgate.hcl in StartGate: network needs two
// approvals, database the default one.
const GateConfig = `
stack "network" {
  dir       = "envs/prod/network"
  approvals = 2
}

stack "database" {
  dir = "envs/prod/database"
}
`

// Gate is a daemon watching repos infra (stacks network and database,
// GateConfig) and platform (stack dns), each planned once, so each stack
// has an apply run awaiting approval; platform/dns is held.
type Gate struct {
	*Daemon
	// Awaiting is infra/network's apply run, awaiting two approvals.
	Awaiting *store.Run
	// Hold holds platform/dns as an apply cut off by a shutdown leaves
	// it, with the state lock LockID left behind. The daemon did
	// not make it: it is seeded in the store.
	Hold store.Hold
}

// StartGate starts the daemon of Gate.
func StartGate(tb testing.TB) *Gate {
	tb.Helper()
	d := Start(tb,
		Repo{Name: "infra", Config: GateConfig, Dirs: []string{"envs/prod/network", "envs/prod/database"}},
		Repo{Name: "platform", Config: "stack \"dns\" {\n  dir = \"dns\"\n}\n", Dirs: []string{"dns"}},
	)
	g := &Gate{Daemon: d, Awaiting: d.Latest("infra", "network", "apply")}
	if g.Awaiting.Status != store.StatusAwaitingApproval {
		tb.Fatalf("infra/network's apply run is %s, want awaiting_approval", g.Awaiting.Status)
	}
	cut := d.Latest("platform", "dns", "apply")
	g.Hold = store.Hold{
		Repo: "platform", Stack: "dns", RunID: cut.ID, Since: time.Now().UTC(),
		Reason:      "apply run " + cut.ID + " was cut off by a shutdown; the state may be half written",
		StatePulled: true, StateSerial: 7, StateLineage: apitest.StateLineage,
		Lock: &store.StateLock{
			ID: LockID, Path: "platform/dns.tfstate", Who: "driftgate@runner-1", Operation: "OperationTypeApply",
			Created: cut.CreatedAt, Command: "terraform force-unlock -force " + LockID,
		},
	}
	if err := d.Store.HoldStack(context.Background(), &g.Hold); err != nil {
		tb.Fatalf("hold platform/dns: %v", err)
	}
	return g
}

// LockID is the id of the Terraform state lock Gate.Hold reports.
const LockID = "8d2f4a1c-6b3e-4f5a-9c7d-1e2f3a4b5c6d"
