package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/driftgate/driftgate/runner/api"
	"github.com/driftgate/driftgate/runner/api/apitest"
	"github.com/driftgate/driftgate/store"
)

// newGateAPIEnv is newAPIEnv with apitest.SeedGate's apply runs and hold.
func newGateAPIEnv(t *testing.T) (*apiEnv, apitest.GateFixture) {
	t.Helper()
	e := newAPIEnv(t)
	return e, apitest.SeedGate(t, e.svc, e.fx)
}

// cliAs runs a client command against the server with token.
func (e *apiEnv) cliAs(t *testing.T, token string, args ...string) (int, string, string) {
	t.Helper()
	return runCLI(t, append(args, "--server", e.url, "--token", token)...)
}

func TestApproveCommand(t *testing.T) {
	e, g := newGateAPIEnv(t)
	id := g.Awaiting.ID
	steps := []struct {
		token    string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{apitest.ViewerToken, nil, exitError, "", `driftgate: token "vera" has role viewer; this needs approver` + "\n"},
		{apitest.ApproverToken, []string{"--comment", "lgtm"}, exitOK,
			"Approved run " + id + " (infra/network) as alice (1 approval);\nwaiting for 1 more approval (1 of 2).\n", ""},
		{apitest.ApproverToken, nil, exitError, "", "driftgate: alice already decided approve on run " + id + "\n"},
		{apitest.DestroyerToken, nil, exitOK,
			"Approved run " + id + " (infra/network) as dave (2 approvals);\nqueued for apply.\nFollow it with: driftgate wait " + id + "\n", ""},
		{apitest.AdminToken, nil, exitError, "", "driftgate: run " + id + " is queued, not awaiting approval\n"},
	}
	for i, s := range steps {
		code, out, errOut := e.cliAs(t, s.token, append([]string{"approve", shortRunID(id)}, s.args...)...)
		if code != s.wantCode || out != s.wantOut || errOut != s.wantErr {
			t.Errorf("step %d: exit %d, stdout %q, stderr %q\nwant %d, %q, %q", i, code, out, errOut, s.wantCode, s.wantOut, s.wantErr)
		}
		checkWidth(t, out)
	}
	calls := e.svc.GateCalls()
	if len(calls) != 4 || calls[0].Principal != apitest.Approver || calls[0].Comment != "lgtm" || calls[0].RunID != id {
		t.Errorf("calls %+v", calls)
	}

	e.svc.FailGate(apitest.MethodApproveRun, fmt.Errorf("dave may not approve a plan that destroys resources: %w", api.ErrForbidden))
	code, _, errOut := e.cli(t, "approve", id)
	if code != exitError || errOut != "driftgate: dave may not approve a plan that destroys resources\n" {
		t.Errorf("forbidden approval: exit %d, %q", code, errOut)
	}
	e.svc.FailGate(apitest.MethodApproveRun, nil)

	run := store.Run{Repo: "infra", Stack: "database", Operation: "apply", Status: store.StatusAwaitingApproval}
	if err := e.svc.Store.CreateRun(t.Context(), &run); err != nil {
		t.Fatal(err)
	}
	code, out, _ := e.cli(t, "approve", run.ID, "-o", "json")
	var got store.Run
	if err := json.Unmarshal([]byte(out), &got); code != exitOK || err != nil || got.Status != store.StatusQueued ||
		len(got.Approvals) != 1 || got.Approvals[0].Approver != api.DefaultTokenName {
		t.Errorf("approve -o json: exit %d, %v:\n%s", code, err, out)
	}
}

func TestRejectCommand(t *testing.T) {
	e, g := newGateAPIEnv(t)
	id := g.Awaiting.ID
	code, out, errOut := e.cliAs(t, apitest.AdminToken, "reject", id, "--comment", "not during the freeze")
	if want := "Rejected run " + id + " (infra/network) as ada.\n"; code != exitOK || out != want || errOut != "" {
		t.Errorf("reject: exit %d, %q %q, want %q", code, out, errOut, want)
	}
	if calls := e.svc.GateCalls(); len(calls) != 1 || calls[0].Method != apitest.MethodRejectRun || calls[0].Comment != "not during the freeze" {
		t.Errorf("calls %+v", calls)
	}
	code, out, _ = e.cli(t, "wait", id)
	if code != exitError || !strings.HasPrefix(out, id+" infra/network rejected") {
		t.Errorf("wait on a rejected run: exit %d %q, want 1", code, out)
	}
	code, _, errOut = e.cli(t, "reject", id)
	if code != exitError || !strings.Contains(errOut, "is rejected, not awaiting approval") {
		t.Errorf("reject twice: exit %d %q", code, errOut)
	}
	code, _, errOut = e.cli(t, "reject")
	if code != exitError || !strings.Contains(errOut, "accepts 1 arg(s), received 0") {
		t.Errorf("reject without a run: exit %d %q", code, errOut)
	}
}

