package test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/driftgate/driftgate/runner/notify"
	"github.com/driftgate/driftgate/store"
	"github.com/driftgate/driftgate/test/gittest"
	"github.com/driftgate/driftgate/test/tftest"
)

const webhookSecret = "e2e-webhook-secret"

// receiver is a webhook endpoint that verifies driftgate's signatures.
type receiver struct {
	mu     sync.Mutex
	events []notify.Event
	bodies []string
	bad    []string
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.bodies = append(rc.bodies, string(body))
	err := notify.Verify([]byte(webhookSecret), r.Header.Get("X-Driftgate-Timestamp"), r.Header.Get("X-Driftgate-Signature"), body, 5*time.Minute, time.Now())
	if err != nil {
		rc.bad = append(rc.bad, err.Error())
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var ev notify.Event
	if err := json.Unmarshal(body, &ev); err != nil {
		rc.bad = append(rc.bad, err.Error())
		return
	}
	rc.events = append(rc.events, ev)
}

// count returns how many events of type typ name address.
func (rc *receiver) count(typ notify.EventType, address string) int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	n := 0
	for _, ev := range rc.events {
		if ev.Type == typ && ev.Finding != nil && ev.Finding.Address == address {
			n++
		}
	}
	return n
}

// stackDrift is GET /api/v1/stacks/{repo}/{stack}/drift.
type stackDrift struct {
	store.StackDrift
	Findings []store.DriftFinding `json:"findings"`
}

func (d *daemon) drift(repo, stack string) (stackDrift, string) {
	d.t.Helper()
	status, body := d.call("GET", "/api/v1/stacks/"+repo+"/"+stack+"/drift?history=50", testToken)
	if status != http.StatusOK {
		d.t.Fatalf("GET drift: %d %s", status, body)
	}
	var sd stackDrift
	if err := json.Unmarshal(body, &sd); err != nil {
		d.t.Fatalf("decode drift: %v: %s", err, body)
	}
	return sd, string(body)
}

