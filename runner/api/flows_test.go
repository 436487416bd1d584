package api_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/driftgate/driftgate/planner/analysis"
	"github.com/driftgate/driftgate/runner/api"
	"github.com/driftgate/driftgate/runner/api/apitest"
	"github.com/driftgate/driftgate/runner/api/apiv1"
	"github.com/driftgate/driftgate/store"
)

// TestTriggerPlan queues a plan through the real daemon, which runs it and
// opens its apply run.
func TestTriggerPlan(t *testing.T) {
	e := newGateEnv(t)
	rec := e.send(t, "POST", "/api/v1/stacks/infra/network/plan", "", "")
	if rec.Code != 202 {
		t.Fatalf("trigger = %d %s, want 202", rec.Code, rec.Body)
	}
	run := decodeRun(t, rec)
	head := e.d.Git["infra"].Head()
	if run.Status != store.StatusQueued || run.Operation != store.OperationPlan || run.Trigger != "manual" || run.Commit != head ||
		run.Attrs[store.AttrTriggeredBy] != api.DefaultTokenName {
		t.Errorf("triggered run %+v", run)
	}
	if got, want := rec.Header().Get("Location"), "/api/v1/runs/"+run.ID; got != want {
		t.Errorf("Location %q, want %q", got, want)
	}
	e.d.WaitRun(run.ID, store.StatusPlanned)
	e.d.Settle()
	if apply := e.d.Latest("infra", "network", "apply"); apply.Binding == nil || apply.Binding.PlanRun != run.ID {
		t.Errorf("the plan opened no apply run: %+v", apply)
	}
	rec = e.send(t, "POST", "/api/v1/stacks/infra/nope/plan", "", "")
	if msg := errorMessage(t, rec); rec.Code != 404 || msg != `repo "infra" has no stack "nope" at its last commit; list stacks with GET /api/v1/stacks?repo=infra` {
		t.Errorf("trigger of an unknown stack = %d %q", rec.Code, msg)
	}
}

// TestTriggerBeforeFetch asks for a plan and a drift check of a stack
// whose repo the daemon has not fetched yet: a conflict it explains.
func TestTriggerBeforeFetch(t *testing.T) {
	e := newEnv(t) // runnertest.Serve: nothing is ever fetched
	for _, path := range []string{"/api/v1/stacks/infra/network/plan", "/api/v1/stacks/infra/network/drift-check"} {
		rec := e.do(t, "POST", path, "")
		if msg := errorMessage(t, rec); rec.Code != 409 || msg != `repo "infra" has not been fetched yet; see its status with GET /api/v1/repos` {
			t.Errorf("POST %s = %d %q, want 409", path, rec.Code, msg)
		}
	}
}

// TestCancelRun cancels a queued run, a running one and finished ones
// through the real daemon.
func TestCancelRun(t *testing.T) {
	e := newGateEnv(t)
	e.d.Terraform.BlockPlans("network")
	trigger := func() store.Run {
		t.Helper()
		rec := e.send(t, "POST", "/api/v1/stacks/infra/network/plan", "", "")
		if rec.Code != 202 {
			t.Fatalf("trigger = %d %s", rec.Code, rec.Body)
		}
		return decodeRun(t, rec)
	}
	running := trigger()
	<-e.d.Terraform.Started()
	queued := trigger() // waits: its stack is busy
	finished := e.d.Latest("infra", "database", "plan")
	awaiting := e.d.Latest("infra", "database", "apply")

	tests := []struct {
		id         string
		wantStatus int
		wantRun    store.RunStatus
		wantMsg    string
	}{
		{queued.ID, 200, store.StatusCanceled, ""},
		{queued.ID, 409, "", `run "` + queued.ID + `" already finished (canceled); nothing to cancel`},
		{finished.ID, 409, "", `run "` + finished.ID + `" already finished (planned); nothing to cancel`},
		{e.awaiting.ID, 409, "", `run "` + e.awaiting.ID + `" already finished (superseded); nothing to cancel`}, // by the manual plans
		{awaiting.ID, 409, "", `run "` + awaiting.ID + `" awaits approval and has not started; reject it with ` + "`driftgate reject " + awaiting.ID + "`" + ` instead`},
		{running.ID, 200, store.StatusRunning, ""},
	}
	for _, tt := range tests {
		rec := e.send(t, "POST", "/api/v1/runs/"+tt.id+"/cancel", "", "")
		if rec.Code != tt.wantStatus {
			t.Errorf("cancel %s = %d %s, want %d", tt.id, rec.Code, rec.Body, tt.wantStatus)
			continue
		}
		if tt.wantStatus != 200 {
			if msg := errorMessage(t, rec); msg != tt.wantMsg {
				t.Errorf("cancel %s message %q, want %q", tt.id, msg, tt.wantMsg)
			}
			continue
		}
		if run := decodeRun(t, rec); run.Status != tt.wantRun {
			t.Errorf("cancel %s: run %s, want %s", tt.id, run.Status, tt.wantRun)
		}
	}
	if r := e.d.WaitRun(running.ID, store.StatusCanceled, store.StatusErrored, store.StatusInterrupted); r.Status != store.StatusCanceled {
		t.Errorf("the interrupted plan ended %s: %s", r.Status, r.Error)
	}
}

