package api

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestStaticToken(t *testing.T) {
	tests := []struct {
		configured, given string
		want              bool
	}{
		{"s3cret", "s3cret", true},
		{"s3cret", "s3cre", false},
		{"s3cret", "s3cret ", false},
		{"s3cret", "S3CRET", false},
		{"s3cret", "", false},
		{"", "", false},
		{"", "anything", false},
	}
	for _, tt := range tests {
		p, got := StaticToken(tt.configured).Authenticate(tt.given)
		if got != tt.want {
			t.Errorf("StaticToken(%q).Authenticate(%q) = %v, want %v", tt.configured, tt.given, got, tt.want)
		}
		if got && !reflect.DeepEqual(p, Principal{Name: "default", Role: RoleAdmin}) {
			t.Errorf("principal %+v, want default admin", p)
		}
	}
}

func TestBearerToken(t *testing.T) {
	tests := []struct {
		header, want string
		wantOK       bool
	}{
		{"Bearer abc", "abc", true},
		{"bearer abc", "abc", true},
		{"BEARER  abc ", "abc", true},
		{"Bearer", "", false},
		{"Bearer ", "", false},
		{"Basic abc", "", false},
		{"abc", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := bearerToken(tt.header)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("bearerToken(%q) = %q, %v, want %q, %v", tt.header, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestRoleValid(t *testing.T) {
	for _, r := range []Role{RoleViewer, RoleApprover, RoleAdmin} {
		if !r.Valid() {
			t.Errorf("%s is not valid", r)
		}
	}
	if Role("root").Valid() || Role("").Valid() {
		t.Error("unknown roles are valid")
	}
}

func TestBodyLimit(t *testing.T) {
	s := &server{}
	h := s.wrap(route{public: true, handle: func(w http.ResponseWriter, r *http.Request) error {
		if _, err := io.ReadAll(r.Body); err != nil {
			return err
		}
		s.writeJSON(w, http.StatusOK, statusBody{Status: "ok"})
		return nil
	}})
	s.logger = discardLogger()
	tests := []struct {
		size int
		want int
	}{
		{maxBodyBytes, http.StatusOK},
		{maxBodyBytes + 1, http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", "/x", strings.NewReader(strings.Repeat("a", tt.size))))
		if rec.Code != tt.want {
			t.Errorf("body of %d bytes: status %d, want %d", tt.size, rec.Code, tt.want)
		}
	}
}

// sum is the hex sha256 of token, as a token block holds it.
func sum(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

func TestTokens(t *testing.T) {
	entries := []TokenEntry{
		{Name: "vera", Role: RoleViewer, SHA256: sum("viewer-secret")},
		{Name: "alice", Role: RoleApprover, SHA256: sum("approver-secret"), Permissions: []string{PermDestroy}},
		{Name: "ada", Role: RoleAdmin, SHA256: strings.ToUpper(sum("admin-secret"))},
		{Name: "broken", Role: RoleAdmin, SHA256: "not hex"},
		{Name: "short", Role: RoleAdmin, SHA256: sum("short-secret")[:62]},
		{Name: "empty", Role: RoleAdmin, SHA256: sum("")},
	}
	auth := Tokens(entries)
	tests := []struct {
		token  string
		want   Principal
		wantOK bool
	}{
		{"viewer-secret", Principal{Name: "vera", Role: RoleViewer}, true},
		{"approver-secret", Principal{Name: "alice", Role: RoleApprover, Permissions: []string{PermDestroy}}, true},
		{"admin-secret", Principal{Name: "ada", Role: RoleAdmin}, true},
		{"viewer-secret ", Principal{}, false},
		{"Viewer-secret", Principal{}, false},
		{"short-secret", Principal{}, false},
		{"not hex", Principal{}, false},
		{"", Principal{}, false},
		{sum("viewer-secret"), Principal{}, false}, // the hash is not the token
	}
	for _, tt := range tests {
		got, ok := auth.Authenticate(tt.token)
		if ok != tt.wantOK || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Authenticate(%q) = %+v, %v; want %+v, %v", tt.token, got, ok, tt.want, tt.wantOK)
		}
	}

	// The principal is a copy: changing it or the entries changes nothing.
	p, _ := auth.Authenticate("approver-secret")
	p.Permissions[0] = "everything"
	entries[1].Permissions[0] = "everything"
	if p, _ := auth.Authenticate("approver-secret"); !slices.Equal(p.Permissions, []string{PermDestroy}) {
		t.Errorf("permissions changed to %v", p.Permissions)
	}
	if _, ok := Tokens(nil).Authenticate(""); ok {
		t.Error("no tokens accept the empty token")
	}
}

func TestRoleAtLeast(t *testing.T) {
	roles := []Role{RoleViewer, RoleApprover, RoleAdmin}
	for i, r := range roles {
		for j, need := range roles {
			if got, want := r.AtLeast(need), i >= j; got != want {
				t.Errorf("%s.AtLeast(%s) = %v, want %v", r, need, got, want)
			}
		}
		if r.AtLeast("root") || r.AtLeast("") || Role("root").AtLeast(r) || Role("").AtLeast(r) {
			t.Errorf("an unknown role compares with %s", r)
		}
	}
}

func TestPrincipalCan(t *testing.T) {
	tests := []struct {
		p    Principal
		perm string
		want bool
	}{
		{Principal{Role: RoleAdmin}, PermDestroy, true},
		{Principal{Role: RoleAdmin}, "anything", true},
		{Principal{Role: RoleApprover}, PermDestroy, false},
		{Principal{Role: RoleApprover, Permissions: []string{PermDestroy}}, PermDestroy, true},
		{Principal{Role: RoleApprover, Permissions: []string{"other"}}, "other", false},
		// A viewer approves nothing, so destroy means nothing to it.
		{Principal{Role: RoleViewer, Permissions: []string{PermDestroy}}, PermDestroy, false},
		{Principal{Role: "root", Permissions: []string{PermDestroy}}, PermDestroy, false},
	}
	for _, tt := range tests {
		if got := tt.p.Can(tt.perm); got != tt.want {
			t.Errorf("%+v.Can(%q) = %v, want %v", tt.p, tt.perm, got, tt.want)
		}
	}
	for _, perm := range Permissions() {
		if _, ok := PermissionRole(perm); !ok {
			t.Errorf("permission %q has no role", perm)
		}
	}
	if _, ok := PermissionRole("root"); ok {
		t.Error(`PermissionRole("root") is known`)
	}
}

// TestRouteRoles pins the least role of every route: a new route must be
// added here, with its role chosen on purpose.
func TestRouteRoles(t *testing.T) {
	want := map[string]Role{
		"GET /healthz":                                     "",
		"GET /readyz":                                      "",
		"GET /api/v1/repos":                                RoleViewer,
		"GET /api/v1/stacks":                               RoleViewer,
		"GET /api/v1/runs":                                 RoleViewer,
		"GET /api/v1/runs/{id}":                            RoleViewer,
		"GET /api/v1/runs/{id}/plan":                       RoleViewer,
		"GET /api/v1/runs/{id}/log":                        RoleViewer,
		"GET /api/v1/drift":                                RoleViewer,
		"GET /api/v1/stacks/{repo}/{stack}/drift":          RoleViewer,
		"GET /api/v1/stacks/{repo}/{stack}/state-versions": RoleViewer,
		"GET /api/v1/stacks/{repo}/{stack}/state-versions/{serial}": RoleViewer,
		"GET /api/v1/stacks/{repo}/{stack}/state-diff":              RoleViewer,
		"POST /api/v1/stacks/{repo}/{stack}/plan":                   RoleApprover,
		"POST /api/v1/stacks/{repo}/{stack}/drift-check":            RoleApprover,
		"POST /api/v1/runs/{id}/cancel":                             RoleApprover,
		"POST /api/v1/runs/{id}/approve":                            RoleApprover,
		"POST /api/v1/runs/{id}/reject":                             RoleApprover,
		"POST /api/v1/runs/{id}/apply":                              RoleApprover,
		"GET /api/v1/locks":                                         RoleViewer,
		"GET /api/v1/stacks/{repo}/{stack}/lock":                    RoleViewer,
		"GET /api/v1/nodes":                                         RoleViewer,
		"POST /api/v1/stacks/{repo}/{stack}/release":                RoleAdmin,
		"GET /api/v1/audit":                                         RoleAdmin,
		"GET /api/v1/backup":                                        RoleAdmin,
	}
	got := map[string]Role{}
	for _, rt := range (&server{}).routes() {
		key := rt.method + " " + rt.path
		if rt.public != (rt.role == "") {
			t.Errorf("%s: public %v with role %q; a route is public or has a role", key, rt.public, rt.role)
		}
		if rt.method != http.MethodGet && rt.action == "" {
			t.Errorf("%s changes state but has no audit action", key)
		}
		got[key] = rt.role
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("route roles:\n got %v\nwant %v", got, want)
	}
}

func TestAuthorize(t *testing.T) {
	tests := []struct {
		p       Principal
		need    Role
		wantMsg string // "" for allowed
	}{
		{Principal{Name: "vera", Role: RoleViewer}, RoleViewer, ""},
		{Principal{Name: "vera", Role: RoleViewer}, RoleApprover, `token "vera" has role viewer; this needs approver`},
		{Principal{Name: "alice", Role: RoleApprover}, RoleAdmin, `token "alice" has role approver; this needs admin`},
		{Principal{Name: "ada", Role: RoleAdmin}, RoleAdmin, ""},
		{Principal{Name: "x", Role: "root"}, RoleViewer, `token "x" has role "root", which is not a role; this needs viewer`},
	}
	for _, tt := range tests {
		err := authorize(tt.p, tt.need)
		switch {
		case tt.wantMsg == "" && err != nil:
			t.Errorf("authorize(%+v, %s) = %v, want nil", tt.p, tt.need, err)
		case tt.wantMsg != "" && (err == nil || err.Error() != tt.wantMsg || statusOf(err) != http.StatusForbidden):
			t.Errorf("authorize(%+v, %s) = %v, want 403 %q", tt.p, tt.need, err, tt.wantMsg)
		}
	}
}
