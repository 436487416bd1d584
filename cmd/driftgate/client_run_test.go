package main

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/driftgate/driftgate/runner/api/apitest"
	"github.com/driftgate/driftgate/store"
)

func TestShowCommand(t *testing.T) {
	e := newAPIEnv(t)
	fx := e.fx
	for _, id := range []string{fx.Planned.ID, shortRunID(fx.Planned.ID), strings.ToLower(fx.Planned.ID[18:])} {
		code, out, errOut := e.cli(t, "show", id)
		if code != exitOK {
			t.Fatalf("show %s: exit %d: %s", id, code, errOut)
		}
		checkWidth(t, out)
		checkOutput(t, "show "+id, out,
			"Run:       "+fx.Planned.ID, "Stack:     infra/network (envs/prod/network)", "Status:    planned",
			"Trigger:   commit", "Commit:    "+apitest.InfraCommit, "Terraform: 1.11.4", "took 1m3s",
			"Summary:   +1 ~2 -0 (1 to add, 2 to change, 1 drifted)",
			"driftgate show "+fx.Planned.ID+" --plan")
	}

	code, out, _ := e.cli(t, "show", shortRunID(fx.Errored.ID))
	checkWidth(t, out)
	checkOutput(t, "show errored", out, "Status:    errored", "Error:\n  terraform init: Error: Failed to query", "  Could not retrieve")
	if code != exitOK {
		t.Errorf("show errored: exit %d", code)
	}
	_, out, _ = e.cli(t, "show", fx.Running.ID)
	checkOutput(t, "show running", out, "Wait for it: driftgate wait "+fx.Running.ID)

	_, out, _ = e.cli(t, "show", fx.Planned.ID, "--plan")
	checkOutput(t, "show --plan", out, "{\n  \"format_version\": \"1.2\",", `"password": "(sensitive)"`)
	code, out, _ = e.cli(t, "show", fx.Planned.ID, "--plan", "-o", "json")
	if code != exitOK || out != apitest.PlanJSON+"\n" {
		t.Errorf("show --plan -o json: exit %d:\n%s", code, out)
	}
	code, out, _ = e.cli(t, "show", fx.Planned.ID, "--log")
	if code != exitOK || out != apitest.LogText {
		t.Errorf("show --log: exit %d:\n%s", code, out)
	}
	code, out, _ = e.cli(t, "show", fx.Planned.ID, "-o", "json")
	var run store.Run
	if err := json.Unmarshal([]byte(out), &run); code != exitOK || err != nil || run.ID != fx.Planned.ID || run.Summary.Change != 2 {
		t.Errorf("show -o json: exit %d, %v:\n%s", code, err, out)
	}

	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{fx.Running.ID, "--plan"}, "has no plan yet (it is running)"},
		{[]string{fx.Errored.ID, "--plan"}, "has no plan (it ended errored)"},
		{[]string{"ABC"}, `run id "ABC" is too short`},
		{[]string{"ZZZZZZZZ"}, `no run id ends with "ZZZZZZZZ"; list runs with` + " `driftgate runs`"},
		{[]string{fx.Planned.ID, "--plan", "--log"}, "none of the others can be"},
	}
	for _, tt := range tests {
		code, _, errOut := e.cli(t, append([]string{"show"}, tt.args...)...)
		if code != exitError || !strings.Contains(errOut, tt.wantErr) {
			t.Errorf("show %v: exit %d, %q, want 1 and %q", tt.args, code, errOut, tt.wantErr)
		}
	}
}

func TestWaitCommand(t *testing.T) {
	e := newAPIEnv(t)
	fx := e.fx
	tests := []struct {
		id       string
		wantCode int
		wantLine string
	}{
		{fx.Planned.ID, exitChanges, fx.Planned.ID + " infra/network planned +1 ~2 -0 (took 1m3s)\n"},
		{fx.NoChanges.ID, exitOK, fx.NoChanges.ID + " infra/database no_changes +0 ~0 -0 (took 20s)\n"},
		{fx.Errored.ID, exitError, fx.Errored.ID + " platform/dns errored (took 5s): terraform init: Error: Failed to query available provider packages\n"},
	}
	for _, tt := range tests {
		code, out, errOut := e.cli(t, "wait", shortRunID(tt.id), "--interval", "1ms")
		if code != tt.wantCode || !strings.HasPrefix(out, tt.wantLine) || strings.Count(out, "\n") != 1 || errOut != "" {
			t.Errorf("wait %s: exit %d, %q %q, want %d and %q", tt.id, code, out, errOut, tt.wantCode, tt.wantLine)
		}
	}
	code, out, _ := e.cli(t, "wait", fx.Planned.ID, "-o", "json")
	var run store.Run
	if err := json.Unmarshal([]byte(out), &run); code != exitChanges || err != nil || run.Status != store.StatusPlanned {
		t.Errorf("wait -o json: exit %d, %v:\n%s", code, err, out)
	}
}

