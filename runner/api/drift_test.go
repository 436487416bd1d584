package api_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/driftgate/driftgate/runner/api"
	"github.com/driftgate/driftgate/runner/api/apitest"
	"github.com/driftgate/driftgate/runner/api/apiv1"
	"github.com/driftgate/driftgate/store"
)

// newDriftEnv is newEnv with SeedDrift's records.
func newDriftEnv(t *testing.T) (*env, apitest.DriftFixture) {
	t.Helper()
	e := newEnv(t)
	return e, apitest.SeedDrift(t, e.st, e.fx)
}

// addresses lists the findings' addresses, in order.
func addresses(fs []apiv1.DriftFinding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Address
	}
	return out
}

func TestDriftList(t *testing.T) {
	e, d := newDriftEnv(t)
	tests := []struct {
		query string
		want  []string // repo/stack status open accepted findings
	}{
		{"", []string{
			"infra/database in_sync 0 0 []",
			"infra/network drifted 1 1 [aws_security_group.web aws_instance.web]",
			"platform/cdn unknown 0 0 []",
			"platform/dns errored 0 0 []",
		}},
		{"?repo=platform", []string{"platform/cdn unknown 0 0 []", "platform/dns errored 0 0 []"}},
		{"?repo=", []string{
			"infra/database in_sync 0 0 []", "infra/network drifted 1 1 [aws_security_group.web aws_instance.web]",
			"platform/cdn unknown 0 0 []", "platform/dns errored 0 0 []",
		}},
	}
	for _, tt := range tests {
		rec := e.do(t, "GET", "/api/v1/drift"+tt.query, "")
		if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("GET /api/v1/drift%s = %d %s", tt.query, rec.Code, rec.Body)
		}
		var body struct {
			Stacks []apiv1.StackDrift `json:"stacks"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, v := range body.Stacks {
			got = append(got, fmt.Sprintf("%s/%s %s %d %d %v", v.Repo, v.Stack, v.Status, v.Open, v.Accepted, addresses(v.Findings)))
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("GET /api/v1/drift%s:\n got %q\nwant %q", tt.query, got, tt.want)
		}
		if len(body.Stacks) > 1 && tt.query == "" {
			net := body.Stacks[1]
			if net.RunID != d.Check.ID || net.Commit != apitest.InfraCommit || !net.CheckedAt.Equal(d.Check.FinishedAt) {
				t.Errorf("infra/network = %+v, want the check %s", net, d.Check.ID)
			}
			if dns := body.Stacks[3]; !strings.HasPrefix(dns.Error, "terraform init: Error") || dns.RunID != e.fx.Errored.ID {
				t.Errorf("platform/dns = %+v, want the errored run's error", dns)
			}
		}
	}
}

// TestDriftJSONShape checks the wire format: a flat object per stack, lists
// that are never null, omitted empty fields.
func TestDriftJSONShape(t *testing.T) {
	e, d := newDriftEnv(t)
	at := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	if err := e.st.RecordApplied(t.Context(), "infra", "network", store.AppliedInfo{
		RunID: e.fx.Planned.ID, Commit: apitest.InfraCommit, At: at, TerraformVersion: "1.11.4",
	}); err != nil {
		t.Fatal(err)
	}
	rec := e.do(t, "GET", "/api/v1/drift", "")
	var raw struct {
		Stacks []map[string]json.RawMessage `json:"stacks"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &raw); err != nil || len(raw.Stacks) != 4 {
		t.Fatalf("GET /api/v1/drift: %v: %s", err, rec.Body)
	}
	keys := func(m map[string]json.RawMessage) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	tests := []struct {
		i    int
		want []string
	}{
		{1, []string{"accepted", "checked_at", "commit", "findings", "last_applied", "open", "repo", "run_id", "stack", "status"}},
		{2, []string{"accepted", "findings", "open", "repo", "stack", "status"}},
		{3, []string{"accepted", "checked_at", "commit", "error", "findings", "open", "repo", "run_id", "stack", "status"}},
	}
	for _, tt := range tests {
		if got := keys(raw.Stacks[tt.i]); !slices.Equal(got, tt.want) {
			t.Errorf("stack %d has keys %q, want %q", tt.i, got, tt.want)
		}
	}
	if got := string(raw.Stacks[2]["findings"]); got != "[]" {
		t.Errorf("findings of a stack never checked = %s, want []", got)
	}
	if got, want := string(raw.Stacks[1]["last_applied"]), `{"run_id":"`+e.fx.Planned.ID+`","commit":"`+apitest.InfraCommit+`","at":"2025-05-01T12:00:00Z","terraform_version":"1.11.4"}`; got != want {
		t.Errorf("last_applied = %s, want %s", got, want)
	}

	rec = e.do(t, "GET", "/api/v1/stacks/infra/network/drift", "")
	var view map[string]json.RawMessage
	if err := json.Unmarshal(rec.Body.Bytes(), &view); err != nil {
		t.Fatal(err)
	}
	var findings []map[string]any
	if err := json.Unmarshal(view["findings"], &findings); err != nil || len(findings) != 4 {
		t.Fatalf("findings %s: %v", view["findings"], err)
	}
	web := findings[1]
	if web["id"] != d.Web.ID || web["address"] != "aws_instance.web" || web["kind"] != "changed" || web["cause"] != "out_of_band" ||
		web["first_run"] != e.fx.Planned.ID || web["last_run"] != d.Check.ID || web["resolved_at"] != nil || web["accepted"] != nil {
		t.Errorf("finding aws_instance.web = %v", web)
	}
	attrs, _ := json.Marshal(web["attributes"])
	if want := `[{"after":"t3.large","before":"t3.small","path":"instance_type"},{"after":{"env":"prod","owner":"ops"},"before":{"env":"prod"},"path":"tags"},{"after":"(sensitive value)","before":"(sensitive value)","path":"user_data","sensitive":true}]`; string(attrs) != want {
		t.Errorf("attributes = %s, want %s", attrs, want)
	}
	if f := findings[0]; f["accepted"] != true || f["rule"] != apitest.AcceptRule {
		t.Errorf("accepted finding = %v", f)
	}
	if f := findings[2]; f["resolved_at"] == nil {
		t.Errorf("resolved finding has no resolved_at: %v", f)
	}
}

