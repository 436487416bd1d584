package api_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/driftgate/driftgate/runner/api"
	"github.com/driftgate/driftgate/runner/api/apitest"
	"github.com/driftgate/driftgate/runner/runnertest"
	"github.com/driftgate/driftgate/store"
)

// env is the daemon's API handler (runnertest.Serve) over a store seeded
// with apitest.Seed's fixture, logging to logs; or, from newCannedEnv, a
// handler over canned answers.
type env struct {
	st   *store.Store
	fx   apitest.Fixture
	h    http.Handler
	logs *bytes.Buffer
}

func newEnv(t *testing.T) *env {
	t.Helper()
	logs := &bytes.Buffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := runnertest.Serve(t, logger, "infra", "platform")
	return &env{st: s.Store, fx: apitest.Seed(t, s.Store), h: s.Handler, logs: logs}
}

// do serves one request with the test token (unless token is "-").
func (e *env) do(t *testing.T, method, target, token string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	switch token {
	case "-":
	case "":
		req.Header.Set("Authorization", "Bearer "+apitest.Token)
	default:
		req.Header.Set("Authorization", token)
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec
}

// errorMessage decodes an error body, failing when it is not one.
func errorMessage(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("error Content-Type = %q, want application/json; body %s", ct, rec.Body)
	}
	var body struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Error == "" {
		t.Fatalf("error body %q is not {\"error\": \"...\"}: %v", rec.Body, err)
	}
	return body.Error
}

func TestHealthAndReady(t *testing.T) {
	c := &apitest.Canned{}
	e := newCannedEnv(t, c)
	tests := []struct {
		path, token string
		notReady    error
		wantStatus  int
		wantBody    string
	}{
		{path: "/healthz", token: "-", wantStatus: 200, wantBody: `{"status":"ok"}`},
		{path: "/healthz", token: "Bearer wrong", wantStatus: 200, wantBody: `{"status":"ok"}`},
		{path: "/readyz", token: "-", wantStatus: 200, wantBody: `{"status":"ready"}`},
		{path: "/readyz", token: "-", notReady: errors.New("watchers not started"), wantStatus: 503,
			wantBody: `{"error":"driftgate is not ready: watchers not started"}`},
		{path: "/healthz", token: "-", notReady: errors.New("watchers not started"), wantStatus: 200, wantBody: `{"status":"ok"}`},
	}
	for _, tt := range tests {
		c.ReadyErr = tt.notReady
		rec := e.do(t, "GET", tt.path, tt.token)
		if got := strings.TrimSpace(rec.Body.String()); rec.Code != tt.wantStatus || got != tt.wantBody {
			t.Errorf("GET %s (not ready: %v) = %d %s, want %d %s", tt.path, tt.notReady, rec.Code, got, tt.wantStatus, tt.wantBody)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("GET %s Content-Type = %q", tt.path, ct)
		}
	}
}

func TestAuthentication(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, header string
		wantStatus   int
		wantMsg      string
	}{
		{"no header", "-", 401, "missing bearer token"},
		{"basic scheme", "Basic dXNlcjpwYXNz", 401, "missing bearer token"},
		{"empty token", "Bearer ", 401, "missing bearer token"},
		{"wrong token", "Bearer nope", 401, "invalid token"},
		{"token prefix", "Bearer " + apitest.Token[:5], 401, "invalid token"},
		{"right token", "", 200, ""},
		{"lowercase scheme", "bearer " + apitest.Token, 200, ""},
	}
	for _, path := range []string{"/api/v1/repos", "/api/v1/runs/" + e.fx.Planned.ID + "/log"} {
		for _, tt := range tests {
			rec := e.do(t, "GET", path, tt.header)
			if rec.Code != tt.wantStatus {
				t.Errorf("%s: GET %s = %d, want %d", tt.name, path, rec.Code, tt.wantStatus)
				continue
			}
			if tt.wantStatus != 401 {
				continue
			}
			if got := rec.Header().Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
				t.Errorf("%s: WWW-Authenticate = %q, want Bearer", tt.name, got)
			}
			if msg := errorMessage(t, rec); !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("%s: message %q lacks %q", tt.name, msg, tt.wantMsg)
			}
		}
	}
	rec := e.do(t, "POST", "/api/v1/runs/"+e.fx.Queued.ID+"/cancel", "Bearer nope")
	if rec.Code != 401 {
		t.Errorf("cancel with a wrong token = %d, want 401", rec.Code)
	}
	if run, _ := e.st.GetRun(t.Context(), e.fx.Queued.ID); run.Status != store.StatusQueued {
		t.Errorf("unauthenticated cancel changed the run to %s", run.Status)
	}
	if strings.Contains(e.logs.String(), apitest.Token) || strings.Contains(e.logs.String(), "nope") {
		t.Errorf("logs contain a token:\n%s", e.logs)
	}
}

