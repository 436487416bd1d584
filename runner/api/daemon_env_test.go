package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/driftgate/driftgate/runner/api"
	"github.com/driftgate/driftgate/runner/api/apitest"
	"github.com/driftgate/driftgate/runner/runnertest"
	"github.com/driftgate/driftgate/store"
)

// gateEnv is the real daemon of runnertest.StartGate.
type gateEnv struct {
	d *runnertest.Gate
	// awaiting is infra/network's apply run, awaiting two approvals.
	awaiting *store.Run
	// hold holds platform/dns (seeded).
	hold store.Hold
}

func newGateEnv(t *testing.T) *gateEnv {
	t.Helper()
	g := runnertest.StartGate(t)
	return &gateEnv{d: g, awaiting: g.Awaiting, hold: g.Hold}
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

// newCannedEnv is an env whose handler serves c, a Service of canned
// answers, with the admin test token and a log.
func newCannedEnv(t *testing.T, c *apitest.Canned) *env {
	t.Helper()
	logs := &bytes.Buffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return &env{h: api.NewHandler(c, api.StaticToken(apitest.Token), logger), logs: logs}
}
