package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/driftgate/driftgate/runner/api/apitest"
	"github.com/driftgate/driftgate/runner/runnertest"
	"github.com/driftgate/driftgate/store"
)

const xss = `<script>alert("x")</script>`

// seedXSS stores a repo, a stack, a drifted stack's findings and a
// finished run whose every user-controlled text is xss.
func seedXSS(t *testing.T, st *store.Store) *store.Run {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	if err := st.PutRepo(ctx, &store.RepoRecord{Name: "infra", Status: "ok", LastCommit: "abc", LastError: xss}); err != nil {
		t.Fatal(err)
	}
	stack := "web" + xss
	if err := st.PutStack(ctx, &store.StackRecord{Repo: "infra", Name: stack, Dir: xss, Attrs: map[store.AttrKey]string{store.AttrDependsOn: xss}}); err != nil {
		t.Fatal(err)
	}
	run := &store.Run{Repo: "infra", Stack: stack, Commit: "abc", Trigger: "manual", Operation: store.OperationPlan,
		Status: store.StatusQueued, CreatedAt: now}
	if err := st.CreateRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	run.Status, run.Error, run.StartedAt, run.FinishedAt = store.StatusErrored, xss, now, now
	plan := &store.Plan{RunID: run.ID, JSON: []byte(`{}`), Text: []byte("plan " + xss),
		Analysis: []byte(`{"summary":{},"changes":[{"address":"x.y","mode":"managed","type":"x","name":"y","action":"update","attributes":[{"path":"tags","before":"` + `\u003cscript\u003ebefore` + `","after":"<script>after"}]}],"drift":[]}`)}
	if err := st.FinishRun(ctx, run, plan, []byte("log "+xss)); err != nil {
		t.Fatal(err)
	}
	err := st.RecordDriftCheck(ctx, &store.StackDrift{Repo: "infra", Stack: stack, Status: store.DriftDrifted, CheckedAt: now, RunID: run.ID, Open: 1},
		[]store.DriftFinding{{ID: "f1", Repo: "infra", Stack: stack, Address: "x.y" + xss, Kind: "modified", Cause: xss,
			Attributes: []store.DriftAttribute{{Path: "tags", Before: xss, After: "after" + xss}}, FirstSeen: now, LastSeen: now}})
	if err != nil {
		t.Fatal(err)
	}
	return run
}

func TestUserControlledTextStaysText(t *testing.T) {
	srv := runnertest.Serve(t, nil, "infra")
	run := seedXSS(t, srv.Store)
	c := signIn(t, srv.URL, apitest.Token)
	for _, path := range []string{
		"/", "/runs/" + run.ID, "/stacks/infra/" + url.PathEscape(run.Stack), "/audit?actor=" + url.QueryEscape(xss),
	} {
		a := do(t, http.MethodGet, srv.URL+path, c, nil)
		if a.status != http.StatusOK {
			t.Errorf("GET %s: %d %s", path, a.status, a.body)
			continue
		}
		if strings.Contains(a.body, "<script>") {
			t.Errorf("GET %s: a <script> tag went through unescaped", path)
		}
		if path != "/audit?actor="+url.QueryEscape(xss) && !strings.Contains(a.body, "&lt;script&gt;") {
			t.Errorf("GET %s: the escaped text is missing", path)
		}
	}
	page := do(t, http.MethodGet, srv.URL+"/runs/"+run.ID, c, nil)
	for _, want := range []string{`<table class="diff">`, "<code>tags</code>", "&lt;script&gt;before", "&lt;script&gt;after", "plan &lt;script&gt;", "log &lt;script&gt;"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("run page lacks %q: the attribute changes, plan text and log", want)
		}
	}
	overview := do(t, http.MethodGet, srv.URL+"/", c, nil)
	if !strings.Contains(overview.body, "s-drifted") || !strings.Contains(overview.body, "1 drifted") && !strings.Contains(overview.body, "drifted</span> 1") {
		t.Error("overview: want the drifted stack and the count of drifted stacks")
	}
}
