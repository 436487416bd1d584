package api_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/driftgate/driftgate/runner/api"
	"github.com/driftgate/driftgate/runner/api/apitest"
	"github.com/driftgate/driftgate/store"
)

// newGateEnv is newRoleEnv with apitest.SeedGate's apply runs and hold.
func newGateEnv(t *testing.T) (*env, apitest.GateFixture) {
	t.Helper()
	e := newRoleEnv(t)
	return e, apitest.SeedGate(t, e.svc, e.fx)
}

// send serves one request with body as token (a whole Authorization
// header; "" for the admin test token).
func (e *env) send(t *testing.T, method, target, token, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if token == "" {
		token = "Bearer " + apitest.Token
	}
	req.Header.Set("Authorization", token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec
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

// TestGateRoles walks an apply run through the gate as principals of every
// role: approving, rejecting and applying need approver, releasing admin,
// and the lock reads viewer. Refused requests never reach the Service and
// are in the audit log.
func TestGateRoles(t *testing.T) {
	e, g := newGateEnv(t)
	run := "/api/v1/runs/" + g.Awaiting.ID
	const release = "/api/v1/stacks/platform/dns/release"
	viewer, approver := "Bearer "+apitest.ViewerToken, "Bearer "+apitest.ApproverToken
	destroyer, admin := "Bearer "+apitest.DestroyerToken, "Bearer "+apitest.AdminToken
	steps := []struct {
		method, path, token string
		wantStatus          int
		wantMsg             string
	}{
		{"POST", run + "/approve", viewer, 403, `token "vera" has role viewer; this needs approver`},
		{"POST", run + "/reject", viewer, 403, `token "vera" has role viewer; this needs approver`},
		{"POST", run + "/apply", viewer, 403, `token "vera" has role viewer; this needs approver`},
		{"POST", release, viewer, 403, `token "vera" has role viewer; this needs admin`},
		{"POST", release, approver, 403, `token "alice" has role approver; this needs admin`},
		{"POST", release, destroyer, 403, `token "dave" has role approver; this needs admin`},
		{"GET", "/api/v1/locks", viewer, 200, ""},
		{"GET", "/api/v1/stacks/platform/dns/lock", viewer, 200, ""},
		{"POST", run + "/approve", approver, 200, ""},
		{"POST", run + "/apply", approver, 409, "has 1 of the 2 approvals stack infra/network requires"},
		{"POST", run + "/approve", approver, 409, "alice already decided approve on run " + g.Awaiting.ID},
		{"POST", run + "/approve", admin, 200, ""},
		{"POST", run + "/reject", destroyer, 200, ""}, // a queued run can still be rejected
		{"POST", release, admin, 200, ""},
	}
	for i, s := range steps {
		rec := e.send(t, s.method, s.path, s.token, "")
		if rec.Code != s.wantStatus {
			t.Fatalf("step %d: %s %s = %d %s, want %d", i, s.method, s.path, rec.Code, rec.Body, s.wantStatus)
		}
		if s.wantMsg != "" {
			if msg := errorMessage(t, rec); !strings.Contains(msg, s.wantMsg) {
				t.Errorf("step %d: %s %s message %q, want %q", i, s.method, s.path, msg, s.wantMsg)
			}
		}
	}

	var got []string
	for _, c := range e.svc.GateCalls() {
		got = append(got, c.Method+" "+c.Principal)
	}
	want := []string{"Locks vera", "StackLock vera", "ApproveRun alice", "ApplyRun alice", "ApproveRun alice",
		"ApproveRun ada", "RejectRun dave", "ReleaseStack ada"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("calls reaching the Service:\n got %q\nwant %q", got, want)
	}
	final, err := e.svc.Store.GetRun(t.Context(), g.Awaiting.ID)
	if err != nil || final.Status != store.StatusRejected || len(final.Approvals) != 3 {
		t.Fatalf("run after the walk: %+v, %v", final, err)
	}

	entries, _, err := e.svc.Store.ListAudit(t.Context(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var refused []string
	for _, en := range entries {
		if en.Result == store.AuditRefused {
			refused = append(refused, fmt.Sprintf("%s %s run=%s stack=%s/%s", en.Actor, en.Action, en.RunID, en.Repo, en.Stack))
		}
	}
	id := g.Awaiting.ID
	wantRefused := []string{ // newest first
		"alice approve run=" + id + " stack=infra/network", // decided twice: refused by the Service
		"alice apply run=" + id + " stack=infra/network",
		"dave release run= stack=platform/dns",
		"alice release run= stack=platform/dns",
		"vera release run= stack=platform/dns",
		"vera apply run=" + id + " stack=/",
		"vera reject run=" + id + " stack=/",
		"vera approve run=" + id + " stack=/",
	}
	if !reflect.DeepEqual(refused, wantRefused) {
		t.Errorf("refusals in the audit log:\n got %q\nwant %q", refused, wantRefused)
	}
}

func TestDecisionBodies(t *testing.T) {
	long := strings.Repeat("x", api.MaxCommentBytes+1)
	tests := []struct {
		body        string
		wantStatus  int
		wantComment string
		wantMsg     string
	}{
		{"", 200, "", ""},
		{" \n", 200, "", ""},
		{"{}", 200, "", ""},
		{"null", 200, "", ""},
		{`{"comment": "ship it"}`, 200, "ship it", ""},
		{`{"comment": "` + strings.Repeat("é", api.MaxCommentBytes/2) + `"}`, 200, strings.Repeat("é", api.MaxCommentBytes/2), ""},
		{`{"comment": "ok"}` + "\n", 200, "ok", ""},
		{`{"comment":`, 400, "", "the body of %s is not valid JSON: it ends too early"},
		{`{comment: "x"}`, 400, "", "the body of %s is not valid JSON: invalid character 'c' looking for beginning of object key string (at byte 2)"},
		{`{"comment": 5}`, 400, "", `"comment" in the body of %s must be a string, not a number`},
		{`{"comment": "a", "approve": true}`, 400, "", `unknown field "approve" in the body of %s: it accepts {"comment": "..."}`},
		{`["ship it"]`, 400, "", `the body of %s must be a JSON object such as {"comment": "..."}, not an array`},
		{`"ship it"`, 400, "", `the body of %s must be a JSON object such as {"comment": "..."}, not a string`},
		{`{"comment": "a"} {"comment": "b"}`, 400, "", "the body of %s holds more than one JSON value"},
		{`{"comment": "` + long + `"}`, 400, "", "the comment is 4097 bytes long; keep it to 4096"},
		{`{"comment": "` + strings.Repeat("x", 1<<20) + `"}`, 413, "", "the request body is larger than 1048576 bytes"},
	}
	for _, tt := range tests {
		for _, r := range []struct{ method, path, endpoint string }{
			{apitest.MethodApproveRun, "approve", "/api/v1/runs/{id}/approve"},
			{apitest.MethodRejectRun, "reject", "/api/v1/runs/{id}/reject"},
			{apitest.MethodReleaseStack, "release", "/api/v1/stacks/{repo}/{stack}/release"},
		} {
			e, g := newGateEnv(t)
			path := "/api/v1/runs/" + g.Awaiting.ID + "/" + r.path
			if r.path == "release" {
				path = "/api/v1/stacks/platform/dns/release"
			}
			name := fmt.Sprintf("%s with %.40q", r.path, tt.body)
			rec := e.send(t, "POST", path, "", tt.body)
			if rec.Code != tt.wantStatus {
				t.Errorf("%s = %d %s, want %d", name, rec.Code, rec.Body, tt.wantStatus)
				continue
			}
			calls := e.svc.GateCalls()
			if tt.wantStatus != 200 {
				want := tt.wantMsg
				if strings.Contains(want, "%s") {
					want = fmt.Sprintf(want, r.endpoint)
				}
				if msg := errorMessage(t, rec); !strings.HasPrefix(msg, want) {
					t.Errorf("%s message %q, want %q", name, msg, want)
				}
				if len(calls) != 0 {
					t.Errorf("%s reached the Service: %+v", name, calls)
				}
				continue
			}
			if len(calls) != 1 || calls[0].Method != r.method || calls[0].Comment != tt.wantComment || calls[0].Principal != api.DefaultTokenName {
				t.Errorf("%s: calls %+v, want one %s with comment %q", name, calls, r.method, tt.wantComment)
			}
		}
	}
}

func TestApplyRun(t *testing.T) {
	e, g := newGateEnv(t)
	path := "/api/v1/runs/" + g.Awaiting.ID + "/apply"
	rec := e.send(t, "POST", path, "", `{"comment": "now"}`)
	if msg := errorMessage(t, rec); rec.Code != 400 || msg != "/api/v1/runs/{id}/apply takes no body; send the request without one" {
		t.Errorf("apply with a body = %d %q", rec.Code, msg)
	}
	rec = e.send(t, "POST", path, "", "")
	if msg := errorMessage(t, rec); rec.Code != 409 || !strings.Contains(msg, "has 0 of the 2 approvals") {
		t.Errorf("apply without approvals = %d %q, want 409", rec.Code, msg)
	}
	e.svc.RequireApprovals("infra", "network", 0) // apply = "auto"
	rec = e.send(t, "POST", path, "", "")
	if rec.Code != 202 {
		t.Fatalf("apply = %d %s, want 202", rec.Code, rec.Body)
	}
	run := decodeRun(t, rec)
	if run.Status != store.StatusQueued || run.Waiting != "" || run.Binding == nil || run.Binding.PlanRun != e.fx.Planned.ID {
		t.Errorf("applied run %+v", run)
	}
	if got, want := rec.Header().Get("Location"), "/api/v1/runs/"+run.ID; got != want {
		t.Errorf("Location %q, want %q", got, want)
	}
	rec = e.send(t, "POST", path, "", "")
	if msg := errorMessage(t, rec); rec.Code != 409 || !strings.Contains(msg, "is queued; only a run awaiting approval") {
		t.Errorf("apply of a queued run = %d %q, want 409", rec.Code, msg)
	}
}

func TestApproveQueuesOnLastApproval(t *testing.T) {
	e, g := newGateEnv(t)
	path := "/api/v1/runs/" + g.Awaiting.ID + "/approve"
	rec := e.send(t, "POST", path, "Bearer "+apitest.ApproverToken, `{"comment": "lgtm"}`)
	run := decodeRun(t, rec)
	if rec.Code != 200 || run.Status != store.StatusAwaitingApproval || run.Waiting != apitest.Waiting(1, 2) || len(run.Approvals) != 1 {
		t.Fatalf("first approval = %d %+v", rec.Code, run)
	}
	a := run.Approvals[0]
	if a.Approver != apitest.Approver || a.Decision != store.DecisionApprove || a.Comment != "lgtm" ||
		a.Source != store.ApprovalSourceDriftgate || a.Binding != *g.Awaiting.Binding || a.At.IsZero() {
		t.Errorf("approval %+v", a)
	}
	rec = e.send(t, "POST", path, "Bearer "+apitest.DestroyerToken, "")
	if run = decodeRun(t, rec); rec.Code != 200 || run.Status != store.StatusQueued || run.Waiting != "" || len(run.Approvals) != 2 {
		t.Errorf("last approval = %d %+v", rec.Code, run)
	}
	rec = e.send(t, "POST", "/api/v1/runs/"+g.Awaiting.ID+"/reject", "Bearer "+apitest.AdminToken, `{"comment": "not today"}`)
	if run = decodeRun(t, rec); rec.Code != 200 || run.Status != store.StatusRejected || run.FinishedAt.IsZero() ||
		run.Approvals[2].Decision != store.DecisionReject || run.Approvals[2].Comment != "not today" {
		t.Errorf("reject = %d %+v", rec.Code, run)
	}
	rec = e.send(t, "POST", path, "Bearer "+apitest.AdminToken, "")
	if msg := errorMessage(t, rec); rec.Code != 409 || msg != "run "+g.Awaiting.ID+" is rejected, not awaiting approval" {
		t.Errorf("approve a rejected run = %d %q", rec.Code, msg)
	}
}

func TestLocks(t *testing.T) {
	e, g := newGateEnv(t)
	rec := e.send(t, "GET", "/api/v1/locks", "", "")
	var body struct {
		Locks []api.StackLock `json:"locks"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); rec.Code != 200 || err != nil || len(body.Locks) != 2 {
		t.Fatalf("GET /api/v1/locks = %d %s (%v)", rec.Code, rec.Body, err)
	}
	net, dns := body.Locks[0], body.Locks[1]
	if net.Repo != "infra" || net.Stack != "network" || net.Hold != nil || net.Holder == nil ||
		net.Holder.RunID != e.fx.Running.ID || net.Holder.Operation != "plan" || !net.Holder.Since.Equal(e.fx.Running.CreatedAt) {
		t.Errorf("infra/network lock %+v holder %+v", net, net.Holder)
	}
	if dns.Repo != "platform" || dns.Holder != nil || dns.Hold == nil || !reflect.DeepEqual(*dns.Hold, g.Hold) {
		t.Errorf("platform/dns lock %+v, want the hold %+v", dns, g.Hold)
	}

	if err := e.svc.Store.PutRepo(t.Context(), &store.RepoRecord{Name: "fresh"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path, want string
	}{
		{"/api/v1/locks?repo=fresh", `{"locks":[]}`},
		{"/api/v1/locks?repo=platform", `{"locks":[{"repo":"platform","stack":"dns","hold":{`},
		{"/api/v1/stacks/infra/database/lock", `{"repo":"infra","stack":"database"}`},
		{"/api/v1/stacks/infra/network/lock", `{"repo":"infra","stack":"network","holder":{"run_id":"` + e.fx.Running.ID + `","operation":"plan","trigger":"manual","since":`},
		{"/api/v1/stacks/platform/dns/lock", `"lock":{"id":"` + apitest.LockID + `"`},
	}
	for _, tt := range tests {
		rec := e.send(t, "GET", tt.path, "", "")
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), tt.want) {
			t.Errorf("GET %s = %d %s, want it to contain %s", tt.path, rec.Code, rec.Body, tt.want)
		}
	}
}

func TestReleaseStack(t *testing.T) {
	e, g := newGateEnv(t)
	rec := e.send(t, "POST", "/api/v1/stacks/platform/dns/release", "", `{"comment": "unlocked by hand"}`)
	var rel api.Release
	if err := json.Unmarshal(rec.Body.Bytes(), &rel); rec.Code != 200 || err != nil {
		t.Fatalf("release = %d %s (%v)", rec.Code, rec.Body, err)
	}
	if !reflect.DeepEqual(rel.Released, g.Hold) || rel.Plan == nil || rel.Plan.Status != store.StatusQueued ||
		rel.Plan.Operation != "plan" || rel.Plan.Repo != "platform" || rel.Plan.Stack != "dns" {
		t.Errorf("release = %+v, plan %+v", rel, rel.Plan)
	}
	rec = e.send(t, "GET", "/api/v1/stacks/platform/dns/lock", "", "")
	if got := strings.TrimSpace(rec.Body.String()); got != `{"repo":"platform","stack":"dns"}` {
		t.Errorf("lock after release = %s", got)
	}
	rec = e.send(t, "POST", "/api/v1/stacks/platform/dns/release", "", "")
	if msg := errorMessage(t, rec); rec.Code != 409 || msg != "stack platform/dns is not held; there is nothing to release" {
		t.Errorf("release of a free stack = %d %q", rec.Code, msg)
	}
}

func TestGateNotFound(t *testing.T) {
	e, _ := newGateEnv(t)
	const unknown = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
	tests := []struct {
		method, path, wantMsg string
	}{
		{"POST", "/api/v1/runs/" + unknown + "/approve", `run "` + unknown + `" not found; list runs with GET /api/v1/runs`},
		{"POST", "/api/v1/runs/" + unknown + "/reject", `run "` + unknown + `" not found; list runs with GET /api/v1/runs`},
		{"POST", "/api/v1/runs/" + unknown + "/apply", `run "` + unknown + `" not found; list runs with GET /api/v1/runs`},
		{"GET", "/api/v1/locks?repo=nope", `repo "nope" not found; list repos with GET /api/v1/repos`},
		{"GET", "/api/v1/stacks/infra/nope/lock", `stack "nope" in repo "infra" not found; list stacks with GET /api/v1/stacks?repo=infra`},
		{"POST", "/api/v1/stacks/infra/nope/release", `stack "nope" in repo "infra" not found; list stacks with GET /api/v1/stacks?repo=infra`},
		{"GET", "/api/v1/lock", "no such endpoint /api/v1/lock; the API is under /api/v1 (repos, stacks, runs, drift, locks, audit)"},
	}
	for _, tt := range tests {
		rec := e.send(t, tt.method, tt.path, "", "")
		if msg := errorMessage(t, rec); rec.Code != 404 || msg != tt.wantMsg {
			t.Errorf("%s %s = %d %q, want 404 %q", tt.method, tt.path, rec.Code, msg, tt.wantMsg)
		}
	}
}

// TestGateServiceErrors checks how the gate routes answer the Service's
// errors: ErrForbidden 403 and ErrConflict 409 with the error's text.
func TestGateServiceErrors(t *testing.T) {
	tests := []struct {
		err        error
		wantStatus int
		wantMsg    string
	}{
		{fmt.Errorf("alice may not approve run 01J: she triggered it: %w", api.ErrForbidden), 403, "alice may not approve run 01J: she triggered it"},
		{fmt.Errorf("the plan destroys resources; approving it needs the destroy permission: %w", api.ErrForbidden), 403,
			"the plan destroys resources; approving it needs the destroy permission"},
		{fmt.Errorf("run 01J was superseded by run 01K: %w", api.ErrConflict), 409, "run 01J was superseded by run 01K"},
		{fmt.Errorf("comment: %w", api.ErrBadRequest), 400, "comment"},
		{errors.New("bolt: disk I/O error"), 500, "internal error; the driftgate server log has the details"},
	}
	routes := []struct{ method, gateMethod, path string }{
		{"POST", apitest.MethodApproveRun, "/approve"},
		{"POST", apitest.MethodRejectRun, "/reject"},
		{"POST", apitest.MethodApplyRun, "/apply"},
		{"GET", apitest.MethodLocks, "/api/v1/locks"},
		{"GET", apitest.MethodStackLock, "/api/v1/stacks/platform/dns/lock"},
		{"POST", apitest.MethodReleaseStack, "/api/v1/stacks/platform/dns/release"},
	}
	for _, tt := range tests {
		e, g := newGateEnv(t)
		for _, r := range routes {
			e.svc.FailGate(r.gateMethod, tt.err)
			path := r.path
			if strings.HasPrefix(path, "/") && !strings.HasPrefix(path, "/api") {
				path = "/api/v1/runs/" + g.Awaiting.ID + path
			}
			rec := e.send(t, r.method, path, "", "")
			if msg := errorMessage(t, rec); rec.Code != tt.wantStatus || msg != tt.wantMsg {
				t.Errorf("%v: %s %s = %d %q, want %d %q", tt.err, r.method, path, rec.Code, msg, tt.wantStatus, tt.wantMsg)
			}
		}
	}
	// A bare sentinel names what it is about.
	e, g := newGateEnv(t)
	e.svc.FailGate(apitest.MethodApproveRun, api.ErrForbidden)
	rec := e.send(t, "POST", "/api/v1/runs/"+g.Awaiting.ID+"/approve", "", "")
	if msg := errorMessage(t, rec); rec.Code != 403 || msg != fmt.Sprintf("run %q: forbidden", g.Awaiting.ID) {
		t.Errorf("bare ErrForbidden = %d %q", rec.Code, msg)
	}
}

func TestGateMethodsAndQueries(t *testing.T) {
	e, g := newGateEnv(t)
	run := "/api/v1/runs/" + g.Awaiting.ID
	methods := []struct {
		method, path, wantAllow string
	}{
		{"GET", run + "/approve", "POST"},
		{"PUT", run + "/reject", "POST"},
		{"GET", run + "/apply", "POST"},
		{"POST", "/api/v1/locks", "GET, HEAD"},
		{"DELETE", "/api/v1/stacks/infra/network/lock", "GET, HEAD"},
		{"GET", "/api/v1/stacks/infra/network/release", "POST"},
	}
	for _, tt := range methods {
		rec := e.send(t, tt.method, tt.path, "", "")
		if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != tt.wantAllow {
			t.Errorf("%s %s = %d Allow %q, want 405 Allow %q", tt.method, tt.path, rec.Code, rec.Header().Get("Allow"), tt.wantAllow)
		}
	}
	queries := []struct {
		path, wantMsg string
	}{
		{"/api/v1/locks?stack=dns", `unknown query parameter "stack": /api/v1/locks accepts repo`},
		{"/api/v1/locks?repo=a&repo=b", `query parameter "repo" is given 2 times`},
		{"/api/v1/stacks/infra/network/lock?history=1", `unknown query parameter "history": /api/v1/stacks/{repo}/{stack}/lock accepts `},
	}
	for _, tt := range queries {
		rec := e.send(t, "GET", tt.path, "", "")
		if msg := errorMessage(t, rec); rec.Code != 400 || !strings.HasPrefix(msg, tt.wantMsg) {
			t.Errorf("GET %s = %d %q, want 400 %q", tt.path, rec.Code, msg, tt.wantMsg)
		}
	}
}
