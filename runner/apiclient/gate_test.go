package apiclient_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/driftgate/driftgate/runner/api"
	"github.com/driftgate/driftgate/runner/api/apitest"
	"github.com/driftgate/driftgate/runner/api/apiv1"
	"github.com/driftgate/driftgate/runner/apiclient"
	"github.com/driftgate/driftgate/runner/runnertest"
	"github.com/driftgate/driftgate/store"
)

// gateEnv is the real daemon of runnertest.StartGate, and a client per
// principal.
type gateEnv struct {
	*runnertest.Gate
}

func newGateEnv(t *testing.T) *gateEnv {
	t.Helper()
	return &gateEnv{runnertest.StartGate(t)}
}

// as returns a client authenticating with token.
func (e *gateEnv) as(token string) *apiclient.Client {
	return apiclient.New(e.URL, token)
}

func TestApproveAndApply(t *testing.T) {
	e := newGateEnv(t)
	ctx := t.Context()
	id := e.Awaiting.ID
	alice, dave := e.as(apitest.ApproverToken), e.as(apitest.DestroyerToken)

	run, err := alice.ApproveRun(ctx, id, "lgtm")
	if err != nil || run.Status != apiv1.StatusAwaitingApproval || run.Waiting != "1 of 2 approvals; needs 1 more" ||
		len(run.Approvals) != 1 || run.Approvals[0].Approver != apitest.Approver || run.Approvals[0].Comment != "lgtm" {
		t.Fatalf("first ApproveRun = %+v, %v", run, err)
	}
	_, err = alice.ApplyRun(ctx, id)
	if !apiclient.IsStatus(err, http.StatusConflict) || !strings.Contains(err.Error(), "has 1 of the 2 approvals stack network requires") {
		t.Errorf("ApplyRun with 1 of 2 approvals: %v, want 409", err)
	}
	_, err = alice.ApproveRun(ctx, id, "")
	if !apiclient.IsStatus(err, http.StatusConflict) || !strings.Contains(err.Error(), "is already approved by alice") {
		t.Errorf("second approval by alice: %v, want 409", err)
	}
	run, err = dave.ApproveRun(ctx, id, "")
	if err != nil || run.Status != apiv1.StatusQueued || len(run.Approvals) != 2 || run.Approvals[1].Comment != "" {
		t.Fatalf("last ApproveRun = %+v, %v", run, err)
	}
	done, err := alice.Wait(ctx, id, 10*time.Millisecond)
	if err != nil || done.Status != apiv1.StatusApplied {
		t.Errorf("Wait = %+v, %v, want applied", done, err)
	}
	_, err = alice.ApplyRun(ctx, id)
	if !apiclient.IsStatus(err, http.StatusConflict) || !strings.Contains(err.Error(), "is applied, not awaiting approval") {
		t.Errorf("ApplyRun of an applied run: %v, want 409", err)
	}
}

func TestRejectRun(t *testing.T) {
	e := newGateEnv(t)
	ctx := t.Context()
	id := e.Awaiting.ID
	run, err := e.as(apitest.AdminToken).RejectRun(ctx, id, "the window is closed")
	if err != nil || run.Status != apiv1.StatusRejected || len(run.Approvals) != 1 ||
		run.Approvals[0].Decision != apiv1.DecisionReject || run.Approvals[0].Comment != "the window is closed" {
		t.Fatalf("RejectRun = %+v, %v", run, err)
	}
	_, err = e.as(apitest.ApproverToken).ApproveRun(ctx, id, "")
	if !apiclient.IsStatus(err, http.StatusConflict) || !strings.Contains(err.Error(), "is rejected (rejected by ada: the window is closed), not awaiting approval") {
		t.Errorf("ApproveRun of a rejected run: %v, want 409", err)
	}
	_, err = e.as(apitest.ViewerToken).RejectRun(ctx, id, "")
	if !apiclient.IsStatus(err, http.StatusForbidden) || !strings.Contains(err.Error(), `token "vera" has role viewer; this needs approver`) {
		t.Errorf("RejectRun as a viewer: %v, want 403", err)
	}
}

