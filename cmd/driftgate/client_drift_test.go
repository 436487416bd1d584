package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/driftgate/driftgate/planner/analysis"
	"github.com/driftgate/driftgate/runner/api/apitest"
	"github.com/driftgate/driftgate/runner/api/apiv1"
	"github.com/driftgate/driftgate/runner/apiclient"
	"github.com/driftgate/driftgate/runner/runnertest"
	"github.com/driftgate/driftgate/store"
)

// newDriftAPIEnv is newDaemonAPIEnv with apitest.SeedDrift's records.
func newDriftAPIEnv(t *testing.T) (*apiEnv, apitest.DriftFixture) {
	t.Helper()
	e := newDaemonAPIEnv(t)
	return e, apitest.SeedDrift(t, e.st, e.fx)
}

func TestDriftCommand(t *testing.T) {
	e, _ := newDriftAPIEnv(t)
	code, out, errOut := e.cli(t, "drift")
	if code != exitOK {
		t.Fatalf("drift: exit %d: %s", code, errOut)
	}
	checkWidth(t, out)
	checkOutput(t, "drift", out,
		"REPO/STACK      STATUS   OPEN  ACCEPTED  CHECKED  COMMIT\n",
		"infra/database  in_sync  0     0         1h       0123456\n",
		"infra/network   drifted  1     1         10m      0123456\n",
		"platform/cdn    unknown  -     -         -        -\n",
		"platform/dns    errored  0     0         1h       fedcba9\n")
	if lines := strings.Count(out, "\n"); lines != 5 {
		t.Errorf("drift printed %d lines, want a header and 4 stacks:\n%s", lines, out)
	}

	tests := []struct {
		args     []string
		wantCode int
		wantOut  string
	}{
		{[]string{"--exit-code"}, exitChanges, "infra/network"},
		{[]string{"--repo", "infra", "--exit-code"}, exitChanges, "infra/database"},
		{[]string{"--repo", "platform", "--exit-code"}, exitOK, "platform/dns"},
		{[]string{"--repo", "platform"}, exitOK, "platform/cdn"},
		{[]string{"--repo", "infra"}, exitOK, "infra/network"},
		{[]string{"--exit-code", "-o", "json"}, exitChanges, `"status": "drifted"`},
	}
	for _, tt := range tests {
		code, out, errOut := e.cli(t, append([]string{"drift"}, tt.args...)...)
		if code != tt.wantCode || !strings.Contains(out, tt.wantOut) || errOut != "" {
			t.Errorf("drift %v: exit %d, %q %q, want %d and %q", tt.args, code, out, errOut, tt.wantCode, tt.wantOut)
		}
	}

	code, out, _ = e.cli(t, "drift", "-o", "json", "--repo", "infra")
	var body struct {
		Stacks []apiv1.StackDrift `json:"stacks"`
	}
	if err := json.Unmarshal([]byte(out), &body); code != exitOK || err != nil || len(body.Stacks) != 2 ||
		body.Stacks[1].Status != apiv1.DriftDrifted || len(body.Stacks[1].Findings) != 2 {
		t.Errorf("drift -o json: exit %d, %v:\n%s", code, err, out)
	}

	errs := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"--repo", "nope"}, `repo "nope" is not configured; list repos with: driftgate repos`},
		{[]string{"nope"}, `unknown command "nope" for "driftgate drift"`},
		{[]string{"-o", "yaml"}, `unknown output format "yaml"`},
	}
	for _, tt := range errs {
		code, _, errOut := e.cli(t, append([]string{"drift"}, tt.args...)...)
		if code != exitError || !strings.Contains(errOut, tt.wantErr) {
			t.Errorf("drift %v: exit %d, %q, want 1 and %q", tt.args, code, errOut, tt.wantErr)
		}
	}

	bare := runnertest.Start(t, runnertest.Repo{Name: "bare"})
	code, out, _ = runCLI(t, "drift", "--repo", "bare", "--exit-code", "--server", bare.URL, "--token", apitest.Token)
	if code != exitOK || out != "No stacks.\n" {
		t.Errorf("drift of a repo without stacks: exit %d %q", code, out)
	}
}

