package api_test

import (
	"encoding/json"
	"testing"
)

// TestErrorHints checks that error answers carry what to do next twice:
// as an API route (in hint, and at the end of error, as before) and as a
// driftgate command (cli_hint), for errors of the handler and of the
// daemon's Service alike.
func TestErrorHints(t *testing.T) {
	e := newEnv(t)
	const unknown = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
	tests := []struct {
		method, path      string
		wantErr           string
		wantHint, wantCLI string
	}{
		{"GET", "/api/v1/runs/" + unknown,
			`run "` + unknown + `" not found; list runs with GET /api/v1/runs`,
			"list runs with GET /api/v1/runs", "list runs with: driftgate runs"},
		{"GET", "/api/v1/stacks?repo=nope",
			`repo "nope" is not configured; list repos with GET /api/v1/repos`,
			"list repos with GET /api/v1/repos", "list repos with: driftgate repos"},
		{"POST", "/api/v1/stacks/infra/nope/plan",
			`repo "infra" has no stack "nope" at its last commit; list stacks with GET /api/v1/stacks?repo=infra`,
			"list stacks with GET /api/v1/stacks?repo=infra", "list stacks with: driftgate stacks --repo infra"},
		{"GET", "/api/v1/runs/" + e.fx.Errored.ID + "/plan",
			`run "` + e.fx.Errored.ID + `" has no plan (it ended errored); read its log with GET /api/v1/runs/` + e.fx.Errored.ID + `/log`,
			"read its log with GET /api/v1/runs/" + e.fx.Errored.ID + "/log", "read its log with: driftgate logs " + e.fx.Errored.ID},
		{"GET", "/api/v1/runs/" + e.fx.Queued.ID + "/log",
			`run "` + e.fx.Queued.ID + `" has no log yet (it is queued); follow it with GET /api/v1/runs/` + e.fx.Queued.ID + `/log?follow=true`,
			"follow it with GET /api/v1/runs/" + e.fx.Queued.ID + "/log?follow=true", "follow it with: driftgate logs -f " + e.fx.Queued.ID},
		{"GET", "/api/v1/stacks/infra/network/state-versions/99",
			`stack infra/network has no state version 99; list them with GET /api/v1/stacks/infra/network/state-versions`,
			"list them with GET /api/v1/stacks/infra/network/state-versions", "list them with: driftgate state history infra network"},
	}
	for _, tt := range tests {
		rec := e.do(t, tt.method, tt.path, "")
		var body struct {
			Error   string `json:"error"`
			Hint    string `json:"hint"`
			CLIHint string `json:"cli_hint"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("%s %s: body %q: %v", tt.method, tt.path, rec.Body, err)
		}
		if body.Error != tt.wantErr || body.Hint != tt.wantHint || body.CLIHint != tt.wantCLI {
			t.Errorf("%s %s = %d %+v\nwant error %q, hint %q, cli_hint %q", tt.method, tt.path, rec.Code, body, tt.wantErr, tt.wantHint, tt.wantCLI)
		}
	}
}
