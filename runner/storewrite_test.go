package runner

import (
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/driftgate/driftgate/runner/api"
	"github.com/driftgate/driftgate/store"
)

// smallDisk mounts a tmpfs of size (such as "16m") on a temp dir and
// returns the dir: a real filesystem that fills up. It skips the test
// where mounting is not permitted (it needs root).
func smallDisk(tb testing.TB, size string) string {
	tb.Helper()
	dir := tb.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput()
	if err != nil {
		tb.Skipf("cannot mount a %s tmpfs to fill up (needs root): %v: %s", size, err, out)
	}
	tb.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			tb.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// fillDisk fills the filesystem of dir but for about leave bytes and
// returns a func that frees the space again.
func fillDisk(tb testing.TB, dir string, leave int64) (free func()) {
	tb.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	var n int64
	for {
		w, err := f.Write(chunk)
		n += int64(w)
		if err != nil {
			break
		}
	}
	if err := f.Truncate(max(0, n-leave)); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return func() {
		if err := os.Remove(path); err != nil {
			tb.Fatal(err)
		}
	}
}

// openStoreIn opens a store in dir, closed at cleanup.
func openStoreIn(tb testing.TB, dir string) *store.Store {
	tb.Helper()
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = st.Close() })
	return st
}

// eventually polls cond every 10ms for up to 10s.
func eventually(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	tb.Fatalf("timed out waiting for %s", what)
}

// readyz answers GET /readyz of the daemon's API.
func readyz(h *gateHarness) (int, string) {
	rec := httptest.NewRecorder()
	api.NewHandler(service{h.d}, h.d.cfg.Auth, nil).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	return rec.Code, rec.Body.String()
}

// TestOutcomeWriteRetried runs a plan whose outcome (a 4 MB log) does not
// fit on a full disk: the run keeps its slot and its stack's lock while
// the write is retried, the daemon answers /readyz 503 "store cannot
// write" and starts nothing else, a cancel says the run has ended and is
// being recorded, and once space is freed the outcome is recorded and work
// resumes.
func TestOutcomeWriteRetried(t *testing.T) {
	disk := smallDisk(t, "16m")
	h := newGateHarnessOn(t, openStoreIn(t, filepath.Join(disk, "data")), "stack \"app\" {\n  dir = \"app\"\n}\nstack \"net\" {\n  dir = \"net\"\n}\n", "app", "net")
	h.d.retryMin, h.d.retryMax = 10*time.Millisecond, 50*time.Millisecond
	h.d.ready.Store(true)
	h.d.disp.max = 1
	h.poll()
	big := make([]byte, 4<<20)
	if _, err := io.ReadFull(rand.Reader, big); err != nil {
		t.Fatal(err)
	}
	h.fake.set(func(f *fakeTerraform) { f.planLog = big })
	free := fillDisk(t, disk, 1<<20)

	if err := h.d.disp.dispatch(h.ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the outcome write to fail", h.d.health.retrying)
	var stuck store.Run
	h.d.disp.mu.Lock()
	for _, a := range h.d.disp.running {
		stuck = a.run
	}
	h.d.disp.mu.Unlock()
	if r := h.run(stuck.ID); r.Status != store.StatusRunning {
		t.Fatalf("run whose outcome failed to write = %s, want still running", r.Status)
	}
	code, body := readyz(h)
	t.Logf("/readyz while the disk is full: %d %s", code, body)
	if strings.Contains(body, disk) || strings.Contains(body, stuck.ID) {
		t.Errorf("/readyz names a path or a run id: %s", body)
	}
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "store cannot write") {
		t.Errorf("/readyz = %d %s, want 503 saying the store cannot write", code, body)
	}
	_, err := service{h.d}.CancelRun(h.as(alice), stuck.ID)
	if !errors.Is(err, api.ErrUnavailable) || !strings.Contains(err.Error(), "has ended") || strings.Contains(err.Error(), "try again;") {
		t.Errorf("cancel of the unrecorded run: %v; want ErrUnavailable saying it has ended", err)
	}
	lock, err := service{h.d}.StackLock(h.ctx, "infra", stuck.Stack)
	if err != nil || lock.Holder == nil || lock.Holder.RunID != stuck.ID {
		t.Errorf("lock of %s = %+v, %v; want held by the run being recorded", stuck.Stack, lock, err)
	}
	h.d.disp.max = 2
	if err := h.d.disp.dispatch(h.ctx); err != nil {
		t.Fatal(err)
	}
	for _, r := range h.runs("", OperationPlan) {
		if r.ID != stuck.ID && r.Status != store.StatusQueued {
			t.Errorf("run %s of %s = %s while the store cannot write, want still queued", r.ID, r.Stack, r.Status)
		}
	}

	free()
	eventually(t, "the outcome to be recorded", func() bool { return h.run(stuck.ID).Status == store.StatusPlanned })
	h.d.disp.wg.Wait()
	if code, body := readyz(h); code != http.StatusOK {
		t.Errorf("/readyz after the write = %d %s, want 200", code, body)
	}
	if log, err := h.st.GetLog(h.ctx, stuck.ID); err != nil || len(log) != len(big) {
		t.Errorf("recorded log = %d bytes, %v; want the %d bytes of the plan", len(log), err, len(big))
	}
	h.fake.set(func(f *fakeTerraform) { f.planLog = nil })
	h.settle()
	for _, stack := range []string{"app", "net"} {
		if r := h.latest(stack, OperationPlan); r.Status != store.StatusPlanned {
			t.Errorf("plan of %s = %s %q, want planned", stack, r.Status, r.Error)
		}
	}
}

