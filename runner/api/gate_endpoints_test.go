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
	"github.com/driftgate/driftgate/runner/api/apiv1"
	"github.com/driftgate/driftgate/runner/runnertest"
	"github.com/driftgate/driftgate/store"
)

// TestGateRoles walks an apply run through the real gate as principals of
// every role: approving, rejecting and applying need approver, releasing
// admin, and the lock reads viewer. Every request that changes something
// is in the audit log, refused or not.
func TestGateRoles(t *testing.T) {
	e := newGateEnv(t)
	id := e.awaiting.ID
	run := "/api/v1/runs/" + id
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
		{"POST", run + "/apply", approver, 409, "run " + id + " has 1 of the 2 approvals stack network requires; approve it with `driftgate approve " + id + "`"},
		{"POST", run + "/approve", approver, 409, "run " + id + " is already approved by alice"},
		{"POST", run + "/reject", destroyer, 200, ""},
		{"POST", run + "/approve", admin, 409, "run " + id + " is rejected (rejected by dave), not awaiting approval"},
		{"POST", release, admin, 200, ""},
	}
	for i, s := range steps {
		rec := e.send(t, s.method, s.path, s.token, "")
		if rec.Code != s.wantStatus {
			t.Fatalf("step %d: %s %s = %d %s, want %d", i, s.method, s.path, rec.Code, rec.Body, s.wantStatus)
		}
		if s.wantMsg != "" {
			if msg := errorMessage(t, rec); msg != s.wantMsg {
				t.Errorf("step %d: %s %s message %q, want %q", i, s.method, s.path, msg, s.wantMsg)
			}
		}
	}
	final := e.run(t, id)
	if final.Status != store.StatusRejected || len(final.Approvals) != 2 ||
		final.Approvals[0].Approver != apitest.Approver || final.Approvals[1].Approver != apitest.Destroyer {
		t.Fatalf("run after the walk: %s %+v", final.Status, final.Approvals)
	}

	entries, _, err := e.d.Store.ListAudit(t.Context(), store.AuditFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, en := range entries {
		if en.Actor != store.AuditActor {
			got = append(got, fmt.Sprintf("%s %s %s run=%s stack=%s/%s", en.Actor, en.Action, en.Result, en.RunID, en.Repo, en.Stack))
		}
	}
	want := []string{ // newest first
		"ada release ok run=" + e.hold.RunID + " stack=platform/dns",
		"ada approve refused run=" + id + " stack=infra/network",
		"dave reject ok run=" + id + " stack=infra/network",
		"alice approve refused run=" + id + " stack=infra/network", // decided twice: refused by the gate
		"alice apply refused run=" + id + " stack=infra/network",
		"alice approve ok run=" + id + " stack=infra/network",
		"dave release refused run= stack=platform/dns",
		"alice release refused run= stack=platform/dns",
		"vera release refused run= stack=platform/dns",
		"vera apply refused run=" + id + " stack=/",
		"vera reject refused run=" + id + " stack=/",
		"vera approve refused run=" + id + " stack=/",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("audit log:\n got %q\nwant %q", got, want)
	}
}

