package api_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/driftgate/driftgate/planner/statever"
	"github.com/driftgate/driftgate/runner/api/apitest"
	"github.com/driftgate/driftgate/runner/api/apiv1"
	"github.com/driftgate/driftgate/store"
)

// newStateEnv is newEnv with SeedState's records.
func newStateEnv(t *testing.T) (*env, apitest.StateFixture) {
	t.Helper()
	e := newEnv(t)
	return e, apitest.SeedState(t, e.st, e.fx)
}

func TestStateVersionsList(t *testing.T) {
	e, sf := newStateEnv(t)
	tests := []struct {
		path string
		want []uint64
	}{
		{"/api/v1/stacks/infra/network/state-versions", []uint64{3, 2, 1}},
		{"/api/v1/stacks/infra/network/state-versions?limit=", []uint64{3, 2, 1}},
		{"/api/v1/stacks/infra/network/state-versions?limit=2", []uint64{3, 2}},
		{"/api/v1/stacks/infra/network/state-versions?limit=10", []uint64{3, 2, 1}},
		{"/api/v1/stacks/infra/database/state-versions", []uint64{}},
	}
	for _, tt := range tests {
		rec := e.do(t, "GET", tt.path, "")
		if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" {
			t.Errorf("GET %s = %d %s", tt.path, rec.Code, rec.Body)
			continue
		}
		var body struct {
			Versions []store.StateVersion `json:"versions"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		got := []uint64{}
		for _, v := range body.Versions {
			got = append(got, v.Serial)
		}
		if !slices.Equal(got, tt.want) || body.Versions == nil {
			t.Errorf("GET %s serials %v, want %v", tt.path, got, tt.want)
		}
	}
	if rec := e.do(t, "GET", "/api/v1/stacks/infra/database/state-versions", ""); strings.TrimSpace(rec.Body.String()) != `{"versions":[]}` {
		t.Errorf("a stack without versions = %s, want {\"versions\":[]}", rec.Body)
	}

	// The wire format: the record's fields, without the body.
	rec := e.do(t, "GET", "/api/v1/stacks/infra/network/state-versions?limit=1", "")
	var raw struct {
		Versions []map[string]json.RawMessage `json:"versions"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &raw); err != nil || len(raw.Versions) != 1 {
		t.Fatalf("list: %v: %s", err, rec.Body)
	}
	var keys []string
	for k := range raw.Versions[0] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"created_at", "lineage", "repo", "resources", "run_id", "serial", "sha256", "stack"}; !slices.Equal(keys, want) {
		t.Errorf("listed version has keys %q, want %q", keys, want)
	}
	want, got := sf.Versions[2], map[string]string{}
	for k, v := range raw.Versions[0] {
		got[k] = string(v)
	}
	wantFields := map[string]string{
		"repo": `"infra"`, "stack": `"network"`, "serial": "3", "lineage": `"` + apitest.StateLineage + `"`,
		"sha256": `"` + want.SHA256 + `"`, "run_id": `"` + e.fx.Planned.ID + `"`, "resources": "2",
	}
	for k, w := range wantFields {
		if got[k] != w {
			t.Errorf("listed version %s = %s, want %s", k, got[k], w)
		}
	}
}

func TestStateVersionGet(t *testing.T) {
	e, sf := newStateEnv(t)
	rec := e.do(t, "GET", "/api/v1/stacks/infra/network/state-versions/2", "")
	if rec.Code != 200 {
		t.Fatalf("GET version 2 = %d %s", rec.Code, rec.Body)
	}
	var sv store.StateVersion
	if err := json.Unmarshal(rec.Body.Bytes(), &sv); err != nil {
		t.Fatal(err)
	}
	want := sf.Versions[1]
	if sv.Serial != 2 || sv.Lineage != apitest.StateLineage || sv.SHA256 != want.SHA256 || sv.RunID != e.fx.NoChanges.ID ||
		sv.Resources != 2 || !sv.CreatedAt.Equal(want.CreatedAt) {
		t.Errorf("version 2 = %+v, want %+v", sv, want)
	}
	v, err := statever.Decode(sv.Version)
	if err != nil {
		t.Fatalf("body of version 2: %v: %s", err, sv.Version)
	}
	if v.Serial != 2 || len(v.Resources) != 2 || v.Resources[0].Address != "aws_instance.web" {
		t.Errorf("body of version 2 = %+v", v)
	}
	if ud := v.Resources[0].Attributes["user_data"]; !statever.IsMarker(ud) {
		t.Errorf("user_data = %v, want a redaction marker", ud)
	}
	if pw := v.Outputs["db_password"]; !pw.Sensitive || !statever.IsMarker(pw.Value) {
		t.Errorf("output db_password = %+v, want a sensitive marker", pw)
	}
	if strings.Contains(rec.Body.String(), "hunter") {
		t.Errorf("a state version carries a secret: %s", rec.Body)
	}
}

