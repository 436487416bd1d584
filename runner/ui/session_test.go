package ui_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/driftgate/driftgate/runner/api"
	"github.com/driftgate/driftgate/runner/api/apitest"
	"github.com/driftgate/driftgate/runner/runnertest"
	"github.com/driftgate/driftgate/runner/ui"
)

func TestSignInSetsASessionCookieNeverTheToken(t *testing.T) {
	srv := runnertest.Serve(t, nil, "infra")
	a := do(t, http.MethodGet, srv.URL+"/", nil, nil)
	if a.status != http.StatusSeeOther || !strings.HasPrefix(a.header.Get("Location"), "/login") {
		t.Fatalf("signed out GET /: %d to %q, want 303 to /login", a.status, a.header.Get("Location"))
	}
	bad := do(t, http.MethodPost, srv.URL+"/login", nil, url.Values{"token": {"wrong"}})
	if bad.status != http.StatusUnauthorized || !strings.Contains(bad.body, "not valid") {
		t.Fatalf("wrong token: %d %q", bad.status, bad.body)
	}
	c := signIn(t, srv.URL, apitest.Token)
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Secure || c.Path != "/" {
		t.Errorf("cookie %+v: want HttpOnly, SameSite=Strict, not Secure (http), Path /", c)
	}
	if len(c.Value) != 64 || strings.Contains(c.Value, apitest.Token) {
		t.Errorf("cookie value %q: want a 256-bit random id, never the token", c.Value)
	}
	page := do(t, http.MethodGet, srv.URL+"/", c, nil)
	if page.status != http.StatusOK || !strings.Contains(page.body, "Overview") {
		t.Fatalf("GET / signed in: %d", page.status)
	}
	for h, want := range map[string]string{
		"X-Frame-Options": "DENY", "Referrer-Policy": "same-origin", "X-Content-Type-Options": "nosniff",
	} {
		if got := page.header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	csp := page.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q: want default-src 'self' and no inline script", csp)
	}
	if strings.Contains(page.body, "<script>") || strings.Contains(page.body, "onclick") {
		t.Error("page has inline script")
	}
}

func TestSignOutEndsTheSession(t *testing.T) {
	srv := runnertest.Serve(t, nil, "infra")
	c := signIn(t, srv.URL, apitest.ViewerToken)
	page := do(t, http.MethodGet, srv.URL+"/", c, nil)
	out := do(t, http.MethodPost, srv.URL+"/logout", c, url.Values{"csrf": {csrfOf(t, page.body)}})
	if out.status != http.StatusSeeOther {
		t.Fatalf("sign out: %d", out.status)
	}
	if a := do(t, http.MethodGet, srv.URL+"/", c, nil); a.status != http.StatusSeeOther {
		t.Fatalf("old cookie after sign out: %d, want 303 to /login", a.status)
	}
	if a := do(t, http.MethodGet, srv.URL+"/api/v1/repos", c, nil); a.status != http.StatusUnauthorized {
		t.Fatalf("API with the old cookie after sign out: %d, want 401", a.status)
	}
}

func TestSignOutNeedsTheCSRFToken(t *testing.T) {
	srv := runnertest.Serve(t, nil, "infra")
	c := signIn(t, srv.URL, apitest.ViewerToken)
	if a := do(t, http.MethodPost, srv.URL+"/logout", c, url.Values{}); a.status != http.StatusForbidden {
		t.Fatalf("sign out without CSRF token: %d, want 403", a.status)
	}
	if a := do(t, http.MethodGet, srv.URL+"/", c, nil); a.status != http.StatusOK {
		t.Fatalf("session after a refused sign out: %d, want it alive", a.status)
	}
}

// swapAuth is the configured tokens, replaced as a config reload does.
type swapAuth struct{ a atomic.Value }

func (s *swapAuth) Authenticate(token string) (api.Principal, bool) {
	return s.a.Load().(api.Authenticator).Authenticate(token)
}

func tokenEntry(name, token string) api.TokenEntry {
	sum := sha256.Sum256([]byte(token))
	return api.TokenEntry{Name: name, Role: api.RoleViewer, SHA256: hex.EncodeToString(sum[:])}
}