func TestStackDrift(t *testing.T) {
	e, _ := newDriftEnv(t)
	all := []string{"aws_security_group.web", "aws_instance.web", "aws_route53_record.www", "aws_s3_bucket.logs"}
	tests := []struct {
		path       string
		wantStatus apiv1.DriftStatus
		want       []string
	}{
		{"/api/v1/stacks/infra/network/drift", apiv1.DriftDrifted, all},
		{"/api/v1/stacks/infra/network/drift?history=", apiv1.DriftDrifted, all},
		{"/api/v1/stacks/infra/network/drift?history=500", apiv1.DriftDrifted, all},
		{"/api/v1/stacks/infra/network/drift?history=1", apiv1.DriftDrifted, all[:3]},
		{"/api/v1/stacks/infra/network/drift?history=0", apiv1.DriftDrifted, all[:2]},
		{"/api/v1/stacks/infra/database/drift", apiv1.DriftInSync, nil},
		{"/api/v1/stacks/platform/cdn/drift", apiv1.DriftUnknown, nil},
	}
	for _, tt := range tests {
		rec := e.do(t, "GET", tt.path, "")
		if rec.Code != 200 {
			t.Errorf("GET %s = %d %s", tt.path, rec.Code, rec.Body)
			continue
		}
		var v apiv1.StackDrift
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
			t.Fatal(err)
		}
		if got := addresses(v.Findings); v.Status != tt.wantStatus || !slices.Equal(got, tt.want) || v.Findings == nil {
			t.Errorf("GET %s = %s %q, want %s %q", tt.path, v.Status, got, tt.wantStatus, tt.want)
		}
	}
	rec := e.do(t, "GET", "/api/v1/stacks/platform/cdn/drift", "")
	if got := strings.TrimSpace(rec.Body.String()); got != `{"repo":"platform","stack":"cdn","status":"unknown","open":0,"accepted":0,"findings":[]}` {
		t.Errorf("a stack never checked = %s", got)
	}
}

