package apitest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/driftgate/driftgate/store"
)

// LockID is the id of the Terraform state lock GateFixture.Hold reports.
const LockID = "8d2f4a1c-6b3e-4f5a-9c7d-1e2f3a4b5c6d"

// GateFixture holds what SeedGate stores.
type GateFixture struct {
	// Awaiting is an apply run of infra/network awaiting approval, bound
	// to Fixture.Planned's plan (state serial 3, StateLineage), without
	// approvals yet; infra/network requires two.
	Awaiting store.Run
	// Cut is an apply run of platform/dns an hour old, interrupted by a
	// shutdown.
	Cut store.Run
	// Hold holds platform/dns since Cut was cut off; it left the state
	// lock LockID.
	Hold store.Hold
}

// SeedGate stores the apply runs of GateFixture over Seed's fixture fx and
// configures svc's gate: infra/network requires two approvals and
// platform/dns is held.
func SeedGate(tb testing.TB, svc *Service, fx Fixture) GateFixture {
	tb.Helper()
	ctx := context.Background()
	st := svc.Store
	must := func(what string, err error) {
		tb.Helper()
		if err != nil {
			tb.Fatalf("seed gate %s: %v", what, err)
		}
	}
	now := time.Now().UTC()
	planSum := sha256.Sum256([]byte(PlanJSON))
	var g GateFixture
	g.Awaiting = store.Run{
		Repo: "infra", Stack: "network", Dir: "envs/prod/network", Commit: InfraCommit,
		Trigger: "commit", Operation: "apply", Status: store.StatusAwaitingApproval,
		CreatedAt: fx.Planned.FinishedAt, TerraformVersion: "1.11.4",
		Summary: fx.Planned.Summary, Reason: store.ReasonNeedsApproval, Waiting: Waiting(0, 2),
		Binding: &store.Binding{
			PlanRun: fx.Planned.ID, PlanSHA256: hex.EncodeToString(planSum[:]), Commit: InfraCommit,
			StateSerial: 3, StateLineage: StateLineage, TerraformVersion: "1.11.4",
		},
	}
	must("awaiting run", st.CreateRun(ctx, &g.Awaiting))
	svc.RequireApprovals("infra", "network", 2)

	g.Cut = store.Run{
		Repo: "platform", Stack: "dns", Dir: "dns", Commit: PlatformCommit,
		Trigger: "manual", Operation: "apply", CreatedAt: now.Add(-time.Hour),
	}
	must("cut run", st.CreateRun(ctx, &g.Cut))
	g.Cut.Status, g.Cut.StartedAt = store.StatusInterrupted, g.Cut.CreatedAt.Add(time.Second)
	g.Cut.FinishedAt, g.Cut.Error = g.Cut.StartedAt.Add(30*time.Second), "interrupted by a shutdown of driftgate"
	must("finish cut run", st.FinishRun(ctx, &g.Cut, nil, []byte(LogText)))
	g.Hold = store.Hold{
		Repo: "platform", Stack: "dns", RunID: g.Cut.ID, Since: g.Cut.FinishedAt,
		Reason:      "apply run " + g.Cut.ID + " was cut off by a shutdown; the state may be half written",
		StatePulled: true, StateSerial: 7, StateLineage: StateLineage,
		Lock: &store.StateLock{
			ID: LockID, Path: "platform/dns.tfstate", Who: "driftgate@runner-1", Operation: "OperationTypeApply",
			Created: g.Cut.StartedAt, Command: "terraform force-unlock -force " + LockID,
		},
	}
	svc.HoldStack(g.Hold)
	return g
}