// TestAuditedActionOnFullDisk approves an apply run, with a comment too
// big for what is left, while the disk is full: it answers ErrUnavailable,
// and neither the approval nor its audit entry is stored. Once space is
// freed both are, together. (Small writes may still fit in the database's
// free pages on a full disk; TestAuditFirst covers those.)
func TestAuditedActionOnFullDisk(t *testing.T) {
	disk := smallDisk(t, "16m")
	h := newGateHarnessOn(t, openStoreIn(t, filepath.Join(disk, "data")), "stack \"app\" {\n  dir = \"app\"\n}\n", "app")
	h.poll()
	h.settle()
	apply := h.latest("app", OperationApply)
	if apply.Status != store.StatusAwaitingApproval {
		t.Fatalf("apply run = %s, want awaiting approval", apply.Status)
	}
	queued, err := service{h.d}.CheckDrift(h.as(alice), "infra", "app")
	if err != nil {
		t.Fatal(err)
	}
	entries := func(action store.AuditAction) []store.AuditEntry {
		t.Helper()
		es, _, err := h.st.ListAudit(h.ctx, store.AuditFilter{Action: action, Limit: store.MaxListLimit})
		if err != nil {
			t.Fatal(err)
		}
		return es
	}
	comment := strings.Repeat("reviewed; ", 50_000) // a 500 KB write: more than is left
	free := fillDisk(t, disk, 64<<10)

	svc := service{h.d}
	if _, err := svc.ApproveRun(h.as(alice), apply.ID, comment); !errors.Is(err, api.ErrUnavailable) || !strings.Contains(err.Error(), "store cannot write") {
		t.Errorf("approve on a full disk: %v, want ErrUnavailable saying the store cannot write", err)
	}
	if r := h.run(apply.ID); r.Status != store.StatusAwaitingApproval || len(r.Approvals) != 0 {
		t.Errorf("apply run after the failed approval = %s with %d approvals, want untouched", r.Status, len(r.Approvals))
	}
	if es := entries(store.AuditApprove); len(es) != 0 {
		t.Errorf("audit has %d approve entries for an approval that was not stored: %+v", len(es), es)
	}

	free()
	got, err := svc.ApproveRun(h.as(alice), apply.ID, comment)
	if err != nil || got.Status != store.StatusQueued {
		t.Fatalf("approve after freeing space: %+v, %v; want queued", got, err)
	}
	if es := entries(store.AuditApprove); len(es) != 1 || es[0].RunID != apply.ID || es[0].Actor != alice.Name || es[0].Result != store.AuditOK {
		t.Errorf("approve entries = %+v, want alice's one", es)
	}
	if es := entries(store.AuditDriftCheck); len(es) != 1 || es[0].Actor != alice.Name || es[0].Stack != "app" {
		t.Errorf("drift-check entries = %+v, want alice's", es)
	}
	if _, err := svc.CancelRun(h.as(alice), queued.ID); err != nil {
		t.Fatal(err)
	}
	if es := entries(store.AuditCancel); len(es) != 1 || es[0].RunID != queued.ID {
		t.Errorf("cancel entries = %+v, want one for run %s", es, queued.ID)
	}
}

// TestAuditFirst cancels a running apply while its audit entry cannot be
// written: the cancel answers ErrUnavailable and the apply goes on. Once
// the log writes again, the cancel is recorded and interrupts it.
func TestAuditFirst(t *testing.T) {
	h := newGateHarness(t, "stack \"app\" {\n  dir = \"app\"\n  apply = \"auto\"\n}\n", "app")
	h.fake.set(func(f *fakeTerraform) { f.block["app"] = true })
	h.poll()
	h.step() // the plan; its apply is queued at once
	if err := h.d.disp.dispatch(h.ctx); err != nil {
		t.Fatal(err)
	}
	<-h.fake.started
	apply := h.latest("app", OperationApply)
	svc := service{h.d}

	h.st.full.Store(true)
	_, err := svc.CancelRun(h.as(alice), apply.ID)
	h.st.full.Store(false)
	if !errors.Is(err, api.ErrUnavailable) || !strings.Contains(err.Error(), "nothing was done") {
		t.Fatalf("cancel while the audit log cannot be written: %v, want ErrUnavailable saying nothing was done", err)
	}
	if r := h.run(apply.ID); r.Status != store.StatusRunning {
		t.Fatalf("apply after the refused cancel = %s, want still running", r.Status)
	}
	if _, err := svc.CancelRun(h.as(alice), apply.ID); err != nil {
		t.Fatal(err)
	}
	h.d.disp.wg.Wait()
	if r := h.run(apply.ID); r.Status != store.StatusCanceled {
		t.Errorf("apply after the cancel = %s, want canceled", r.Status)
	}
	es, _, err := h.st.ListAudit(h.ctx, store.AuditFilter{Action: store.AuditCancel, Limit: store.MaxListLimit})
	if err != nil || len(es) != 1 || es[0].RunID != apply.ID || es[0].Actor != alice.Name {
		t.Errorf("cancel entries = %+v, %v; want alice's one", es, err)
	}
}

