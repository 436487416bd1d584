package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/driftgate/driftgate/runner/api/apitest"
	"github.com/driftgate/driftgate/runner/apiclient"
	"github.com/driftgate/driftgate/store"
)

// TestLogsCommand follows an apply's log to its end with logs -f, prints
// a finished run's log with logs, and exits like wait.
func TestLogsCommand(t *testing.T) {
	e := newGateCLIEnv(t)
	release := make(chan struct{})
	e.Terraform.ApplyOutput("database", func(w io.Writer) {
		fmt.Fprint(w, "aws_db.main: Modifying...\n")
		<-release
		fmt.Fprint(w, "aws_db.main: Modifications complete after 12s\nApply complete! Resources: 0 added, 1 changed, 0 destroyed.\n")
	})
	apply := e.Latest("infra", "database", "apply")
	if _, err := apiclient.New(e.URL, apitest.ApproverToken).ApproveRun(context.Background(), apply.ID, ""); err != nil {
		t.Fatal(err)
	}
	go func() {
		// Let logs -f connect while the apply runs, then let it end.
		e.WaitRun(apply.ID, store.StatusRunning)
		time.Sleep(200 * time.Millisecond)
		close(release)
	}()
	code, out, errOut := e.cli(t, "logs", shortRunID(apply.ID), "-f")
	want := "aws_db.main: Modifying...\naws_db.main: Modifications complete after 12s\nApply complete! Resources: 0 added, 1 changed, 0 destroyed.\n"
	if code != exitOK || out != want || errOut != "" {
		t.Errorf("logs -f of an apply: exit %d, stdout %q, stderr %q; want 0 and %q", code, out, errOut, want)
	}
	code, out, _ = e.cli(t, "logs", apply.ID)
	if code != exitOK || out != want {
		t.Errorf("logs of a finished apply: exit %d, %q", code, out)
	}

	// A plan with changes: its log, and exit 2 as wait.
	plan := e.Latest("infra", "network", "plan")
	stored, err := e.Store.GetLog(context.Background(), plan.ID)
	if err != nil {
		t.Fatal(err)
	}
	code, out, _ = e.cli(t, "logs", plan.ID, "--follow")
	if code != exitChanges || out != string(stored) {
		t.Errorf("logs -f of a planned run: exit %d, %q; want 2 and %q", code, out, stored)
	}

	const unknown = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
	code, _, errOut = e.cli(t, "logs", unknown, "-f")
	if code != exitError || errOut != `driftgate: run "`+unknown+`" not found; list runs with: driftgate runs`+"\n" {
		t.Errorf("logs -f of an unknown run: exit %d, %q", code, errOut)
	}
}

// TestWaitProgress checks that wait, when stdout is not a terminal,
// prints a line with the time elapsed while the run goes on.
func TestWaitProgress(t *testing.T) {
	e := newGateCLIEnv(t)
	e.Terraform.BlockPlans("network")
	go func() {
		<-e.Terraform.Started()
		time.Sleep(300 * time.Millisecond)
		runs, _, err := e.Store.ListRuns(context.Background(), store.RunFilter{Repo: "infra", Stack: "network", Operation: store.OperationPlan, Limit: 1})
		if err == nil && len(runs) == 1 {
			_, _ = apiclient.New(e.URL, apitest.Token).CancelRun(context.Background(), runs[0].ID)
		}
	}()
	code, out, errOut := e.cli(t, "plan-stack", "infra", "network", "--wait", "--interval", "20ms", "--progress", "50ms")
	if code != exitError || errOut != "" {
		t.Fatalf("plan-stack --wait: exit %d, %q:\n%s", code, errOut, out)
	}
	checkOutput(t, "plan-stack --wait", out, "Waiting for it to finish.\n", " infra/network running for ", " infra/network canceled")
	checkWidth(t, out)
}