func TestApplyCommand(t *testing.T) {
	e, g := newGateAPIEnv(t)
	code, _, errOut := e.cli(t, "apply", g.Awaiting.ID)
	if code != exitError || !strings.Contains(errOut, "has 0 of the 2 approvals stack infra/network requires") {
		t.Errorf("apply without approvals: exit %d %q", code, errOut)
	}
	e.svc.RequireApprovals("infra", "network", 0)
	code, out, errOut := e.cli(t, "apply", shortRunID(g.Awaiting.ID))
	want := "Queued run " + g.Awaiting.ID + " (infra/network) for apply.\nFollow it with: driftgate wait " + g.Awaiting.ID + "\n"
	if code != exitOK || out != want || errOut != "" {
		t.Errorf("apply: exit %d, %q %q, want %q", code, out, errOut, want)
	}

	tests := []struct {
		script   []store.RunStatus
		wantCode int
		wantOut  string
	}{
		{[]store.RunStatus{store.StatusRunning, store.StatusApplied}, exitOK, " infra/network applied"},
		{[]store.RunStatus{store.StatusErrored}, exitError, " infra/network errored"},
		{[]store.RunStatus{store.StatusRefused}, exitError, " infra/network refused"},
		{[]store.RunStatus{store.StatusRejected}, exitError, " infra/network rejected"},
		{[]store.RunStatus{store.StatusPlanned}, exitChanges, " infra/network planned"},
	}
	for _, tt := range tests {
		run := store.Run{Repo: "infra", Stack: "network", Operation: "apply", Status: store.StatusAwaitingApproval}
		if err := e.svc.Store.CreateRun(t.Context(), &run); err != nil {
			t.Fatal(err)
		}
		e.svc.Script(run.ID, tt.script...)
		code, out, errOut := e.cli(t, "apply", run.ID, "--wait", "--interval", "1ms")
		wantHead := "Queued run " + run.ID + " (infra/network) for apply.\nWaiting for it to finish.\n" + run.ID + tt.wantOut
		if code != tt.wantCode || !strings.HasPrefix(out, wantHead) || errOut != "" {
			t.Errorf("apply --wait (%v): exit %d, %q %q, want %d and %q", tt.script, code, out, errOut, tt.wantCode, wantHead)
		}
	}

	run := store.Run{Repo: "infra", Stack: "network", Operation: "apply", Status: store.StatusAwaitingApproval}
	if err := e.svc.Store.CreateRun(t.Context(), &run); err != nil {
		t.Fatal(err)
	}
	e.svc.Script(run.ID, store.StatusApplied)
	code, out, _ = e.cli(t, "apply", run.ID, "--wait", "--interval", "1ms", "-o", "json")
	var got store.Run
	if err := json.Unmarshal([]byte(out), &got); code != exitOK || err != nil || got.Status != store.StatusApplied {
		t.Errorf("apply --wait -o json: exit %d, %v:\n%s", code, err, out)
	}
	code, _, errOut = e.cli(t, "apply", "01ARZ3NDEKTSV4RRFFQ69G5FAV")
	if code != exitError || !strings.Contains(errOut, `run "01ARZ3NDEKTSV4RRFFQ69G5FAV" not found`) {
		t.Errorf("apply of an unknown run: exit %d %q", code, errOut)
	}
}

func TestShowGate(t *testing.T) {
	e, g := newGateAPIEnv(t)
	id := g.Awaiting.ID
	if code, _, errOut := e.cliAs(t, apitest.ApproverToken, "approve", id, "--comment",
		"checked the plan against the change ticket; the three changes are expected\nand reviewed"); code != exitOK {
		t.Fatalf("approve: %s", errOut)
	}
	code, out, errOut := e.cli(t, "show", id)
	if code != exitOK {
		t.Fatalf("show: exit %d: %s", code, errOut)
	}
	checkWidth(t, out)
	b := g.Awaiting.Binding
	checkOutput(t, "show", out,
		"Status:    awaiting_approval\n",
		"Operation: apply\n",
		"Reason:    needs_approval\n",
		"Waiting:   waiting for 1 more approval (1 of 2)\n",
		"Binding:   plan of run "+e.fx.Planned.ID+" (sha256 "+b.PlanSHA256[:12]+"), commit\n",
		"           0123456, state serial 3 lineage 5f0c1d2e, terraform 1.11.4\n",
		"Approvals:\n  alice approved 0s ago: checked the plan against the change ticket; the three\n    changes are expected and reviewed\n",
		"\nApprove it: driftgate approve "+id+"\nReject it:  driftgate reject "+id+"\n",
	)

	refused := store.Run{
		Repo: "infra", Stack: "network", Operation: "apply", Status: store.StatusRefused, Reason: store.ReasonStaleState,
		Error:     "the state changed since the plan was made",
		Binding:   &store.Binding{PlanRun: e.fx.Planned.ID, PlanSHA256: "abc", Commit: apitest.InfraCommit, Destroys: true},
		Approvals: []store.Approval{{Approver: "bob", Decision: store.DecisionReject, Source: "github", At: e.fx.Planned.FinishedAt}},
	}
	if err := e.svc.Store.CreateRun(t.Context(), &refused); err != nil {
		t.Fatal(err)
	}
	_, out, _ = e.cli(t, "show", refused.ID)
	checkWidth(t, out)
	checkOutput(t, "show refused", out,
		"Status:    refused\n", "Reason:    stale_state\n",
		"(sha256 abc), commit 0123456,\n           no state yet, destroys resources\n",
		"Approvals:\n  bob rejected 2h ago via github\n",
		"Error:\n  the state changed since the plan was made\n",
	)
	if strings.Contains(out, "Waiting:") {
		t.Errorf("show prints an empty Waiting:\n%s", out)
	}
	_, out, _ = e.cli(t, "wait", refused.ID)
	if !strings.HasPrefix(out, refused.ID+" infra/network refused (stale_state): the state changed") {
		t.Errorf("wait on a refused run: %q", out)
	}
	// A plan run shows none of the gate.
	_, out, _ = e.cli(t, "show", e.fx.Planned.ID)
	for _, label := range []string{"Reason:", "Waiting:", "Binding:", "Approvals:", "Approve it:"} {
		if strings.Contains(out, label) {
			t.Errorf("show of a plan run prints %s:\n%s", label, out)
		}
	}
}