func TestReadRoutes(t *testing.T) {
	e := newEnv(t)
	fx := e.fx
	tests := []struct {
		path       string
		wantStatus int
		wantType   string
		wantIn     []string
	}{
		{"/api/v1/repos", 200, "application/json", []string{`"repos":[`, `"name":"infra"`, `"last_error":"fetch origin`}},
		{"/api/v1/stacks", 200, "application/json", []string{`"stacks":[`, `"name":"network"`, `"name":"dns"`}},
		{"/api/v1/stacks?repo=platform", 200, "application/json", []string{`{"stacks":[{"repo":"platform","name":"dns"`}},
		{"/api/v1/runs", 200, "application/json", []string{`"runs":[{"id":"` + fx.Queued.ID, `"next_cursor":""`}},
		{"/api/v1/runs/" + fx.Planned.ID, 200, "application/json", []string{`"id":"` + fx.Planned.ID, `"status":"planned"`, `"add":1`}},
		{"/api/v1/runs/" + fx.Planned.ID + "/plan", 200, "application/json", []string{apitest.PlanJSON}},
		{"/api/v1/runs/" + fx.Planned.ID + "/log", 200, "text/plain; charset=utf-8", []string{apitest.LogText}},
	}
	for _, tt := range tests {
		rec := e.do(t, "GET", tt.path, "")
		if rec.Code != tt.wantStatus {
			t.Errorf("GET %s = %d %s, want %d", tt.path, rec.Code, rec.Body, tt.wantStatus)
			continue
		}
		if ct := rec.Header().Get("Content-Type"); ct != tt.wantType {
			t.Errorf("GET %s Content-Type = %q, want %q", tt.path, ct, tt.wantType)
		}
		for _, want := range tt.wantIn {
			if !strings.Contains(rec.Body.String(), want) {
				t.Errorf("GET %s body lacks %s:\n%s", tt.path, want, rec.Body)
			}
		}
	}
	var page struct {
		Runs []store.Run `json:"runs"`
	}
	rec := e.do(t, "GET", "/api/v1/runs", "")
	if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil || len(page.Runs) != 5 {
		t.Fatalf("runs page: %v, %d runs", err, len(page.Runs))
	}
	if got := page.Runs[4]; got.ID != fx.Planned.ID || got.Summary == nil || got.Summary.Change != 2 {
		t.Errorf("oldest run = %+v, want the planned run with its summary", got)
	}
}

func TestNotFoundAnswers(t *testing.T) {
	e := newEnv(t)
	fx := e.fx
	const unknown = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
	tests := []struct {
		method, path string
		wantMsg      string
	}{
		{"GET", "/api/v1/runs/" + unknown, `run "` + unknown + `" not found; list runs with GET /api/v1/runs`},
		{"GET", "/api/v1/runs/not-a-ulid", `run "not-a-ulid" not found`},
		{"GET", "/api/v1/runs/" + unknown + "/plan", `run "` + unknown + `" not found`},
		{"GET", "/api/v1/runs/" + unknown + "/log", `run "` + unknown + `" not found`},
		{"GET", "/api/v1/runs/" + fx.Running.ID + "/plan", `run "` + fx.Running.ID + `" has no plan yet (it is running); wait for it`},
		{"GET", "/api/v1/runs/" + fx.Queued.ID + "/log", `has no log yet (it is queued)`},
		{"GET", "/api/v1/runs/" + fx.Errored.ID + "/plan", `has no plan (it ended errored); read its log with GET /api/v1/runs/` + fx.Errored.ID + `/log`},
		{"GET", "/api/v1/stacks?repo=nope", `repo "nope" is not configured; list repos with GET /api/v1/repos`},
		{"POST", "/api/v1/stacks/infra/nope/plan", `repo "infra" has no stack "nope" at its last commit; list stacks with GET /api/v1/stacks?repo=infra`},
		{"POST", "/api/v1/runs/" + unknown + "/cancel", `run "` + unknown + `" not found`},
		{"GET", "/api/v2/runs", "no such endpoint /api/v2/runs"},
		{"GET", "/api/", "no such endpoint /api/"},
		{"GET", "/api/v1/runs/", "no such endpoint"},
	}
	for _, tt := range tests {
		rec := e.do(t, tt.method, tt.path, "")
		if rec.Code != 404 {
			t.Errorf("%s %s = %d %s, want 404", tt.method, tt.path, rec.Code, rec.Body)
			continue
		}
		if msg := errorMessage(t, rec); !strings.Contains(msg, tt.wantMsg) {
			t.Errorf("%s %s message %q, want it to contain %q", tt.method, tt.path, msg, tt.wantMsg)
		}
	}
}