func TestLocksAndRelease(t *testing.T) {
	e := newGateEnv(t)
	ctx := t.Context()
	c := e.as(apitest.ViewerToken)
	e.Terraform.BlockApplies("database")
	db := e.Latest("infra", "database", "apply")
	if _, err := e.as(apitest.ApproverToken).ApproveRun(ctx, db.ID, ""); err != nil {
		t.Fatal(err)
	}
	<-e.Terraform.Started()

	tests := []struct {
		repo string
		want []string
	}{
		{"", []string{"infra/database running", "platform/dns held"}},
		{"platform", []string{"platform/dns held"}},
	}
	for _, tt := range tests {
		locks, err := c.Locks(ctx, tt.repo)
		var got []string
		for _, l := range locks {
			state := "held"
			if l.Holder != nil {
				state = "running"
			}
			got = append(got, l.Repo+"/"+l.Stack+" "+state)
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("Locks(%q) = %q, %v, want %q", tt.repo, got, err, tt.want)
		}
	}
	l, err := c.StackLock(ctx, "platform", "dns")
	if err != nil || l.Hold == nil || !sameJSON(t, *l.Hold, e.Hold) || l.Hold.Lock.ID != runnertest.LockID {
		t.Errorf("StackLock(platform/dns) = %+v, %v", l, err)
	}
	l, err = c.StackLock(ctx, "infra", "network")
	if err != nil || l.Holder != nil || l.Hold != nil || l.Repo != "infra" {
		t.Errorf("StackLock(infra/network) = %+v, %v, want a free stack", l, err)
	}
	if _, err := e.as(apitest.AdminToken).CancelRun(ctx, db.ID); err != nil {
		t.Errorf("cancel the blocked apply: %v", err)
	}

	_, err = e.as(apitest.ApproverToken).ReleaseStack(ctx, "platform", "dns", "")
	if !apiclient.IsStatus(err, http.StatusForbidden) || !strings.Contains(err.Error(), "this needs admin") {
		t.Errorf("ReleaseStack as an approver: %v, want 403", err)
	}
	rel, err := e.as(apitest.AdminToken).ReleaseStack(ctx, "platform", "dns", "unlocked by hand")
	if err != nil || rel.Released.RunID != e.Hold.RunID || rel.Plan == nil || rel.Plan.Operation != "plan" {
		t.Fatalf("ReleaseStack = %+v, %v", rel, err)
	}
	entries, _, err := e.Store.ListAudit(ctx, store.AuditFilter{Action: store.AuditRelease, Limit: 1})
	if err != nil || len(entries) != 1 || entries[0].Actor != apitest.Admin || entries[0].Result != store.AuditOK ||
		entries[0].Detail != "released the hold of run "+e.Hold.RunID+": unlocked by hand" {
		t.Errorf("last release in the audit log: %+v, %v", entries, err)
	}
	_, err = e.as(apitest.AdminToken).ReleaseStack(ctx, "platform", "dns", "")
	if !apiclient.IsStatus(err, http.StatusConflict) {
		t.Errorf("second ReleaseStack: %v, want 409", err)
	}
}

func TestGateErrors(t *testing.T) {
	e := newGateEnv(t)
	ctx := t.Context()
	c := e.as(apitest.Token)
	canned := apitest.NewServer(t, &apitest.Canned{Err: fmt.Errorf("alice may not approve a run she triggered: %w", api.ErrForbidden)})
	forbidden := apiclient.New(canned.URL, apitest.Token)
	const unknown = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
	tests := []struct {
		name       string
		call       func() error
		wantStatus int
		wantMsg    string
	}{
		{"forbidden", func() error {
			_, err := forbidden.ApproveRun(ctx, e.Awaiting.ID, "")
			return err
		}, 403, "approve run " + e.Awaiting.ID + ": alice may not approve a run she triggered (HTTP 403)"},
		{"not an apply run", func() error {
			_, err := c.ApproveRun(ctx, e.Latest("platform", "dns", "plan").ID, "")
			return err
		}, 409, "is a plan run; only apply runs are approved or applied"},
		{"unknown run", func() error {
			_, err := c.ApplyRun(ctx, unknown)
			return err
		}, 404, `run "` + unknown + `" not found`},
		{"unknown repo", func() error {
			_, err := c.Locks(ctx, "nope")
			return err
		}, 404, `list locks: repo "nope" is not configured`},
		{"unknown stack", func() error {
			_, err := c.StackLock(ctx, "infra", "a/b")
			return err
		}, 404, `repo "infra" has no stack "a/b" at its last commit`},
	}
	for _, tt := range tests {
		err := tt.call()
		if !apiclient.IsStatus(err, tt.wantStatus) || !strings.Contains(err.Error(), tt.wantMsg) {
			t.Errorf("%s: %v, want %d containing %q", tt.name, err, tt.wantStatus, tt.wantMsg)
		}
	}
}

// TestGateRequests checks what the client sends: escaped names, the
// comment as a JSON body, and no body to apply.
func TestGateRequests(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, fmt.Sprintf("%s %s [%s] %s", r.Method, r.URL.RequestURI(), r.Header.Get("Content-Type"), body))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"01ARZ3NDEKTSV4RRFFQ69G5FAV","locks":[],"released":{}}`))
	}))
	defer srv.Close()
	c := apiclient.New(srv.URL, "t")
	ctx := t.Context()
	calls := []func() error{
		func() error { _, err := c.ApproveRun(ctx, "01ABC", `ship "it"`); return err },
		func() error { _, err := c.RejectRun(ctx, "a/b", ""); return err },
		func() error { _, err := c.ApplyRun(ctx, "01ABC"); return err },
		func() error { _, err := c.Locks(ctx, ""); return err },
		func() error { _, err := c.Locks(ctx, "my repo"); return err },
		func() error { _, err := c.StackLock(ctx, "a/b", "c d"); return err },
		func() error { _, err := c.ReleaseStack(ctx, "infra", "network", "done"); return err },
	}
	for i, call := range calls {
		if err := call(); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	want := []string{
		`POST /api/v1/runs/01ABC/approve [application/json] {"comment":"ship \"it\""}`,
		`POST /api/v1/runs/a%2Fb/reject [application/json] {"comment":""}`,
		`POST /api/v1/runs/01ABC/apply [] `,
		`GET /api/v1/locks [] `,
		`GET /api/v1/locks?repo=my+repo [] `,
		`GET /api/v1/stacks/a%2Fb/c%20d/lock [] `,
		`POST /api/v1/stacks/infra/network/release [application/json] {"comment":"done"}`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("requests:\n got %q\nwant %q", got, want)
	}
}

// sameJSON reports whether the wire value got encodes as the stored value
// want does: the client got what was stored.
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
