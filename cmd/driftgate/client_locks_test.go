package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/driftgate/driftgate/runner/api/apitest"
	"github.com/driftgate/driftgate/runner/api/apiv1"
	"github.com/driftgate/driftgate/runner/runnertest"
	"github.com/driftgate/driftgate/store"
)

func TestLocksCommand(t *testing.T) {
	e := newGateCLIEnv(t)
	e.Terraform.BlockApplies("database")
	db := e.Latest("infra", "database", "apply")
	if code, _, errOut := e.cli(t, "approve", db.ID); code != exitOK {
		t.Fatalf("approve: %s", errOut)
	}
	<-e.Terraform.Started()
	defer e.cli(t, "cancel", db.ID)

	code, out, errOut := e.cli(t, "locks")
	if code != exitOK {
		t.Fatalf("locks: exit %d: %s", code, errOut)
	}
	checkWidth(t, out)
	want := "REPO      STACK     STATE    RUN         SINCE\n" +
		"infra     database  running  " + shortRunID(db.ID) + "  0s\n" +
		"platform  dns       held     " + shortRunID(e.Hold.RunID) + "  0s\n" +
		"  apply run " + e.Hold.RunID + " was cut off by a shutdown; the state may\n" +
		"  be half written\n" +
		"  terraform state lock " + runnertest.LockID + " left behind; clear\n" +
		"  it with:\n" +
		"    terraform force-unlock -force " + runnertest.LockID + "\n"
	if out != want {
		t.Errorf("locks:\n%s\nwant:\n%s", out, want)
	}

	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--repo", "infra"}, "REPO   STACK     STATE    RUN         SINCE\ninfra  database  running  " + shortRunID(db.ID) + "  0s\n"},
	}
	for _, tt := range tests {
		code, out, errOut := e.cli(t, append([]string{"locks"}, tt.args...)...)
		if code != exitOK || out != tt.want || errOut != "" {
			t.Errorf("locks %v: exit %d, %q %q, want %q", tt.args, code, out, errOut, tt.want)
		}
	}
	code, out, _ = e.cli(t, "locks", "-o", "json")
	var body struct {
		Locks []apiv1.StackLock `json:"locks"`
	}
	if err := json.Unmarshal([]byte(out), &body); code != exitOK || err != nil || len(body.Locks) != 2 ||
		body.Locks[1].Hold == nil || body.Locks[1].Hold.Lock.Command == "" {
		t.Errorf("locks -o json: exit %d, %v:\n%s", code, err, out)
	}
	code, _, errOut = e.cli(t, "locks", "--repo", "nope")
	if code != exitError || !strings.Contains(errOut, `repo "nope" is not configured`) {
		t.Errorf("locks --repo nope: exit %d %q", code, errOut)
	}
}

// TestLocksCommandNone lists the locks of a daemon where no stack is
// locked.
func TestLocksCommandNone(t *testing.T) {
	d := runnertest.Start(t, runnertest.Repo{Name: "fresh"})
	for _, tt := range []struct {
		args []string
		want string
	}{
		{nil, "No stacks are locked.\n"},
		{[]string{"--repo", "fresh", "-o", "json"}, "{\n  \"locks\": []\n}\n"},
	} {
		code, out, errOut := runCLI(t, append(append([]string{"locks"}, tt.args...), "--server", d.URL, "--token", apitest.Token)...)
		if code != exitOK || out != tt.want || errOut != "" {
			t.Errorf("locks %v: exit %d, %q %q, want %q", tt.args, code, out, errOut, tt.want)
		}
	}
}

