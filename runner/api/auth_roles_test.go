package api_test

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/driftgate/driftgate/runner/api"
	"github.com/driftgate/driftgate/runner/api/apitest"
	"github.com/driftgate/driftgate/store"
)

// newRoleEnv is newEnv, with apitest.SeedState's state versions, serving
// apitest.Auth's principals, one per role, with the store as audit log.
func newRoleEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	apitest.SeedState(t, e.st, e.fx)
	return e
}

// rolePrincipals are apitest.Auth's principals: token, name and role.
var rolePrincipals = []struct {
	token, name string
	role        api.Role
}{
	{apitest.ViewerToken, apitest.Viewer, api.RoleViewer},
	{apitest.ApproverToken, apitest.Approver, api.RoleApprover},
	{apitest.DestroyerToken, apitest.Destroyer, api.RoleApprover},
	{apitest.AdminToken, apitest.Admin, api.RoleAdmin},
	{apitest.Token, api.DefaultTokenName, api.RoleAdmin},
}

// TestRouteRoleBoundaries serves every route to a principal of every role:
// those below the route's role get 403 naming their token, role and the
// role needed; the others reach the daemon (which may refuse what they ask
// for its own reasons: a repo not fetched, a run it is not running).
func TestRouteRoleBoundaries(t *testing.T) {
	e := newRoleEnv(t)
	fx := e.fx
	routes := []struct {
		method, path string
		min          api.Role
	}{
		{"GET", "/api/v1/repos", api.RoleViewer},
		{"GET", "/api/v1/stacks?repo=infra", api.RoleViewer},
		{"GET", "/api/v1/runs", api.RoleViewer},
		{"GET", "/api/v1/runs/" + fx.Planned.ID, api.RoleViewer},
		{"GET", "/api/v1/runs/" + fx.Planned.ID + "/plan", api.RoleViewer},
		{"GET", "/api/v1/runs/" + fx.Planned.ID + "/log", api.RoleViewer},
		{"HEAD", "/api/v1/runs/" + fx.Planned.ID + "/log", api.RoleViewer},
		{"GET", "/api/v1/drift", api.RoleViewer},
		{"GET", "/api/v1/stacks/infra/network/drift", api.RoleViewer},
		{"GET", "/api/v1/stacks/infra/network/state-versions", api.RoleViewer},
		{"GET", "/api/v1/stacks/infra/network/state-versions/3", api.RoleViewer},
		{"GET", "/api/v1/stacks/infra/network/state-diff?from=1&to=3", api.RoleViewer},
		{"GET", "/api/v1/locks", api.RoleViewer},
		{"GET", "/api/v1/stacks/infra/network/lock", api.RoleViewer},
		{"GET", "/api/v1/nodes", api.RoleViewer},
		{"POST", "/api/v1/stacks/infra/network/plan", api.RoleApprover},
		{"POST", "/api/v1/stacks/infra/network/drift-check", api.RoleApprover},
		{"POST", "/api/v1/runs/" + fx.Running.ID + "/cancel", api.RoleApprover},
		{"GET", "/api/v1/audit", api.RoleAdmin},
	}
	for _, rt := range routes {
		for _, p := range rolePrincipals {
			rec := e.do(t, rt.method, rt.path, "Bearer "+p.token)
			if p.role.AtLeast(rt.min) {
				if rec.Code == http.StatusUnauthorized || rec.Code == http.StatusForbidden || rec.Code >= 500 {
					t.Errorf("%s %s as %s (%s) = %d %s, want it served", rt.method, rt.path, p.name, p.role, rec.Code, rec.Body)
				}
				continue
			}
			if rec.Code != http.StatusForbidden {
				t.Errorf("%s %s as %s (%s) = %d, want 403", rt.method, rt.path, p.name, p.role, rec.Code)
				continue
			}
			if rt.method == "HEAD" {
				continue // no body
			}
			want := fmt.Sprintf("token %q has role %s; this needs %s", p.name, p.role, rt.min)
			if msg := errorMessage(t, rec); msg != want {
				t.Errorf("%s %s as %s: message %q, want %q", rt.method, rt.path, p.name, msg, want)
			}
		}
	}
	// Public routes and unknown paths need no role, nor any token.
	if rec := e.do(t, "GET", "/healthz", "Bearer "+apitest.ViewerToken); rec.Code != 200 {
		t.Errorf("GET /healthz as a viewer = %d", rec.Code)
	}
	// The daemon serving these tests runs nothing, so it is not ready.
	if rec := e.do(t, "GET", "/readyz", "Bearer "+apitest.ViewerToken); rec.Code != 503 || !strings.Contains(rec.Body.String(), "starting: the queue is being recovered") {
		t.Errorf("GET /readyz as a viewer = %d %s", rec.Code, rec.Body)
	}
	if rec := e.do(t, "GET", "/api/v1/nope", "Bearer "+apitest.ViewerToken); rec.Code != 404 {
		t.Errorf("unknown path as a viewer = %d, want 404", rec.Code)
	}
}