func TestDriftShowCommand(t *testing.T) {
	e, d := newDriftAPIEnv(t)
	code, out, errOut := e.cli(t, "drift", "show", "infra", "network")
	if code != exitOK {
		t.Fatalf("drift show: exit %d: %s", code, errOut)
	}
	checkWidth(t, out)
	want := `Stack:      infra/network
Status:     drifted (1 open, 1 accepted)
Last check: 10m ago, run ` + d.Check.ID + `, commit 0123456

Open findings (2):
~ aws_security_group.web  changed  out_of_band
  first seen 1h ago, last seen 10m ago, accepted by ignore_drift
  aws_security_group.* tags
    tags.team: null -> "edge"
~ aws_instance.web  changed  out_of_band  first seen 2h ago, last seen 10m ago
    instance_type: "t3.small" -> "t3.large"
    tags: {"env":"prod"} -> {"env":"prod","owner":"ops"}
    user_data: (sensitive value) -> (sensitive value)

Resolved findings (2, newest first):
~ aws_route53_record.www  changed  out_of_band
  first seen 5h ago, resolved 10m ago
    ttl: 300 -> 60
- aws_s3_bucket.logs  deleted  out_of_band  first seen 2d ago, resolved 24h ago
`
	if out != want {
		t.Errorf("drift show infra network:\n%s\nwant:\n%s", out, want)
	}

	tests := []struct {
		args    []string
		want    []string
		notWant string
	}{
		{[]string{"infra", "network", "--history", "0"}, []string{"Open findings (2):"}, "Resolved"},
		{[]string{"infra", "network", "--history", "1"}, []string{"Resolved findings (1, newest first):", "aws_route53_record.www"}, "aws_s3_bucket.logs"},
		{[]string{"infra", "database"}, []string{"Status:     in_sync\n", "Last check: 1h ago, run " + e.fx.NoChanges.ID, "\nNo open findings.\n"}, "Error"},
		{[]string{"platform", "cdn"}, []string{"Status:     unknown (never checked)\nLast check: never\n\nCheck it now: driftgate drift check platform cdn\n"}, "findings"},
		{[]string{"platform", "dns"}, []string{"Status:     errored\n", "commit fedcba9\nError:\n  terraform init: Error: Failed to query", "\n\n  Could not retrieve", "No open findings."}, ""},
	}
	for _, tt := range tests {
		code, out, errOut := e.cli(t, append([]string{"drift", "show"}, tt.args...)...)
		if code != exitOK {
			t.Errorf("drift show %v: exit %d: %s", tt.args, code, errOut)
			continue
		}
		checkWidth(t, out)
		checkOutput(t, "drift show "+strings.Join(tt.args, " "), out, tt.want...)
		if tt.notWant != "" && strings.Contains(out, tt.notWant) {
			t.Errorf("drift show %v shows %q:\n%s", tt.args, tt.notWant, out)
		}
	}

	code, out, _ = e.cli(t, "drift", "show", "infra", "network", "-o", "json", "--history", "1")
	var v apiv1.StackDrift
	if err := json.Unmarshal([]byte(out), &v); code != exitOK || err != nil || v.RunID != d.Check.ID || len(v.Findings) != 3 {
		t.Errorf("drift show -o json: exit %d, %v:\n%s", code, err, out)
	}

	errs := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"infra", "nope"}, `repo "infra" has no stack "nope" at its last commit; list stacks with: driftgate stacks --repo infra`},
		{[]string{"infra", "network", "--history", "501"}, "--history 501 is out of range: give 0 to 500"},
		{[]string{"infra", "network", "--history", "-1"}, "--history -1 is out of range: give 0 to 500"},
		{[]string{"infra"}, "accepts 2 arg(s), received 1"},
	}
	for _, tt := range errs {
		code, _, errOut := e.cli(t, append([]string{"drift", "show"}, tt.args...)...)
		if code != exitError || !strings.Contains(errOut, tt.wantErr) {
			t.Errorf("drift show %v: exit %d, %q, want 1 and %q", tt.args, code, errOut, tt.wantErr)
		}
	}
}

