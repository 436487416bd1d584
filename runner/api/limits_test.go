package api

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/driftgate/driftgate/store"
)

// noService is a Service no request of these tests reaches: the handler
// refuses them first. A call panics on the nil interface.
type noService struct{ Service }

// limitEnv is a handler over noService with a viewer, an approver and an
// admin token, the real store as audit log, and a clock the test moves.
type limitEnv struct {
	h  http.Handler
	st *store.Store
}

func newLimitEnv(t *testing.T) *limitEnv {
	t.Helper()
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	var entries []TokenEntry
	for _, e := range []struct {
		name string
		role Role
	}{{"vera", RoleViewer}, {"alice", RoleApprover}, {"root", RoleAdmin}} {
		sum := sha256.Sum256([]byte("token-" + e.name))
		entries = append(entries, TokenEntry{Name: e.name, Role: e.role, SHA256: hex.EncodeToString(sum[:])})
	}
	return &limitEnv{st: st, h: NewHandler(noService{}, Tokens(entries), nil, WithAudit(st))}
}

// do serves one request as the token of name and returns the answer.
func (e *limitEnv) do(t *testing.T, name, method, path string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	req.Header.Set("Authorization", "Bearer token-"+name)
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec
}

// TestRefusalsRateLimited has a viewer send 21 quick cancels of a run whose
// id is 100 KB: the first 20 are refused (403) and recorded with the id
// capped, the 21st is answered 429 with Retry-After and not recorded, and
// the next recorded refusal counts it. No answer echoes the id, and the
// admin's page of the audit log stays small.
func TestRefusalsRateLimited(t *testing.T) {
	e := newLimitEnv(t)
	huge := strings.Repeat("0", 100_000)
	path := "/api/v1/runs/" + huge + "/cancel"
	for i := range refusalBurst {
		rec := e.do(t, "vera", http.MethodPost, path)
		if rec.Code != http.StatusForbidden || rec.Body.Len() > 512 {
			t.Fatalf("refusal %d = %d, %d bytes; want 403 and a short answer", i+1, rec.Code, rec.Body.Len())
		}
	}
	rec := e.do(t, "vera", http.MethodPost, path)
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" || rec.Body.Len() > 512 {
		t.Fatalf("refusal %d = %d (Retry-After %q), %d bytes; want 429 with Retry-After and a short answer",
			refusalBurst+1, rec.Code, rec.Header().Get("Retry-After"), rec.Body.Len())
	}
	entries, _, err := e.st.ListAudit(t.Context(), store.AuditFilter{Limit: store.MaxListLimit})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != refusalBurst {
		t.Fatalf("audit log has %d entries, want the %d refusals before the limit", len(entries), refusalBurst)
	}
	for _, en := range entries {
		if len(en.RunID) > store.MaxAuditField || en.Result != store.AuditRefused || en.Actor != "vera" {
			t.Fatalf("entry = actor %s, result %s, run id of %d bytes; want vera's refusal with a capped id", en.Actor, en.Result, len(en.RunID))
		}
	}
	page := e.do(t, "root", http.MethodGet, "/api/v1/audit?limit=100")
	if page.Code != http.StatusOK || page.Body.Len() > 32<<10 {
		t.Fatalf("audit page = %d, %d bytes; want 200 within 32 KB", page.Code, page.Body.Len())
	}
	var body struct {
		Entries []store.AuditEntry `json:"entries"`
	}
	if err := json.Unmarshal(page.Body.Bytes(), &body); err != nil || len(body.Entries) != refusalBurst {
		t.Fatalf("audit page has %d entries (%v), want the %d refusals", len(body.Entries), err, refusalBurst)
	}
}