// waitDrift polls the stack's drift until cond holds. Until the daemon
// has read the repo, the stack is not found: that is waited out too.
func (d *daemon) waitDrift(what string, cond func(stackDrift) bool) stackDrift {
	d.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		status, raw := d.call("GET", "/api/v1/stacks/infra/app/drift?history=50", testToken)
		body := string(raw)
		if status == http.StatusOK {
			var sd stackDrift
			if err := json.Unmarshal(raw, &sd); err != nil {
				d.t.Fatalf("decode drift: %v: %s", err, body)
			}
			if cond(sd) {
				return sd
			}
		} else if status != http.StatusNotFound {
			d.t.Fatalf("GET drift: %d %s", status, body)
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("timed out waiting for %s; drift: %s\nlog:\n%s", what, body, d.log())
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func finding(sd stackDrift, address string, open bool) (store.DriftFinding, bool) {
	for _, f := range sd.Findings {
		if f.Address == address && f.Open() == open {
			return f, true
		}
	}
	return store.DriftFinding{}, false
}

// TestDriftEndToEnd runs scheduled drift checks against real drift made by
// editing the test provider's objects out of band, once per product
// (tftest.Products).
func TestDriftEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	tftest.Products(t, testDriftEndToEnd)
}

func testDriftEndToEnd(t *testing.T, env *tftest.Env) {
	const secretValue = "db-password-0ld-value"
	const driftedSecret = "db-password-TAMPERED-value"
	bin := buildDriftgate(t)
	work := t.TempDir()
	objects := filepath.Join(work, "objects")
	stateFile := filepath.Join(work, "app.tfstate")
	stack := func(webPort int) string {
		return fmt.Sprintf(`terraform {
  required_providers {
    dgtest = { source = "driftgate/dgtest", version = "0.1.0" }
  }
  backend "local" {
    path = %q
  }
}
provider "dgtest" {
  root = %q
}
resource "dgtest_server" "web" {
  name = "web"
  size = "small"
  port = %d
}
resource "dgtest_server" "scaler" {
  name = "scaler"
  size = "small"
}
resource "dgtest_secret" "db" {
  name  = "db"
  value = %q
}
`, stateFile, objects, webPort, secretValue)
	}
	up := gittest.New(t, map[string]string{
		".driftgate.hcl": `stack "app" {
  dir            = "stacks/app"
  drift_schedule = "@every 2s"
  ignore_drift {
    resources  = ["dgtest_server.scaler"]
    attributes = ["size"]
  }
}
`,
		"stacks/app/main.tf": stack(8080),
	})

	// Apply by hand, as an operator did before driftgate watched the repo.
	applyDir := filepath.Join(work, "apply")
	tftest.WriteFiles(t, applyDir, map[string]string{"main.tf": stack(8080)})
	env.Terraform(t, applyDir, "init", "-input=false")
	env.Terraform(t, applyDir, "apply", "-auto-approve", "-input=false")

	rc := &receiver{}
	hook := httptest.NewServer(rc)
	defer hook.Close()

	config := filepath.Join(work, "driftgate.hcl")
	if err := os.WriteFile(config, []byte(fmt.Sprintf(`
data_dir          = %q
listen            = %q
max_parallel_runs = 2
%s

repo "infra" {
  url           = %q
  poll_interval = "1s"
}

notify "hook" {
  type       = "webhook"
  url        = %q
  secret_env = "E2E_WEBHOOK_SECRET"
}
`, filepath.Join(work, "data"), freeAddr(t), terraformBlock(env), up.Dir, hook.URL)), 0o644); err != nil {
		t.Fatal(err)
	}
	d := newDaemon(t, env, bin, config, "E2E_WEBHOOK_SECRET="+webhookSecret)
	d.start()
	defer d.stop(30 * time.Second)

	d.waitDrift("in sync after the first plan", func(sd stackDrift) bool { return sd.Status == store.DriftInSync })

	// Out-of-band change: found, down to the attribute, with its cause.
	web := tftest.ReadObject(t, objects, tftest.Servers, "web")
	web["size"] = "xlarge"
	tftest.WriteObject(t, objects, tftest.Servers, "web", web)
	sd := d.waitDrift("web drift", func(sd stackDrift) bool {
		_, ok := finding(sd, "dgtest_server.web", true)
		return sd.Status == store.DriftDrifted && ok
	})
	f, _ := finding(sd, "dgtest_server.web", true)
	if f.Kind != "changed" || f.Cause != "out_of_band" || len(f.Attributes) != 1 ||
		f.Attributes[0].Path != "size" || f.Attributes[0].Before != "small" || f.Attributes[0].After != "xlarge" {
		t.Errorf("web finding = %+v", f)
	}
	// Seen again by later checks: first_seen kept, one event only.
	again := d.waitDrift("web seen again", func(sd stackDrift) bool {
		g, ok := finding(sd, "dgtest_server.web", true)
		return ok && g.LastSeen.After(f.LastSeen)
	})
	g, _ := finding(again, "dgtest_server.web", true)
	if !g.FirstSeen.Equal(f.FirstSeen) || g.ID != f.ID {
		t.Errorf("finding seen again changed identity: first %+v, then %+v", f, g)
	}
	waitFor(t, "drift_found webhook", func() bool { return rc.count("drift_found", "dgtest_server.web") == 1 })

	// Revert: resolved, with resolved_at.
	web["size"] = "small"
	tftest.WriteObject(t, objects, tftest.Servers, "web", web)
	sd = d.waitDrift("web resolved", func(sd stackDrift) bool {
		_, ok := finding(sd, "dgtest_server.web", false)
		return ok && sd.Status == store.DriftInSync
	})
	if r, _ := finding(sd, "dgtest_server.web", false); r.ResolvedAt.IsZero() || !r.FirstSeen.Equal(f.FirstSeen) {
		t.Errorf("resolved finding = %+v", r)
	}
	waitFor(t, "drift_resolved webhook", func() bool { return rc.count("drift_resolved", "dgtest_server.web") == 1 })
	if n := rc.count("drift_found", "dgtest_server.web"); n != 1 {
		t.Errorf("%d drift_found events for one drift", n)
	}

	// Accepted drift: recorded, not alerted, the stack stays in sync.
	scaler := tftest.ReadObject(t, objects, tftest.Servers, "scaler")
	scaler["size"] = "large"
	tftest.WriteObject(t, objects, tftest.Servers, "scaler", scaler)
	sd = d.waitDrift("accepted scaler drift", func(sd stackDrift) bool {
		a, ok := finding(sd, "dgtest_server.scaler", true)
		return ok && a.Accepted
	})
	if sd.Status != store.DriftInSync || sd.Accepted != 1 {
		t.Errorf("stack with accepted drift = %+v", sd.StackDrift)
	}

	// A sensitive attribute drifts: reported, its values nowhere.
	secret := tftest.ReadObject(t, objects, tftest.Secrets, "db")
	secret["value"] = driftedSecret
	tftest.WriteObject(t, objects, tftest.Secrets, "db", secret)
	sd = d.waitDrift("secret drift", func(sd stackDrift) bool {
		_, ok := finding(sd, "dgtest_secret.db", true)
		return ok
	})
	s, _ := finding(sd, "dgtest_secret.db", true)
	if len(s.Attributes) != 1 || s.Attributes[0].Path != "value" || !s.Attributes[0].Sensitive {
		t.Errorf("secret finding = %+v", s)
	}
	waitFor(t, "secret drift webhook", func() bool { return rc.count("drift_found", "dgtest_secret.db") == 1 })
	_, driftBody := d.drift("infra", "app")
	_, allDrift := d.call("GET", "/api/v1/drift", testToken)
	var runIDs []string
	for _, r := range d.runs() {
		runIDs = append(runIDs, r.ID)
	}
	leaks := map[string]string{"drift API": driftBody, "drift overview": string(allDrift), "daemon log": d.log()}
	rc.mu.Lock()
	leaks["webhooks"] = strings.Join(rc.bodies, "\n")
	rc.mu.Unlock()
	for _, id := range runIDs[:min(3, len(runIDs))] {
		_, plan := d.call("GET", "/api/v1/runs/"+id+"/plan", testToken)
		_, log := d.call("GET", "/api/v1/runs/"+id+"/log", testToken)
		leaks["plan "+id] = string(plan)
		leaks["log "+id] = string(log)
	}
	for where, text := range leaks {
		for _, v := range []string{secretValue, driftedSecret} {
			if strings.Contains(text, v) {
				t.Errorf("%s holds a sensitive value", where)
			}
		}
	}
	secret["value"] = secretValue
	tftest.WriteObject(t, objects, tftest.Secrets, "db", secret)

	// Deleted outside Terraform.
	tftest.DeleteObject(t, objects, tftest.Servers, "web")
	sd = d.waitDrift("web deleted", func(sd stackDrift) bool {
		w, ok := finding(sd, "dgtest_server.web", true)
		return ok && w.Kind == "deleted"
	})
	if sd.Status != store.DriftDrifted {
		t.Errorf("status with a deleted resource = %s", sd.Status)
	}
	tftest.WriteObject(t, objects, tftest.Servers, "web", web)
	d.waitDrift("web back", func(sd stackDrift) bool {
		_, ok := finding(sd, "dgtest_server.web", true)
		return !ok
	})

	// Merged but not applied: pending changes, not out-of-band drift.
	up.Commit("bigger port", map[string]string{"stacks/app/main.tf": stack(9090)})
	sd = d.waitDrift("pending changes", func(sd stackDrift) bool { return sd.Status == store.DriftPendingChanges })
	p, ok := finding(sd, "dgtest_server.web", true)
	if !ok || p.Kind != "pending" || p.Cause != "unapplied_code" {
		t.Errorf("pending finding = %+v (found %v)", p, ok)
	}

	rc.mu.Lock()
	if len(rc.bad) > 0 {
		t.Errorf("webhooks failing verification: %v", rc.bad)
	}
	rc.mu.Unlock()
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
