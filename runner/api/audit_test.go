package api_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/driftgate/driftgate/runner/api/apitest"
	"github.com/driftgate/driftgate/store"
)

// auditPage is the body of GET /api/v1/audit.
type auditPage struct {
	Entries    []store.AuditEntry `json:"entries"`
	NextCursor string             `json:"next_cursor"`
}

// getAudit reads GET /api/v1/audit?query as the admin, failing unless it is
// answered 200.
func getAudit(t *testing.T, e *env, query string) auditPage {
	t.Helper()
	rec := e.do(t, "GET", "/api/v1/audit"+query, "Bearer "+apitest.AdminToken)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("GET /api/v1/audit%s = %d %s", query, rec.Code, rec.Body)
	}
	var page auditPage
	if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil {
		t.Fatalf("GET /api/v1/audit%s: %v: %s", query, err, rec.Body)
	}
	return page
}

func TestAuditList(t *testing.T) {
	e := newRoleEnv(t)
	seeded := apitest.SeedAudit(t, e.st, e.fx) // oldest first
	ids := func(is ...int) []string {
		out := []string{}
		for _, i := range is {
			out = append(out, seeded[i].ID)
		}
		return out
	}
	tests := []struct {
		query string
		want  []string
	}{
		{"", ids(3, 2, 1, 0)},
		{"?repo=infra", ids(3, 2, 0)},
		{"?repo=infra&stack=network", ids(0)},
		{"?actor=" + apitest.Viewer, ids(1)},
		{"?actor=driftgate", ids(2)},
		{"?action=cancel", ids(3, 1)},
		{"?action=cancel&actor=" + apitest.Admin, ids(3)},
		{"?action=approve", ids()},
		{"?repo=&stack=&actor=&action=&limit=&cursor=", ids(3, 2, 1, 0)},
	}
	for _, tt := range tests {
		page := getAudit(t, e, tt.query)
		var got []string
		for _, en := range page.Entries {
			got = append(got, en.ID)
		}
		if !slices.Equal(got, tt.want) || page.NextCursor != "" {
			t.Errorf("?%s: entries %v next %q, want %v and no next", tt.query, got, page.NextCursor, tt.want)
		}
	}

	// Entries are encoded with the store's field names; none is empty.
	rec := e.do(t, "GET", "/api/v1/audit?actor="+apitest.Viewer, "Bearer "+apitest.AdminToken)
	for _, want := range []string{
		`"id":"` + seeded[1].ID + `"`, `"actor":"vera"`, `"action":"cancel"`, `"run_id":"` + e.fx.Running.ID + `"`,
		`"result":"refused"`, `"detail":"token \"vera\" has role viewer; this needs approver"`, `"next_cursor":""`,
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("body lacks %s:\n%s", want, rec.Body)
		}
	}
	if rec := e.do(t, "GET", "/api/v1/audit?actor=nobody", "Bearer "+apitest.AdminToken); strings.TrimSpace(rec.Body.String()) != `{"entries":[],"next_cursor":""}` {
		t.Errorf("empty page = %s, want entries []", rec.Body)
	}
}

func TestAuditPaging(t *testing.T) {
	e := newRoleEnv(t)
	seeded := apitest.SeedAudit(t, e.st, e.fx)
	var got []string
	query := "?limit=3"
	for range len(seeded) + 1 {
		page := getAudit(t, e, query)
		if len(page.Entries) > 3 {
			t.Fatalf("page of %d entries, limit 3", len(page.Entries))
		}
		for _, en := range page.Entries {
			got = append(got, en.ID)
		}
		if page.NextCursor == "" {
			break
		}
		query = "?limit=3&cursor=" + page.NextCursor
	}
	want := []string{seeded[3].ID, seeded[2].ID, seeded[1].ID, seeded[0].ID}
	if !slices.Equal(got, want) {
		t.Errorf("paged %v, want %v", got, want)
	}
}

func TestAuditBadRequests(t *testing.T) {
	e := newRoleEnv(t)
	tests := []struct {
		query, wantMsg string
	}{
		{"?limit=0", `limit "0" is not a whole number from 1 to 500`},
		{"?limit=501", `limit "501"`},
		{"?limit=x", `limit "x"`},
		{"?user=alice", `unknown query parameter "user": /api/v1/audit accepts repo, stack, actor, action, limit, cursor`},
		{"?actor=a&actor=b", `query parameter "actor" is given 2 times`},
		{"?cursor=nope", "invalid argument"},
	}
	for _, tt := range tests {
		rec := e.do(t, "GET", "/api/v1/audit"+tt.query, "Bearer "+apitest.AdminToken)
		if rec.Code != http.StatusBadRequest {
			t.Errorf("%s = %d %s, want 400", tt.query, rec.Code, rec.Body)
			continue
		}
		if msg := errorMessage(t, rec); !strings.Contains(msg, tt.wantMsg) {
			t.Errorf("%s: message %q, want it to contain %q", tt.query, msg, tt.wantMsg)
		}
	}
}

func TestAuditWithoutLog(t *testing.T) {
	e := newCannedEnv(t, &apitest.Canned{}) // no WithAudit
	rec := e.do(t, "GET", "/api/v1/audit", "")
	if msg := errorMessage(t, rec); rec.Code != http.StatusNotFound || msg != "this driftgate server keeps no audit log" {
		t.Errorf("GET /api/v1/audit without a log = %d %q, want 404", rec.Code, msg)
	}
	if rec := e.do(t, "GET", "/api/v1/audit?limit=0", ""); rec.Code != http.StatusBadRequest {
		t.Errorf("bad query without a log = %d, want 400", rec.Code)
	}
}