// TestAuditCommand lists the audit log as a table and as JSON, with
// filters, and tells a non-admin what is wrong.
func TestAuditCommand(t *testing.T) {
	e := newGateCLIEnv(t)
	ctx := context.Background()
	db := e.Latest("infra", "database", "apply")
	if _, err := apiclient.New(e.URL, apitest.ApproverToken).RejectRun(ctx, db.ID, "not today"); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := e.cli(t, "audit")
	if code != exitOK {
		t.Fatalf("audit: exit %d: %s", code, errOut)
	}
	checkWidth(t, out)
	checkOutput(t, "audit", out, "AGE", "ACTOR", "ACTION", "RESULT", "TARGET", "DETAIL",
		"alice", "reject", "infra/database "+shortRunID(db.ID), "reject of run")

	code, out, _ = e.cli(t, "audit", "--actor", "alice", "--action", "reject", "-o", "json")
	var page struct {
		Entries []store.AuditEntry `json:"entries"`
	}
	if err := json.Unmarshal([]byte(out), &page); err != nil || code != exitOK || len(page.Entries) != 1 ||
		page.Entries[0].RunID != db.ID || page.Entries[0].Action != store.AuditReject {
		t.Errorf("audit --actor alice --action reject -o json: exit %d, %v:\n%s", code, err, out)
	}
	code, out, _ = e.cli(t, "audit", "--actor", "nobody")
	if code != exitOK || out != "No audit entries.\n" {
		t.Errorf("audit --actor nobody: exit %d, %q", code, out)
	}
	code, _, errOut = e.cliAs(t, apitest.ViewerToken, "audit")
	if code != exitError || !strings.Contains(errOut, "admin") {
		t.Errorf("audit as a viewer: exit %d, %q; want it to say it needs admin", code, errOut)
	}
}

// TestShowChanges checks that show prints a plan's attribute-level
// changes, redacted as the server stores them, under the summary.
func TestShowChanges(t *testing.T) {
	e := newGateCLIEnv(t)
	ctx := context.Background()
	planJSON := `{"format_version":"1.2","resource_changes":[
	 {"address":"aws_instance.web","mode":"managed","type":"aws_instance","name":"web","change":{"actions":["update"],
	  "before":{"instance_type":"t3.small","password":"(sensitive)"},"after":{"instance_type":"t3.large","password":"(sensitive)"},
	  "before_sensitive":{"password":true},"after_sensitive":{"password":true},"after_unknown":{}}},
	 {"address":"aws_s3_bucket.logs","mode":"managed","type":"aws_s3_bucket","name":"logs","change":{"actions":["create"],
	  "before":null,"after":{"bucket":"acme-logs"},"after_unknown":{"arn":true},"after_sensitive":{}}}],
	 "resource_drift":[{"address":"aws_instance.web","mode":"managed","type":"aws_instance","name":"web","change":{"actions":["update"],
	  "before":{"ami":"ami-1"},"after":{"ami":"ami-2"},"after_unknown":{},"after_sensitive":{}}}],
	 "output_changes":{"url":{"actions":["update"],"before":"https://a","after":"https://b","after_unknown":false}}}`
	run := &store.Run{Repo: "infra", Stack: "network", Dir: "envs/prod/network", Commit: e.Git["infra"].Head(),
		Trigger: "manual", Operation: store.OperationPlan, Status: store.StatusRunning, StartedAt: time.Now().UTC()}
	if err := e.Store.CreateRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	run.Status, run.FinishedAt = store.StatusPlanned, time.Now().UTC()
	run.Summary = &store.PlanSummary{Add: 1, Change: 1, HasChanges: true}
	if err := e.Store.FinishRun(ctx, run, &store.Plan{JSON: []byte(planJSON)}, []byte("log\n")); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := e.cli(t, "show", run.ID)
	if code != exitOK {
		t.Fatalf("show: exit %d: %s", code, errOut)
	}
	checkWidth(t, out)
	summary, changes, ok := strings.Cut(out, "\nChanges:\n")
	if !ok || !strings.Contains(summary, "Summary:") {
		t.Fatalf("show prints no Changes under the summary:\n%s", out)
	}
	checkOutput(t, "show's changes", changes,
		"  ~ aws_instance.web update\n",
		`      instance_type: "t3.small" -> "t3.large"`,
		"  + aws_s3_bucket.logs create\n",
		`      bucket = "acme-logs"`, "arn = (known after apply)",
		"\nChanged outside Terraform:\n", `      ami: "ami-1" -> "ami-2"`,
		"\nOutputs:\n", `  ~ url: "https://a" -> "https://b"`)
	if strings.Contains(changes, "password") && !strings.Contains(changes, "(sensitive)") {
		t.Errorf("show prints a sensitive attribute's value:\n%s", changes)
	}
}