// TestRefusedRequestsDoNothing checks that a request refused for its role
// never reaches the Service, is recorded in the audit log and logged.
func TestRefusedRequestsDoNothing(t *testing.T) {
	e := newRoleEnv(t)
	fx := e.fx
	viewer := "Bearer " + apitest.ViewerToken
	refused := []struct {
		method, path, token string
		want                store.AuditEntry
	}{
		{"POST", "/api/v1/stacks/infra/network/plan", viewer, store.AuditEntry{
			Actor: apitest.Viewer, Action: store.AuditPlan, Repo: "infra", Stack: "network",
			Detail: `token "vera" has role viewer; this needs approver`,
		}},
		{"POST", "/api/v1/stacks/infra/database/drift-check", viewer, store.AuditEntry{
			Actor: apitest.Viewer, Action: store.AuditDriftCheck, Repo: "infra", Stack: "database",
			Detail: `token "vera" has role viewer; this needs approver`,
		}},
		{"POST", "/api/v1/runs/" + fx.Queued.ID + "/cancel", viewer, store.AuditEntry{
			Actor: apitest.Viewer, Action: store.AuditCancel, RunID: fx.Queued.ID,
			Detail: `token "vera" has role viewer; this needs approver`,
		}},
		{"GET", "/api/v1/audit?actor=vera", "Bearer " + apitest.DestroyerToken, store.AuditEntry{
			Actor: apitest.Destroyer, Action: store.AuditReadAudit,
			Detail: `token "dave" has role approver; this needs admin`,
		}},
	}
	for _, r := range refused {
		if rec := e.do(t, r.method, r.path, r.token); rec.Code != http.StatusForbidden {
			t.Fatalf("%s %s = %d, want 403", r.method, r.path, rec.Code)
		}
	}
	runs, _, err := e.st.ListRuns(t.Context(), store.RunFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 5 {
		t.Errorf("%d runs after refused triggers, want the 5 seeded", len(runs))
	}
	if run, _ := e.st.GetRun(t.Context(), fx.Queued.ID); run.Status != store.StatusQueued {
		t.Errorf("refused cancel changed the run to %s", run.Status)
	}
	entries, _, err := e.st.ListAudit(t.Context(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(refused) {
		t.Fatalf("audit log holds %d entries, want %d: %+v", len(entries), len(refused), entries)
	}
	for i, r := range refused {
		got := entries[len(entries)-1-i]
		want := r.want
		want.ID, want.Time, want.Result = got.ID, got.Time, store.AuditRefused
		if !reflect.DeepEqual(got, want) {
			t.Errorf("audit entry of %s %s:\n got %+v\nwant %+v", r.method, r.path, got, want)
		}
	}
	if want := `level=INFO msg="http request" method=POST path=/api/v1/stacks/infra/network/plan status=403`; !strings.Contains(e.logs.String(), want) {
		t.Errorf("logs lack %q:\n%s", want, e.logs)
	}
}
