package api_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/driftgate/driftgate/runner/api"
	"github.com/driftgate/driftgate/runner/api/apitest"
	"github.com/driftgate/driftgate/runner/runnertest"
	"github.com/driftgate/driftgate/store"
)

// TestListNodes serves GET /api/v1/nodes from the daemon's own Service over
// stored node records: a node within its lease is live, one past it is
// gone and no longer leads, and nodes come by name.
func TestListNodes(t *testing.T) {
	s := runnertest.Serve(t, nil)
	fresh := time.Now().UTC().Truncate(time.Second)
	old := fresh.Add(-time.Hour)
	for _, n := range []store.Node{
		{Name: "node-b", Version: "v1.2.0", Address: "http://10.0.0.2:8080", StartedAt: old, Heartbeat: fresh,
			Running: []string{"01J00000000000000000000000"}, Workers: 4, Ready: true},
		{Name: "node-a", Version: "v1.1.0", Commit: "abc1234", StartedAt: old.Add(-time.Hour), Heartbeat: old, Leader: true,
			Workers: 2, NotReady: "stopping: finishing the runs in progress"},
	} {
		if err := s.Store.PutNode(t.Context(), &n); err != nil {
			t.Fatal(err)
		}
	}
	req := httptest.NewRequest(http.MethodGet, "/api/v1/nodes", nil)
	req.Header.Set("Authorization", "Bearer "+apitest.ViewerToken)
	rec := httptest.NewRecorder()
	s.Handler.ServeHTTP(rec, req)
	ts := func(t time.Time) string { return t.Format(time.RFC3339) }
	want := `{"nodes":[` +
		`{"name":"node-a","version":"v1.1.0","commit":"abc1234","state":"gone","leader":false,` +
		`"started_at":"` + ts(old.Add(-time.Hour)) + `","heartbeat":"` + ts(old) + `","running":[],"workers":2,` +
		`"ready":false,"not_ready":"stopping: finishing the runs in progress"},` +
		`{"name":"node-b","version":"v1.2.0","address":"http://10.0.0.2:8080","state":"live","leader":false,` +
		`"started_at":"` + ts(old) + `","heartbeat":"` + ts(fresh) + `","running":["01J00000000000000000000000"],"workers":4,"ready":true}` +
		`]}` + "\n"
	if rec.Code != http.StatusOK || rec.Body.String() != want {
		t.Errorf("GET /api/v1/nodes = %d\n%s\nwant\n%s", rec.Code, rec.Body, want)
	}
}

// TestListNodesRefusals: the route takes no parameters, needs a token, and
// answers 404 from a Service that keeps no node list.
func TestListNodesRefusals(t *testing.T) {
	s := runnertest.Serve(t, nil)
	canned := api.NewHandler(&apitest.Canned{}, apitest.Auth(), nil)
	tests := []struct {
		name    string
		h       http.Handler
		target  string
		token   string
		code    int
		message string
	}{
		{"a parameter", s.Handler, "/api/v1/nodes?name=a", apitest.Token, http.StatusBadRequest, ""},
		{"no token", s.Handler, "/api/v1/nodes", "", http.StatusUnauthorized, ""},
		{"no node list", canned, "/api/v1/nodes", apitest.Token, http.StatusNotFound, "this driftgate server keeps no node list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, tt.target, nil)
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			rec := httptest.NewRecorder()
			tt.h.ServeHTTP(rec, req)
			if rec.Code != tt.code {
				t.Fatalf("GET %s = %d %s, want %d", tt.target, rec.Code, rec.Body, tt.code)
			}
			if tt.message != "" {
				if got := errorMessage(t, rec); got != tt.message {
					t.Errorf("message = %q, want %q", got, tt.message)
				}
			}
		})
	}
}