// TestCheckDrift queues drift checks through the real daemon and reads the
// drift state each leaves.
func TestCheckDrift(t *testing.T) {
	e := newGateEnv(t)
	rec := e.send(t, "POST", "/api/v1/stacks/infra/network/drift-check", "", "")
	if rec.Code != 202 {
		t.Fatalf("drift-check = %d %s, want 202", rec.Code, rec.Body)
	}
	run := decodeRun(t, rec)
	if run.Status != store.StatusQueued || run.Operation != store.OperationDrift || run.Trigger != "manual" ||
		run.Commit != e.d.Git["infra"].Head() || run.Attrs[store.AttrTriggeredBy] != api.DefaultTokenName {
		t.Errorf("queued check %+v", run)
	}
	if got, want := rec.Header().Get("Location"), "/api/v1/runs/"+run.ID; got != want {
		t.Errorf("Location %q, want %q", got, want)
	}
	e.d.WaitRun(run.ID, store.StatusPlanned, store.StatusNoChanges, store.StatusErrored)

	rec = e.send(t, "POST", "/api/v1/stacks/infra/nope/drift-check", "", "")
	if msg := errorMessage(t, rec); rec.Code != 404 || msg != `repo "infra" has no stack "nope" at its last commit; list stacks with GET /api/v1/stacks?repo=infra` {
		t.Errorf("drift-check of an unknown stack = %d %q", rec.Code, msg)
	}

	// What a check leaves, as the daemon records it.
	tf := e.d.Terraform
	web := analysis.ResourceChange{Address: "aws_instance.web", Mode: "managed", Type: "aws_instance", Name: "web", Action: "update", Kind: "changed",
		Attributes: []analysis.AttributeChange{{Path: "instance_type", Before: "t3.small", After: "t3.large"}}}
	tests := []struct {
		name  string
		setup func()
		want  string
	}{
		{"drifted", func() { tf.Drift("network", web) }, "drifted 1"},
		{"in sync", func() { tf.Drift("network"); tf.NoChanges("network") }, "in_sync 0"},
		{"errored", func() { tf.FailPlans("network", fmt.Errorf("provider crashed")) }, "errored 0"},
	}
	for _, tt := range tests {
		tt.setup()
		rec := e.send(t, "POST", "/api/v1/stacks/infra/network/drift-check", "", "")
		check := decodeRun(t, rec)
		e.d.WaitRun(check.ID, store.StatusPlanned, store.StatusNoChanges, store.StatusErrored)
		e.d.Settle()
		rec = e.send(t, "GET", "/api/v1/stacks/infra/network/drift", "", "")
		var v apiv1.StackDrift
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil || rec.Code != 200 {
			t.Fatalf("%s: GET drift = %d %s", tt.name, rec.Code, rec.Body)
		}
		if got := fmt.Sprintf("%s %d", v.Status, v.Open); got != tt.want || v.RunID != check.ID {
			t.Errorf("%s: drift %s (run %s), want %s (run %s)", tt.name, got, v.RunID, tt.want, check.ID)
		}
	}
}

// TestAuditRecordsActions checks the audit log end to end: what principals
// ask the daemon for and what the handler refuses them, read back by an
// admin.
func TestAuditRecordsActions(t *testing.T) {
	e := newGateEnv(t)
	approver := "Bearer " + apitest.ApproverToken
	rec := e.send(t, "POST", "/api/v1/stacks/infra/network/plan", approver, "")
	if rec.Code != 202 {
		t.Fatalf("trigger = %d %s", rec.Code, rec.Body)
	}
	run := decodeRun(t, rec)
	e.d.WaitRun(run.ID, store.StatusPlanned)
	e.d.Settle()
	finished := e.d.Latest("infra", "database", "plan")
	e.send(t, "POST", "/api/v1/runs/"+finished.ID+"/cancel", approver, "") // finished: refused by the daemon
	e.send(t, "GET", "/api/v1/audit", approver, "")                        // refused by the handler
	e.send(t, "POST", "/api/v1/runs/"+run.ID+"/cancel", "Bearer nope", "") // unauthenticated: not recorded

	rec = e.send(t, "GET", "/api/v1/audit", "Bearer "+apitest.AdminToken, "")
	var page struct {
		Entries []store.AuditEntry `json:"entries"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, en := range page.Entries {
		if en.Actor != store.AuditActor {
			got = append(got, strings.Join([]string{en.Actor, string(en.Action), en.Repo, en.Stack, en.RunID, string(en.Result)}, " "))
		}
	}
	want := []string{
		"alice read-audit    refused",
		"alice plan infra network " + run.ID + " ok",
	}
	if !slices.Equal(got, want) {
		t.Errorf("audit log:\n got %q\nwant %q", got, want)
	}
}
