package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/driftgate/driftgate/runner/api/apitest"
	"github.com/driftgate/driftgate/runner/runnertest"
	"github.com/driftgate/driftgate/store"
)

// apiEnv is a driftgate API server over a seeded fake service.
type apiEnv struct {
	url string
	st  *store.Store
	fx  apitest.Fixture
}

func newAPIEnv(t *testing.T) *apiEnv {
	t.Helper()
	s := runnertest.Serve(t, nil, "infra", "platform")
	return &apiEnv{url: s.URL, st: s.Store, fx: apitest.Seed(t, s.Store)}
}

// newDaemonAPIEnv is an apiEnv served by a running daemon
// (runnertest.StartGate) over its store seeded with apitest.SeedFinished's
// fixture (it would start a queued run).
func newDaemonAPIEnv(t *testing.T) *apiEnv {
	t.Helper()
	g := runnertest.StartGate(t)
	return &apiEnv{url: g.URL, st: g.Store, fx: apitest.SeedFinished(t, g.Store)}
}

// cli runs a client command against the server with the right token.
func (e *apiEnv) cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runCLI(t, append(args, "--server", e.url, "--token", apitest.Token)...)
}

// checkWidth fails for lines wider than 80 columns.
func checkWidth(t *testing.T, out string) {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if n := utf8.RuneCountInString(line); n > 80 {
			t.Errorf("line of %d columns: %q", n, line)
		}
	}
}

// checkOutput fails unless out contains every string of want.
func checkOutput(t *testing.T, what, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, out)
		}
	}
}

func TestReposCommand(t *testing.T) {
	e := newAPIEnv(t)
	code, out, errOut := e.cli(t, "repos")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	checkWidth(t, out)
	checkOutput(t, "repos", out, "NAME", "LAST ERROR", "infra", "main", "synced", "0123456 ", "platform", "fetch origin: authentication", "…")
	// The table cuts the error; below it, it is shown whole.
	_, below, _ := strings.Cut(out, "\nLast errors:\n  platform:\n    fetch origin: authentication required:")
	checkOutput(t, "errors below the table", below, "git.example.com "+strings.Repeat("x", 40)+"\n")
	if strings.Contains(out, "infra:") {
		t.Errorf("repos lists an error for infra, which has none:\n%s", out)
	}
	if strings.Contains(out, apitest.InfraCommit) {
		t.Errorf("repos shows whole commits:\n%s", out)
	}

	code, out, _ = e.cli(t, "repos", "-o", "json")
	var body struct {
		Repos []store.RepoRecord `json:"repos"`
	}
	if err := json.Unmarshal([]byte(out), &body); code != exitOK || err != nil || len(body.Repos) != 2 {
		t.Errorf("repos -o json: exit %d, %v:\n%s", code, err, out)
	}
}

func TestStacksCommand(t *testing.T) {
	e := newAPIEnv(t)
	code, out, errOut := e.cli(t, "stacks")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	checkWidth(t, out)
	checkOutput(t, "stacks", out, "REPO", "STACK", "DIR", "envs/prod/network", "database", "platform")

	code, out, _ = e.cli(t, "stacks", "--repo", "platform")
	if code != exitOK || strings.Contains(out, "network") || !strings.Contains(out, "dns") {
		t.Errorf("stacks --repo platform: exit %d:\n%s", code, out)
	}
	code, _, errOut = e.cli(t, "stacks", "--repo", "nope")
	if code != exitError || !strings.Contains(errOut, `repo "nope" is not configured; list repos with: driftgate repos`) {
		t.Errorf("stacks --repo nope: exit %d: %s", code, errOut)
	}
	code, out, _ = e.cli(t, "stacks", "-o", "json", "--repo", "platform")
	var body struct {
		Stacks []store.StackRecord `json:"stacks"`
	}
	if err := json.Unmarshal([]byte(out), &body); code != exitOK || err != nil || len(body.Stacks) != 1 {
		t.Errorf("stacks -o json: exit %d, %v:\n%s", code, err, out)
	}
}