// TestDriftShowLongValues checks that long addresses, paths, values, rules
// and errors stay within 80 columns and that sensitive values never print.
func TestDriftShowLongValues(t *testing.T) {
	e, _ := newDriftAPIEnv(t)
	ctx := t.Context()
	st := e.st
	if err := st.PutStack(ctx, &store.StackRecord{Repo: "infra", Name: "long"}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	address := `module.network.module.vpc["eu-west-1"].aws_subnet.private_application_tier["eu-west-1a-very-long-zone-name"]`
	big := map[string]any{}
	for _, k := range []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"} {
		big[k] = strings.Repeat(k, 3)
	}
	finding := store.DriftFinding{
		ID: "01JAAAAAAAAAAAAAAAAAAAAAAA", Address: address, Kind: "changed", Cause: "out_of_band",
		Accepted: true, Rule: strings.Repeat("a very long rule text ", 6),
		FirstSeen: now.Add(-time.Hour), LastSeen: now,
		Attributes: []store.DriftAttribute{
			{Path: "tags", Before: big, After: map[string]any{"owner": "<ops & sre>"}},
			{Path: "user_data", Before: "hunter2-secret", After: nil, Sensitive: true},
			{Path: "ingress[0].cidr_blocks[3].description.this.is.a.deeply.nested.path.name", Before: 1.5, After: true},
			{Path: "description", Before: strings.Repeat("x", 200), After: strings.Repeat("y", 20)},
		},
	}
	if err := st.RecordDriftCheck(ctx, &store.StackDrift{
		Repo: "infra", Stack: "long", Status: store.DriftErrored, CheckedAt: now, RunID: e.fx.Planned.ID,
		Commit: apitest.InfraCommit, Error: strings.Repeat("terraform plan failed badly ", 10) + "\nsecond line", Accepted: 1,
	}, []store.DriftFinding{finding}); err != nil {
		t.Fatal(err)
	}
	if err := st.RecordApplied(ctx, "infra", "long", store.AppliedInfo{RunID: e.fx.Planned.ID, Commit: apitest.InfraCommit, At: now.Add(-72 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := e.cli(t, "drift", "show", "infra", "long")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	checkWidth(t, out)
	checkOutput(t, "drift show infra long", out,
		"~ module.network.mod…ier[\"eu-west-1a-very-long-zone-name\"]  changed  out_of_band\n",
		"\n  first seen 1h ago, last seen ", "s ago, accepted by a very long rule text",
		`    tags: {"alpha":"alphaalphaalpha",`, `-> {"owner":"<ops & sre>"}`,
		"    user_data: (sensitive value) -> null\n",
		"    ingress[0].ci….a.deeply.nested.path.name: 1.5 -> true\n",
		`    description: "xxxx`, "xxx… -> \"yyyyyyyyyyyyyyyyyyyy\"\n",
		"Last apply: 3d ago, run "+e.fx.Planned.ID+", commit 0123456\n",
		"Error:\n  terraform plan failed", "\n  second line\n")
	if strings.Contains(out, "hunter2") {
		t.Errorf("drift show prints a sensitive value:\n%s", out)
	}

	code, out, _ = e.cli(t, "drift")
	checkWidth(t, out)
	if code != exitOK || !strings.Contains(out, "infra/long      errored  0     1") {
		t.Errorf("drift with an errored stack: exit %d:\n%s", code, out)
	}
}

// TestDriftCheckCommand checks stacks through the real daemon: what
// drift check prints, and the drift state each outcome leaves.
func TestDriftCheckCommand(t *testing.T) {
	e := newGateCLIEnv(t)
	infra, platform := e.Git["infra"].Head()[:7], e.Git["platform"].Head()[:7]
	code, out, errOut := e.cli(t, "drift", "check", "infra", "network")
	if code != exitOK {
		t.Fatalf("drift check: exit %d: %s", code, errOut)
	}
	checkOutput(t, "drift check", out, "Queued drift check run ", " of infra/network at "+infra+".\nFollow it with: driftgate wait ")
	checkWidth(t, out)
	e.Settle()

	tf := e.Terraform
	web := analysis.ResourceChange{Address: "aws_instance.web", Mode: "managed", Type: "aws_instance", Name: "web", Action: "update", Kind: "changed",
		Attributes: []analysis.AttributeChange{{Path: "instance_type", Before: "t3.small", After: "t3.large"}}}
	tests := []struct {
		name, repo, stack string
		setup             func()
		wantCode          int
		want              []string
	}{
		{"drifted", "infra", "network", func() { tf.Drift("network", web) }, exitChanges, []string{
			"Waiting for it to finish.\n", " infra/network planned",
			"\ninfra/network drifted (1 open), checked ", "s ago at " + infra + "\n"}},
		{"in sync", "infra", "network", func() { tf.Drift("network"); tf.NoChanges("network") }, exitOK, []string{
			" infra/network no_changes", "\ninfra/network in_sync, checked ", "s ago at " + infra + "\n"}},
		{"errored", "platform", "dns", func() { tf.FailPlans("dns", errors.New("provider crashed")) }, exitError, []string{
			" platform/dns errored", "\nplatform/dns errored, checked ", "s ago at " + platform + ": "}},
	}
	for _, tt := range tests {
		tt.setup()
		code, out, errOut := e.cli(t, "drift", "check", tt.repo, tt.stack, "--wait", "--interval", "1ms")
		if code != tt.wantCode || errOut != "" {
			t.Errorf("drift check --wait (%s): exit %d, %q, want %d:\n%s", tt.name, code, errOut, tt.wantCode, out)
		}
		checkWidth(t, out)
		checkOutput(t, "drift check --wait ("+tt.name+")", out, tt.want...)
		e.Settle()
	}

	// A check canceled while it runs records no drift state.
	tf.FailPlans("dns", nil)
	tf.BlockPlans("dns")
	go func() {
		<-tf.Started()
		runs, _, err := e.Store.ListRuns(context.Background(), store.RunFilter{Repo: "platform", Stack: "dns", Operation: store.OperationDrift, Limit: 1})
		if err == nil && len(runs) == 1 {
			_, _ = apiclient.New(e.URL, apitest.Token).CancelRun(context.Background(), runs[0].ID)
		}
	}()
	code, out, errOut = e.cli(t, "drift", "check", "platform", "dns", "--wait", "--interval", "1ms")
	if code != exitError || errOut != "" {
		t.Errorf("drift check --wait (canceled): exit %d, %q:\n%s", code, errOut, out)
	}
	checkOutput(t, "drift check --wait (canceled)", out, " platform/dns canceled", "\nplatform/dns errored, checked ",
		"The check recorded no drift state; this is the state of an earlier check.\n")

	tf.Drift("network", web)
	tf.NoChanges("network") // drift only: the check still plans nothing to change
	code, out, _ = e.cli(t, "drift", "check", "infra", "network", "--wait", "--interval", "1ms", "-o", "json")
	var both struct {
		Run   apiv1.Run        `json:"run"`
		Drift apiv1.StackDrift `json:"drift"`
	}
	if err := json.Unmarshal([]byte(out), &both); err != nil || both.Run.Operation != apiv1.OperationDrift ||
		both.Drift.RunID != both.Run.ID || both.Drift.Status != apiv1.DriftDrifted {
		t.Errorf("drift check --wait -o json: exit %d, %v:\n%s", code, err, out)
	}
	code, out, _ = e.cli(t, "drift", "check", "infra", "network", "-o", "json")
	var run apiv1.Run
	if err := json.Unmarshal([]byte(out), &run); code != exitOK || err != nil || run.Status != apiv1.StatusQueued || run.Trigger != "manual" {
		t.Errorf("drift check -o json: exit %d, %v:\n%s", code, err, out)
	}
	code, _, errOut = e.cli(t, "drift", "check", "infra", "nope")
	if code != exitError || !strings.Contains(errOut, `repo "infra" has no stack "nope" at its last commit`) {
		t.Errorf("drift check of an unknown stack: exit %d, %q", code, errOut)
	}
}

func TestAttrValue(t *testing.T) {
	tests := []struct {
		v         any
		sensitive bool
		want      string
	}{
		{"small", false, `"small"`},
		{nil, false, "null"},
		{nil, true, "null"},
		{300.0, false, "300"},
		{"(sensitive value)", false, "(sensitive value)"},
		{"hunter2", true, "(sensitive value)"},
		{map[string]any{"b": 1.0, "a": "<x>&"}, false, `{"a":"<x>&","b":1}`},
		{[]any{"a\nb", true}, false, `["a\nb",true]`},
	}
	for _, tt := range tests {
		if got := attrValue(tt.v, tt.sensitive); got != tt.want {
			t.Errorf("attrValue(%#v, %v) = %s, want %s", tt.v, tt.sensitive, got, tt.want)
		}
	}
}

func TestFitPair(t *testing.T) {
	tests := []struct {
		a, b    string
		n       int
		wantA   string
		wantB   string
		wantMax int
	}{
		{"abc", "def", 10, "abc", "def", 6},
		{"ab", strings.Repeat("x", 20), 10, "ab", "xxxxxxx…", 10},
		{strings.Repeat("x", 20), "ab", 10, "xxxxxxx…", "ab", 10},
		{strings.Repeat("x", 20), strings.Repeat("y", 20), 10, "xxxx…", "yyyy…", 10},
		{strings.Repeat("x", 20), strings.Repeat("y", 20), 2, "xxxx…", "yyyy…", 10}, // at least minCell each
	}
	for _, tt := range tests {
		a, b := fitPair(tt.a, tt.b, tt.n)
		if a != tt.wantA || b != tt.wantB || utf8.RuneCountInString(a+b) > tt.wantMax {
			t.Errorf("fitPair(%q, %q, %d) = %q, %q, want %q, %q", tt.a, tt.b, tt.n, a, b, tt.wantA, tt.wantB)
		}
	}
}

func TestCutMiddle(t *testing.T) {
	tests := []struct {
		s    string
		n    int
		want string
	}{
		{"aws_instance.web", 20, "aws_instance.web"},
		{"module.a.module.b.aws_instance.web", 20, "module…_instance.web"},
		{"abcdefghij", 5, "a…hij"},
		{"abcdefghij", 2, "a…"},
		{"ééééééééé", 4, "é…éé"},
	}
	for _, tt := range tests {
		got := cutMiddle(tt.s, tt.n)
		if got != tt.want || utf8.RuneCountInString(got) > max(tt.n, utf8.RuneCountInString(tt.s)) {
			t.Errorf("cutMiddle(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
	}
}

func TestDriftState(t *testing.T) {
	tests := []struct {
		sd   apiv1.StackDrift
		want string
	}{
		{apiv1.StackDrift{Status: apiv1.DriftUnknown}, "unknown (never checked)"},
		{apiv1.StackDrift{}, "unknown (never checked)"},
		{apiv1.StackDrift{Status: apiv1.DriftInSync}, "in_sync"},
		{apiv1.StackDrift{Status: apiv1.DriftInSync, Accepted: 2}, "in_sync (2 accepted)"},
		{apiv1.StackDrift{Status: apiv1.DriftDrifted, Open: 3}, "drifted (3 open)"},
		{apiv1.StackDrift{Status: apiv1.DriftPendingChanges}, "pending_changes (0 open)"},
		{apiv1.StackDrift{Status: apiv1.DriftErrored, Open: 1, Accepted: 1}, "errored (1 open, 1 accepted)"},
	}
	for _, tt := range tests {
		if got := driftState(&tt.sd); got != tt.want {
			t.Errorf("driftState(%+v) = %q, want %q", tt.sd, got, tt.want)
		}
	}
}

func TestFindingWhen(t *testing.T) {
	now := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		f    apiv1.DriftFinding
		want string
	}{
		{apiv1.DriftFinding{FirstSeen: now.Add(-3 * time.Hour), LastSeen: now.Add(-2 * time.Minute)}, "first seen 3h ago, last seen 2m ago"},
		{apiv1.DriftFinding{FirstSeen: now.Add(-3 * time.Hour), LastSeen: now, ResolvedAt: now.Add(-5 * time.Minute)}, "first seen 3h ago, resolved 5m ago"},
		{apiv1.DriftFinding{LastSeen: now, Accepted: true, Rule: "tags"}, "last seen 0s ago, accepted by tags"},
		{apiv1.DriftFinding{Accepted: true}, "accepted"},
		{apiv1.DriftFinding{}, ""},
	}
	for _, tt := range tests {
		if got := findingWhen(tt.f, now); got != tt.want {
			t.Errorf("findingWhen(%+v) = %q, want %q", tt.f, got, tt.want)
		}
	}
}