func TestMethodNotAllowed(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		method, path, wantAllow string
	}{
		{"POST", "/api/v1/runs", "GET, HEAD"},
		{"DELETE", "/api/v1/runs/" + e.fx.Planned.ID, "GET, HEAD"},
		{"GET", "/api/v1/runs/" + e.fx.Planned.ID + "/cancel", "POST"},
		{"GET", "/api/v1/stacks/infra/network/plan", "POST"},
		{"PUT", "/healthz", "GET, HEAD"},
	}
	for _, tt := range tests {
		rec := e.do(t, tt.method, tt.path, "")
		if rec.Code != 405 || rec.Header().Get("Allow") != tt.wantAllow {
			t.Errorf("%s %s = %d Allow %q, want 405 Allow %q", tt.method, tt.path, rec.Code, rec.Header().Get("Allow"), tt.wantAllow)
			continue
		}
		if msg := errorMessage(t, rec); !strings.Contains(msg, "use "+tt.wantAllow) {
			t.Errorf("%s %s message %q", tt.method, tt.path, msg)
		}
	}
}

// TestRunFilters checks the filter the handler passes the Service for each
// query.
func TestRunFilters(t *testing.T) {
	c := &apitest.Canned{}
	e := newCannedEnv(t, c)
	tests := []struct {
		query string
		want  store.RunFilter
	}{
		{"", store.RunFilter{}},
		{"repo=infra", store.RunFilter{Repo: "infra"}},
		{"repo=infra&stack=network&status=planned&limit=2&cursor=abc", store.RunFilter{Repo: "infra", Stack: "network", Status: store.StatusPlanned, Limit: 2, Cursor: "abc"}},
		{"status=no_changes&limit=500", store.RunFilter{Status: store.StatusNoChanges, Limit: 500}},
		{"repo=my%20repo&status=", store.RunFilter{Repo: "my repo"}},
	}
	for _, tt := range tests {
		before := len(c.Filters())
		e.do(t, "GET", "/api/v1/runs?"+tt.query, "")
		got := c.Filters()
		if len(got) != before+1 {
			t.Errorf("?%s: the service was not asked", tt.query)
			continue
		}
		if got[before] != tt.want {
			t.Errorf("?%s: filter %+v, want %+v", tt.query, got[before], tt.want)
		}
	}
}

