package runner

import (
	"strings"
	"testing"

	"github.com/driftgate/driftgate/planner/tfrun"
	"github.com/driftgate/driftgate/store"
)

const twoManualStacks = `
stack "a" {
  dir = "a"
}

stack "b" {
  dir = "b"
}
`

// approvedApply polls the harness's repo, plans, and approves the apply
// run of stack, returning it queued.
func approvedApply(h *gateHarness, stack string) store.Run {
	h.tb.Helper()
	h.poll()
	h.settle()
	apply := h.latest(stack, OperationApply)
	if got := h.approve(alice, apply.ID); got.Status != store.StatusQueued {
		h.tb.Fatalf("approved apply is %s, want queued", got.Status)
	}
	return apply
}

func TestGateRefusesApply(t *testing.T) {
	tests := []struct {
		name string
		// change happens between the approval and the apply.
		change  func(h *gateHarness)
		reason  store.RunReason
		applies int // calls of Apply
	}{
		{"state changed", func(h *gateHarness) { h.fake.bump("a") }, store.ReasonStaleState, 0},
		{"plan file tampered with", func(h *gateHarness) { h.st.tamper.Store(true) }, store.ReasonPlanTampered, 0},
		{"terraform version changed", func(h *gateHarness) {
			h.fake.set(func(f *fakeTerraform) {
				f.applyErr["a"] = &tfrun.VersionMismatchError{Want: fakeVersion, Got: "1.12.0"}
			})
		}, store.ReasonVersionMismatch, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newGateHarness(t, twoManualStacks, "a", "b")
			apply := approvedApply(h, "a")
			tt.change(h)
			h.step()

			got := h.run(apply.ID)
			if got.Status != store.StatusRefused || got.Reason != tt.reason || !strings.HasPrefix(got.Error, "apply refused: "+string(tt.reason)) {
				t.Fatalf("apply run = %s %q %q, want refused %s", got.Status, got.Reason, got.Error, tt.reason)
			}
			if n := len(h.fake.applyCalls()); n != tt.applies {
				t.Errorf("%d calls of Apply, want %d", n, tt.applies)
			}
			if v, _ := h.st.ListStateVersions(h.ctx, "infra", "a", 0); len(v) != 0 {
				t.Errorf("a refused apply recorded state versions %+v", v)
			}
			replan := h.latest("a", OperationPlan)
			if replan.Trigger != TriggerReplan || replan.Status != store.StatusQueued || replan.Commit != h.repo.Head() {
				t.Fatalf("newest plan = %s %s at %s, want a queued replan at head", replan.Trigger, replan.Status, replan.Commit)
			}
			if b := h.latest("b", OperationApply); b.Status != store.StatusAwaitingApproval {
				t.Errorf("the other stack's apply is %s, want untouched", b.Status)
			}
			audit, _, err := h.st.ListAudit(h.ctx, store.AuditFilter{Action: store.AuditApply, Limit: store.MaxListLimit})
			if err != nil {
				t.Fatal(err)
			}
			if len(audit) != 1 || audit[0].Result != store.AuditRefused || audit[0].RunID != apply.ID {
				t.Errorf("apply audit = %+v, want one refusal", audit)
			}

			// The replan opens a fresh apply, bound to what is there now.
			h.st.tamper.Store(false)
			h.fake.set(func(f *fakeTerraform) { delete(f.applyErr, "a") })
			h.settle()
			fresh := h.latest("a", OperationApply)
			if fresh.ID == apply.ID || fresh.Status != store.StatusAwaitingApproval || fresh.Attrs[store.AttrPlanRun] != replan.ID {
				t.Fatalf("after the replan: apply %s %s of plan %s, want a new one awaiting approval", fresh.ID, fresh.Status, fresh.Attrs[store.AttrPlanRun])
			}
			if st := h.fake.state("a"); fresh.Binding.StateSerial != st.serial || fresh.Binding.StateLineage != st.lineage {
				t.Errorf("fresh binding state %d %q, want the current %d %q", fresh.Binding.StateSerial, fresh.Binding.StateLineage, st.serial, st.lineage)
			}
			h.approve(alice, fresh.ID)
			h.settle()
			if r := h.run(fresh.ID); r.Status != store.StatusApplied {
				t.Errorf("fresh apply = %s %s, want applied", r.Status, r.Error)
			}
		})
	}
}

