package test

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/driftgate/driftgate/store"
	"github.com/driftgate/driftgate/test/gittest"
	"github.com/driftgate/driftgate/test/tftest"
)

// slowApply makes an apply slow: the wait is read at apply time because
// its duration depends on the id of the server the apply creates.
const slowApply = `data "dgtest_wait" "slow" {
  duration = length(dgtest_server.this.id) > 0 ? "120s" : "1s"
}
`

// TestApplyCrash kills driftgate with SIGKILL in the middle of an apply:
// after the restart the run is interrupted and never run again, the stack
// is held with the state it was left in and the state lock reported,
// applies wait until an admin releases it, and then the next apply works.
func TestApplyCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	env := tftest.Setup(t)
	bin := buildDriftgate(t)
	work := t.TempDir()
	objects := filepath.Join(work, "objects")
	statePath := filepath.Join(work, "state", "slow.tfstate")
	up := gittest.New(t, map[string]string{
		".driftgate.hcl":      "stack \"slow\" {\n  dir = \"stacks/slow\"\n}\n",
		"stacks/slow/main.tf": gateStack(statePath, objects, "slow", "small", slowApply),
	})
	first := up.Head()
	config := writeGateConfig(t, env, work, up.Dir, `shutdown_timeout = "5s"`)
	d := newDaemon(t, env, bin, config)
	d.start()

	cut := d.applyRun("slow apply awaiting approval", "slow", first, store.StatusAwaitingApproval)
	d.approve(cut.ID, aliceToken)
	// The server is created, then the apply sleeps: kill driftgate there.
	deadline := time.Now().Add(2 * time.Minute)
	for !fileExists(tftest.ObjectPath(objects, tftest.Servers, "slow")) {
		if time.Now().After(deadline) {
			t.Fatalf("the apply never created the server\n%s", d.log())
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	d.kill9()

	d.start()
	r := d.waitStatus(cut.ID, 30*time.Second, store.StatusInterrupted)
	if !strings.Contains(r.Error, "stopped") {
		t.Errorf("interrupted apply error %q", r.Error)
	}
	status, body := d.call("GET", "/api/v1/stacks/infra/slow/lock", viewerToken)
	var lock struct {
		Hold *store.Hold `json:"hold"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &lock) != nil || lock.Hold == nil {
		t.Fatalf("lock of the stack after the crash: %d %s", status, body)
	}
	h := lock.Hold
	if h.RunID != cut.ID || !h.StatePulled {
		t.Errorf("hold %+v, want run %s and the state pulled", h, cut.ID)
	}
	if h.Lock == nil || h.Lock.ID == "" || !strings.Contains(h.Lock.Command, ".slow.tfstate.lock.info") {
		t.Errorf("hold %+v does not report the state lock left behind with a command to clear it", h)
	}

	// While held, a new commit is planned and may be approved, but its
	// apply waits for the release.
	second := up.Commit("slow: quick", map[string]string{"stacks/slow/main.tf": gateStack(statePath, objects, "slow", "large", "")})
	next := d.applyRun("plan after the crash awaiting", "slow", second, store.StatusAwaitingApproval)
	d.approve(next.ID, aliceToken)
	deadline = time.Now().Add(time.Minute)
	for r := d.run(next.ID); r.Reason != store.ReasonStackHeld; r = d.run(next.ID) {
		if r.Status != store.StatusQueued || time.Now().After(deadline) {
			t.Fatalf("apply on a held stack: %+v", r)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if status, body := d.post("/api/v1/stacks/infra/slow/release", aliceToken, ""); status != http.StatusForbidden {
		t.Errorf("an approver releases: %d %s", status, body)
	}
	if status, body := d.post("/api/v1/stacks/infra/slow/release", testToken, `{"comment":"state checked"}`); status != http.StatusOK {
		t.Fatalf("release: %d %s", status, body)
	}
	d.waitStatus(next.ID, 2*time.Minute, store.StatusApplied)
	if obj := tftest.ReadObject(t, objects, tftest.Servers, "slow"); obj["size"] != "large" {
		t.Errorf("object after the apply that followed the release: %v", obj)
	}

	// No apply ran twice: the cut-off run stayed interrupted and started
	// once.
	if r := d.run(cut.ID); r.Status != store.StatusInterrupted {
		t.Errorf("cut-off run is now %s", r.Status)
	}
	n := 0
	for _, line := range strings.Split(d.log(), "\n") {
		if strings.Contains(line, "apply started") && strings.Contains(line, cut.ID) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the cut-off apply started %d times", n)
	}
	status, body = d.call("GET", "/api/v1/audit?limit=500", testToken)
	if status != http.StatusOK || !strings.Contains(string(body), `"action":"hold"`) || !strings.Contains(string(body), `"action":"release"`) {
		t.Errorf("audit lacks the hold and the release: %d %s", status, body)
	}
	d.stop(30 * time.Second)
}