func TestRunsPaging(t *testing.T) {
	e := newEnv(t)
	var ids []string
	cursor := ""
	for range 10 {
		rec := e.do(t, "GET", "/api/v1/runs?limit=2&cursor="+cursor, "")
		var page struct {
			Runs       []store.Run `json:"runs"`
			NextCursor string      `json:"next_cursor"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil {
			t.Fatalf("page: %v: %s", err, rec.Body)
		}
		for _, r := range page.Runs {
			ids = append(ids, r.ID)
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	fx := e.fx
	want := []string{fx.Queued.ID, fx.Running.ID, fx.Errored.ID, fx.NoChanges.ID, fx.Planned.ID}
	if fmt.Sprint(ids) != fmt.Sprint(want) {
		t.Errorf("paged ids %v, want %v", ids, want)
	}
}

func TestBadRequests(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		query, wantMsg string
	}{
		{"status=done", `unknown run status "done": use one of queued, running, planned`},
		{"status=PLANNED", `unknown run status "PLANNED"`},
		{"limit=0", `limit "0" is not a whole number from 1 to 500`},
		{"limit=-3", `limit "-3"`},
		{"limit=ten", `limit "ten"`},
		{"limit=501", `limit "501"`},
		{"limit=1.5", `limit "1.5"`},
		{"staus=planned", `unknown query parameter "staus": /api/v1/runs accepts repo, stack, status, limit, cursor`},
		{"repo=a&repo=b", `query parameter "repo" is given 2 times`},
		{"repo=%zz", "malformed query string"},
		{"cursor=%21%21", "invalid argument"}, // the store refuses the cursor
	}
	for _, tt := range tests {
		rec := e.do(t, "GET", "/api/v1/runs?"+tt.query, "")
		if rec.Code != 400 {
			t.Errorf("?%s = %d %s, want 400", tt.query, rec.Code, rec.Body)
			continue
		}
		if msg := errorMessage(t, rec); !strings.Contains(msg, tt.wantMsg) {
			t.Errorf("?%s message %q, want it to contain %q", tt.query, msg, tt.wantMsg)
		}
	}
	if rec := e.do(t, "GET", "/api/v1/stacks?rep=infra", ""); rec.Code != 400 {
		t.Errorf("stacks with an unknown parameter = %d, want 400", rec.Code)
	}
}

func TestServiceErrorMapping(t *testing.T) {
	tests := []struct {
		err        error
		wantStatus int
		wantMsg    string
	}{
		{fmt.Errorf("repo %q is not configured; list repos with GET /api/v1/repos: %w", "x", api.ErrNotFound), 404, `^repo "x" is not configured; list repos with GET /api/v1/repos$`},
		{api.ErrNotFound, 404, `^run "%s" not found; list runs with GET /api/v1/runs$`},
		{fmt.Errorf("get run: %w", store.ErrNotFound), 404, `^run "%s" not found; list runs with GET /api/v1/runs$`},
		{fmt.Errorf("run is being applied; cancel the apply instead: %w", api.ErrConflict), 409, "^run is being applied; cancel the apply instead$"},
		{fmt.Errorf("wrapped: %w", api.ErrConflict), 409, "^wrapped$"},
		{api.ErrConflict, 409, `^run "%s": conflict$`},
		{fmt.Errorf("bad id: %w", api.ErrBadRequest), 400, "^bad id$"},
		{fmt.Errorf("list: %w", store.ErrInvalid), 400, "^list: invalid argument$"},
		{errors.New("open /var/lib/driftgate/secret.db: permission denied"), 500, "^internal error; the driftgate server log has the details$"},
	}
	const id = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
	for _, tt := range tests {
		e := newCannedEnv(t, &apitest.Canned{Err: tt.err})
		want := tt.wantMsg
		if strings.Contains(want, "%s") {
			want = fmt.Sprintf(want, id)
		}
		wantRE := regexp.MustCompile(want)
		for _, req := range []struct{ method, path string }{
			{"GET", "/api/v1/runs/" + id},
			{"POST", "/api/v1/runs/" + id + "/cancel"},
		} {
			rec := e.do(t, req.method, req.path, "")
			if rec.Code != tt.wantStatus {
				t.Errorf("%v: %s %s = %d, want %d", tt.err, req.method, req.path, rec.Code, tt.wantStatus)
				continue
			}
			if msg := errorMessage(t, rec); !wantRE.MatchString(msg) {
				t.Errorf("%v: %s %s message %q, want %q", tt.err, req.method, req.path, msg, want)
			}
		}
		if rec := e.do(t, "GET", "/api/v1/repos", ""); rec.Code != tt.wantStatus {
			t.Errorf("%v: GET /api/v1/repos = %d, want %d", tt.err, rec.Code, tt.wantStatus)
		}
		if tt.wantStatus == 500 {
			if !strings.Contains(e.logs.String(), "permission denied") || !strings.Contains(e.logs.String(), "level=ERROR") {
				t.Errorf("the cause of a 500 is not logged at error level:\n%s", e.logs)
			}
		}
	}
}

func TestRequestLogging(t *testing.T) {
	e := newEnv(t)
	e.do(t, "GET", "/api/v1/repos", "")
	e.do(t, "GET", "/healthz", "-")
	e.do(t, "GET", "/api/v1/runs/nope", "")
	e.do(t, "POST", "/api/v1/stacks/infra/net/plan", "")
	logs := e.logs.String()
	for _, want := range []string{
		// Successful reads are polled: debug. Changes and refusals: info.
		`level=DEBUG msg="http request" method=GET path=/api/v1/repos status=200 duration=`,
		"principal=default",
		`level=DEBUG msg="http request" method=GET path=/healthz status=200`,
		`level=INFO msg="http request" method=GET path=/api/v1/runs/nope status=404`,
		`level=INFO msg="http request" method=POST path=/api/v1/stacks/infra/net/plan status=`,
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, apitest.Token) {
		t.Errorf("logs contain the token")
	}
}

func TestNewHandlerNilService(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("NewHandler(nil, ...) did not panic")
		}
	}()
	api.NewHandler(nil, api.StaticToken("x"), nil)
}