// uiServer serves the UI over a canned Service with auth.
func uiServer(t *testing.T, cfg ui.Config, auth api.Authenticator) *httptest.Server {
	svc := &apitest.Canned{}
	srv := httptest.NewServer(ui.Handler(cfg, svc, auth, api.NewHandler(svc, auth, nil), nil))
	t.Cleanup(srv.Close)
	return srv
}

func TestRemovingTheTokenEndsItsSessions(t *testing.T) {
	auth := &swapAuth{}
	auth.a.Store(api.Tokens([]api.TokenEntry{tokenEntry("kept", "kept-token"), tokenEntry("gone", "gone-token")}))
	srv := uiServer(t, ui.Config{}, auth)
	kept, gone := signIn(t, srv.URL, "kept-token"), signIn(t, srv.URL, "gone-token")
	auth.a.Store(api.Tokens([]api.TokenEntry{tokenEntry("kept", "kept-token")}))
	if a := do(t, http.MethodGet, srv.URL+"/", gone, nil); a.status != http.StatusSeeOther {
		t.Errorf("session of a removed token: %d, want 303 to /login", a.status)
	}
	if a := do(t, http.MethodGet, srv.URL+"/api/v1/repos", gone, nil); a.status != http.StatusUnauthorized {
		t.Errorf("API with the session of a removed token: %d, want 401", a.status)
	}
	if a := do(t, http.MethodGet, srv.URL+"/", kept, nil); a.status != http.StatusOK {
		t.Errorf("session of a kept token: %d, want 200", a.status)
	}
}

func TestSessionsExpire(t *testing.T) {
	srv := uiServer(t, ui.Config{SessionTTL: 300 * time.Millisecond}, apitest.Auth())
	c := signIn(t, srv.URL, apitest.Token)
	if a := do(t, http.MethodGet, srv.URL+"/", c, nil); a.status != http.StatusOK {
		t.Fatalf("fresh session: %d", a.status)
	}
	time.Sleep(400 * time.Millisecond)
	if a := do(t, http.MethodGet, srv.URL+"/", c, nil); a.status != http.StatusSeeOther {
		t.Fatalf("expired session: %d, want 303 to /login", a.status)
	}
}

func TestSecureCookieWhenPublicURLIsHTTPS(t *testing.T) {
	srv := uiServer(t, ui.Config{SecureCookie: true}, apitest.Auth())
	if c := signIn(t, srv.URL, apitest.Token); !c.Secure {
		t.Error("cookie is not Secure")
	}
}

func TestDisabledServesOnlyTheAPI(t *testing.T) {
	srv := uiServer(t, ui.Config{Disabled: true}, apitest.Auth())
	a := do(t, http.MethodGet, srv.URL+"/login", nil, nil)
	if a.status != http.StatusNotFound || !strings.Contains(a.body, "no such endpoint") {
		t.Fatalf("GET /login with the UI disabled: %d %q, want the API's 404", a.status, a.body)
	}
}

func TestLoginNextStaysOnSite(t *testing.T) {
	srv := uiServer(t, ui.Config{}, apitest.Auth())
	for next, want := range map[string]string{"/audit": "/audit", "//evil.example": "/", "https://evil.example": "/", `/\evil`: "/"} {
		a := do(t, http.MethodPost, srv.URL+"/login", nil, url.Values{"token": {apitest.Token}, "next": {next}})
		if got := a.header.Get("Location"); got != want {
			t.Errorf("next %q: redirected to %q, want %q", next, got, want)
		}
	}
}

func TestOtherPathsAreTheAPIs(t *testing.T) {
	srv := uiServer(t, ui.Config{}, apitest.Auth())
	if a := do(t, http.MethodGet, srv.URL+"/healthz", nil, nil); a.status != http.StatusOK {
		t.Errorf("/healthz: %d", a.status)
	}
	if a := do(t, http.MethodGet, srv.URL+"/nope", nil, nil); a.status != http.StatusNotFound || !strings.Contains(a.body, "no such endpoint") {
		t.Errorf("/nope: %d %q, want the API's 404", a.status, a.body)
	}
}