// TestLocksLayout checks the notes under held stacks: a stack both running
// and held gets two rows, a short command shares its line, a hold without
// a lock has only its reason.
func TestLocksLayout(t *testing.T) {
	now := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	const runA, runB = "01JAAAAAAAAAAAAAAAAAAAAAAA", "01JBBBBBBBBBBBBBBBBBBBBBBB"
	locks := []apiv1.StackLock{
		{Repo: "infra", Stack: "network",
			Holder: &apiv1.LockHolder{RunID: runA, Operation: "plan", Since: now.Add(-30 * time.Second)},
			Hold: &apiv1.Hold{RunID: runB, Reason: "cut off", Since: now.Add(-3 * time.Hour),
				Lock: &apiv1.StateLock{ID: "42", Command: "terraform force-unlock -force 42"}}},
		{Repo: "infra", Stack: "dns", Hold: &apiv1.Hold{RunID: runB, Reason: "crashed\nmid-apply", Since: now.Add(-50 * time.Hour)}},
		{Repo: "infra", Stack: "cdn", Hold: &apiv1.Hold{Since: now, Lock: &apiv1.StateLock{ID: "7"}}},
	}
	var out strings.Builder
	if err := writeLocks(&out, locks, now); err != nil {
		t.Fatal(err)
	}
	want := "REPO   STACK    STATE    RUN         SINCE\n" +
		"infra  network  running  AAAAAAAAAA  30s\n" +
		"infra  network  held     BBBBBBBBBB  3h\n" +
		"  cut off\n" +
		"  terraform state lock 42 left behind; clear it with:\n" +
		"    terraform force-unlock -force 42\n" +
		"infra  dns      held     BBBBBBBBBB  2d\n" +
		"  crashed mid-apply\n" +
		"infra  cdn      held     -           0s\n" +
		"  terraform state lock 7 left behind.\n"
	if got := out.String(); got != want {
		t.Errorf("writeLocks:\n%s\nwant:\n%s", got, want)
	}
}

func TestReleaseCommand(t *testing.T) {
	e := newGateCLIEnv(t)
	code, _, errOut := e.cliAs(t, apitest.ApproverToken, "release", "platform", "dns")
	if code != exitError || errOut != `driftgate: token "alice" has role approver; this needs admin`+"\n" {
		t.Errorf("release as an approver: exit %d %q", code, errOut)
	}
	code, out, errOut := e.cliAs(t, apitest.AdminToken, "release", "platform", "dns", "--comment", "checked the state; lock cleared")
	if code != exitOK {
		t.Fatalf("release: exit %d: %s", code, errOut)
	}
	checkWidth(t, out)
	entries, _, err := e.Store.ListAudit(t.Context(), store.AuditFilter{Action: store.AuditRelease})
	if err != nil || len(entries) != 2 || entries[0].Actor != apitest.Admin || entries[1].Result != store.AuditRefused ||
		entries[0].Detail != "released the hold of run "+e.Hold.RunID+": checked the state; lock cleared" {
		t.Errorf("release in the audit log: %+v, %v", entries, err)
	}
	plan := e.Latest("platform", "dns", "plan")
	if plan.Trigger != "release" || plan.Attrs[store.AttrTriggeredBy] != apitest.Admin {
		t.Fatalf("queued plan: %+v", plan)
	}
	want := "Released platform/dns, held for 0s: apply run " + e.Hold.RunID + " was cut\n" +
		"off by a shutdown; the state may be half written.\n" +
		"It left terraform state lock " + runnertest.LockID + " behind; if it\n" +
		"is still there, clear it with:\n" +
		"  terraform force-unlock -force " + runnertest.LockID + "\n" +
		"Queued plan run " + plan.ID + " at " + plan.Commit[:7] + ".\n" +
		"Follow it with: driftgate wait " + plan.ID + "\n"
	if out != want {
		t.Errorf("release:\n%s\nwant:\n%s", out, want)
	}

	code, _, errOut = e.cli(t, "release", "platform", "dns")
	if code != exitError || errOut != "driftgate: stack dns of repo platform is not held; see holds with: driftgate locks\n" {
		t.Errorf("release of a free stack: exit %d %q", code, errOut)
	}
	e.WaitRun(plan.ID, store.StatusPlanned)
	e.Settle()
	if err := e.Store.HoldStack(t.Context(), &e.Hold); err != nil {
		t.Fatal(err)
	}
	code, out, _ = e.cli(t, "release", "platform", "dns", "-o", "json")
	var rel apiv1.Release
	if err := json.Unmarshal([]byte(out), &rel); code != exitOK || err != nil || rel.Released.RunID != e.Hold.RunID {
		t.Errorf("release -o json: exit %d, %v:\n%s", code, err, out)
	}
	code, _, errOut = e.cli(t, "release", "infra", "nope")
	if code != exitError || !strings.Contains(errOut, `repo "infra" has no stack "nope" at its last commit`) {
		t.Errorf("release of an unknown stack: exit %d %q", code, errOut)
	}
}