func TestDriftBadRequests(t *testing.T) {
	e, _ := newDriftEnv(t)
	tests := []struct {
		path       string
		wantStatus int
		wantMsg    string
	}{
		{"/api/v1/stacks/infra/network/drift?history=501", 400, `history "501" is not a whole number from 0 to 500`},
		{"/api/v1/stacks/infra/network/drift?history=-1", 400, `history "-1"`},
		{"/api/v1/stacks/infra/network/drift?history=ten", 400, `history "ten"`},
		{"/api/v1/stacks/infra/network/drift?history=1&history=2", 400, `query parameter "history" is given 2 times`},
		{"/api/v1/stacks/infra/network/drift?limit=2", 400, `unknown query parameter "limit": /api/v1/stacks/{repo}/{stack}/drift accepts history`},
		{"/api/v1/drift?stack=network", 400, `unknown query parameter "stack": /api/v1/drift accepts repo`},
		{"/api/v1/drift?repo=%zz", 400, "malformed query string"},
		{"/api/v1/drift?repo=nope", 404, `repo "nope" is not configured; list repos with GET /api/v1/repos`},
		{"/api/v1/stacks/infra/nope/drift", 404, `repo "infra" has no stack "nope" at its last commit; list stacks with GET /api/v1/stacks?repo=infra`},
		{"/api/v1/stacks/nope/network/drift", 404, `repo "nope" is not configured`},
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
}

func TestDriftMethodsAndAuth(t *testing.T) {
	e, _ := newDriftEnv(t)
	methods := []struct {
		method, path, wantAllow string
	}{
		{"POST", "/api/v1/drift", "GET, HEAD"},
		{"POST", "/api/v1/stacks/infra/network/drift", "GET, HEAD"},
		{"GET", "/api/v1/stacks/infra/network/drift-check", "POST"},
		{"DELETE", "/api/v1/stacks/infra/network/drift-check", "POST"},
	}
	for _, tt := range methods {
		rec := e.do(t, tt.method, tt.path, "")
		if rec.Code != 405 || rec.Header().Get("Allow") != tt.wantAllow {
			t.Errorf("%s %s = %d Allow %q, want 405 Allow %q", tt.method, tt.path, rec.Code, rec.Header().Get("Allow"), tt.wantAllow)
		}
	}

	before, _, err := e.st.ListRuns(t.Context(), store.RunFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, req := range []struct{ method, path string }{
		{"GET", "/api/v1/drift"},
		{"GET", "/api/v1/stacks/infra/network/drift"},
		{"POST", "/api/v1/stacks/infra/network/drift-check"},
	} {
		for _, token := range []string{"-", "Bearer nope"} {
			rec := e.do(t, req.method, req.path, token)
			if rec.Code != 401 || !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s %s with token %q = %d, want 401", req.method, req.path, token, rec.Code)
			}
		}
	}
	after, _, err := e.st.ListRuns(t.Context(), store.RunFilter{})
	if err != nil || len(after) != len(before) {
		t.Errorf("unauthenticated drift-checks queued runs: %d runs before, %d after (%v)", len(before), len(after), err)
	}
}

func TestDriftServiceErrors(t *testing.T) {
	tests := []struct {
		err        error
		wantStatus int
		wantMsg    string
	}{
		{fmt.Errorf("repo %q is not configured; list repos with GET /api/v1/repos: %w", "infra", api.ErrNotFound), 404, `repo "infra" is not configured`},
		{fmt.Errorf("a drift check of this stack is already queued: %w", api.ErrConflict), 409, "a drift check of this stack is already queued"},
		{errors.New("bolt: disk I/O error"), 500, "internal error; the driftgate server log has the details"},
	}
	for _, tt := range tests {
		e := newCannedEnv(t, &apitest.Canned{Err: tt.err})
		for _, req := range []struct{ method, path string }{
			{"GET", "/api/v1/drift"},
			{"GET", "/api/v1/stacks/infra/network/drift"},
			{"POST", "/api/v1/stacks/infra/network/drift-check"},
		} {
			rec := e.do(t, req.method, req.path, "")
			if rec.Code != tt.wantStatus {
				t.Errorf("%v: %s %s = %d, want %d", tt.err, req.method, req.path, rec.Code, tt.wantStatus)
				continue
			}
			if msg := errorMessage(t, rec); !strings.HasPrefix(msg, tt.wantMsg) {
				t.Errorf("%v: %s %s message %q, want %q", tt.err, req.method, req.path, msg, tt.wantMsg)
			}
		}
		if tt.wantStatus == 500 && !strings.Contains(e.logs.String(), "disk I/O") {
			t.Errorf("the cause of a 500 is not logged:\n%s", e.logs)
		}
	}
}
