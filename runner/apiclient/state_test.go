package apiclient_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/driftgate/driftgate/planner/statever"
	"github.com/driftgate/driftgate/runner/api/apitest"
	"github.com/driftgate/driftgate/runner/apiclient"
)

func TestState(t *testing.T) {
	c, svc, fx := setupDaemon(t)
	sf := apitest.SeedState(t, svc, fx)
	ctx := t.Context()

	tests := []struct {
		stack string
		limit int
		want  []uint64
	}{
		{"network", 0, []uint64{3, 2, 1}},
		{"network", -1, []uint64{3, 2, 1}},
		{"network", 1, []uint64{3}},
		{"database", 0, nil},
	}
	for _, tt := range tests {
		vs, err := c.StateVersions(ctx, "infra", tt.stack, tt.limit)
		var got []uint64
		for _, v := range vs {
			got = append(got, v.Serial)
			if v.Version != nil {
				t.Errorf("StateVersions(%s, %d): serial %d has a body", tt.stack, tt.limit, v.Serial)
			}
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("StateVersions(%s, %d) = %v, %v, want %v", tt.stack, tt.limit, got, err, tt.want)
		}
	}
	vs, _ := c.StateVersions(ctx, "infra", "network", 0)
	if v := vs[0]; v.RunID != fx.Planned.ID || v.SHA256 != sf.Versions[2].SHA256 || v.Lineage != apitest.StateLineage ||
		v.Resources != 2 || !v.CreatedAt.Equal(sf.Versions[2].CreatedAt) {
		t.Errorf("StateVersions: newest = %+v, want %+v", v, sf.Versions[2])
	}

	sv, err := c.StateVersion(ctx, "infra", "network", 1)
	if err != nil || sv.Serial != 1 || sv.RunID != "" || string(sv.Version) != string(sf.Versions[0].Version) {
		t.Fatalf("StateVersion(1) = %+v, %v", sv, err)
	}
	if v, err := statever.Decode(sv.Version); err != nil || len(v.Resources) != 2 {
		t.Errorf("StateVersion(1) body = %+v, %v", v, err)
	}

	d, err := c.StateDiff(ctx, "infra", "network", 1, 3)
	if err != nil || d.From != 1 || d.To != 3 || len(d.Changes.Added) != 1 || len(d.Changes.Removed) != 1 ||
		len(d.Changes.Changed) != 1 || len(d.Changes.Outputs) != 2 {
		t.Fatalf("StateDiff(1, 3) = %+v, %v", d, err)
	}
	if attrs := d.Changes.Changed[0].Attributes; attrs[0].Before != "t3.small" || !attrs[2].Sensitive || !statever.IsMarker(attrs[2].After) {
		t.Errorf("StateDiff(1, 3) attributes = %+v", attrs)
	}
	d, err = c.StateDiff(ctx, "infra", "network", 2, 2)
	if err != nil || !d.Changes.Empty() {
		t.Errorf("StateDiff(2, 2) = %+v, %v, want no changes", d, err)
	}
}

// TestStateDiffNumbers checks that numbers in a diff stay exact.
func TestStateDiffNumbers(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"from":1,"to":2,"changes":{"changed":[{"address":"a.b","attributes":[{"path":"n","before":12345678901234567890,"after":1.50}]}]}}`))
	}))
	defer srv.Close()
	d, err := apiclient.New(srv.URL, "t").StateDiff(t.Context(), "r", "s", 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	a := d.Changes.Changed[0].Attributes[0]
	if a.Before != json.Number("12345678901234567890") || a.After != json.Number("1.50") {
		t.Errorf("numbers = %#v -> %#v, want them exact", a.Before, a.After)
	}
}

func TestStateErrors(t *testing.T) {
	c, svc, fx := setupDaemon(t)
	apitest.SeedState(t, svc, fx)
	ctx := t.Context()
	tests := []struct {
		name       string
		call       func() error
		wantStatus int
		wantMsg    string
	}{
		{"unknown stack", func() error {
			_, err := c.StateVersions(ctx, "infra", "nope", 0)
			return err
		}, 404, `repo "infra" has no stack "nope" at its last commit`},
		{"unknown serial", func() error {
			_, err := c.StateVersion(ctx, "infra", "network", 9)
			return err
		}, 404, "stack infra/network has no state version 9"},
		{"diff unknown serial", func() error {
			_, err := c.StateDiff(ctx, "infra", "network", 1, 9)
			return err
		}, 404, "stack infra/network has no state version 9"},
		{"diff serial 0", func() error {
			_, err := c.StateDiff(ctx, "infra", "network", 0, 1)
			return err
		}, 400, `from "0" is not a positive whole number`},
	}
	for _, tt := range tests {
		err := tt.call()
		if !apiclient.IsStatus(err, tt.wantStatus) || !strings.Contains(err.Error(), tt.wantMsg) {
			t.Errorf("%s: %v, want %d containing %q", tt.name, err, tt.wantStatus, tt.wantMsg)
		}
	}
}

// TestStateRequests checks what the client sends: escaped names, the limit
// only when positive, both serials.
func TestStateRequests(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.RequestURI())
		mu.Unlock()
		_, _ = w.Write([]byte(`{"versions":[],"serial":1,"changes":{}}`))
	}))
	defer srv.Close()
	c := apiclient.New(srv.URL, "t")
	ctx := t.Context()
	calls := []func() error{
		func() error { _, err := c.StateVersions(ctx, "infra", "network", 0); return err },
		func() error { _, err := c.StateVersions(ctx, "a/b", "c d", 5); return err },
		func() error { _, err := c.StateVersion(ctx, "infra", "net/x", 18446744073709551615); return err },
		func() error { _, err := c.StateDiff(ctx, "infra", "network", 3, 12); return err },
	}
	for _, call := range calls {
		if err := call(); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{
		"GET /api/v1/stacks/infra/network/state-versions",
		"GET /api/v1/stacks/a%2Fb/c%20d/state-versions?limit=5",
		"GET /api/v1/stacks/infra/net%2Fx/state-versions/18446744073709551615",
		"GET /api/v1/stacks/infra/network/state-diff?from=3&to=12",
	}
	if !slices.Equal(got, want) {
		t.Errorf("requests:\n got %q\nwant %q", got, want)
	}
}
