package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/driftgate/driftgate/runner/api"
	"github.com/driftgate/driftgate/runner/api/apitest"
	"github.com/driftgate/driftgate/runner/runnertest"
	"github.com/driftgate/driftgate/store"
)

// gateCLIEnv is the real daemon of runnertest.StartGate for the client
// commands.
type gateCLIEnv struct {
	*runnertest.Gate
}

func newGateCLIEnv(t *testing.T) *gateCLIEnv {
	t.Helper()
	return &gateCLIEnv{runnertest.StartGate(t)}
}

// cli runs a client command against the daemon as the admin test token.
func (e *gateCLIEnv) cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return e.cliAs(t, apitest.Token, args...)
}

// cliAs runs a client command against the daemon with token.
func (e *gateCLIEnv) cliAs(t *testing.T, token string, args ...string) (int, string, string) {
	t.Helper()
	return runCLI(t, append(args, "--server", e.URL, "--token", token)...)
}

// cannedCLI runs a client command against a server whose Service answers
// canned: run, or err.
func cannedCLI(t *testing.T, c *apitest.Canned, args ...string) (int, string, string) {
	t.Helper()
	return runCLI(t, append(args, "--server", apitest.NewServer(t, c).URL, "--token", apitest.Token)...)
}

func TestApproveCommand(t *testing.T) {
	e := newGateCLIEnv(t)
	id := e.Awaiting.ID
	steps := []struct {
		token    string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{apitest.ViewerToken, nil, exitError, "", `driftgate: token "vera" has role viewer; this needs approver` + "\n"},
		{apitest.ApproverToken, []string{"--comment", "lgtm"}, exitOK,
			"Approved run " + id + " (infra/network) as alice (1 approval); 1\nof 2 approvals; needs 1 more.\n", ""},
		{apitest.ApproverToken, nil, exitError, "", "driftgate: run " + id + " is already approved by alice\n"},
		{apitest.DestroyerToken, nil, exitOK,
			"Approved run " + id + " (infra/network) as dave (2 approvals);\nqueued for apply.\nFollow it with: driftgate wait " + id + "\n", ""},
	}
	for i, s := range steps {
		code, out, errOut := e.cliAs(t, s.token, append([]string{"approve", shortRunID(id)}, s.args...)...)
		if code != s.wantCode || out != s.wantOut || errOut != s.wantErr {
			t.Errorf("step %d: exit %d, stdout %q, stderr %q\nwant %d, %q, %q", i, code, out, errOut, s.wantCode, s.wantOut, s.wantErr)
		}
		checkWidth(t, out)
	}
	run := e.WaitRun(id, store.StatusApplied, store.StatusErrored, store.StatusRefused)
	if run.Status != store.StatusApplied || len(run.Approvals) != 2 || run.Approvals[0].Comment != "lgtm" {
		t.Errorf("run after the approvals: %s %+v", run.Status, run.Approvals)
	}
	code, _, errOut := e.cliAs(t, apitest.AdminToken, "approve", id)
	if want := "driftgate: run " + id + " is applied, not awaiting approval\n"; code != exitError || errOut != want {
		t.Errorf("approve an applied run: exit %d %q, want %q", code, errOut, want)
	}

	code, _, errOut = cannedCLI(t, &apitest.Canned{Err: fmt.Errorf("dave may not approve a plan that destroys resources: %w", api.ErrForbidden)}, "approve", id)
	if code != exitError || errOut != "driftgate: dave may not approve a plan that destroys resources\n" {
		t.Errorf("forbidden approval: exit %d, %q", code, errOut)
	}

	db := e.Latest("infra", "database", "apply")
	code, out, _ := e.cli(t, "approve", db.ID, "-o", "json")
	var got store.Run
	if err := json.Unmarshal([]byte(out), &got); code != exitOK || err != nil || got.Status != store.StatusQueued ||
		len(got.Approvals) != 1 || got.Approvals[0].Approver != api.DefaultTokenName {
		t.Errorf("approve -o json: exit %d, %v:\n%s", code, err, out)
	}
}

func TestRejectCommand(t *testing.T) {
	e := newGateCLIEnv(t)
	id := e.Awaiting.ID
	code, out, errOut := e.cliAs(t, apitest.AdminToken, "reject", id, "--comment", "not during the freeze")
	if want := "Rejected run " + id + " (infra/network) as ada.\n"; code != exitOK || out != want || errOut != "" {
		t.Errorf("reject: exit %d, %q %q, want %q", code, out, errOut, want)
	}
	if r := e.WaitRun(id, store.StatusRejected); len(r.Approvals) != 1 || r.Approvals[0].Comment != "not during the freeze" {
		t.Errorf("decisions %+v", r.Approvals)
	}
	code, out, _ = e.cli(t, "wait", id)
	if code != exitError || !strings.HasPrefix(out, id+" infra/network rejected") {
		t.Errorf("wait on a rejected run: exit %d %q, want 1", code, out)
	}
	code, _, errOut = e.cli(t, "reject", id)
	if code != exitError || !strings.Contains(errOut, "is rejected (rejected by ada: not during the freeze), not awaiting approval or queued") {
		t.Errorf("reject twice: exit %d %q", code, errOut)
	}
	code, _, errOut = e.cli(t, "reject")
	if code != exitError || !strings.Contains(errOut, "accepts 1 arg(s), received 0") {
		t.Errorf("reject without a run: exit %d %q", code, errOut)
	}
}

