package api

import (
	"encoding/json"
	"time"

	"github.com/driftgate/driftgate/planner/statever"
	"github.com/driftgate/driftgate/store"
)

// The stored values below are what the golden wire test encodes: every
// type the API answers, with every field set (…Full) and with only the
// required ones (…Minimal), so omitted and present fields are both pinned.

var (
	wireT0 = time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.UTC)
	wireT1 = wireT0.Add(90 * time.Second)
	wireT2 = wireT0.Add(time.Hour)
)

func wireBinding() store.Binding {
	return store.Binding{
		PlanRun: "01J0PLANRUN000000000000000", PlanSHA256: "ab12cd34", Commit: "0123456789abcdef0123456789abcdef01234567",
		StateSerial: 7, StateLineage: "lineage-1", LockHash: "ef56", TerraformVersion: "1.11.0", Product: "terraform", Destroys: true,
	}
}

func wireRunFull() store.Run {
	b := wireBinding()
	old := b
	old.PlanSHA256 = "older"
	return store.Run{
		ID: "01J0RUNFULL000000000000000", Repo: "infra", Stack: "network", Dir: "stacks/network",
		Commit: "0123456789abcdef0123456789abcdef01234567", Trigger: "pull_request", Operation: store.OperationApply,
		Status: store.StatusAwaitingApproval, TerraformVersion: "1.11.0", Product: "opentofu",
		CreatedAt: wireT0, StartedAt: wireT1, FinishedAt: wireT2,
		Summary: &store.PlanSummary{Add: 1, Change: 2, Destroy: 3, Replace: 4, Import: 5, Drifted: 6, OutputChanges: 7, HasChanges: true},
		Error:   "apply refused",
		Binding: &b,
		Approvals: []store.Approval{
			{Approver: "alice", Decision: store.DecisionApprove, Comment: "lgtm", At: wireT1, Source: store.ApprovalSourceDriftgate, Binding: b},
			{Approver: "bob", Decision: store.DecisionReject, At: wireT2, Source: "github", Binding: old},
		},
		Reason: store.ReasonDestroyNeedsApproval, Waiting: "waiting for 2 approvals",
		Attrs: map[store.AttrKey]string{store.AttrTriggeredBy: "alice", store.AttrPlanRun: "01J0PLANRUN000000000000000", store.AttrDependsOn: "base,dns"},
		PR:    42,
	}
}

func wireRunMinimal() store.Run {
	return store.Run{ID: "01J0RUNMIN0000000000000000", Stack: "local", Status: store.StatusQueued}
}

func wireReposStored() []store.RepoRecord {
	return []store.RepoRecord{
		{Name: "infra", URL: "https://git.example/infra.git", Branch: "main", LastCommit: "0123abcd", Status: "error", LastError: "fetch failed", UpdatedAt: wireT0},
		{Name: "bare"},
	}
}

func wireStacksStored() []store.StackRecord {
	return []store.StackRecord{
		{Repo: "infra", Name: "network", Dir: "stacks/network", Attrs: map[store.AttrKey]string{store.AttrWorkspace: "default", store.AttrOnDrift: "plan"}, UpdatedAt: wireT0},
		{Name: "local"},
	}
}

