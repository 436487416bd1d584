package runner

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/driftgate/driftgate/planner/tfrun"
	"github.com/driftgate/driftgate/runner/api"
	"github.com/driftgate/driftgate/store"
)

func TestGateApprovals(t *testing.T) {
	h := newGateHarness(t, `
stack "app" {
  dir       = "app"
  approvals = 2
  approvers = ["alice", "bob", "carol"]
}
`, "app")
	h.poll()
	h.settle()

	plan := h.latest("app", OperationPlan)
	if plan.Status != store.StatusPlanned || plan.Trigger != TriggerInitial {
		t.Fatalf("plan run = %s %s, want planned initial", plan.Status, plan.Trigger)
	}
	apply := h.latest("app", OperationApply)
	if apply.Status != store.StatusAwaitingApproval || apply.Reason != store.ReasonNeedsApproval {
		t.Fatalf("apply run = %s %q, want awaiting_approval needs_approval", apply.Status, apply.Reason)
	}
	file := h.fake.lastPlan("app")
	sum := sha256.Sum256(file)
	wantBinding := store.Binding{
		PlanRun: plan.ID, PlanSHA256: hex.EncodeToString(sum[:]), Commit: h.repo.Head(),
		StateSerial: 0, StateLineage: "", TerraformVersion: fakeVersion,
	}
	if apply.Binding == nil || *apply.Binding != wantBinding {
		t.Fatalf("binding = %+v, want %+v", apply.Binding, wantBinding)
	}
	if apply.Attrs[store.AttrPlanRun] != plan.ID || apply.Commit != h.repo.Head() {
		t.Errorf("apply run points at plan %s commit %s", apply.Attrs[store.AttrPlanRun], apply.Commit)
	}

	got := h.approve(alice, apply.ID)
	if got.Status != store.StatusAwaitingApproval || !strings.Contains(got.Waiting, "1 of 2") {
		t.Errorf("after one approval: %s %q, want awaiting with 1 of 2", got.Status, got.Waiting)
	}
	svc := service{h.d}
	if _, err := svc.ApproveRun(h.as(alice), apply.ID, ""); !errors.Is(err, api.ErrConflict) {
		t.Errorf("alice approving twice: %v, want ErrConflict", err)
	}
	if _, err := svc.ApproveRun(h.as(dave), apply.ID, ""); !errors.Is(err, api.ErrForbidden) || !strings.Contains(err.Error(), "not an approver") {
		t.Errorf("dave, not in approvers: %v, want ErrForbidden", err)
	}
	if r := h.run(apply.ID); r.Status != store.StatusAwaitingApproval || len(Approvers(r.Binding, r.Approvals)) != 1 {
		t.Errorf("refused approvals changed the run: %s %+v", r.Status, r.Approvals)
	}
	h.step()
	if len(h.fake.applyCalls()) != 0 {
		t.Fatal("applied with one of two approvals")
	}

	if got := h.approve(bob, apply.ID); got.Status != store.StatusQueued || got.Reason != "" {
		t.Fatalf("after two approvals: %s %q, want queued", got.Status, got.Reason)
	}
	h.step()
	if r := h.run(apply.ID); r.Status != store.StatusApplied {
		t.Fatalf("apply run = %s %s, want applied", r.Status, r.Error)
	}
	calls := h.fake.applyCalls()
	if len(calls) != 1 || calls[0].stack != "app" || !bytes.Equal(calls[0].planFile, file) || calls[0].expectVersion != fakeVersion {
		t.Errorf("applies = %+v, want the approved plan file once, expecting %s", calls, fakeVersion)
	}
	h.settle()

	versions, err := h.st.ListStateVersions(h.ctx, "infra", "app", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(versions) != 1 || versions[0].RunID != apply.ID || versions[0].Serial != 1 || versions[0].Lineage != "lineage-app" {
		t.Errorf("state versions = %+v, want serial 1 recorded by the apply", versions)
	}
	entries, _, err := h.st.ListAudit(h.ctx, store.AuditFilter{Repo: "infra", Stack: "app", Limit: store.MaxListLimit})
	if err != nil {
		t.Fatal(err)
	}
	var approvedBy []string
	applied := false
	for _, e := range entries {
		switch {
		case e.Action == store.AuditApprove && e.Result == store.AuditOK:
			approvedBy = append(approvedBy, e.Actor)
		case e.Action == store.AuditApply && e.Result == store.AuditOK && e.RunID == apply.ID:
			applied = true
		}
	}
	slices.Sort(approvedBy)
	if !slices.Equal(approvedBy, []string{"alice", "bob"}) || !applied {
		t.Errorf("audit: approvals by %v, apply entry %v; want alice and bob, and the apply", approvedBy, applied)
	}
}

func TestGateSelfApproval(t *testing.T) {
	h := newGateHarness(t, `
stack "solo" {
  dir = "solo"
}

stack "self" {
  dir           = "self"
  self_approval = true
}
`, "solo", "self")
	h.poll()
	h.settle()
	tests := []struct {
		stack string
		err   error
	}{
		{"solo", api.ErrForbidden},
		{"self", nil},
	}
	for _, tt := range tests {
		t.Run(tt.stack, func(t *testing.T) {
			initial := h.latest(tt.stack, OperationApply)
			plan, err := service{h.d}.TriggerPlan(h.as(alice), "infra", tt.stack)
			if err != nil {
				t.Fatal(err)
			}
			h.settle()
			if r := h.run(initial.ID); r.Status != store.StatusSuperseded {
				t.Errorf("the older apply run is %s, want superseded by the new plan", r.Status)
			}
			apply := h.latest(tt.stack, OperationApply)
			if apply.Attrs[store.AttrPlanRun] != plan.ID || apply.Attrs[store.AttrTriggeredBy] != "alice" {
				t.Fatalf("apply run attrs = %v, want plan %s triggered by alice", apply.Attrs, plan.ID)
			}
			got, err := service{h.d}.ApproveRun(h.as(alice), apply.ID, "")
			switch {
			case tt.err == nil && (err != nil || got.Status != store.StatusQueued):
				t.Errorf("alice approving her own plan: %v, want queued", err)
			case tt.err != nil && (!errors.Is(err, tt.err) || !strings.Contains(err.Error(), "self_approval")):
				t.Errorf("alice approving her own plan: %v, want %v naming self_approval", err, tt.err)
			}
			if tt.err != nil {
				if got := h.approve(bob, apply.ID); got.Status != store.StatusQueued {
					t.Errorf("bob's approval: %s, want queued", got.Status)
				}
			}
		})
	}
}

func TestGateDestroyGuard(t *testing.T) {
	h := newGateHarness(t, `
stack "auto" {
  dir   = "auto"
  apply = "auto"
}
`, "auto")
	h.fake.set(func(f *fakeTerraform) { f.destroys["auto"] = true })
	h.poll()
	h.settle()

	apply := h.latest("auto", OperationApply)
	if apply.Status != store.StatusAwaitingApproval || apply.Reason != store.ReasonDestroyNeedsApproval || !apply.Binding.Destroys {
		t.Fatalf("destroying apply = %s %q destroys=%v, want awaiting destroy_needs_approval", apply.Status, apply.Reason, apply.Binding.Destroys)
	}
	_, err := service{h.d}.ApproveRun(h.as(bob), apply.ID, "")
	if !errors.Is(err, api.ErrForbidden) || !strings.Contains(err.Error(), api.PermDestroy) {
		t.Errorf("approval without the destroy permission: %v, want ErrForbidden", err)
	}
	destroyer := api.Principal{Name: "carol", Role: api.RoleApprover, Permissions: []string{api.PermDestroy}}
	if got := h.approve(destroyer, apply.ID); got.Status != store.StatusQueued {
		t.Fatalf("approval with the destroy permission: %s, want queued", got.Status)
	}
	h.settle()
	if r := h.run(apply.ID); r.Status != store.StatusApplied {
		t.Fatalf("destroying apply = %s %s, want applied", r.Status, r.Error)
	}

	// A plan that destroys nothing applies at once.
	h.fake.set(func(f *fakeTerraform) { f.destroys["auto"] = false })
	head := h.repo.Commit("grow", map[string]string{"auto/more.tf": `resource "x" "z" {}`})
	h.poll()
	h.step() // plan
	next := h.latest("auto", OperationApply)
	if next.ID == apply.ID || next.Commit != head || next.Status != store.StatusQueued || next.Binding.Destroys {
		t.Fatalf("apply of the new commit = %s %s at %s, want queued at %s", next.ID, next.Status, next.Commit, head)
	}
	h.settle()
	if r := h.run(next.ID); r.Status != store.StatusApplied || len(r.Approvals) != 0 {
		t.Errorf("auto apply = %s with approvals %+v, want applied with none", r.Status, r.Approvals)
	}
	if n := len(h.fake.applyCalls()); n != 2 {
		t.Errorf("%d applies, want 2", n)
	}
}

// TestGateBindingOfAppliedStack checks that the binding of a stack with
// state holds the serial and lineage the plan file recorded.
func TestGateBindingOfAppliedStack(t *testing.T) {
	h := newGateHarness(t, `
stack "app" {
  dir = "app"
}
`, "app")
	h.fake.set(func(f *fakeTerraform) { f.states["app"] = fakeState{serial: 7, lineage: "lin-7"} })
	h.poll()
	h.settle()
	apply := h.latest("app", OperationApply)
	if b := apply.Binding; b.StateSerial != 7 || b.StateLineage != "lin-7" {
		t.Errorf("binding state = %d %q, want the plan file's 7 lin-7", b.StateSerial, b.StateLineage)
	}
	// The initial plan records the state it found.
	if v, err := h.st.ListStateVersions(h.ctx, "infra", "app", 0); err != nil || len(v) != 1 || v[0].Serial != 7 {
		t.Errorf("state versions = %+v, %v", v, err)
	}
	h.approve(alice, apply.ID)
	h.settle()
	if r := h.run(apply.ID); r.Status != store.StatusApplied {
		t.Fatalf("apply = %s %s", r.Status, r.Error)
	}
	if st := h.fake.state("app"); st.serial != 8 {
		t.Errorf("serial after apply = %d, want 8", st.serial)
	}
	// The check queued after the apply planned against the new state.
	if serial, lineage, err := tfrun.PlanFileState(h.fake.lastPlan("app")); err != nil || serial != 8 || lineage != "lin-7" {
		t.Errorf("last plan's state = %d %q, %v; want 8 lin-7", serial, lineage, err)
	}
	if checks := h.runs("app", OperationDrift); len(checks) != 1 || checks[0].Trigger != TriggerPostApply {
		t.Errorf("checks after the apply = %+v, want one post-apply check", checks)
	}
}