func TestStateDiff(t *testing.T) {
	e, _ := newStateEnv(t)
	rec := e.do(t, "GET", "/api/v1/stacks/infra/network/state-diff?from=1&to=3", "")
	if rec.Code != 200 {
		t.Fatalf("state-diff = %d %s", rec.Code, rec.Body)
	}
	var d apiv1.StateDiff
	if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	c := d.Changes
	if d.From != 1 || d.To != 3 || c.LineageChanged ||
		!slices.Equal(c.Added, []string{"aws_route53_record.www"}) || !slices.Equal(c.Removed, []string{"aws_s3_bucket.logs"}) {
		t.Errorf("diff 1..3 = %+v", d)
	}
	var changed []string
	for _, rc := range c.Changed {
		for _, a := range rc.Attributes {
			changed = append(changed, fmt.Sprintf("%s %s %v->%v %t", rc.Address, a.Path, short(a.Before), short(a.After), a.Sensitive))
		}
	}
	wantChanged := []string{
		"aws_instance.web instance_type t3.small->t3.large false",
		`aws_instance.web tags.owner <nil>->ops false`,
		"aws_instance.web user_data marker->marker true",
	}
	if !slices.Equal(changed, wantChanged) {
		t.Errorf("changed attributes:\n got %q\nwant %q", changed, wantChanged)
	}
	var outputs []string
	for _, o := range c.Outputs {
		outputs = append(outputs, fmt.Sprintf("%s %s %v->%v %t", o.Name, o.Action, short(o.Before), short(o.After), o.Sensitive))
	}
	wantOutputs := []string{"db_password change marker->marker true", "endpoint add <nil>->www.example.com false"}
	if !slices.Equal(outputs, wantOutputs) {
		t.Errorf("outputs:\n got %q\nwant %q", outputs, wantOutputs)
	}

	// The wire format: from, to and the changes with their lists omitted
	// when empty.
	tests := []struct {
		query, want string
	}{
		{"from=2&to=2", `{"from":2,"to":2,"changes":{}}`},
		{"from=1&to=2", `{"from":1,"to":2,"changes":{"changed":[{"address":"aws_instance.web","attributes":[{"path":"tags.owner","before":null,"after":"ops"}]}]}}`},
		{"to=1&from=2", `{"from":2,"to":1,"changes":{"changed":[{"address":"aws_instance.web","attributes":[{"path":"tags.owner","before":"ops","after":null}]}]}}`},
	}
	for _, tt := range tests {
		rec := e.do(t, "GET", "/api/v1/stacks/infra/network/state-diff?"+tt.query, "")
		if got := strings.TrimSpace(rec.Body.String()); rec.Code != 200 || got != tt.want {
			t.Errorf("state-diff?%s = %d %s, want %s", tt.query, rec.Code, got, tt.want)
		}
	}
}

// short renders a diff value for comparison: markers as "marker".
func short(v any) any {
	if statever.IsMarker(v) {
		return "marker"
	}
	return v
}

