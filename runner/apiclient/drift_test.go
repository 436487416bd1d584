package apiclient_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/driftgate/driftgate/runner/api/apitest"
	"github.com/driftgate/driftgate/runner/api/apiv1"
	"github.com/driftgate/driftgate/runner/apiclient"
	"github.com/driftgate/driftgate/runner/runnertest"
)

func TestDrift(t *testing.T) {
	c, svc, fx := setupDaemon(t)
	d := apitest.SeedDrift(t, svc, fx)
	ctx := t.Context()

	tests := []struct {
		repo string
		want []string
	}{
		{"", []string{"infra/database in_sync", "infra/network drifted", "platform/cdn unknown", "platform/dns errored"}},
		{"infra", []string{"infra/database in_sync", "infra/network drifted"}},
	}
	for _, tt := range tests {
		views, err := c.Drift(ctx, tt.repo)
		var got []string
		for _, v := range views {
			got = append(got, v.Repo+"/"+v.Stack+" "+string(v.Status))
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("Drift(%q) = %q, %v, want %q", tt.repo, got, err, tt.want)
		}
	}
	views, _ := c.Drift(ctx, "infra")
	if net := views[1]; net.RunID != d.Check.ID || net.Open != 1 || net.Accepted != 1 || len(net.Findings) != 2 {
		t.Errorf("Drift: infra/network = %+v", net)
	}

	histories := []struct {
		history int
		want    int
	}{{-1, 4}, {0, 2}, {1, 3}, {500, 4}}
	for _, h := range histories {
		v, err := c.StackDrift(ctx, "infra", "network", h.history)
		if err != nil || len(v.Findings) != h.want || v.Status != apiv1.DriftDrifted {
			t.Errorf("StackDrift(history %d) = %+v, %v, want %d findings", h.history, v, err, h.want)
			continue
		}
		if web := v.Findings[1]; web.ID != d.Web.ID || len(web.Attributes) != 3 || web.Attributes[0].After != "t3.large" {
			t.Errorf("StackDrift(history %d): finding %+v, want %+v", h.history, web, d.Web)
		}
	}

}

// TestCheckDrift checks a stack through the real daemon and waits for the
// drift state it leaves.
func TestCheckDrift(t *testing.T) {
	d := runnertest.StartGate(t)
	c := apiclient.New(d.URL, apitest.Token)
	ctx := t.Context()
	d.Terraform.NoChanges("dns")
	run, err := c.CheckDrift(ctx, "platform", "dns")
	if err != nil || run.Status != apiv1.StatusQueued || run.Operation != apiv1.OperationDrift || run.Trigger != "manual" || run.ID == "" {
		t.Fatalf("CheckDrift = %+v, %v", run, err)
	}
	done, err := c.Wait(ctx, run.ID, time.Millisecond)
	if err != nil || done.Status != apiv1.StatusNoChanges {
		t.Fatalf("Wait(check) = %+v, %v", done, err)
	}
	v, err := c.StackDrift(ctx, "platform", "dns", 0)
	if err != nil || v.Status != apiv1.DriftInSync || v.RunID != run.ID {
		t.Errorf("drift after the check = %+v, %v, want in_sync by %s", v, err, run.ID)
	}
}

func TestDriftErrors(t *testing.T) {
	c, svc, fx := setupDaemon(t)
	apitest.SeedDrift(t, svc, fx)
	ctx := t.Context()
	tests := []struct {
		name       string
		call       func() error
		wantStatus int
		wantMsg    string
	}{
		{"unknown repo", func() error {
			_, err := c.Drift(ctx, "nope")
			return err
		}, 404, `repo "nope" is not configured`},
		{"unknown stack", func() error {
			_, err := c.StackDrift(ctx, "infra", "nope", -1)
			return err
		}, 404, `repo "infra" has no stack "nope" at its last commit`},
		{"history too long", func() error {
			_, err := c.StackDrift(ctx, "infra", "network", 501)
			return err
		}, 400, `history "501" is not a whole number from 0 to 500`},
		{"check unknown stack", func() error {
			_, err := c.CheckDrift(ctx, "infra", "a/b")
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

// TestDriftRequests checks what the client sends: escaped names and the
// history parameter only when it is not negative.
func TestDriftRequests(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.RequestURI())
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"01ARZ3NDEKTSV4RRFFQ69G5FAV","stacks":[],"findings":[]}`))
	}))
	defer srv.Close()
	c := apiclient.New(srv.URL, "t")
	ctx := t.Context()
	if _, err := c.Drift(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Drift(ctx, "my repo"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.StackDrift(ctx, "a/b", "c d", -1); err != nil {
		t.Fatal(err)
	}
	if _, err := c.StackDrift(ctx, "infra", "network", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CheckDrift(ctx, "infra", "network/x"); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"GET /api/v1/drift",
		"GET /api/v1/drift?repo=my+repo",
		"GET /api/v1/stacks/a%2Fb/c%20d/drift",
		"GET /api/v1/stacks/infra/network/drift?history=0",
		"POST /api/v1/stacks/infra/network%2Fx/drift-check",
	}
	if !slices.Equal(got, want) {
		t.Errorf("requests:\n got %q\nwant %q", got, want)
	}
}
