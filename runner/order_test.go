package runner

import (
	"strings"
	"testing"
	"time"

	"github.com/driftgate/driftgate/store"
)

func TestDependencyWait(t *testing.T) {
	const commit = "0123456789abcdef0123456789abcdef01234567"
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	plan := func(id string, st store.RunStatus) store.Run {
		return store.Run{ID: id, Operation: OperationPlan, Status: st, Commit: commit, CreatedAt: t0}
	}
	apply := func(id string, st store.RunStatus) store.Run {
		return store.Run{ID: id, Operation: OperationApply, Status: st, Commit: commit, CreatedAt: t0.Add(time.Minute), Error: "boom"}
	}
	tests := []struct {
		name        string
		runs        []store.Run // newest first
		lastApplied time.Time
		want        store.RunReason
		text        string
	}{
		{"commit did not affect the dependency", nil, time.Time{}, "", ""},
		{"no changes", []store.Run{plan("01B", store.StatusNoChanges)}, time.Time{}, "", ""},
		{"still planning", []store.Run{plan("01B", store.StatusRunning)}, time.Time{}, store.ReasonWaitingForDependency, "to plan commit 0123456789ab"},
		{"plan failed", []store.Run{plan("01B", store.StatusErrored)}, time.Time{}, store.ReasonDependencyFailed, "errored"},
		{"planned, apply not opened yet", []store.Run{plan("01B", store.StatusPlanned)}, time.Time{}, store.ReasonWaitingForDependency, "no apply run yet"},
		{"awaiting approval", []store.Run{apply("01C", store.StatusAwaitingApproval), plan("01B", store.StatusPlanned)}, time.Time{}, store.ReasonWaitingForDependency, "awaiting_approval"},
		{"applying", []store.Run{apply("01C", store.StatusRunning), plan("01B", store.StatusPlanned)}, time.Time{}, store.ReasonWaitingForDependency, "running"},
		{"applied", []store.Run{apply("01C", store.StatusApplied), plan("01B", store.StatusPlanned)}, time.Time{}, "", ""},
		{"apply failed", []store.Run{apply("01C", store.StatusErrored), plan("01B", store.StatusPlanned)}, time.Time{}, store.ReasonDependencyFailed, "errored: boom"},
		{"apply refused", []store.Run{apply("01C", store.StatusRefused), plan("01B", store.StatusPlanned)}, time.Time{}, store.ReasonDependencyFailed, "refused"},
		{"an older apply does not count", []store.Run{plan("01D", store.StatusPlanned), apply("01C", store.StatusApplied), plan("01B", store.StatusPlanned)}, time.Time{}, store.ReasonWaitingForDependency, "no apply run yet"},
		{"failed, then a newer plan applied", []store.Run{apply("01C", store.StatusErrored), plan("01B", store.StatusPlanned)}, t0.Add(time.Hour), "", ""},
		{"an apply before this commit's plan does not count", []store.Run{apply("01C", store.StatusErrored), plan("01B", store.StatusPlanned)}, t0.Add(-time.Hour), store.ReasonDependencyFailed, "errored"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reason, why := dependencyWait("network", commit, tt.runs, tt.lastApplied)
			if reason != tt.want || !strings.Contains(why, tt.text) {
				t.Errorf("dependencyWait = %q %q, want %q with %q", reason, why, tt.want, tt.text)
			}
			if reason != "" && !strings.Contains(why, "network") {
				t.Errorf("the wait %q does not name the stack it waits for", why)
			}
		})
	}
}