func TestApplyCommand(t *testing.T) {
	e := newGateCLIEnv(t)
	id := e.Awaiting.ID
	code, _, errOut := e.cli(t, "apply", id)
	if code != exitError || !strings.Contains(errOut, "run "+id+" has 0 of the 2 approvals stack network requires; approve it with `driftgate approve "+id+"`") {
		t.Errorf("apply without approvals: exit %d %q", code, errOut)
	}
	code, _, errOut = e.cli(t, "apply", "01ARZ3NDEKTSV4RRFFQ69G5FAV")
	if code != exitError || !strings.Contains(errOut, `run "01ARZ3NDEKTSV4RRFFQ69G5FAV" not found`) {
		t.Errorf("apply of an unknown run: exit %d %q", code, errOut)
	}

	// What apply prints, and how --wait exits, for each end of the run.
	const queued = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
	c := &apitest.Canned{Answer: &store.Run{ID: queued, Repo: "infra", Stack: "network", Operation: "apply", Status: store.StatusQueued}}
	code, out, errOut := cannedCLI(t, c, "apply", queued)
	want := "Queued run " + queued + " (infra/network) for apply.\nFollow it with: driftgate wait " + queued + "\n"
	if code != exitOK || out != want || errOut != "" {
		t.Errorf("apply: exit %d, %q %q, want %q", code, out, errOut, want)
	}
	tests := []struct {
		status   store.RunStatus
		wantCode int
		wantOut  string
	}{
		{store.StatusApplied, exitOK, " infra/network applied"},
		{store.StatusErrored, exitError, " infra/network errored"},
		{store.StatusRefused, exitError, " infra/network refused"},
		{store.StatusRejected, exitError, " infra/network rejected"},
		{store.StatusPlanned, exitChanges, " infra/network planned"},
	}
	for _, tt := range tests {
		c.Later = &store.Run{ID: queued, Repo: "infra", Stack: "network", Operation: "apply", Status: tt.status}
		code, out, errOut := cannedCLI(t, c, "apply", queued, "--wait", "--interval", "1ms")
		wantHead := "Queued run " + queued + " (infra/network) for apply.\nWaiting for it to finish.\n" + queued + tt.wantOut
		if code != tt.wantCode || !strings.HasPrefix(out, wantHead) || errOut != "" {
			t.Errorf("apply --wait (%s): exit %d, %q %q, want %d and %q", tt.status, code, out, errOut, tt.wantCode, wantHead)
		}
	}
	c.Later.Status = store.StatusApplied
	code, out, _ = cannedCLI(t, c, "apply", queued, "--wait", "--interval", "1ms", "-o", "json")
	var got store.Run
	if err := json.Unmarshal([]byte(out), &got); code != exitOK || err != nil || got.Status != store.StatusApplied {
		t.Errorf("apply --wait -o json: exit %d, %v:\n%s", code, err, out)
	}
}

func TestShowGate(t *testing.T) {
	e := newGateCLIEnv(t)
	id := e.Awaiting.ID
	if code, _, errOut := e.cliAs(t, apitest.ApproverToken, "approve", id, "--comment",
		"checked the plan against the change ticket; the three changes are expected\nand reviewed"); code != exitOK {
		t.Fatalf("approve: %s", errOut)
	}
	code, out, errOut := e.cli(t, "show", id)
	if code != exitOK {
		t.Fatalf("show: exit %d: %s", code, errOut)
	}
	checkWidth(t, out)
	b := e.Awaiting.Binding
	checkOutput(t, "show", out,
		"Status:    awaiting_approval\n",
		"Operation: apply\n",
		"Reason:    needs_approval\n",
		"Waiting:   1 of 2 approvals; needs 1 more\n",
		"Binding:   plan of run "+b.PlanRun+" (sha256 "+b.PlanSHA256[:12]+"), commit\n",
		"           "+b.Commit[:7]+", no state yet, terraform 1.11.4\n",
		"Approvals:\n  alice approved 0s ago: checked the plan against the change ticket; the three\n    changes are expected and reviewed\n",
		"\nApprove it: driftgate approve "+id+"\nReject it:  driftgate reject "+id+"\n",
	)

	// A refused run as the store keeps it.
	plan := e.Latest("infra", "network", "plan")
	refused := store.Run{
		Repo: "infra", Stack: "network", Commit: plan.Commit, Operation: "apply", Status: store.StatusRefused, Reason: store.ReasonStaleState,
		Error:     "the state changed since the plan was made",
		Binding:   &store.Binding{PlanRun: plan.ID, PlanSHA256: "abc", Commit: plan.Commit, Destroys: true},
		Approvals: []store.Approval{{Approver: "bob", Decision: store.DecisionReject, Source: "github", At: time.Now().Add(-2 * time.Hour)}},
	}
	if err := e.Store.CreateRun(t.Context(), &refused); err != nil {
		t.Fatal(err)
	}
	_, out, _ = e.cli(t, "show", refused.ID)
	checkWidth(t, out)
	checkOutput(t, "show refused", out,
		"Status:    refused\n", "Reason:    stale_state\n",
		"(sha256 abc), commit "+plan.Commit[:7]+",\n           no state yet, destroys resources\n",
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
	_, out, _ = e.cli(t, "show", plan.ID)
	for _, label := range []string{"Reason:", "Waiting:", "Binding:", "Approvals:", "Approve it:"} {
		if strings.Contains(out, label) {
			t.Errorf("show of a plan run prints %s:\n%s", label, out)
		}
	}
}
