package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/driftgate/driftgate/runner/api/apitest"
	"github.com/driftgate/driftgate/runner/runnertest"
	"github.com/driftgate/driftgate/store"
)

func TestApproveFromTheRunPageApplies(t *testing.T) {
	g := runnertest.StartGate(t)
	run := g.Latest("infra", "database", "apply")
	c := signIn(t, g.URL, apitest.ApproverToken)
	page := do(t, http.MethodGet, g.URL+"/runs/"+run.ID, c, nil)
	if page.status != http.StatusOK || !strings.Contains(page.body, `id="approve"`) {
		t.Fatalf("run page for an approver: %d, want an Approve button", page.status)
	}
	if strings.Contains(page.body, `id="release"`) {
		t.Error("run page shows an admin button to an approver")
	}
	a := do(t, http.MethodPost, g.URL+"/runs/"+run.ID+"/approve", c, url.Values{"csrf": {csrfOf(t, page.body)}, "comment": {"lgtm"}})
	if a.status != http.StatusSeeOther {
		t.Fatalf("approve: %d %s", a.status, a.body)
	}
	done := g.WaitRun(run.ID, store.StatusApplied)
	if len(done.Approvals) != 1 || done.Approvals[0].Approver != apitest.Approver || done.Approvals[0].Comment != "lgtm" {
		t.Fatalf("approvals %+v, want alice's with her comment", done.Approvals)
	}
	page = do(t, http.MethodGet, g.URL+"/runs/"+run.ID, c, nil)
	if !strings.Contains(page.body, "s-applied") || !strings.Contains(page.body, apitest.Approver) || strings.Contains(page.body, `id="approve"`) {
		t.Error("run page after the apply: want applied, alice's approval, no Approve button")
	}
}

func TestCSRFTokenIsRequired(t *testing.T) {
	g := runnertest.StartGate(t)
	run := g.Latest("infra", "database", "apply")
	c := signIn(t, g.URL, apitest.AdminToken)
	for name, form := range map[string]url.Values{
		"missing": {"comment": {"x"}}, "wrong": {"csrf": {strings.Repeat("0", 64)}},
	} {
		a := do(t, http.MethodPost, g.URL+"/runs/"+run.ID+"/approve", c, form)
		if a.status != http.StatusForbidden || !strings.Contains(a.body, "CSRF") {
			t.Errorf("%s CSRF token: %d, want 403 naming CSRF", name, a.status)
		}
	}
	other := signIn(t, g.URL, apitest.AdminToken)
	otherPage := do(t, http.MethodGet, g.URL+"/", other, nil)
	if a := do(t, http.MethodPost, g.URL+"/runs/"+run.ID+"/approve", c, url.Values{"csrf": {csrfOf(t, otherPage.body)}}); a.status != http.StatusForbidden {
		t.Errorf("another session's CSRF token: %d, want 403", a.status)
	}
	if got, _ := g.Store.GetRun(context.Background(), run.ID); got.Status != store.StatusAwaitingApproval || len(got.Approvals) != 0 {
		t.Fatalf("run after refused posts: %s with %d approvals, want untouched", got.Status, len(got.Approvals))
	}
}

