package test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/driftgate/driftgate/store"
	"github.com/driftgate/driftgate/test/tftest"
)

// Tokens of the apply-gate tests, on top of testToken (admin).
const (
	aliceToken = "e2e-alice-token-1d2e" // approver
	bobToken   = "e2e-bob-token-9f3a"   // approver with the destroy permission
)

// gateTokens is the token config of the apply-gate tests.
func gateTokens() string {
	return fmt.Sprintf(`
token "alice" {
  role   = "approver"
  sha256 = %q
}
token "bob" {
  role        = "approver"
  sha256      = %q
  permissions = ["destroy"]
}
token "viewer-bot" {
  role   = "viewer"
  sha256 = %q
}
`, sha256Hex(aliceToken), sha256Hex(bobToken), sha256Hex(viewerToken))
}

// writeGateConfig writes the server config of the apply-gate tests, for a
// daemon running env's product with its data dir in work watching the
// repo at repoDir, with extra top-level settings, and returns its path.
func writeGateConfig(t *testing.T, env *tftest.Env, work, repoDir, extra string) string {
	t.Helper()
	config := filepath.Join(work, "driftgate.hcl")
	body := fmt.Sprintf(`
data_dir          = %q
listen            = %q
max_parallel_runs = 2
%s
%s
repo "infra" {
  url           = %q
  poll_interval = "1s"
}
%s`, filepath.Join(work, "data"), freeAddr(t), extra, terraformBlock(env), repoDir, gateTokens())
	if err := os.WriteFile(config, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return config
}

// gateStack is a stack of one dgtest_server named name with the given
// size, its state in a local backend at statePath (so a test can change it
// behind driftgate's back), its objects under objects.
func gateStack(statePath, objects, name, size, extra string) string {
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
resource "dgtest_server" "this" {
  name = %q
  size = %q
}
%s`, statePath, objects, name, size, extra)
}

// post makes an API request with a JSON body.
func (d *daemon) post(path, token, body string) (int, []byte) {
	d.t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+d.addr+path, strings.NewReader(body))
	if err != nil {
		d.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// run reads one run.
func (d *daemon) run(id string) store.Run {
	d.t.Helper()
	status, body := d.call("GET", "/api/v1/runs/"+id, testToken)
	var r store.Run
	if status != http.StatusOK || json.Unmarshal(body, &r) != nil {
		d.t.Fatalf("GET run %s: %d %s", id, status, body)
	}
	return r
}

// approve approves run id as token and fails the test unless it is
// accepted.
func (d *daemon) approve(id, token string) store.Run {
	d.t.Helper()
	status, body := d.post("/api/v1/runs/"+id+"/approve", token, `{"comment":"lgtm"}`)
	var r store.Run
	if status != http.StatusOK || json.Unmarshal(body, &r) != nil {
		d.t.Fatalf("approve %s: %d %s", id, status, body)
	}
	return r
}

// applyRun waits for the newest apply run of stack at commit (any commit
// when "") in one of statuses, and returns it.
func (d *daemon) applyRun(what, stack, commit string, statuses ...store.RunStatus) store.Run {
	d.t.Helper()
	var found store.Run
	d.waitRuns(what, 2*time.Minute, func(runs []store.Run) bool {
		for _, r := range runs {
			if r.Stack != stack || r.Operation != "apply" || (commit != "" && r.Commit != commit) {
				continue
			}
			for _, s := range statuses {
				if r.Status == s {
					found = r
					return true
				}
			}
			return false // the newest apply run of the stack decides
		}
		return false
	})
	return found
}

// waitStatus waits until run id reaches one of statuses.
func (d *daemon) waitStatus(id string, timeout time.Duration, statuses ...store.RunStatus) store.Run {
	d.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		r := d.run(id)
		for _, s := range statuses {
			if r.Status == s {
				return r
			}
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("run %s is %s (%s %s), want %v\ndaemon log:\n%s", id, r.Status, r.Reason, r.Error, statuses, d.log())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// stateOnDisk reads a local state file's serial and lineage.
func stateOnDisk(t *testing.T, path string) (uint64, string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read state: %v", err)
	}
	var s struct {
		Serial  uint64 `json:"serial"`
		Lineage string `json:"lineage"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("decode state %s: %v", filepath.Base(path), err)
	}
	return s.Serial, s.Lineage
}
