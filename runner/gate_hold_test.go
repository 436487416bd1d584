package runner

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/driftgate/driftgate/planner/tfrun"
	"github.com/driftgate/driftgate/runner/api"
	"github.com/driftgate/driftgate/store"
)

const dependentStacks = `
stack "net" {
  dir = "net"
}

stack "svc" {
  dir        = "svc"
  depends_on = ["net"]
}
`

func TestGateDependsOn(t *testing.T) {
	h := newGateHarness(t, dependentStacks, "net", "svc")
	h.poll()
	h.settle()
	net, svc := h.latest("net", OperationApply), h.latest("svc", OperationApply)
	if net.Status != store.StatusAwaitingApproval || svc.Status != store.StatusAwaitingApproval {
		t.Fatalf("applies = net %s, svc %s; want both awaiting approval", net.Status, svc.Status)
	}
	if svc.Attrs[store.AttrDependsOn] != "net" {
		t.Errorf("svc apply attrs = %v, want depends_on net", svc.Attrs)
	}

	h.approve(alice, svc.ID)
	h.settle()
	got := h.run(svc.ID)
	if got.Status != store.StatusQueued || got.Reason != store.ReasonWaitingForDependency || !strings.Contains(got.Waiting, "stack net") {
		t.Fatalf("svc apply = %s %q %q, want queued waiting for net", got.Status, got.Reason, got.Waiting)
	}
	if n := len(h.fake.applyCalls()); n != 0 {
		t.Fatalf("%d applies before net was approved", n)
	}

	h.approve(alice, net.ID)
	h.settle()
	for _, id := range []string{net.ID, svc.ID} {
		if r := h.run(id); r.Status != store.StatusApplied || r.Reason != "" || r.Waiting != "" {
			t.Errorf("apply %s of %s = %s %q %q, want applied", id, r.Stack, r.Status, r.Reason, r.Waiting)
		}
	}
	var order []string
	for _, c := range h.fake.applyCalls() {
		order = append(order, c.stack)
	}
	if strings.Join(order, ",") != "net,svc" {
		t.Errorf("apply order = %v, want net, then svc", order)
	}
}

func TestGateDependencyFailed(t *testing.T) {
	h := newGateHarness(t, dependentStacks, "net", "svc")
	h.fake.set(func(f *fakeTerraform) { f.applyErr["net"] = errors.New("provider exploded") })
	h.poll()
	h.settle()
	net, svc := h.latest("net", OperationApply), h.latest("svc", OperationApply)
	h.approve(alice, svc.ID)
	h.approve(alice, net.ID)
	h.settle()

	if r := h.run(net.ID); r.Status != store.StatusErrored || !strings.Contains(r.Error, "provider exploded") {
		t.Fatalf("net apply = %s %q, want errored", r.Status, r.Error)
	}
	got := h.run(svc.ID)
	if got.Status != store.StatusQueued || got.Reason != store.ReasonDependencyFailed || !strings.Contains(got.Waiting, "net") {
		t.Errorf("svc apply = %s %q %q, want queued with dependency_failed", got.Status, got.Reason, got.Waiting)
	}
	for _, c := range h.fake.applyCalls() {
		if c.stack == "svc" {
			t.Error("svc applied although net failed")
		}
	}
}

const heldLock = "terraform force-unlock lock-1"