// TestRefusalLimiterRefills checks the bucket: it refills one refusal per
// refusalEvery, and the refusal recorded after a limited spell says how
// many were not recorded.
func TestRefusalLimiterRefills(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	l := newRefusalLimiter()
	l.now = func() time.Time { return now }
	for i := range refusalBurst {
		if ok, _, _ := l.allow("vera"); !ok {
			t.Fatalf("refusal %d limited, want the burst of %d allowed", i+1, refusalBurst)
		}
	}
	for range 3 {
		ok, _, wait := l.allow("vera")
		if ok || wait <= 0 || wait > refusalEvery {
			t.Fatalf("allow after the burst = %v, wait %s; want limited, wait up to %s", ok, wait, refusalEvery)
		}
	}
	if ok, _, _ := l.allow("alice"); !ok {
		t.Fatal("another token is limited by vera's refusals")
	}
	now = now.Add(refusalEvery)
	ok, dropped, _ := l.allow("vera")
	if !ok || dropped != 3 {
		t.Fatalf("allow after %s = %v, %d dropped; want allowed, 3 dropped", refusalEvery, ok, dropped)
	}
	if ok, _, _ := l.allow("vera"); ok {
		t.Fatal("a second refusal was allowed after one refill")
	}
}

// TestLongIDNotEchoed checks that an id longer than any run id is answered
// 404 quoting at most maxQuoted bytes of it, and that error answers about
// unknown paths clip the path.
func TestLongIDNotEchoed(t *testing.T) {
	e := newLimitEnv(t)
	huge := strings.Repeat("7", 100_000)
	tests := []struct {
		method, path string
		want         int
	}{
		{http.MethodGet, "/api/v1/runs/" + huge, http.StatusNotFound},
		{http.MethodPost, "/api/v1/runs/" + huge + "/cancel", http.StatusNotFound},
		{http.MethodPost, "/api/v1/runs/" + huge + "/approve", http.StatusNotFound},
		{http.MethodGet, "/api/v2/" + huge, http.StatusNotFound},
		{http.MethodGet, "/api/v1/stacks/infra/" + huge + "/drift", http.StatusNotFound},
		{http.MethodDelete, "/api/v1/runs/" + huge, http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		rec := e.do(t, "alice", tt.method, tt.path)
		if rec.Code != tt.want || rec.Body.Len() > 400 || !strings.Contains(rec.Body.String(), "100") {
			t.Errorf("%s %d-byte path = %d %q; want %d and a short answer saying how long it was", tt.method, len(tt.path), rec.Code, rec.Body.String(), tt.want)
		}
	}
}

// TestRefusalCountsDropped serves refusals through the handler's wrapper
// with a clock the test moves: after a limited spell, the next recorded
// refusal says how many were not recorded.
func TestRefusalCountsDropped(t *testing.T) {
	e := newLimitEnv(t)
	now := time.Unix(1_700_000_000, 0)
	lim := newRefusalLimiter()
	lim.now = func() time.Time { return now }
	sum := sha256.Sum256([]byte("token-vera"))
	srv := &server{
		svc: noService{}, audit: e.st, refusals: lim, logger: slog.New(slog.DiscardHandler),
		auth: Tokens([]TokenEntry{{Name: "vera", Role: RoleViewer, SHA256: hex.EncodeToString(sum[:])}}),
	}
	mux := http.NewServeMux()
	rt := route{method: http.MethodPost, path: "/api/v1/runs/{id}/cancel", role: RoleApprover, action: store.AuditCancel}
	mux.Handle(rt.method+" "+rt.path, srv.wrap(rt))
	e.h = mux
	codes := map[int]int{}
	for range refusalBurst + 5 {
		codes[e.do(t, "vera", http.MethodPost, "/api/v1/runs/01ARZ3NDEKTSV4RRFFQ69G5FAV/cancel").Code]++
	}
	if codes[http.StatusForbidden] != refusalBurst || codes[http.StatusTooManyRequests] != 5 {
		t.Fatalf("answers = %v, want %d × 403 and 5 × 429", codes, refusalBurst)
	}
	now = now.Add(refusalEvery)
	if rec := e.do(t, "vera", http.MethodPost, "/api/v1/runs/01ARZ3NDEKTSV4RRFFQ69G5FAV/cancel"); rec.Code != http.StatusForbidden {
		t.Fatalf("refusal after %s = %d, want 403", refusalEvery, rec.Code)
	}
	es, _, err := e.st.ListAudit(t.Context(), store.AuditFilter{Limit: 1})
	if err != nil || len(es) != 1 || !strings.Contains(es[0].Detail, "5 more refusals") {
		t.Errorf("newest entry = %+v, %v; want it to count the 5 refusals not recorded", es, err)
	}
}
