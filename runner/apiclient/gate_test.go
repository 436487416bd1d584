package apiclient_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/driftgate/driftgate/runner/api"
	"github.com/driftgate/driftgate/runner/api/apitest"
	"github.com/driftgate/driftgate/runner/apiclient"
	"github.com/driftgate/driftgate/store"
)

// gateEnv is a real API handler over a fake service seeded with
// apitest.SeedGate's apply runs and hold, and a client per principal.
type gateEnv struct {
	svc *apitest.Service
	fx  apitest.Fixture
	g   apitest.GateFixture
	url string
	hc  *http.Client
}

func newGateEnv(t *testing.T) *gateEnv {
	t.Helper()
	svc := apitest.NewService(t)
	fx := apitest.Seed(t, svc)
	g := apitest.SeedGate(t, svc, fx)
	srv := apitest.NewServer(t, svc)
	return &gateEnv{svc: svc, fx: fx, g: g, url: srv.URL, hc: srv.Client()}
}

// as returns a client authenticating with token.
func (e *gateEnv) as(token string) *apiclient.Client {
	return apiclient.New(e.url, token, apiclient.WithHTTPClient(e.hc))
}

func TestApproveAndApply(t *testing.T) {
	e := newGateEnv(t)
	ctx := t.Context()
	id := e.g.Awaiting.ID
	alice, dave := e.as(apitest.ApproverToken), e.as(apitest.DestroyerToken)

	run, err := alice.ApproveRun(ctx, id, "lgtm")
	if err != nil || run.Status != store.StatusAwaitingApproval || run.Waiting != apitest.Waiting(1, 2) ||
		len(run.Approvals) != 1 || run.Approvals[0].Approver != apitest.Approver || run.Approvals[0].Comment != "lgtm" {
		t.Fatalf("first ApproveRun = %+v, %v", run, err)
	}
	_, err = alice.ApplyRun(ctx, id)
	if !apiclient.IsStatus(err, http.StatusConflict) || !strings.Contains(err.Error(), "has 1 of the 2 approvals") {
		t.Errorf("ApplyRun with 1 of 2 approvals: %v, want 409", err)
	}
	_, err = alice.ApproveRun(ctx, id, "")
	if !apiclient.IsStatus(err, http.StatusConflict) {
		t.Errorf("second approval by alice: %v, want 409", err)
	}
	run, err = dave.ApproveRun(ctx, id, "")
	if err != nil || run.Status != store.StatusQueued || len(run.Approvals) != 2 || run.Approvals[1].Comment != "" {
		t.Fatalf("last ApproveRun = %+v, %v", run, err)
	}
	e.svc.Script(id, store.StatusRunning, store.StatusApplied)
	done, err := alice.Wait(ctx, id, 1)
	if err != nil || done.Status != store.StatusApplied {
		t.Errorf("Wait = %+v, %v, want applied", done, err)
	}

	// An auto stack's run is applied without approvals.
	e.svc.RequireApprovals("infra", "network", 0)
	auto := store.Run{Repo: "infra", Stack: "network", Operation: "apply", Status: store.StatusAwaitingApproval}
	if err := e.svc.Store.CreateRun(ctx, &auto); err != nil {
		t.Fatal(err)
	}
	run, err = alice.ApplyRun(ctx, auto.ID)
	if err != nil || run.Status != store.StatusQueued || run.ID != auto.ID {
		t.Errorf("ApplyRun(auto) = %+v, %v", run, err)
	}
}

func TestRejectRun(t *testing.T) {
	e := newGateEnv(t)
	ctx := t.Context()
	id := e.g.Awaiting.ID
	run, err := e.as(apitest.AdminToken).RejectRun(ctx, id, "the window is closed")
	if err != nil || run.Status != store.StatusRejected || len(run.Approvals) != 1 ||
		run.Approvals[0].Decision != store.DecisionReject || run.Approvals[0].Comment != "the window is closed" {
		t.Fatalf("RejectRun = %+v, %v", run, err)
	}
	_, err = e.as(apitest.ApproverToken).ApproveRun(ctx, id, "")
	if !apiclient.IsStatus(err, http.StatusConflict) || !strings.Contains(err.Error(), "is rejected, not awaiting approval") {
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

	tests := []struct {
		repo string
		want []string
	}{
		{"", []string{"infra/network running", "platform/dns held"}},
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
	if err != nil || l.Hold == nil || !reflect.DeepEqual(*l.Hold, e.g.Hold) || l.Hold.Lock.ID != apitest.LockID {
		t.Errorf("StackLock(platform/dns) = %+v, %v", l, err)
	}
	l, err = c.StackLock(ctx, "infra", "database")
	if err != nil || l.Holder != nil || l.Hold != nil || l.Repo != "infra" {
		t.Errorf("StackLock(infra/database) = %+v, %v, want a free stack", l, err)
	}

	_, err = e.as(apitest.ApproverToken).ReleaseStack(ctx, "platform", "dns", "")
	if !apiclient.IsStatus(err, http.StatusForbidden) || !strings.Contains(err.Error(), "this needs admin") {
		t.Errorf("ReleaseStack as an approver: %v, want 403", err)
	}
	rel, err := e.as(apitest.AdminToken).ReleaseStack(ctx, "platform", "dns", "unlocked by hand")
	if err != nil || rel.Released.RunID != e.g.Cut.ID || rel.Plan == nil || rel.Plan.Operation != "plan" {
		t.Fatalf("ReleaseStack = %+v, %v", rel, err)
	}
	calls := e.svc.GateCalls()
	if last := calls[len(calls)-1]; last.Method != apitest.MethodReleaseStack || last.Comment != "unlocked by hand" || last.Principal != apitest.Admin {
		t.Errorf("last call %+v", last)
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
	e.svc.FailGate(apitest.MethodApproveRun, fmt.Errorf("alice may not approve a run she triggered: %w", api.ErrForbidden))
	const unknown = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
	tests := []struct {
		name       string
		call       func() error
		wantStatus int
		wantMsg    string
	}{
		{"forbidden", func() error {
			_, err := c.ApproveRun(ctx, e.g.Awaiting.ID, "")
			return err
		}, 403, "approve run " + e.g.Awaiting.ID + ": alice may not approve a run she triggered (HTTP 403)"},
		{"unknown run", func() error {
			_, err := c.ApplyRun(ctx, unknown)
			return err
		}, 404, `run "` + unknown + `" not found`},
		{"unknown repo", func() error {
			_, err := c.Locks(ctx, "nope")
			return err
		}, 404, `list locks: repo "nope" not found`},
		{"unknown stack", func() error {
			_, err := c.StackLock(ctx, "infra", "a/b")
			return err
		}, 404, `stack "a/b" in repo "infra" not found`},
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
