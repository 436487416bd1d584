package test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	"go.etcd.io/bbolt"

	"github.com/driftgate/driftgate/store"
	"github.com/driftgate/driftgate/test/gittest"
	"github.com/driftgate/driftgate/test/tftest"
)

// TestApplyGate runs the apply gate end to end with real terraform: plans
// of commits wait for approval and apply exactly what was approved; state
// versions record each apply; depends_on orders applies of one commit; a
// newer commit supersedes a waiting plan; a state changed since the plan,
// or a tampered stored plan, refuses the apply and queues a fresh plan; an
// auto stack applies by itself but never a plan that destroys; roles and
// the destroy permission are enforced. It runs once per product
// (tftest.Products); with OpenTofu the plan and the apply are both tofu's.
func TestApplyGate(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	tftest.Products(t, testApplyGate)
}

func testApplyGate(t *testing.T, env *tftest.Env) {
	bin := buildDriftgate(t)
	work := t.TempDir()
	objects := filepath.Join(work, "objects")
	state := func(name string) string { return filepath.Join(work, "state", name+".tfstate") }
	stack := func(name, size string) string { return gateStack(state(name), objects, name, size, "") }
	up := gittest.New(t, map[string]string{
		".driftgate.hcl": `stack "app" {
  dir = "stacks/app"
}
stack "auto" {
  dir   = "stacks/auto"
  apply = "auto"
}
stack "network" {
  dir = "stacks/network"
}
stack "service" {
  dir        = "stacks/service"
  depends_on = ["network"]
}
`,
		"stacks/app/main.tf":     stack("app", "small"),
		"stacks/auto/main.tf":    stack("auto", "small"),
		"stacks/network/main.tf": stack("network", "small"),
		"stacks/service/main.tf": stack("service", "small"),
	})
	first := up.Head()
	config := writeGateConfig(t, env, work, up.Dir, "")
	d := newDaemon(t, env, bin, config)
	d.start()

	// An auto stack applies its first plan by itself.
	auto := d.applyRun("auto stack applied", "auto", first, store.StatusApplied)
	if len(auto.Approvals) != 0 || auto.Binding == nil || auto.Binding.Commit != first {
		t.Errorf("auto apply %+v", auto)
	}

	// Manual stacks wait; a viewer cannot approve.
	app1 := d.applyRun("app awaiting approval", "app", first, store.StatusAwaitingApproval)
	if app1.Reason != store.ReasonNeedsApproval || app1.Binding == nil || app1.Binding.PlanSHA256 == "" {
		t.Fatalf("awaiting apply run %+v", app1)
	}
	product, version := productVersion(t, env)
	if b := app1.Binding; b.Product != product || b.TerraformVersion != version {
		t.Errorf("binding names %q %q, want %q %q (what planned)", b.Product, b.TerraformVersion, product, version)
	}
	if status, body := d.post("/api/v1/runs/"+app1.ID+"/approve", viewerToken, ""); status != http.StatusForbidden {
		t.Errorf("viewer approves: %d %s", status, body)
	}
	if obj := tftest.ObjectPath(objects, tftest.Servers, "app"); fileExists(obj) {
		t.Fatalf("app applied before approval")
	}

	// Approve → applied → state version 1 with the resource.
	d.approve(app1.ID, aliceToken)
	d.waitStatus(app1.ID, 2*time.Minute, store.StatusApplied)
	if obj := tftest.ReadObject(t, objects, tftest.Servers, "app"); obj["size"] != "small" {
		t.Errorf("app object after apply: %v", obj)
	}
	v1 := latestVersion(t, d, "app")
	if serial, lineage := stateOnDisk(t, state("app")); v1.Serial != serial || v1.Lineage != lineage || v1.Resources != 1 || v1.RunID != app1.ID {
		t.Errorf("state version after apply %+v, state file serial %d lineage %s", v1, serial, lineage)
	}

	// depends_on: service, approved first, waits for network of the same
	// commit.
	svc := d.applyRun("service awaiting approval", "service", first, store.StatusAwaitingApproval)
	net := d.applyRun("network awaiting approval", "network", first, store.StatusAwaitingApproval)
	d.approve(svc.ID, aliceToken)
	deadline := time.Now().Add(time.Minute)
	for r := d.run(svc.ID); r.Reason != store.ReasonWaitingForDependency; r = d.run(svc.ID) {
		if r.Status != store.StatusQueued || time.Now().After(deadline) {
			t.Fatalf("service apply while network awaits approval: %+v", r)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if r := d.run(svc.ID); !strings.Contains(r.Waiting, "network") {
		t.Errorf("service waits for %q, want a mention of network", r.Waiting)
	}
	d.approve(net.ID, aliceToken)
	netDone := d.waitStatus(net.ID, 2*time.Minute, store.StatusApplied)
	svcDone := d.waitStatus(svc.ID, 2*time.Minute, store.StatusApplied)
	if svcDone.StartedAt.Before(netDone.FinishedAt) {
		t.Errorf("service started applying at %s, before network finished at %s", svcDone.StartedAt, netDone.FinishedAt)
	}

	// A second commit: approve, apply, and the diff shows the attribute.
	second := up.Commit("app: large", map[string]string{"stacks/app/main.tf": stack("app", "large")})
	app2 := d.applyRun("second app plan awaiting", "app", second, store.StatusAwaitingApproval)
	d.approve(app2.ID, bobToken)
	d.waitStatus(app2.ID, 2*time.Minute, store.StatusApplied)
	v2 := latestVersion(t, d, "app")
	status, body := d.call("GET", fmt.Sprintf("/api/v1/stacks/infra/app/state-diff?from=%d&to=%d", v1.Serial, v2.Serial), viewerToken)
	if status != http.StatusOK || !strings.Contains(string(body), `"size"`) || !strings.Contains(string(body), "large") {
		t.Errorf("state diff v%d..v%d: %d %s", v1.Serial, v2.Serial, status, body)
	}

	// Two commits in a row: the older waiting plan is superseded and can
	// no longer be approved.
	third := up.Commit("app: huge", map[string]string{"stacks/app/main.tf": stack("app", "huge")})
	app3 := d.applyRun("third app plan awaiting", "app", third, store.StatusAwaitingApproval)
	fourth := up.Commit("app: giant", map[string]string{"stacks/app/main.tf": stack("app", "giant")})
	d.waitStatus(app3.ID, time.Minute, store.StatusSuperseded)
	if status, body := d.post("/api/v1/runs/"+app3.ID+"/approve", aliceToken, ""); status != http.StatusConflict || !strings.Contains(string(body), "superseded") {
		t.Errorf("approve a superseded run: %d %s", status, body)
	}
	app4 := d.applyRun("fourth app plan awaiting", "app", fourth, store.StatusAwaitingApproval)

	// The state changes out of band after the plan: the apply is refused
	// as stale_state and a fresh plan is queued.
	oob := filepath.Join(work, "oob")
	tftest.WriteFiles(t, oob, map[string]string{"main.tf": stack("app", "medium")})
	env.Terraform(t, oob, "init", "-input=false")
	env.Terraform(t, oob, "apply", "-auto-approve", "-input=false")
	d.approve(app4.ID, aliceToken)
	refused := d.waitStatus(app4.ID, 2*time.Minute, store.StatusRefused)
	if refused.Reason != store.ReasonStaleState {
		t.Errorf("refused apply %+v, want reason stale_state", refused)
	}
	if obj := tftest.ReadObject(t, objects, tftest.Servers, "app"); obj["size"] != "medium" {
		t.Errorf("a refused apply changed the object: %v", obj)
	}
	app5 := d.applyRun("fresh plan after the refusal", "app", fourth, store.StatusAwaitingApproval)
	if app5.ID == app4.ID || app5.Trigger != "replan" {
		t.Errorf("apply run after the refusal %+v, want a new one from a replan", app5)
	}

	// A destroying plan on an auto stack waits, and needs the destroy
	// permission.
	fifth := up.Commit("auto: remove the server", map[string]string{"stacks/auto/main.tf": tftest.ProviderBlock(objects) + fmt.Sprintf("terraform {\n  backend \"local\" {\n    path = %q\n  }\n}\n", state("auto"))})
	autoDel := d.applyRun("destroying plan awaiting", "auto", fifth, store.StatusAwaitingApproval)
	if autoDel.Reason != store.ReasonDestroyNeedsApproval || !autoDel.Binding.Destroys {
		t.Errorf("destroying apply on an auto stack %+v", autoDel)
	}
	if status, body := d.post("/api/v1/runs/"+autoDel.ID+"/approve", aliceToken, ""); status != http.StatusForbidden || !strings.Contains(string(body), "destroy") {
		t.Errorf("approve a destroy without the permission: %d %s", status, body)
	}
	d.approve(autoDel.ID, bobToken)
	d.waitStatus(autoDel.ID, 2*time.Minute, store.StatusApplied)
	if fileExists(tftest.ObjectPath(objects, tftest.Servers, "auto")) {
		t.Errorf("auto's server still exists after the approved destroy")
	}

	// Tamper with the stored plan bytes while driftgate is stopped: the
	// apply is refused as plan_tampered.
	d.stop(30 * time.Second)
	tamperPlanFile(t, filepath.Join(work, "data", "driftgate.db"), app5.Binding.PlanRun)
	d.start()
	d.approve(app5.ID, aliceToken)
	tampered := d.waitStatus(app5.ID, 2*time.Minute, store.StatusRefused)
	if tampered.Reason != store.ReasonPlanTampered {
		t.Errorf("apply of a tampered plan %+v, want reason plan_tampered", tampered)
	}
	if obj := tftest.ReadObject(t, objects, tftest.Servers, "app"); obj["size"] != "medium" {
		t.Errorf("a tampered plan was applied: %v", obj)
	}

	// The audit log holds who approved, the refusals and the applies.
	status, body = d.call("GET", "/api/v1/audit?limit=500", testToken)
	if status != http.StatusOK {
		t.Fatalf("audit: %d %s", status, body)
	}
	for _, want := range []string{`"actor":"alice","action":"approve"`, `"actor":"viewer-bot","action":"approve"`, "stale_state", "plan_tampered", `"action":"apply"`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("audit log lacks %s:\n%s", want, body)
		}
	}
	d.stop(30 * time.Second)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// latestVersion returns a stack's newest recorded state version.
func latestVersion(t *testing.T, d *daemon, stack string) store.StateVersion {
	t.Helper()
	status, body := d.call("GET", "/api/v1/stacks/infra/"+stack+"/state-versions", testToken)
	var out struct {
		Versions []store.StateVersion `json:"versions"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &out) != nil || len(out.Versions) == 0 {
		t.Fatalf("state versions of %s: %d %s", stack, status, body)
	}
	return out.Versions[0]
}

// tamperPlanFile flips the last byte of a run's stored plan file.
func tamperPlanFile(t *testing.T, dbPath, runID string) {
	t.Helper()
	db, err := bbolt.Open(dbPath, 0o600, &bbolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	id := ulid.MustParse(runID)
	err = db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte("plan_files"))
		v := b.Get(id[:])
		if v == nil {
			return fmt.Errorf("run %s has no stored plan file", runID)
		}
		out := append([]byte(nil), v...)
		out[len(out)-1] ^= 0xff
		return b.Put(id[:], out)
	})
	if err != nil {
		t.Fatal(err)
	}
}