// TestWaitCommandEnds waits on runs of the real daemon that end canceled
// and superseded.
func TestWaitCommandEnds(t *testing.T) {
	e := newGateCLIEnv(t)
	e.Terraform.BlockPlans("network")
	running, superseded := e.planStack(t), ""
	<-e.Terraform.Started()
	superseded = e.planStack(t)
	e.planStack(t) // supersedes the queued one
	if code, _, errOut := e.cli(t, "cancel", running); code != exitOK {
		t.Fatalf("cancel: %s", errOut)
	}
	tests := []struct {
		id       string
		wantLine string
	}{
		{running, running + " infra/network canceled"},
		{superseded, superseded + " infra/network superseded"},
	}
	for _, tt := range tests {
		code, out, errOut := e.cli(t, "wait", shortRunID(tt.id), "--interval", "1ms")
		if code != exitError || !strings.HasPrefix(out, tt.wantLine) || strings.Count(out, "\n") != 1 || errOut != "" {
			t.Errorf("wait %s: exit %d, %q %q, want 1 and %q", tt.id, code, out, errOut, tt.wantLine)
		}
	}
}

// planStack queues a plan of infra/network with plan-stack -o json and
// returns its id.
func (e *gateCLIEnv) planStack(t *testing.T) string {
	t.Helper()
	code, out, errOut := e.cli(t, "plan-stack", "infra", "network", "-o", "json")
	var run store.Run
	if err := json.Unmarshal([]byte(out), &run); code != exitOK || err != nil {
		t.Fatalf("plan-stack: exit %d %v: %s", code, err, errOut)
	}
	return run.ID
}

func TestPlanStackCommand(t *testing.T) {
	e := newGateCLIEnv(t)
	head := e.Git["infra"].Head()[:7]
	code, out, errOut := e.cli(t, "plan-stack", "infra", "network")
	if code != exitOK {
		t.Fatalf("plan-stack: exit %d: %s", code, errOut)
	}
	checkOutput(t, "plan-stack", out, "Queued run ", " to plan infra/network at "+head+".\nFollow it with: driftgate wait ")
	e.Settle()

	tf := e.Terraform
	tests := []struct {
		name     string
		setup    func()
		wantCode int
		wantOut  string
	}{
		{"changes", func() {}, exitChanges, " infra/network planned"},
		{"no changes", func() { tf.NoChanges("network") }, exitOK, " infra/network no_changes"},
		{"failing", func() { tf.FailPlans("network", errors.New("provider crashed")) }, exitError, " infra/network errored"},
	}
	for _, tt := range tests {
		tt.setup()
		code, out, errOut := e.cli(t, "plan-stack", "infra", "network", "--wait", "--interval", "1ms")
		if code != tt.wantCode || !strings.Contains(out, tt.wantOut) || !strings.HasPrefix(out, "Queued run ") {
			t.Errorf("plan-stack --wait (%s): exit %d, %q %q, want %d and %q", tt.name, code, out, errOut, tt.wantCode, tt.wantOut)
		}
		checkWidth(t, out)
		e.Settle()
	}

	tf.FailPlans("network", nil)
	code, out, _ = e.cli(t, "plan-stack", "infra", "network", "--wait", "--interval", "1ms", "-o", "json")
	var run store.Run
	if err := json.Unmarshal([]byte(out), &run); code != exitOK || err != nil || run.Trigger != "manual" || run.Status != store.StatusNoChanges {
		t.Errorf("plan-stack --wait -o json: exit %d, %v:\n%s", code, err, out)
	}
	code, _, errOut = e.cli(t, "plan-stack", "infra", "nope")
	if code != exitError || !strings.Contains(errOut, `repo "infra" has no stack "nope" at its last commit`) {
		t.Errorf("plan-stack of an unknown stack: exit %d, %q", code, errOut)
	}
}

func TestCancelCommand(t *testing.T) {
	e := newGateCLIEnv(t)
	e.Terraform.BlockPlans("network")
	running := e.planStack(t)
	<-e.Terraform.Started()
	queued := e.planStack(t)
	finished := e.Latest("infra", "database", "plan").ID
	tests := []struct {
		id       string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{queued, exitOK, "Canceled run " + queued + " (infra/network).\n", ""},
		{running, exitOK, "Asked run " + running + " (infra/network, running) to stop.\nFollow it with: driftgate wait " + running + "\n", ""},
		{finished, exitError, "", `run "` + finished + `" already finished (planned); nothing to cancel`},
	}
	for _, tt := range tests {
		code, out, errOut := e.cli(t, "cancel", shortRunID(tt.id))
		if code != tt.wantCode || out != tt.wantOut || !strings.Contains(errOut, tt.wantErr) {
			t.Errorf("cancel %s: exit %d, %q %q, want %d, %q, %q", tt.id, code, out, errOut, tt.wantCode, tt.wantOut, tt.wantErr)
		}
	}
	code, out, _ := e.cli(t, "wait", queued)
	if code != exitError || !strings.Contains(out, " canceled") {
		t.Errorf("wait on a canceled run: exit %d %q", code, out)
	}
}