// TestOutcomeRetriedUntilWritten fails the outcome write of a plan, as a
// full disk does, and checks the daemon: not ready and starting nothing
// while it retries, the run recorded once writes succeed. It needs no
// root, unlike TestOutcomeWriteRetried.
func TestOutcomeRetriedUntilWritten(t *testing.T) {
	h := newGateHarness(t, "stack \"app\" {\n  dir = \"app\"\n}\n", "app")
	h.d.retryMin, h.d.retryMax = 10*time.Millisecond, 50*time.Millisecond
	h.d.ready.Store(true)
	h.poll()
	plan := h.latest("app", OperationPlan)
	h.st.full.Store(true)
	if err := h.d.disp.dispatch(h.ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the outcome write to fail", h.d.health.retrying)
	err := service{h.d}.Ready(h.ctx)
	if err == nil || !strings.Contains(err.Error(), "store cannot write: no space left on device") {
		t.Errorf("Ready while the outcome cannot be written: %v, want store cannot write: no space left on device", err)
	}
	drift, err := service{h.d}.CheckDrift(h.as(alice), "infra", "app")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.d.disp.dispatch(h.ctx); err != nil {
		t.Fatal(err)
	}
	if r := h.run(drift.ID); r.Status != store.StatusQueued {
		t.Errorf("drift check queued while the store cannot write = %s, want still queued", r.Status)
	}
	h.st.full.Store(false)
	h.d.disp.wg.Wait()
	if r := h.run(plan.ID); r.Status != store.StatusPlanned {
		t.Errorf("plan after writes succeed again = %s %q, want planned", r.Status, r.Error)
	}
	if err := (service{h.d}).Ready(h.ctx); err != nil {
		t.Errorf("Ready after the write: %v", err)
	}
	h.settle()
	if r := h.run(drift.ID); r.Status == store.StatusQueued || r.Status == store.StatusRunning {
		t.Errorf("drift check after writes succeed again = %s, want finished", r.Status)
	}
}

// TestOutcomeGivenUpAtShutdown stops driftgate while a run's outcome
// cannot be written: the retries end, and the run, still running in the
// store, is marked interrupted at the next start-up.
func TestOutcomeGivenUpAtShutdown(t *testing.T) {
	h := newGateHarness(t, "stack \"app\" {\n  dir = \"app\"\n}\n", "app")
	h.d.retryMin, h.d.retryMax = 10*time.Millisecond, 50*time.Millisecond
	h.poll()
	plan := h.latest("app", OperationPlan)
	h.st.full.Store(true)
	if err := h.d.disp.dispatch(h.ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the outcome write to fail", h.d.health.retrying)
	h.d.disp.mu.Lock()
	h.d.disp.running[plan.ID].cancel(ErrShutdown)
	h.d.disp.mu.Unlock()
	h.d.disp.wg.Wait()
	h.st.full.Store(false)
	if r := h.run(plan.ID); r.Status != store.StatusRunning {
		t.Fatalf("run given up at shutdown = %s, want left running for start-up", r.Status)
	}
	if h.d.health.retrying() {
		t.Error("still retrying after shutdown")
	}
	interrupted, err := interruptRunning(h.ctx, h.st, "interrupted at start-up")
	if err != nil || len(interrupted) != 1 || interrupted[0].ID != plan.ID {
		t.Errorf("start-up interrupted %+v, %v; want the plan", interrupted, err)
	}
}

// TestClaimFailureNotReady fails the claim of a queued run, as a full disk
// does: the daemon reports itself not ready until a claim goes through.
func TestClaimFailureNotReady(t *testing.T) {
	h := newGateHarness(t, "stack \"app\" {\n  dir = \"app\"\n}\n", "app")
	h.d.ready.Store(true)
	h.poll()
	h.st.fullUpdates.Store(true)
	if err := h.d.disp.dispatch(h.ctx); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("dispatch with claims failing: %v, want ENOSPC", err)
	}
	if err := (service{h.d}).Ready(h.ctx); err == nil || !strings.Contains(err.Error(), "store cannot write: no space left on device; queued runs cannot start") {
		t.Errorf("Ready while claims fail: %v, want store cannot write", err)
	}
	h.st.fullUpdates.Store(false)
	h.settle()
	if err := (service{h.d}).Ready(h.ctx); err != nil {
		t.Errorf("Ready after a claim went through: %v", err)
	}
	if r := h.latest("app", OperationPlan); r.Status != store.StatusPlanned {
		t.Errorf("plan = %s, want planned", r.Status)
	}
}
