package apiclient_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/driftgate/driftgate/runner/api/apitest"
	"github.com/driftgate/driftgate/runner/api/apiv1"
	"github.com/driftgate/driftgate/runner/apiclient"
	"github.com/driftgate/driftgate/runner/runnertest"
	"github.com/driftgate/driftgate/store"
)

// setup returns a client of the daemon's API (runnertest.Serve, nothing
// running) over a store seeded with apitest.Seed's fixture, and the store.
func setup(t *testing.T) (*apiclient.Client, *store.Store, apitest.Fixture) {
	t.Helper()
	s := runnertest.Serve(t, nil, "infra", "platform")
	return apiclient.New(s.URL+"/", apitest.Token), s.Store, apitest.Seed(t, s.Store)
}

// setupDaemon is setup on a running daemon (runnertest.StartGate), over
// apitest.SeedFinished's fixture: it would start a queued run.
func setupDaemon(t *testing.T) (*apiclient.Client, *store.Store, apitest.Fixture) {
	t.Helper()
	g := runnertest.StartGate(t)
	return apiclient.New(g.URL, apitest.Token), g.Store, apitest.SeedFinished(t, g.Store)
}

func TestReads(t *testing.T) {
	c, _, fx := setup(t)
	ctx := t.Context()

	repos, err := c.Repos(ctx)
	if err != nil || len(repos) != 2 || repos[0].Name != "infra" || repos[0].LastCommit != apitest.InfraCommit {
		t.Errorf("Repos = %+v, %v", repos, err)
	}
	tests := []struct {
		repo string
		want []string
	}{
		{"", []string{"infra/database", "infra/network", "platform/dns"}},
		{"platform", []string{"platform/dns"}},
	}
	for _, tt := range tests {
		stacks, err := c.Stacks(ctx, tt.repo)
		var got []string
		for _, s := range stacks {
			got = append(got, s.Repo+"/"+s.Name)
		}
		if err != nil || fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("Stacks(%q) = %v, %v, want %v", tt.repo, got, err, tt.want)
		}
	}

	run, err := c.Run(ctx, fx.Planned.ID)
	if err != nil || run.Status != apiv1.StatusPlanned || run.Summary == nil || run.Summary.Add != 1 {
		t.Errorf("Run = %+v, %v", run, err)
	}
	plan, err := c.Plan(ctx, fx.Planned.ID)
	if err != nil || string(plan) != apitest.PlanJSON {
		t.Errorf("Plan = %s, %v", plan, err)
	}
	log, err := c.Log(ctx, fx.Planned.ID)
	if err != nil || string(log) != apitest.LogText {
		t.Errorf("Log = %q, %v", log, err)
	}
	if err := c.Health(ctx); err != nil {
		t.Errorf("Health: %v", err)
	}
	ready := apiclient.New(apitest.NewServer(t, &apitest.Canned{}).URL, apitest.Token)
	if err := ready.Ready(ctx); err != nil {
		t.Errorf("Ready: %v", err)
	}
}

func TestRunsFilterAndPaging(t *testing.T) {
	c, _, fx := setup(t)
	f := apiv1.RunFilter{Repo: "infra", Stack: "network", Status: apiv1.StatusPlanned, Limit: 7}
	runs, next, err := c.Runs(t.Context(), f)
	if err != nil || len(runs) != 1 || runs[0].ID != fx.Planned.ID || next != "" {
		t.Errorf("Runs(%+v) = %v, %q, %v", f, runs, next, err)
	}
	canned := &apitest.Canned{}
	if _, _, err := apiclient.New(apitest.NewServer(t, canned).URL, apitest.Token).Runs(t.Context(), f); err != nil {
		t.Fatal(err)
	}
	wantFilter := store.RunFilter{Repo: "infra", Stack: "network", Status: store.StatusPlanned, Limit: 7}
	if got := canned.Filters(); len(got) != 1 || got[0] != wantFilter {
		t.Errorf("the service got filters %+v, want [%+v]", got, wantFilter)
	}

	var ids []string
	page := apiv1.RunFilter{Limit: 2}
	for {
		runs, next, err := c.Runs(t.Context(), page)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range runs {
			ids = append(ids, r.ID)
		}
		if next == "" {
			break
		}
		page.Cursor = next
	}
	want := []string{fx.Queued.ID, fx.Running.ID, fx.Errored.ID, fx.NoChanges.ID, fx.Planned.ID}
	if fmt.Sprint(ids) != fmt.Sprint(want) {
		t.Errorf("paged %v, want %v", ids, want)
	}
}