func TestGateHoldAndRelease(t *testing.T) {
	h := newGateHarness(t, `
stack "app" {
  dir = "app"
}
`, "app")
	h.fake.set(func(f *fakeTerraform) {
		f.states["app"] = fakeState{serial: 3, lineage: "lin"}
		f.block["app"] = true
		f.lock = &tfrun.LockInfo{ID: "lock-1", Path: "terraform.tfstate", Who: "driftgate@host", Operation: "OperationTypeApply", Command: heldLock}
	})
	h.poll()
	h.settle()
	first := h.latest("app", OperationApply)
	h.approve(alice, first.ID)

	if err := h.d.disp.dispatch(h.ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-h.fake.started:
	case <-time.After(10 * time.Second):
		t.Fatal("the apply did not start")
	}
	if r := h.run(first.ID); r.Status != store.StatusRunning {
		t.Fatalf("apply run = %s, want running", r.Status)
	}
	svc := service{h.d}
	if l, err := svc.StackLock(h.ctx, "infra", "app"); err != nil || l.Holder == nil || l.Holder.RunID != first.ID || l.Hold != nil {
		t.Errorf("lock while applying = %+v, %v; want held by the run, no hold", l, err)
	}
	if running, _ := h.d.disp.cancel(first.ID); !running {
		t.Fatal("cancel found no running run")
	}
	h.d.disp.wg.Wait()

	if r := h.run(first.ID); r.Status != store.StatusCanceled {
		t.Fatalf("canceled apply = %s %q", r.Status, r.Error)
	}
	hold, err := h.st.GetHold(h.ctx, "infra", "app")
	if err != nil {
		t.Fatal(err)
	}
	if hold.RunID != first.ID || !hold.StatePulled || hold.StateSerial != 3 || hold.StateLineage != "lin" ||
		hold.Lock == nil || hold.Lock.ID != "lock-1" || hold.Lock.Command != heldLock {
		t.Errorf("hold = %+v (lock %+v)", hold, hold.Lock)
	}
	locks, err := svc.Locks(h.ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(locks) != 1 || locks[0].Stack != "app" || locks[0].Hold == nil || locks[0].Holder != nil {
		t.Errorf("locks = %+v, want app held and not running", locks)
	}

	// A newer commit's apply waits for the release.
	h.fake.set(func(f *fakeTerraform) { f.block["app"] = false })
	h.repo.Commit("fix", map[string]string{"app/more.tf": `resource "x" "z" {}`})
	h.poll()
	h.settle()
	next := h.latest("app", OperationApply)
	if next.ID == first.ID {
		t.Fatal("the new commit opened no apply run")
	}
	h.approve(alice, next.ID)
	h.settle()
	if r := h.run(next.ID); r.Status != store.StatusQueued || r.Reason != store.ReasonStackHeld || !strings.Contains(r.Waiting, first.ID) {
		t.Fatalf("apply of a held stack = %s %q %q, want queued stack_held", r.Status, r.Reason, r.Waiting)
	}
	if n := len(h.fake.applyCalls()); n != 1 {
		t.Fatalf("%d applies, want only the canceled one", n)
	}

	if _, err := svc.ReleaseStack(h.as(root), "infra", "nope", ""); !errors.Is(err, api.ErrNotFound) {
		t.Errorf("release of an unknown stack: %v, want ErrNotFound", err)
	}
	rel, err := svc.ReleaseStack(h.as(root), "infra", "app", "lock cleared")
	if err != nil {
		t.Fatal(err)
	}
	if rel.Released.RunID != first.ID || rel.Plan != nil {
		t.Errorf("release = %+v, plan %+v; want the hold of %s and no plan: a fresh apply waits", rel.Released, rel.Plan, first.ID)
	}
	if _, err := h.st.GetHold(h.ctx, "infra", "app"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("hold after release: %v, want ErrNotFound", err)
	}
	if _, err := svc.ReleaseStack(h.as(root), "infra", "app", ""); !errors.Is(err, api.ErrConflict) {
		t.Errorf("second release: %v, want ErrConflict", err)
	}
	h.settle()
	if r := h.run(next.ID); r.Status != store.StatusApplied {
		t.Errorf("apply after release = %s %q, want applied", r.Status, r.Error)
	}
	entries, _, err := h.st.ListAudit(h.ctx, store.AuditFilter{Action: store.AuditRelease, Limit: 10})
	if err != nil || len(entries) != 1 || entries[0].Actor != "root" {
		t.Errorf("release audit = %+v, %v", entries, err)
	}
}

func TestGateReleaseQueuesPlan(t *testing.T) {
	h := newGateHarness(t, "stack \"app\" {\n  dir = \"app\"\n}\n", "app")
	h.poll()
	h.settle()
	if err := h.st.HoldStack(h.ctx, &store.Hold{Repo: "infra", Stack: "app", RunID: h.latest("app", OperationApply).ID, Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	// The apply run opened before the hold is not a fresh one.
	rel, err := service{h.d}.ReleaseStack(h.as(root), "infra", "app", "")
	if err != nil {
		t.Fatal(err)
	}
	if rel.Plan == nil || rel.Plan.Trigger != TriggerRelease || rel.Plan.Attrs[store.AttrTriggeredBy] != "root" {
		t.Fatalf("release plan = %+v, want a release plan triggered by root", rel.Plan)
	}
}

func TestGateHoldsApplyCutOffByACrash(t *testing.T) {
	h := newGateHarness(t, "stack \"app\" {\n  dir = \"app\"\n}\n", "app")
	h.fake.set(func(f *fakeTerraform) {
		f.states["app"] = fakeState{serial: 5, lineage: "lin"}
		f.lock = &tfrun.LockInfo{ID: "lock-9", Operation: "OperationTypeApply"}
	})
	h.poll()
	run := &store.Run{Repo: "infra", Stack: "app", Dir: "app", Commit: h.repo.Head(), Trigger: TriggerCommit, Operation: OperationApply}
	if _, err := enqueueRun(h.ctx, h.st, run); err != nil {
		t.Fatal(err)
	}
	if _, err := claimRun(h.ctx, h.st, run.ID); err != nil {
		t.Fatal(err)
	}
	// What Run does at start-up, without listening.
	interrupted, err := interruptRunning(h.ctx, h.st, "interrupted: crash")
	if err != nil || len(interrupted) != 1 || interrupted[0].ID != run.ID {
		t.Fatalf("interrupted = %+v, %v", interrupted, err)
	}
	h.d.holdCutOff(h.ctx, &interrupted[0])

	hold, err := h.st.GetHold(h.ctx, "infra", "app")
	if err != nil {
		t.Fatal(err)
	}
	if hold.RunID != run.ID || !strings.Contains(hold.Reason, "crash") || !hold.StatePulled || hold.StateSerial != 5 || hold.StateLineage != "lin" {
		t.Errorf("hold = %+v", hold)
	}
	if hold.Lock == nil || hold.Lock.ID != "lock-9" || !strings.Contains(hold.Lock.Command, "held by a live process") {
		t.Errorf("hold lock = %+v, want lock-9 with no command to clear it blindly", hold.Lock)
	}
	if r := h.run(run.ID); r.Status != store.StatusInterrupted {
		t.Errorf("cut-off run = %s, want interrupted", r.Status)
	}
	audit, _, err := h.st.ListAudit(h.ctx, store.AuditFilter{Action: store.AuditHold, Limit: 10})
	if err != nil || len(audit) != 1 || audit[0].RunID != run.ID || !strings.Contains(audit[0].Detail, "lock-9") {
		t.Errorf("hold audit = %+v, %v", audit, err)
	}
}