func TestGateNewerCommit(t *testing.T) {
	tests := []struct {
		name       string
		files      map[string]string
		superseded bool
	}{
		{"changes the stack", map[string]string{"a/more.tf": `resource "x" "z" {}`}, true},
		{"changes another stack", map[string]string{"b/more.tf": `resource "x" "z" {}`}, false},
		{"changes no stack", map[string]string{"README.md": "# infra"}, false},
		{"removes the stack", map[string]string{".driftgate.hcl": "stack \"b\" {\n  dir = \"b\"\n}\n"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newGateHarness(t, twoManualStacks, "a", "b")
			apply := approvedApply(h, "a")
			plans := len(h.runs("a", OperationPlan))
			head := h.repo.Commit("newer", tt.files)
			// Fetch without polling: the watcher has not planned the new
			// commit when the apply starts.
			if got, err := h.w.Mirror().Fetch(h.ctx); err != nil || got.String() != head {
				t.Fatalf("fetch = %s, %v; want %s", got, err, head)
			}
			h.step()

			got := h.run(apply.ID)
			applies := len(h.fake.applyCalls())
			if tt.superseded {
				if got.Status != store.StatusSuperseded || got.Reason != store.ReasonSuperseded || applies != 0 {
					t.Fatalf("apply run = %s %q %q after %d applies, want superseded and nothing applied", got.Status, got.Reason, got.Error, applies)
				}
				if !strings.Contains(got.Error, head[:12]) {
					t.Errorf("error %q does not name the newer head %s", got.Error, head[:12])
				}
				if n := len(h.runs("a", OperationPlan)); n != plans {
					t.Errorf("%d plans of a, want %d: the newer commit's own plan replaces it, no replan", n, plans)
				}
				return
			}
			if got.Status != store.StatusApplied || applies != 1 {
				t.Fatalf("apply run = %s %q after %d applies, want applied", got.Status, got.Error, applies)
			}
		})
	}
}

// TestGateRejectedApply checks that a rejected run never applies, and that
// a rejection is refused to a principal outside the approvers list.
func TestGateRejectedApply(t *testing.T) {
	h := newGateHarness(t, `
stack "a" {
  dir       = "a"
  approvers = ["alice"]
}
`, "a")
	h.poll()
	h.settle()
	apply := h.latest("a", OperationApply)
	svc := service{h.d}
	if _, err := svc.RejectRun(h.as(bob), apply.ID, "no"); err == nil {
		t.Fatal("bob, not an approver, rejected the run")
	}
	got, err := svc.RejectRun(h.as(alice), apply.ID, "not today")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != store.StatusRejected || got.Error != "rejected by alice: not today" {
		t.Errorf("rejected run = %s %q", got.Status, got.Error)
	}
	h.settle()
	if n := len(h.fake.applyCalls()); n != 0 {
		t.Errorf("%d applies of a rejected run", n)
	}
	if _, err := svc.ApproveRun(h.as(alice), apply.ID, ""); err == nil {
		t.Error("a rejected run was approved")
	}
}

// TestGateBrokenConfigAtHeadWaits checks that an approved apply is not
// lost while the branch head has a broken .driftgate.hcl: it waits, and
// once a commit reverts the breakage (which the watcher, planning by the
// diff from the last commit it planned, does not plan again) it applies.
func TestGateBrokenConfigAtHeadWaits(t *testing.T) {
	h := newGateHarness(t, twoManualStacks, "a", "b")
	apply := approvedApply(h, "a")
	h.repo.Commit("broken", map[string]string{".driftgate.hcl": `stack "a" {`})
	if _, err := h.w.Mirror().Fetch(h.ctx); err != nil {
		t.Fatal(err)
	}
	h.step()
	if got := h.run(apply.ID); got.Status != store.StatusQueued || got.Reason != store.ReasonHeadUnreadable || !strings.Contains(got.Waiting, "broken") {
		t.Fatalf("apply while head is broken: %s %s %q", got.Status, got.Reason, got.Waiting)
	}
	if err := h.w.poll(h.ctx); err == nil {
		t.Fatal("polling a broken .driftgate.hcl succeeded")
	}
	h.repo.Commit("revert", map[string]string{".driftgate.hcl": twoManualStacks})
	h.poll()
	h.settle()
	if got := h.run(apply.ID); got.Status != store.StatusApplied {
		t.Errorf("apply %s after the revert ended %s (%s %s), want applied: head is what was approved", apply.ID, got.Status, got.Reason, got.Error)
	}
}