func wireDriftFull() StackDriftView {
	return StackDriftView{
		StackDrift: store.StackDrift{
			Repo: "infra", Stack: "network", Status: store.DriftDrifted, CheckedAt: wireT1, RunID: "01J0DRIFT00000000000000000",
			Commit: "0123abcd", Error: "partial", Open: 1, Accepted: 1,
			LastApplied: &store.AppliedInfo{RunID: "01J0APPLY00000000000000000", Commit: "89abcdef", At: wireT0, LockHash: "ef56",
				TerraformVersion: "1.11.0", Product: "terraform", Providers: map[string]string{"registry.terraform.io/hashicorp/null": "3.2.1"}},
		},
		Findings: []store.DriftFinding{
			{ID: "f2", Repo: "infra", Stack: "network", Address: "null_resource.a", Kind: "changed", Cause: "out_of_band",
				Accepted: true, Rule: "ignore-tags",
				Attributes: []store.DriftAttribute{
					{Path: `tags["env"]`, Before: "prod", After: "dev"},
					{Path: "size", Before: 3.0, After: map[string]any{"x": []any{true, nil}}, Sensitive: true},
					{Path: "gone", Before: nil, After: nil},
				},
				FirstSeen: wireT0, LastSeen: wireT1, ResolvedAt: wireT2, FirstRun: "r1", LastRun: "r2"},
			{ID: "f1", Repo: "infra", Stack: "network", Address: "null_resource.b", Kind: "deleted", Cause: "unknown", FirstSeen: wireT0, LastSeen: wireT0},
		},
	}
}

func wireDriftMinimal() StackDriftView {
	return StackDriftView{StackDrift: store.StackDrift{Repo: "infra", Stack: "dns", Status: store.DriftUnknown}, Findings: []store.DriftFinding{}}
}

func wireStateVersionFull() store.StateVersion {
	return store.StateVersion{Repo: "infra", Stack: "network", Serial: 7, Lineage: "lineage-1", SHA256: "ab12", RunID: "01J0APPLY00000000000000000",
		CreatedAt: wireT0, Resources: 3, Version: json.RawMessage(`{"serial":7,"resources":[{"address":"null_resource.a"}]}`)}
}

func wireStateVersionMinimal() store.StateVersion {
	return store.StateVersion{Repo: "infra", Stack: "network", Serial: 1, Lineage: "lineage-1", SHA256: "cd34", CreatedAt: wireT0}
}

func wireChanges() statever.Changes {
	return statever.Changes{
		LineageChanged: true, Added: []string{"null_resource.c"}, Removed: []string{"null_resource.d"},
		Changed: []statever.ResourceChange{{Address: "null_resource.a", Attributes: []statever.AttributeChange{{Path: "id", Before: "1", After: "2", Sensitive: true}}}},
		Outputs: []statever.OutputChange{{Name: "ip", Action: statever.ActionChange, Before: "10.0.0.1", After: nil}},
	}
}

func wireHoldFull() store.Hold {
	return store.Hold{Repo: "infra", Stack: "network", RunID: "01J0APPLY00000000000000000", Reason: "the apply was cut off", Since: wireT1,
		StatePulled: true, StateSerial: 7, StateLineage: "lineage-1",
		Lock: &store.StateLock{ID: "lock-1", Path: "terraform.tfstate", Who: "driftgate@host", Operation: "OperationTypeApply", Created: wireT0,
			Command: "terraform force-unlock lock-1"}}
}

func wireHoldMinimal() store.Hold {
	return store.Hold{Repo: "infra", Stack: "dns", RunID: "01J0APPLY00000000000000001", Reason: "cut off", Since: wireT0}
}

func wireLocks() []StackLock {
	h := wireHoldFull()
	return []StackLock{
		{Repo: "infra", Stack: "network",
			Holder: &LockHolder{RunID: "01J0RUNFULL000000000000000", Operation: "apply", Trigger: "manual", TriggeredBy: "alice", Since: wireT1},
			Hold:   &h},
		{Repo: "infra", Stack: "dns", Holder: &LockHolder{RunID: "01J0RUNMIN0000000000000000", Operation: "plan", Since: wireT0}},
	}
}

func wireAuditStored() []store.AuditEntry {
	return []store.AuditEntry{
		{ID: "01J0AUDIT00000000000000000", Time: wireT0, Actor: "alice", Action: store.AuditApprove, Repo: "infra", Stack: "network",
			RunID: "01J0RUNFULL000000000000000", Result: store.AuditRefused, Detail: "not an approver"},
		{ID: "01J0AUDIT00000000000000001", Time: wireT1, Actor: store.AuditActor, Action: "GET /api/v1/audit", Result: store.AuditOK},
	}
}