func TestRunsCommand(t *testing.T) {
	e := newAPIEnv(t)
	code, out, errOut := e.cli(t, "runs")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	checkWidth(t, out)
	fx := e.fx
	checkOutput(t, "runs", out,
		"ID", "REPO/STACK", "STATUS", "TRIGGER", "COMMIT", "AGE", "SUMMARY",
		shortRunID(fx.Planned.ID)+"  infra/network", "planned", "+1 ~2 -0", "0123456", "3h",
		"platform/dns", "errored", "queued", "no_changes  schedule")
	if lines := strings.Count(out, "\n"); lines != 6 {
		t.Errorf("runs printed %d lines, want a header and 5 runs:\n%s", lines, out)
	}

	args := []string{"runs", "--repo", "infra", "--stack", "network", "--status", "planned", "--limit", "3"}
	code, out, _ = e.cli(t, args...)
	canned := &apitest.Canned{}
	runCLI(t, append(args, "--server", apitest.NewServer(t, canned).URL, "--token", apitest.Token)...)
	want := store.RunFilter{Repo: "infra", Stack: "network", Status: store.StatusPlanned, Limit: 3}
	if got := canned.Filters(); code != exitOK || len(got) != 1 || got[0] != want {
		t.Errorf("filtered runs: exit %d, filters %+v, want %+v", code, got, want)
	}
	if strings.Count(out, "\n") != 2 {
		t.Errorf("filtered runs:\n%s", out)
	}

	code, out, _ = e.cli(t, "runs", "--limit", "2")
	if code != exitOK || !strings.Contains(out, "More runs: add --cursor ") {
		t.Errorf("runs --limit 2 has no next page hint:\n%s", out)
	}
	code, out, _ = e.cli(t, "runs", "--status", "planned", "-o", "json")
	var page struct {
		Runs       []store.Run `json:"runs"`
		NextCursor *string     `json:"next_cursor"`
	}
	if err := json.Unmarshal([]byte(out), &page); code != exitOK || err != nil || len(page.Runs) != 1 ||
		page.Runs[0].ID != fx.Planned.ID || page.NextCursor == nil {
		t.Errorf("runs -o json: exit %d, %v:\n%s", code, err, out)
	}

	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"--status", "done"}, `unknown run status "done": use one of queued, running`},
		{[]string{"--limit", "-1"}, `limit "-1" is not a whole number from 1 to 500`},
		{[]string{"-o", "yaml"}, `unknown output format "yaml"`},
	}
	for _, tt := range tests {
		code, _, errOut := e.cli(t, append([]string{"runs"}, tt.args...)...)
		if code != exitError || !strings.Contains(errOut, tt.wantErr) {
			t.Errorf("runs %v: exit %d, stderr %q, want 1 and %q", tt.args, code, errOut, tt.wantErr)
		}
	}
	code, out, _ = e.cli(t, "runs", "--repo", "empty")
	if code != exitOK || out != "No runs.\n" {
		t.Errorf("no runs: exit %d %q", code, out)
	}
}

func TestRunsCommandLongCells(t *testing.T) {
	e := newAPIEnv(t)
	long := strings.Repeat("very-long-stack-name-", 4)
	if err := e.st.CreateRun(t.Context(), &store.Run{
		Repo: "infra", Stack: long, Commit: apitest.InfraCommit, Trigger: "a-very-long-trigger-name",
		Summary: &store.PlanSummary{Add: 1000, Change: 2000, Destroy: 3000, Replace: 4000},
	}); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := e.cli(t, "runs")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	checkWidth(t, out)
	checkOutput(t, "runs", out, "infra/very-lo…", "a-very-long…", "+1000 ~2000…", "infra/network  ", "infra/database  ")
}

func TestClientConnectionErrors(t *testing.T) {
	e := newAPIEnv(t)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	t.Setenv(envServer, "")
	t.Setenv(envToken, "")

	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"server down", []string{"repos", "--server", closed.URL, "--token", "x"},
			"driftgate: cannot reach driftgate at " + closed.URL + ": is `driftgate serve` running? (set --server or DRIFTGATE_ADDR)\n"},
		{"wrong token", []string{"runs", "--server", e.url, "--token", "wrong"},
			"driftgate: the server rejected the token: set --token or DRIFTGATE_TOKEN\n"},
		{"no token", []string{"runs", "--server", e.url},
			"driftgate: the server requires a token: set --token or DRIFTGATE_TOKEN\n"},
		{"unknown run", []string{"show", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "--server", e.url, "--token", apitest.Token},
			`driftgate: run "01ARZ3NDEKTSV4RRFFQ69G5FAV" not found; list runs with: driftgate runs` + "\n"},
	}
	for _, tt := range tests {
		code, out, errOut := runCLI(t, tt.args...)
		if code != exitError || errOut != tt.wantErr || out != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q, want 1 and %q", tt.name, code, out, errOut, tt.wantErr)
		}
	}

	code, _, errOut := cannedCLI(t, &apitest.Canned{Err: fmt.Errorf("bolt: disk I/O error on /var/lib/driftgate")}, "repos")
	if code != exitError || errOut != "driftgate: internal error; the driftgate server log has the details\n" {
		t.Errorf("server failure: exit %d, %q", code, errOut)
	}
}

func TestClientEnvironment(t *testing.T) {
	e := newAPIEnv(t)
	t.Setenv(envServer, strings.TrimPrefix(e.url, "http://")) // a bare host:port
	t.Setenv(envToken, apitest.Token)
	code, out, errOut := runCLI(t, "repos")
	if code != exitOK || !strings.Contains(out, "infra") {
		t.Errorf("repos from the environment: exit %d: %s%s", code, out, errOut)
	}
	// Flags win over the environment.
	code, _, errOut = runCLI(t, "repos", "--token", "wrong")
	if code != exitError || !strings.Contains(errOut, "rejected the token") {
		t.Errorf("--token over DRIFTGATE_TOKEN: exit %d: %s", code, errOut)
	}
	// --help must not print the token from the environment.
	_, out, _ = runCLI(t, "repos", "--help")
	if strings.Contains(out, apitest.Token) {
		t.Errorf("--help prints the token:\n%s", out)
	}
}