// TestTriggerAndCancel triggers plans through the real daemon and cancels
// them: queued, running and finished.
func TestTriggerAndCancel(t *testing.T) {
	d := runnertest.StartGate(t)
	c := apiclient.New(d.URL, apitest.Token)
	ctx := t.Context()
	d.Terraform.BlockPlans("network")
	running, err := c.TriggerPlan(ctx, "infra", "network")
	if err != nil || running.Status != apiv1.StatusQueued || running.Stack != "network" || running.ID == "" {
		t.Fatalf("TriggerPlan = %+v, %v", running, err)
	}
	<-d.Terraform.Started()
	queued, err := c.TriggerPlan(ctx, "infra", "network")
	if err != nil {
		t.Fatal(err)
	}
	canceled, err := c.CancelRun(ctx, queued.ID)
	if err != nil || canceled.Status != apiv1.StatusCanceled {
		t.Errorf("CancelRun(queued) = %+v, %v", canceled, err)
	}
	got, err := c.CancelRun(ctx, running.ID)
	if err != nil || got.Status != apiv1.StatusRunning {
		t.Errorf("CancelRun(running) = %+v, %v", got, err)
	}
	done, err := c.Wait(ctx, running.ID, time.Millisecond)
	if err != nil || done.Status != apiv1.StatusCanceled || done.FinishedAt.IsZero() {
		t.Errorf("Wait(canceled run) = %+v, %v", done, err)
	}

	finished := d.Latest("infra", "database", "plan")
	_, err = c.CancelRun(ctx, finished.ID)
	if !apiclient.IsStatus(err, 409) || !strings.Contains(err.Error(), `run "`+finished.ID+`" already finished (planned); nothing to cancel`) {
		t.Errorf("CancelRun(finished): %v, want 409", err)
	}
	_, err = c.TriggerPlan(ctx, "infra", "a/b")
	if !apiclient.IsStatus(err, 404) || !strings.Contains(err.Error(), `repo "infra" has no stack "a/b" at its last commit`) {
		t.Errorf("TriggerPlan(unknown stack): %v, want 404", err)
	}
}

func TestErrors(t *testing.T) {
	c, _, fx := setup(t)
	ctx := t.Context()
	srvURL := c.BaseURL()
	tests := []struct {
		name       string
		call       func() error
		wantStatus int
		wantMsg    string
	}{
		{"wrong token", func() error {
			_, err := apiclient.New(srvURL, "wrong").Repos(ctx)
			return err
		}, 401, "invalid token"},
		{"no token", func() error {
			_, err := apiclient.New(srvURL, "").Repos(ctx)
			return err
		}, 401, "missing bearer token"},
		{"unknown run", func() error {
			_, err := c.Run(ctx, "01ARZ3NDEKTSV4RRFFQ69G5FAV")
			return err
		}, 404, `run "01ARZ3NDEKTSV4RRFFQ69G5FAV" not found`},
		{"no plan yet", func() error {
			_, err := c.Plan(ctx, fx.Queued.ID)
			return err
		}, 404, "has no plan yet"},
		{"bad status", func() error {
			_, _, err := c.Runs(ctx, apiv1.RunFilter{Status: "done"})
			return err
		}, 400, `unknown run status "done"`},
		{"bad limit", func() error {
			_, _, err := c.Runs(ctx, apiv1.RunFilter{Limit: -1})
			return err
		}, 400, `limit "-1"`},
	}
	for _, tt := range tests {
		err := tt.call()
		var apiErr *apiclient.Error
		if !errors.As(err, &apiErr) {
			t.Errorf("%s: error %v is not an *apiclient.Error", tt.name, err)
			continue
		}
		if apiErr.Status != tt.wantStatus || !strings.Contains(apiErr.Message, tt.wantMsg) {
			t.Errorf("%s: %d %q, want %d containing %q", tt.name, apiErr.Status, apiErr.Message, tt.wantStatus, tt.wantMsg)
		}
		if !apiclient.IsStatus(err, tt.wantStatus) {
			t.Errorf("%s: IsStatus(%d) is false", tt.name, tt.wantStatus)
		}
	}

	failing := apiclient.New(apitest.NewServer(t, &apitest.Canned{Err: errors.New("disk on fire")}).URL, apitest.Token)
	_, err := failing.Repos(ctx)
	if !apiclient.IsStatus(err, 500) || strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("service failure: %v, want a generic 500", err)
	}
	// The daemon serving these tests runs nothing, so it is not ready.
	if err := c.Ready(ctx); !apiclient.IsStatus(err, 503) || !strings.Contains(err.Error(), "starting: the queue is being recovered") {
		t.Errorf("Ready when not ready: %v", err)
	}
}

func TestErrorWithoutJSONBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "upstream proxy said no", http.StatusBadGateway)
	}))
	defer srv.Close()
	_, err := apiclient.New(srv.URL, "t").Repos(t.Context())
	var apiErr *apiclient.Error
	if !errors.As(err, &apiErr) || apiErr.Status != 502 || apiErr.Message != "Bad Gateway" {
		t.Errorf("non-JSON 502: %#v", err)
	}
}

func TestConnectionErrors(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.URL
	srv.Close()
	_, err := apiclient.New(addr, "t").Repos(t.Context())
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("closed server: %v, want ECONNREFUSED", err)
	}
	for _, base := range []string{"127.0.0.1:8080", "ftp://host", "http://", "http://a b"} {
		if _, err := apiclient.New(base, "t").Repos(t.Context()); err == nil || !strings.Contains(err.Error(), "server URL") {
			t.Errorf("New(%q): %v, want a server URL error", base, err)
		}
	}
}

func TestWait(t *testing.T) {
	d := runnertest.StartGate(t)
	c := apiclient.New(d.URL, apitest.Token)
	d.Terraform.NoChanges("network")
	trig, err := c.TriggerPlan(t.Context(), "infra", "network")
	if err != nil {
		t.Fatal(err)
	}
	run, err := c.Wait(t.Context(), trig.ID, time.Millisecond)
	if err != nil || run.Status != apiv1.StatusNoChanges || run.FinishedAt.IsZero() {
		t.Fatalf("Wait = %+v, %v", run, err)
	}
	run, err = c.Wait(t.Context(), trig.ID, 0)
	if err != nil || run.Status != apiv1.StatusNoChanges {
		t.Errorf("Wait(finished run) = %+v, %v", run, err)
	}

	d.Terraform.BlockPlans("database")
	blocked, err := c.TriggerPlan(t.Context(), "infra", "database")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	_, err = c.Wait(ctx, blocked.ID, time.Millisecond)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait past the deadline: %v", err)
	}
	if _, err := c.Wait(t.Context(), "01ARZ3NDEKTSV4RRFFQ69G5FAV", time.Millisecond); !apiclient.IsStatus(err, 404) {
		t.Errorf("Wait(unknown run): %v, want 404", err)
	}
}

func TestWaitUnknownStatus(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"id":"01ARZ3NDEKTSV4RRFFQ69G5FAV","stack":"s","status":"applying"}`)
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	_, err := apiclient.New(srv.URL, "t").Wait(t.Context(), "01ARZ3NDEKTSV4RRFFQ69G5FAV", time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), `unknown status "applying"`) {
		t.Errorf("Wait on an unknown status: %v", err)
	}
}

// TestRequestsCarryToken checks the Authorization header the client sends.
func TestRequestsCarryToken(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Get("Authorization"))
		fmt.Fprint(w, `{"repos":[]}`)
	}))
	defer srv.Close()
	for _, token := range []string{"abc", ""} {
		if _, err := apiclient.New(srv.URL, token).Repos(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if want := []string{"Bearer abc", ""}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Authorization headers %q, want %q", got, want)
	}
}
