package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/driftgate/driftgate/planner/statever"
	"github.com/driftgate/driftgate/runner/api/apitest"
	"github.com/driftgate/driftgate/runner/runnertest"
	"github.com/driftgate/driftgate/store"
)

// seedStack stores repo infra with stack app, runs runs of it, and two
// state versions whose instance_type differs.
func seedStack(t *testing.T, st *store.Store, runs int) {
	t.Helper()
	ctx := context.Background()
	if err := st.PutRepo(ctx, &store.RepoRecord{Name: "infra", Status: "ok"}); err != nil {
		t.Fatal(err)
	}
	if err := st.PutStack(ctx, &store.StackRecord{Repo: "infra", Name: "app", Dir: "app"}); err != nil {
		t.Fatal(err)
	}
	for i := range runs {
		r := &store.Run{Repo: "infra", Stack: "app", Commit: fmt.Sprintf("c%02d", i), Trigger: "manual",
			Operation: store.OperationPlan, Status: store.StatusQueued, CreatedAt: time.Now().UTC()}
		if err := st.CreateRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	for serial, size := range map[uint64]string{1: "small", 2: "large"} {
		v := statever.Version{Serial: serial, Lineage: "l1", Resources: []statever.Resource{{
			Address: "aws_instance.web", Mode: "managed", Type: "aws_instance", Name: "web",
			Attributes: map[string]any{"instance_type": size},
		}}}
		body, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		sv := &store.StateVersion{Repo: "infra", Stack: "app", Serial: serial, Lineage: "l1", SHA256: strings.Repeat(fmt.Sprint(serial), 64),
			CreatedAt: time.Now().UTC(), Resources: 1, Version: body}
		if err := st.PutStateVersion(ctx, sv); err != nil {
			t.Fatal(err)
		}
	}
}

func TestStackPageDiffsStateVersions(t *testing.T) {
	srv := runnertest.Serve(t, nil, "infra")
	seedStack(t, srv.Store, 1)
	c := signIn(t, srv.URL, apitest.ViewerToken)
	a := do(t, http.MethodGet, srv.URL+"/stacks/infra/app?from=1&to=2", c, nil)
	if a.status != http.StatusOK {
		t.Fatalf("stack page: %d %s", a.status, a.body)
	}
	diff := a.body[strings.Index(a.body, `id="state-diff"`):]
	for _, want := range []string{"aws_instance.web", "instance_type", "small", "large"} {
		if !strings.Contains(diff, want) {
			t.Errorf("state diff lacks %q", want)
		}
	}
	if a := do(t, http.MethodGet, srv.URL+"/stacks/infra/app?from=1&to=9", c, nil); a.status != http.StatusNotFound {
		t.Errorf("diff to an unknown serial: %d, want 404", a.status)
	}
	if a := do(t, http.MethodGet, srv.URL+"/stacks/infra/nope", c, nil); a.status != http.StatusNotFound {
		t.Errorf("unknown stack: %d, want 404", a.status)
	}
}

func TestStackPageRunsArePaged(t *testing.T) {
	srv := runnertest.Serve(t, nil, "infra")
	seedStack(t, srv.Store, 25)
	c := signIn(t, srv.URL, apitest.ViewerToken)
	first := do(t, http.MethodGet, srv.URL+"/stacks/infra/app", c, nil)
	if n := strings.Count(first.body, `href="/runs/`); n != 20 {
		t.Errorf("first page links %d runs, want 20", n)
	}
	i := strings.Index(first.body, "?cursor=")
	if i < 0 {
		t.Fatal("first page has no link to older runs")
	}
	next := first.body[i : i+strings.Index(first.body[i:], `"`)]
	second := do(t, http.MethodGet, srv.URL+"/stacks/infra/app"+strings.ReplaceAll(next, "&amp;", "&"), c, nil)
	if n := strings.Count(second.body, `href="/runs/`); n != 5 {
		t.Errorf("second page links %d runs, want 5", n)
	}
	if !strings.Contains(second.body, "c00") || strings.Contains(second.body, "c24") {
		t.Error("second page: want the oldest runs")
	}
}

func TestStackPageShowsTheApplyGate(t *testing.T) {
	g := runnertest.StartGate(t)
	c := signIn(t, g.URL, apitest.ViewerToken)
	a := do(t, http.MethodGet, g.URL+"/stacks/infra/network", c, nil)
	awaiting := g.Latest("infra", "network", "apply")
	i := strings.Index(a.body, `id="apply-gate"`)
	if i < 0 || !strings.Contains(a.body[i:], awaiting.ID[:12]) || awaiting.Waiting == "" || !strings.Contains(a.body[i:], awaiting.Waiting) {
		t.Fatalf("stack page: want the awaiting apply run and what it waits for (%q)", awaiting.Waiting)
	}
}

func TestOverviewFilters(t *testing.T) {
	g := runnertest.StartGate(t)
	drift(t, g)
	c := signIn(t, g.URL, apitest.ViewerToken)
	for query, want := range map[string][]string{
		"":                           {"infra/database", "infra/network", "platform/dns"},
		"?status=drifted":            {"infra/database"},
		"?repo=platform":             {"platform/dns"},
		"?repo=infra&status=in_sync": {"infra/network"},
	} {
		a := do(t, http.MethodGet, g.URL+"/"+query, c, nil)
		table := a.body[strings.Index(a.body, `id="stacks"`):]
		table = table[:strings.Index(table, "</table>")]
		for _, stack := range []string{"infra/database", "infra/network", "platform/dns"} {
			shown := strings.Contains(table, ">"+stack+"</a>")
			if shown != slices.Contains(want, stack) {
				t.Errorf("overview%s: %s shown %v, want %v", query, stack, shown, !shown)
			}
		}
	}
}