func TestStateBadRequests(t *testing.T) {
	e, _ := newStateEnv(t)
	const base = "/api/v1/stacks/infra/network/"
	tests := []struct {
		path       string
		wantStatus int
		wantMsg    string
	}{
		{base + "state-versions?limit=0", 400, `limit "0" is not a positive whole number`},
		{base + "state-versions?limit=-1", 400, `limit "-1"`},
		{base + "state-versions?limit=x", 400, `limit "x"`},
		{base + "state-versions?serial=1", 400, `unknown query parameter "serial": /api/v1/stacks/{repo}/{stack}/state-versions accepts limit`},
		{base + "state-versions/x", 400, `serial "x" is not a whole number`},
		{base + "state-versions/-1", 400, `serial "-1" is not a whole number`},
		{base + "state-versions/1?limit=1", 400, `unknown query parameter "limit"`},
		{base + "state-diff", 400, `query parameter "from" is required`},
		{base + "state-diff?from=1", 400, `query parameter "to" is required`},
		{base + "state-diff?to=1", 400, `query parameter "from" is required`},
		{base + "state-diff?from=&to=1", 400, `query parameter "from" is required`},
		{base + "state-diff?from=0&to=1", 400, `from "0" is not a positive whole number`},
		{base + "state-diff?from=1&to=-3", 400, `to "-3" is not a positive whole number`},
		{base + "state-diff?from=1&to=two", 400, `to "two"`},
		{base + "state-diff?from=1&to=2&to=3", 400, `query parameter "to" is given 2 times`},
		{base + "state-diff?from=1&to=2&limit=1", 400, `unknown query parameter "limit": /api/v1/stacks/{repo}/{stack}/state-diff accepts from, to`},
		{base + "state-versions/9", 404, `stack infra/network has no state version 9; list them with GET /api/v1/stacks/infra/network/state-versions`},
		{base + "state-diff?from=1&to=9", 404, `stack infra/network has no state version 9`},
		{base + "state-diff?from=8&to=1", 404, `stack infra/network has no state version 8`},
		{"/api/v1/stacks/infra/nope/state-versions", 404, `repo "infra" has no stack "nope" at its last commit; list stacks with GET /api/v1/stacks?repo=infra`},
		{"/api/v1/stacks/nope/network/state-versions/1", 404, `repo "nope" is not configured`},
		{"/api/v1/stacks/infra/nope/state-diff?from=1&to=2", 404, `repo "infra" has no stack "nope" at its last commit`},
	}
	for _, tt := range tests {
		rec := e.do(t, "GET", tt.path, "")
		if rec.Code != tt.wantStatus {
			t.Errorf("GET %s = %d %s, want %d", tt.path, rec.Code, rec.Body, tt.wantStatus)
			continue
		}
		if msg := errorMessage(t, rec); !strings.Contains(msg, tt.wantMsg) {
			t.Errorf("GET %s message %q, want it to contain %q", tt.path, msg, tt.wantMsg)
		}
	}
	for _, path := range []string{base + "state-versions", base + "state-versions/1", base + "state-diff?from=1&to=2"} {
		if rec := e.do(t, "POST", path, ""); rec.Code != 405 || rec.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("POST %s = %d Allow %q, want 405 GET, HEAD", path, rec.Code, rec.Header().Get("Allow"))
		}
	}
}

// TestStateServiceErrors checks the answers of Service errors that carry no
// message for clients: a store.ErrNotFound names what was asked for, other
// errors are 500s that never reach the client.
func TestStateServiceErrors(t *testing.T) {
	tests := []struct {
		err        error
		path       string
		wantStatus int
		wantMsg    string
	}{
		{fmt.Errorf("get: %w", store.ErrNotFound), "state-versions/7", 404,
			`state version 7 of stack "network" in repo "infra" not found; list them with GET /api/v1/stacks/infra/network/state-versions`},
		{fmt.Errorf("get: %w", store.ErrNotFound), "state-diff?from=1&to=7", 404,
			`state version 1 or 7 of stack "network" in repo "infra" not found; list them with GET`},
		{fmt.Errorf("list: %w", store.ErrNotFound), "state-versions", 404, `stack "network" in repo "infra" not found`},
		{fmt.Errorf("decode state version 3: %w", statever.ErrMalformed), "state-diff?from=1&to=3", 500, "internal error"},
	}
	for _, tt := range tests {
		e := newCannedEnv(t, &apitest.Canned{Err: tt.err})
		rec := e.do(t, "GET", "/api/v1/stacks/infra/network/"+tt.path, "")
		if rec.Code != tt.wantStatus {
			t.Errorf("%v: GET %s = %d, want %d", tt.err, tt.path, rec.Code, tt.wantStatus)
			continue
		}
		if msg := errorMessage(t, rec); !strings.HasPrefix(msg, tt.wantMsg) {
			t.Errorf("%v: GET %s message %q, want %q", tt.err, tt.path, msg, tt.wantMsg)
		}
	}
}