func TestViewerSeesNoButtonsAndAForgedPostIsRefused(t *testing.T) {
	g := runnertest.StartGate(t)
	run := g.Latest("infra", "database", "apply")
	c := signIn(t, g.URL, apitest.ViewerToken)
	page := do(t, http.MethodGet, g.URL+"/runs/"+run.ID, c, nil)
	stack := do(t, http.MethodGet, g.URL+"/stacks/platform/dns", c, nil)
	for _, id := range []string{"approve", "reject", "apply", "cancel", "plan-now", "drift-check", "release"} {
		if strings.Contains(page.body+stack.body, `id="`+id+`"`) {
			t.Errorf("a viewer sees the %s button", id)
		}
	}
	csrf := csrfOf(t, page.body)
	for _, path := range []string{"/runs/" + run.ID + "/approve", "/runs/" + run.ID + "/apply", "/stacks/infra/database/plan", "/stacks/platform/dns/release"} {
		a := do(t, http.MethodPost, g.URL+path, c, url.Values{"csrf": {csrf}})
		if a.status != http.StatusForbidden || !strings.Contains(a.body, "has role viewer") {
			t.Errorf("viewer POST %s: %d, want the API's 403", path, a.status)
		}
	}
	if got, _ := g.Store.GetRun(context.Background(), run.ID); got.Status != store.StatusAwaitingApproval {
		t.Fatalf("run after a viewer's posts: %s", got.Status)
	}
	entries, _, err := g.Store.ListAudit(context.Background(), store.AuditFilter{Actor: apitest.Viewer, Limit: 10})
	if err != nil || len(entries) == 0 || entries[0].Result != store.AuditRefused {
		t.Fatalf("audit log: %+v, %v; want the viewer's refusals recorded", entries, err)
	}
}

func TestAdminReleasesAHoldAndSeesTheAudit(t *testing.T) {
	g := runnertest.StartGate(t)
	c := signIn(t, g.URL, apitest.AdminToken)
	page := do(t, http.MethodGet, g.URL+"/stacks/platform/dns", c, nil)
	if !strings.Contains(page.body, `id="release"`) || !strings.Contains(page.body, runnertest.LockID) {
		t.Fatalf("held stack page for an admin: want the hold, its lock and a Release button")
	}
	a := do(t, http.MethodPost, g.URL+"/stacks/platform/dns/release", c, url.Values{"csrf": {csrfOf(t, page.body)}, "comment": {"state checked"}})
	if a.status != http.StatusSeeOther || !strings.HasPrefix(a.header.Get("Location"), "/runs/") {
		t.Fatalf("release: %d to %q, want the queued plan's page", a.status, a.header.Get("Location"))
	}
	audit := do(t, http.MethodGet, g.URL+"/audit?action=release", c, nil)
	if audit.status != http.StatusOK || !strings.Contains(audit.body, "state checked") {
		t.Fatalf("audit page filtered by release: %d, want the release with its comment", audit.status)
	}
	viewer := signIn(t, g.URL, apitest.ViewerToken)
	if a := do(t, http.MethodGet, g.URL+"/audit", viewer, nil); a.status != http.StatusForbidden {
		t.Fatalf("audit page for a viewer: %d, want 403", a.status)
	}
}

func TestPlanNowQueuesAPlan(t *testing.T) {
	g := runnertest.StartGate(t)
	c := signIn(t, g.URL, apitest.ApproverToken)
	page := do(t, http.MethodGet, g.URL+"/stacks/infra/database", c, nil)
	for _, action := range []string{"plan", "drift-check"} {
		a := do(t, http.MethodPost, g.URL+"/stacks/infra/database/"+action, c, url.Values{"csrf": {csrfOf(t, page.body)}})
		loc := a.header.Get("Location")
		if a.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/runs/") {
			t.Fatalf("%s: %d to %q, want the run's page", action, a.status, loc)
		}
		id := strings.TrimPrefix(loc[:strings.Index(loc, "?")], "/runs/")
		run, err := g.Store.GetRun(context.Background(), id)
		if err != nil || run.Trigger != "manual" {
			t.Fatalf("%s queued %+v, %v", action, run, err)
		}
	}
}

func TestAPIAcceptsTheSessionCookieOnlyForReads(t *testing.T) {
	g := runnertest.StartGate(t)
	run := g.Latest("infra", "database", "apply")
	c := signIn(t, g.URL, apitest.AdminToken)
	if a := do(t, http.MethodGet, g.URL+"/api/v1/runs/"+run.ID, c, nil); a.status != http.StatusOK {
		t.Fatalf("GET run with the session cookie: %d", a.status)
	}
	if a := do(t, http.MethodPost, g.URL+"/api/v1/runs/"+run.ID+"/approve", c, url.Values{}); a.status != http.StatusUnauthorized {
		t.Fatalf("POST approve with only the session cookie: %d, want 401", a.status)
	}
}
