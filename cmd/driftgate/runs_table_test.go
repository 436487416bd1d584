package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/driftgate/driftgate/runner/api/apiv1"
)

// TestRunsTableTriggers checks that the runs table shows every trigger the
// daemon records whole, within 80 columns.
func TestRunsTableTriggers(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		trigger string
		want    string
	}{
		{"initial", "initial"},
		{"commit", "commit"},
		{"force-push", "force-push"},
		{"manual", "manual"},
		{"replan", "replan"},
		{"release", "release"},
		{"schedule", "schedule"},
		{"post-apply", "post-apply"},
		{"drift-remediation", "remediation"},
		{"pull_request", "pull_request"},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		g := &globals{stdout: &out}
		runs := []apiv1.Run{{
			ID: "01M8A2RF1CB8GD475KAZX7DYVT", Repo: "infrastructure", Stack: "envs/production/network",
			Status: apiv1.StatusInterrupted, Trigger: tt.trigger, Commit: "1659e15ccb8a", CreatedAt: now,
			Summary: &apiv1.PlanSummary{Add: 10, Change: 20, Destroy: 30},
		}}
		if err := writeRunsTable(g, runs, now); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "  "+tt.want+"  ") {
			t.Errorf("trigger %s: the table lacks %q:\n%s", tt.trigger, tt.want, out.String())
		}
		for _, line := range strings.Split(out.String(), "\n") {
			if utf8.RuneCountInString(line) > tableWidth {
				t.Errorf("trigger %s: line wider than %d: %q", tt.trigger, tableWidth, line)
			}
		}
	}
}
