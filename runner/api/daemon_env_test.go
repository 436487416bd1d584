package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/driftgate/driftgate/runner/api/apitest"
	"github.com/driftgate/driftgate/runner/runnertest"
	"github.com/driftgate/driftgate/store"
)

// gateConfig is infra's .driftgate.hcl in newGateEnv: network needs two
// approvals, database the default one.
const gateConfig = `
stack "network" {
  dir       = "envs/prod/network"
  approvals = 2
}

stack "database" {
  dir = "envs/prod/database"
}
`

// gateEnv is the real daemon (runnertest) with repos infra (stacks
// network and database) and platform (stack dns), each planned once.
type gateEnv struct {
	d *runnertest.Daemon
	// awaiting is infra/network's apply run, awaiting two approvals.
	awaiting *store.Run
	// hold holds platform/dns, as a cut-off apply leaves it (seeded).
	hold store.Hold
}

// newGateEnv starts the daemon and seeds the hold of platform/dns.
func newGateEnv(t *testing.T) *gateEnv {
	t.Helper()
	d := runnertest.Start(t,
		runnertest.Repo{Name: "infra", Config: gateConfig, Dirs: []string{"envs/prod/network", "envs/prod/database"}},
		runnertest.Repo{Name: "platform", Config: "stack \"dns\" {\n  dir = \"dns\"\n}\n", Dirs: []string{"dns"}},
	)
	e := &gateEnv{d: d, awaiting: d.Latest("infra", "network", "apply")}
	if e.awaiting.Status != store.StatusAwaitingApproval {
		t.Fatalf("infra/network's apply run is %s, want awaiting_approval", e.awaiting.Status)
	}
	cut := d.Latest("platform", "dns", "apply")
	e.hold = store.Hold{
		Repo: "platform", Stack: "dns", RunID: cut.ID, Since: time.Now().UTC(),
		Reason:      "apply run " + cut.ID + " was cut off by a shutdown; the state may be half written",
		StatePulled: true, StateSerial: 7, StateLineage: apitest.StateLineage,
		Lock: &store.StateLock{
			ID: apitest.LockID, Path: "platform/dns.tfstate", Who: "driftgate@runner-1", Operation: "OperationTypeApply",
			Created: cut.CreatedAt, Command: "terraform force-unlock -force " + apitest.LockID,
		},
	}
	if err := d.Store.HoldStack(context.Background(), &e.hold); err != nil {
		t.Fatal(err)
	}
	return e
}

// send sends one request to the daemon with body as token (a whole
// Authorization header; "" for the admin test token) and records the
// answer.
func (e *gateEnv) send(t *testing.T, method, target, token, body string) *httptest.ResponseRecorder {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, e.d.URL+target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token == "" {
		token = "Bearer " + apitest.Token
	}
	req.Header.Set("Authorization", token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rec := httptest.NewRecorder()
	for k, vs := range resp.Header {
		rec.Header()[k] = vs
	}
	rec.WriteHeader(resp.StatusCode)
	if _, err := io.Copy(rec, resp.Body); err != nil {
		t.Fatal(err)
	}
	return rec
}

// run reads run id from the daemon's store.
func (e *gateEnv) run(t *testing.T, id string) *store.Run {
	t.Helper()
	r, err := e.d.Store.GetRun(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// decodeRun decodes a run answer, failing when it is not one.
func decodeRun(t *testing.T, rec *httptest.ResponseRecorder) store.Run {
	t.Helper()
	var run store.Run
	if err := json.Unmarshal(rec.Body.Bytes(), &run); err != nil || run.ID == "" {
		t.Fatalf("answer %q is not a run: %v", rec.Body, err)
	}
	return run
}
