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

	"github.com/driftgate/driftgate/store"
	"github.com/driftgate/driftgate/test/gittest"
	"github.com/driftgate/driftgate/test/tftest"
)

// TestDriftRemediation checks on_drift: "apply" puts drift back by itself
// (applying exactly the check's plan), "plan" leaves an apply waiting for
// approval.
func TestDriftRemediation(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	env := tftest.Setup(t)
	bin := buildDriftgate(t)
	work := t.TempDir()
	objects := filepath.Join(work, "objects")
	stack := func(name string) string {
		return gateStack(filepath.Join(work, name+".tfstate"), objects, name, "small", "")
	}
	up := gittest.New(t, map[string]string{
		".driftgate.hcl": `stack "fix" {
  dir            = "stacks/fix"
  drift_schedule = "@every 2s"
  on_drift       = "apply"
}
stack "gate" {
  dir            = "stacks/gate"
  drift_schedule = "@every 2s"
  on_drift       = "plan"
}
`,
		"stacks/fix/main.tf":  stack("fix"),
		"stacks/gate/main.tf": stack("gate"),
	})
	for _, name := range []string{"fix", "gate"} {
		dir := filepath.Join(work, "apply-"+name)
		tftest.WriteFiles(t, dir, map[string]string{"main.tf": stack(name)})
		env.Terraform(t, dir, "init", "-input=false")
		env.Terraform(t, dir, "apply", "-auto-approve", "-input=false")
	}
	config := filepath.Join(work, "driftgate.hcl")
	if err := os.WriteFile(config, []byte(fmt.Sprintf(`
data_dir          = %q
listen            = %q
max_parallel_runs = 2
terraform {
  install = false
}
repo "infra" {
  url           = %q
  poll_interval = "1s"
}
`, filepath.Join(work, "data"), freeAddr(t), up.Dir)), 0o644); err != nil {
		t.Fatal(err)
	}
	d := newDaemon(t, env, bin, config)
	d.start()
	defer d.stop(30 * time.Second)
	d.waitRuns("first plans", time.Minute, func(r []store.Run) bool { return finished(r, up.Head(), "fix", "gate") })

	for _, name := range []string{"fix", "gate"} {
		obj := tftest.ReadObject(t, objects, tftest.Servers, name)
		obj["size"] = "huge"
		tftest.WriteObject(t, objects, tftest.Servers, name, obj)
	}

	// on_drift = "apply": the check's plan is applied, the object is back,
	// and the check after the apply finds the stack in sync.
	runs := d.waitRuns("remediation applied", time.Minute, func(r []store.Run) bool {
		for _, run := range r {
			if run.Stack == "fix" && run.Operation == "apply" && run.Status == store.StatusApplied {
				return true
			}
		}
		return false
	})
	var applied store.Run
	for _, run := range runs {
		if run.Stack == "fix" && run.Operation == "apply" {
			applied = run
			break
		}
	}
	plan := applied.Attrs[store.AttrPlanRun]
	var check store.Run
	for _, run := range runs {
		if run.ID == plan {
			check = run
		}
	}
	if check.Operation != "drift" || check.Stack != "fix" || applied.Trigger != "drift-remediation" {
		t.Errorf("apply %+v applied the plan of %+v", applied, check)
	}
	if obj := tftest.ReadObject(t, objects, tftest.Servers, "fix"); obj["size"] != "small" {
		t.Errorf("object after remediation = %v", obj)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		sd, body := d.drift("infra", "fix")
		if sd.Status == store.DriftInSync && sd.LastApplied != nil && sd.LastApplied.RunID == applied.ID {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("fix not back in sync after the apply: %s", body)
		}
		time.Sleep(250 * time.Millisecond)
	}

	// State versions: the state found at the first plan is recorded. Putting
	// drift back leaves the state as recorded (a plan never wrote the
	// drift into it), so terraform keeps its serial and the apply's pull is
	// the same version, not a new one.
	status, body := d.call("GET", "/api/v1/stacks/infra/fix/state-versions", testToken)
	var versions struct {
		Versions []store.StateVersion `json:"versions"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &versions) != nil || len(versions.Versions) == 0 {
		t.Fatalf("state versions: %d %s", status, body)
	}
	var onDisk struct {
		Serial  uint64 `json:"serial"`
		Lineage string `json:"lineage"`
	}
	raw, err := os.ReadFile(filepath.Join(work, "fix.tfstate"))
	if err != nil || json.Unmarshal(raw, &onDisk) != nil {
		t.Fatalf("read state file: %v", err)
	}
	latest := versions.Versions[0]
	if latest.Serial != onDisk.Serial || latest.Lineage != onDisk.Lineage || latest.Resources != 1 {
		t.Errorf("latest state version %+v, state file serial %d lineage %s", latest, onDisk.Serial, onDisk.Lineage)
	}
	status, body = d.call("GET", fmt.Sprintf("/api/v1/stacks/infra/fix/state-versions/%d", latest.Serial), testToken)
	if status != http.StatusOK || strings.Contains(string(body), "huge") || !strings.Contains(string(body), `"small"`) {
		t.Errorf("state version body: %d %s", status, body)
	}

	// on_drift = "plan": an apply waits for approval; nothing is applied.
	runs = d.waitRuns("remediation awaiting approval", time.Minute, func(r []store.Run) bool {
		for _, run := range r {
			if run.Stack == "gate" && run.Operation == "apply" && run.Status == store.StatusAwaitingApproval {
				return true
			}
		}
		return false
	})
	if obj := tftest.ReadObject(t, objects, tftest.Servers, "gate"); obj["size"] != "huge" {
		t.Errorf("gated stack was changed without approval: %v", obj)
	}
	n := 0
	for _, run := range runs {
		if run.Stack == "gate" && run.Operation == "apply" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d apply runs for one drift of the gated stack", n)
	}
}