// TestDecisionBodies sends the gate's POST routes bodies good and bad: a
// bad one is refused before the daemon sees it, a good one's comment is
// recorded.
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
	bad := newGateEnv(t) // bad bodies change nothing: one daemon serves them all
	for _, tt := range tests {
		e := bad
		if tt.wantStatus == 200 {
			e = newGateEnv(t)
		}
		db := e.d.Latest("infra", "database", "apply")
		for _, r := range []struct{ path, endpoint string }{
			{"/api/v1/runs/" + e.awaiting.ID + "/approve", "/api/v1/runs/{id}/approve"},
			{"/api/v1/runs/" + db.ID + "/reject", "/api/v1/runs/{id}/reject"},
			{"/api/v1/stacks/platform/dns/release", "/api/v1/stacks/{repo}/{stack}/release"},
		} {
			name := fmt.Sprintf("%s with %.40q", r.endpoint, tt.body)
			rec := e.send(t, "POST", r.path, "", tt.body)
			if rec.Code != tt.wantStatus {
				t.Errorf("%s = %d %s, want %d", name, rec.Code, rec.Body, tt.wantStatus)
				continue
			}
			if tt.wantStatus != 200 {
				want := tt.wantMsg
				if strings.Contains(want, "%s") {
					want = fmt.Sprintf(want, r.endpoint)
				}
				if msg := errorMessage(t, rec); !strings.HasPrefix(msg, want) {
					t.Errorf("%s message %q, want %q", name, msg, want)
				}
			}
		}
		if tt.wantStatus != 200 {
			continue
		}
		for _, run := range []*store.Run{e.run(t, e.awaiting.ID), e.run(t, db.ID)} {
			if len(run.Approvals) != 1 || run.Approvals[0].Comment != tt.wantComment || run.Approvals[0].Approver != api.DefaultTokenName {
				t.Errorf("body %.40q: decisions on %s/%s %+v, want one by %s with comment %q",
					tt.body, run.Repo, run.Stack, run.Approvals, api.DefaultTokenName, tt.wantComment)
			}
		}
		entries, _, err := e.d.Store.ListAudit(t.Context(), store.AuditFilter{Action: store.AuditRelease})
		if err != nil {
			t.Fatal(err)
		}
		wantDetail := "released the hold of run " + e.hold.RunID
		if tt.wantComment != "" {
			wantDetail += ": " + tt.wantComment
		}
		// The audit log keeps at most MaxAuditDetail bytes of a detail,
		// ending in the length it had.
		detailOK := func(got string) bool {
			if len(wantDetail) <= store.MaxAuditDetail {
				return got == wantDetail
			}
			head, _, _ := strings.Cut(got, "…")
			return len(got) <= store.MaxAuditDetail && strings.HasPrefix(wantDetail, head) &&
				strings.HasSuffix(got, fmt.Sprintf("(%d bytes)", len(wantDetail)))
		}
		if len(entries) != 1 || !detailOK(entries[0].Detail) {
			t.Errorf("body %.40q: release audit %.300v, want detail %.300q", tt.body, entries, wantDetail)
		}
	}
	entries, _, err := bad.d.Store.ListAudit(t.Context(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range entries {
		if en.Actor != store.AuditActor {
			t.Errorf("a bad body reached the daemon: %+v", en)
		}
	}
	if r := bad.run(t, bad.awaiting.ID); len(r.Approvals) != 0 {
		t.Errorf("bad bodies recorded decisions: %+v", r.Approvals)
	}
}

func TestApplyRun(t *testing.T) {
	e := newGateEnv(t)
	id := e.awaiting.ID
	path := "/api/v1/runs/" + id + "/apply"
	rec := e.send(t, "POST", path, "", `{"comment": "now"}`)
	if msg := errorMessage(t, rec); rec.Code != 400 || msg != "/api/v1/runs/{id}/apply takes no body; send the request without one" {
		t.Errorf("apply with a body = %d %q", rec.Code, msg)
	}
	rec = e.send(t, "POST", path, "", "")
	want := "run " + id + " has 0 of the 2 approvals stack network requires; approve it with `driftgate approve " + id + "`"
	if msg := errorMessage(t, rec); rec.Code != 409 || msg != want {
		t.Errorf("apply without approvals = %d %q, want 409 %q", rec.Code, msg, want)
	}
	plan := e.d.Latest("infra", "network", "plan")
	rec = e.send(t, "POST", "/api/v1/runs/"+plan.ID+"/apply", "", "")
	if msg := errorMessage(t, rec); rec.Code != 409 || !strings.HasPrefix(msg, "run "+plan.ID+" is a plan run; only apply runs are approved or applied") {
		t.Errorf("apply of a plan run = %d %q, want 409", rec.Code, msg)
	}
	if rec := e.send(t, "POST", "/api/v1/runs/"+id+"/reject", "", ""); rec.Code != 200 {
		t.Fatalf("reject = %d %s", rec.Code, rec.Body)
	}
	rec = e.send(t, "POST", path, "", "")
	if msg := errorMessage(t, rec); rec.Code != 409 || msg != "run "+id+" is rejected, not awaiting approval (rejected by default)" {
		t.Errorf("apply of a rejected run = %d %q, want 409", rec.Code, msg)
	}
}

// TestApplyRunAnswer checks the answer to an apply the Service queued: 202
// with the run and its Location.
func TestApplyRunAnswer(t *testing.T) {
	queued := &store.Run{ID: "01ARZ3NDEKTSV4RRFFQ69G5FAV", Repo: "infra", Stack: "network", Operation: "apply", Status: store.StatusQueued}
	srv := apitest.NewServer(t, &apitest.Canned{Answer: queued})
	req, _ := http.NewRequest("POST", srv.URL+"/api/v1/runs/"+queued.ID+"/apply", nil)
	req.Header.Set("Authorization", "Bearer "+apitest.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var run store.Run
	if err := json.NewDecoder(resp.Body).Decode(&run); err != nil || resp.StatusCode != 202 || run.ID != queued.ID || run.Status != store.StatusQueued {
		t.Errorf("apply = %d %+v (%v), want 202 and the run", resp.StatusCode, run, err)
	}
	if got, want := resp.Header.Get("Location"), "/api/v1/runs/"+queued.ID; got != want {
		t.Errorf("Location %q, want %q", got, want)
	}
}

func TestApproveQueuesOnLastApproval(t *testing.T) {
	e := newGateEnv(t)
	id := e.awaiting.ID
	path := "/api/v1/runs/" + id + "/approve"
	rec := e.send(t, "POST", path, "Bearer "+apitest.ApproverToken, `{"comment": "lgtm"}`)
	run := decodeRun(t, rec)
	if rec.Code != 200 || run.Status != store.StatusAwaitingApproval || run.Waiting != "1 of 2 approvals; needs 1 more" || len(run.Approvals) != 1 {
		t.Fatalf("first approval = %d %s %q %+v", rec.Code, run.Status, run.Waiting, run.Approvals)
	}
	a := run.Approvals[0]
	if a.Approver != apitest.Approver || a.Decision != store.DecisionApprove || a.Comment != "lgtm" ||
		a.Source != store.ApprovalSourceDriftgate || a.Binding != *e.awaiting.Binding || a.At.IsZero() {
		t.Errorf("approval %+v", a)
	}
	rec = e.send(t, "POST", path, "Bearer "+apitest.DestroyerToken, "")
	if run = decodeRun(t, rec); rec.Code != 200 || run.Status != store.StatusQueued || run.Reason != "" || len(run.Approvals) != 2 {
		t.Errorf("last approval = %d %s %q %+v", rec.Code, run.Status, run.Reason, run.Approvals)
	}
	if r := e.d.WaitRun(id, store.StatusApplied, store.StatusErrored, store.StatusRefused); r.Status != store.StatusApplied {
		t.Fatalf("approved run ended %s: %s", r.Status, r.Error)
	}
	if got := e.d.Terraform.Applies(); !reflect.DeepEqual(got, []string{"network"}) {
		t.Errorf("terraform applied %q, want network once", got)
	}
	rec = e.send(t, "POST", "/api/v1/runs/"+id+"/reject", "Bearer "+apitest.AdminToken, `{"comment": "not today"}`)
	if msg := errorMessage(t, rec); rec.Code != 409 || msg != "run "+id+" is applied, not awaiting approval or queued" {
		t.Errorf("reject an applied run = %d %q", rec.Code, msg)
	}
}

// TestRejectEndsTheRun rejects an apply run with a comment: it ends
// rejected and is never applied.
func TestRejectEndsTheRun(t *testing.T) {
	e := newGateEnv(t)
	id := e.awaiting.ID
	rec := e.send(t, "POST", "/api/v1/runs/"+id+"/reject", "Bearer "+apitest.AdminToken, `{"comment": "not today"}`)
	run := decodeRun(t, rec)
	if rec.Code != 200 || run.Status != store.StatusRejected || run.FinishedAt.IsZero() || len(run.Approvals) != 1 ||
		run.Approvals[0].Decision != store.DecisionReject || run.Approvals[0].Comment != "not today" {
		t.Errorf("reject = %d %+v", rec.Code, run)
	}
	rec = e.send(t, "POST", "/api/v1/runs/"+id+"/approve", "Bearer "+apitest.ApproverToken, "")
	if msg := errorMessage(t, rec); rec.Code != 409 || msg != "run "+id+" is rejected (rejected by ada: not today), not awaiting approval" {
		t.Errorf("approve a rejected run = %d %q", rec.Code, msg)
	}

	// An approved run that waits in the queue (its stack is held) can
	// still be rejected.
	dns := e.d.Latest("platform", "dns", "apply")
	rec = e.send(t, "POST", "/api/v1/runs/"+dns.ID+"/approve", "Bearer "+apitest.ApproverToken, "")
	if run := decodeRun(t, rec); rec.Code != 200 || run.Status != store.StatusQueued {
		t.Fatalf("approve dns = %d %s", rec.Code, run.Status)
	}
	if r := e.d.WaitReason(dns.ID, store.ReasonStackHeld); r.Status != store.StatusQueued {
		t.Fatalf("approved run of a held stack is %s", r.Status)
	}
	rec = e.send(t, "POST", "/api/v1/runs/"+dns.ID+"/reject", "Bearer "+apitest.DestroyerToken, "")
	if run := decodeRun(t, rec); rec.Code != 200 || run.Status != store.StatusRejected {
		t.Errorf("reject a queued run = %d %s", rec.Code, run.Status)
	}
	if got := e.d.Terraform.Applies(); len(got) != 0 {
		t.Errorf("terraform applied %q", got)
	}
}

// TestApprovalsBindToThePlan approves an apply run that a newer plan of
// the same stack superseded: the approval is refused, and the new run
// starts without approvals.
func TestApprovalsBindToThePlan(t *testing.T) {
	e := newGateEnv(t)
	old := e.awaiting.ID
	if rec := e.send(t, "POST", "/api/v1/runs/"+old+"/approve", "Bearer "+apitest.ApproverToken, ""); rec.Code != 200 {
		t.Fatalf("approve = %d %s", rec.Code, rec.Body)
	}
	rec := e.send(t, "POST", "/api/v1/stacks/infra/network/plan", "", "")
	if rec.Code != 202 {
		t.Fatalf("plan = %d %s", rec.Code, rec.Body)
	}
	plan := decodeRun(t, rec)
	e.d.WaitRun(plan.ID, store.StatusPlanned)
	e.d.Settle()
	next := e.d.Latest("infra", "network", "apply")
	if next.ID == old || next.Status != store.StatusAwaitingApproval || len(next.Approvals) != 0 || next.Binding.PlanRun != plan.ID {
		t.Fatalf("new apply run %s %s %+v %+v", next.ID, next.Status, next.Approvals, next.Binding)
	}
	if next.Attrs[store.AttrTriggeredBy] != api.DefaultTokenName {
		t.Errorf("new apply run attrs %v, want triggered_by %s", next.Attrs, api.DefaultTokenName)
	}
	rec = e.send(t, "POST", "/api/v1/runs/"+old+"/approve", "Bearer "+apitest.DestroyerToken, "")
	if msg := errorMessage(t, rec); rec.Code != 409 || !strings.HasPrefix(msg, "run "+old+" is superseded") {
		t.Errorf("approve the superseded run = %d %q", rec.Code, msg)
	}
	rec = e.send(t, "POST", "/api/v1/runs/"+next.ID+"/approve", "Bearer "+apitest.ApproverToken, "")
	if run := decodeRun(t, rec); rec.Code != 200 || run.Status != store.StatusAwaitingApproval || run.Waiting != "1 of 2 approvals; needs 1 more" {
		t.Errorf("the old plan's approval counted for the new one: %d %s %q", rec.Code, run.Status, run.Waiting)
	}
}

// TestLocks reads the locks of a stack applying and a held stack.
func TestLocks(t *testing.T) {
	e := newGateEnv(t)
	e.d.Terraform.BlockApplies("database")
	db := e.d.Latest("infra", "database", "apply")
	if rec := e.send(t, "POST", "/api/v1/runs/"+db.ID+"/approve", "Bearer "+apitest.ApproverToken, ""); rec.Code != 200 {
		t.Fatalf("approve = %d %s", rec.Code, rec.Body)
	}
	<-e.d.Terraform.Started()
	running := e.run(t, db.ID)

	rec := e.send(t, "GET", "/api/v1/locks", "", "")
	var body struct {
		Locks []apiv1.StackLock `json:"locks"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); rec.Code != 200 || err != nil || len(body.Locks) != 2 {
		t.Fatalf("GET /api/v1/locks = %d %s (%v)", rec.Code, rec.Body, err)
	}
	dbLock, held := body.Locks[0], body.Locks[1]
	if dbLock.Repo != "infra" || dbLock.Stack != "database" || dbLock.Hold != nil || dbLock.Holder == nil ||
		dbLock.Holder.RunID != db.ID || dbLock.Holder.Operation != "apply" || !dbLock.Holder.Since.Equal(running.StartedAt) {
		t.Errorf("infra/database lock %+v holder %+v", dbLock, dbLock.Holder)
	}
	if held.Repo != "platform" || held.Holder != nil || held.Hold == nil || !sameJSON(t, *held.Hold, e.hold) {
		t.Errorf("platform/dns lock %+v, want the hold %+v", held, e.hold)
	}

	tests := []struct {
		path, want string
	}{
		{"/api/v1/locks?repo=infra", `{"locks":[{"repo":"infra","stack":"database","holder":{`},
		{"/api/v1/locks?repo=platform", `{"locks":[{"repo":"platform","stack":"dns","hold":{`},
		{"/api/v1/stacks/infra/network/lock", `{"repo":"infra","stack":"network"}`},
		{"/api/v1/stacks/infra/database/lock", `{"repo":"infra","stack":"database","holder":{"run_id":"` + db.ID + `","operation":"apply","trigger":"initial","since":`},
		{"/api/v1/stacks/platform/dns/lock", `"lock":{"id":"` + runnertest.LockID + `"`},
	}
	for _, tt := range tests {
		rec := e.send(t, "GET", tt.path, "", "")
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), tt.want) {
			t.Errorf("GET %s = %d %s, want it to contain %s", tt.path, rec.Code, rec.Body, tt.want)
		}
	}
	// Interrupt the apply; its stack is then held too.
	if rec := e.send(t, "POST", "/api/v1/runs/"+db.ID+"/cancel", "", ""); rec.Code >= 300 {
		t.Fatalf("cancel = %d %s", rec.Code, rec.Body)
	}
	e.d.WaitRun(db.ID, store.StatusCanceled, store.StatusInterrupted, store.StatusErrored)
}

func TestReleaseStack(t *testing.T) {
	e := newGateEnv(t)
	rec := e.send(t, "POST", "/api/v1/stacks/platform/dns/release", "", `{"comment": "unlocked by hand"}`)
	var rel apiv1.Release
	if err := json.Unmarshal(rec.Body.Bytes(), &rel); rec.Code != 200 || err != nil {
		t.Fatalf("release = %d %s (%v)", rec.Code, rec.Body, err)
	}
	if !sameJSON(t, rel.Released, e.hold) || rel.Plan == nil || rel.Plan.Status != apiv1.StatusQueued ||
		rel.Plan.Operation != "plan" || rel.Plan.Trigger != "release" || rel.Plan.Repo != "platform" || rel.Plan.Stack != "dns" {
		t.Fatalf("release = %+v, plan %+v", rel, rel.Plan)
	}
	e.d.WaitRun(rel.Plan.ID, store.StatusPlanned)
	e.d.Settle()
	rec = e.send(t, "GET", "/api/v1/stacks/platform/dns/lock", "", "")
	if got := strings.TrimSpace(rec.Body.String()); got != `{"repo":"platform","stack":"dns"}` {
		t.Errorf("lock after release = %s", got)
	}
	rec = e.send(t, "POST", "/api/v1/stacks/platform/dns/release", "", "")
	if msg := errorMessage(t, rec); rec.Code != 409 || msg != "stack dns of repo platform is not held; see holds with GET /api/v1/locks" {
		t.Errorf("release of a free stack = %d %q", rec.Code, msg)
	}
}

func TestGateNotFound(t *testing.T) {
	e := newGateEnv(t)
	const unknown = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
	tests := []struct {
		method, path, wantMsg string
	}{
		{"POST", "/api/v1/runs/" + unknown + "/approve", `run "` + unknown + `" not found; list runs with GET /api/v1/runs`},
		{"POST", "/api/v1/runs/" + unknown + "/reject", `run "` + unknown + `" not found; list runs with GET /api/v1/runs`},
		{"POST", "/api/v1/runs/" + unknown + "/apply", `run "` + unknown + `" not found; list runs with GET /api/v1/runs`},
		{"GET", "/api/v1/locks?repo=nope", `repo "nope" is not configured; list repos with GET /api/v1/repos`},
		{"GET", "/api/v1/stacks/infra/nope/lock", `repo "infra" has no stack "nope" at its last commit; list stacks with GET /api/v1/stacks?repo=infra`},
		{"POST", "/api/v1/stacks/infra/nope/release", `repo "infra" has no stack "nope" at its last commit; list stacks with GET /api/v1/stacks?repo=infra`},
		{"GET", "/api/v1/lock", "no such endpoint /api/v1/lock; the API is under /api/v1 (repos, stacks, runs, drift, locks, audit)"},
	}
	for _, tt := range tests {
		rec := e.send(t, tt.method, tt.path, "", "")
		if msg := errorMessage(t, rec); rec.Code != 404 || msg != tt.wantMsg {
			t.Errorf("%s %s = %d %q, want 404 %q", tt.method, tt.path, rec.Code, msg, tt.wantMsg)
		}
	}
}

// TestGateServiceErrors checks how the gate routes answer a Service's
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
	const id = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
	routes := []struct{ method, path string }{
		{"POST", "/api/v1/runs/" + id + "/approve"},
		{"POST", "/api/v1/runs/" + id + "/reject"},
		{"POST", "/api/v1/runs/" + id + "/apply"},
		{"GET", "/api/v1/locks"},
		{"GET", "/api/v1/stacks/platform/dns/lock"},
		{"POST", "/api/v1/stacks/platform/dns/release"},
	}
	for _, tt := range tests {
		h := api.NewHandler(&apitest.Canned{Err: tt.err}, apitest.Auth(), nil)
		for _, r := range routes {
			rec := serve(h, r.method, r.path)
			if msg := errorMessage(t, rec); rec.Code != tt.wantStatus || msg != tt.wantMsg {
				t.Errorf("%v: %s %s = %d %q, want %d %q", tt.err, r.method, r.path, rec.Code, msg, tt.wantStatus, tt.wantMsg)
			}
		}
	}
	// A bare sentinel names what it is about.
	h := api.NewHandler(&apitest.Canned{Err: api.ErrForbidden}, apitest.Auth(), nil)
	rec := serve(h, "POST", "/api/v1/runs/"+id+"/approve")
	if msg := errorMessage(t, rec); rec.Code != 403 || msg != fmt.Sprintf("run %q: forbidden", id) {
		t.Errorf("bare ErrForbidden = %d %q", rec.Code, msg)
	}
}

// serve serves one request as the admin test token.
func serve(h http.Handler, method, target string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	req.Header.Set("Authorization", "Bearer "+apitest.Token)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestGateMethodsAndQueries(t *testing.T) {
	e := newGateEnv(t)
	run := "/api/v1/runs/" + e.awaiting.ID
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

// sameJSON reports whether the wire value got encodes as the stored value
// want does: what the API sent is what was stored.
func sameJSON(t *testing.T, got, want any) bool {
	t.Helper()
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	w, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	return string(g) == string(w)
}
