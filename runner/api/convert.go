package api

import (
	"maps"

	"github.com/driftgate/driftgate/runner/api/apiv1"
	"github.com/driftgate/driftgate/store"
)

// The conversions from what the Service returns (stored records) to what
// the API sends (package apiv1), one function per type. Every answer goes
// through them, so the wire format changes only here and in apiv1, never
// with the storage format. TestWireGolden pins the result.

// wireRun converts a run; nil stays nil.
func wireRun(r *store.Run) *apiv1.Run {
	if r == nil {
		return nil
	}
	out := &apiv1.Run{
		ID: r.ID, Repo: r.Repo, Stack: r.Stack, Dir: r.Dir, Commit: r.Commit, Trigger: r.Trigger,
		Operation: apiv1.Operation(r.Operation), Status: apiv1.RunStatus(r.Status),
		TerraformVersion: r.TerraformVersion, Product: r.Product,
		CreatedAt: r.CreatedAt, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt,
		Error: r.Error, Reason: apiv1.RunReason(r.Reason), Waiting: r.Waiting, PR: r.PR,
	}
	if r.Summary != nil {
		s := apiv1.PlanSummary(*r.Summary)
		out.Summary = &s
	}
	if r.Binding != nil {
		b := apiv1.Binding(*r.Binding)
		out.Binding = &b
	}
	if r.Approvals != nil {
		out.Approvals = make([]apiv1.Approval, len(r.Approvals))
		for i, a := range r.Approvals {
			out.Approvals[i] = apiv1.Approval{
				Approver: a.Approver, Decision: apiv1.Decision(a.Decision), Comment: a.Comment,
				At: a.At, Source: a.Source, Binding: apiv1.Binding(a.Binding),
			}
		}
	}
	out.Attrs = wireAttrs(r.Attrs)
	return out
}

// wireRuns converts a list of runs; nil becomes empty, so it encodes as [].
func wireRuns(runs []store.Run) []apiv1.Run {
	out := make([]apiv1.Run, len(runs))
	for i := range runs {
		out[i] = *wireRun(&runs[i])
	}
	return out
}

// wireAttrs converts a run's or stack's attributes; nil stays nil.
func wireAttrs(attrs map[store.AttrKey]string) map[string]string {
	if attrs == nil {
		return nil
	}
	out := make(map[string]string, len(attrs))
	for k, v := range attrs {
		out[string(k)] = v
	}
	return out
}

// wireRepos converts the watched repos; nil becomes empty.
func wireRepos(repos []store.RepoRecord) []apiv1.Repo {
	out := make([]apiv1.Repo, len(repos))
	for i, r := range repos {
		out[i] = apiv1.Repo(r)
	}
	return out
}

// wireStacks converts stack records; nil becomes empty.
func wireStacks(stacks []store.StackRecord) []apiv1.Stack {
	out := make([]apiv1.Stack, len(stacks))
	for i, s := range stacks {
		out[i] = apiv1.Stack{Repo: s.Repo, Name: s.Name, Dir: s.Dir, Attrs: wireAttrs(s.Attrs), UpdatedAt: s.UpdatedAt}
	}
	return out
}

// wireStackDrift converts a stack's drift state and findings; nil findings
// become empty.
func wireStackDrift(v *StackDriftView) apiv1.StackDrift {
	d := v.StackDrift
	out := apiv1.StackDrift{
		Repo: d.Repo, Stack: d.Stack, Status: apiv1.DriftStatus(d.Status), CheckedAt: d.CheckedAt,
		RunID: d.RunID, Commit: d.Commit, Error: d.Error, Open: d.Open, Accepted: d.Accepted,
		Findings: make([]apiv1.DriftFinding, len(v.Findings)),
	}
	if a := d.LastApplied; a != nil {
		out.LastApplied = &apiv1.AppliedInfo{
			RunID: a.RunID, Commit: a.Commit, At: a.At, LockHash: a.LockHash,
			TerraformVersion: a.TerraformVersion, Product: a.Product, Providers: maps.Clone(a.Providers),
		}
	}
	for i, f := range v.Findings {
		out.Findings[i] = wireFinding(f)
	}
	return out
}

// wireFinding converts one drift finding.
func wireFinding(f store.DriftFinding) apiv1.DriftFinding {
	out := apiv1.DriftFinding{
		ID: f.ID, Repo: f.Repo, Stack: f.Stack, Address: f.Address, Kind: f.Kind, Cause: f.Cause,
		Accepted: f.Accepted, Rule: f.Rule, FirstSeen: f.FirstSeen, LastSeen: f.LastSeen,
		ResolvedAt: f.ResolvedAt, FirstRun: f.FirstRun, LastRun: f.LastRun,
	}
	if f.Attributes != nil {
		out.Attributes = make([]apiv1.DriftAttribute, len(f.Attributes))
		for i, a := range f.Attributes {
			out.Attributes[i] = apiv1.DriftAttribute(a)
		}
	}
	return out
}

// wireStateVersion converts a state version, with its body if it has one.
func wireStateVersion(sv *store.StateVersion) apiv1.StateVersion {
	return apiv1.StateVersion{
		Repo: sv.Repo, Stack: sv.Stack, Serial: sv.Serial, Lineage: sv.Lineage, SHA256: sv.SHA256,
		RunID: sv.RunID, CreatedAt: sv.CreatedAt, Resources: sv.Resources, Version: sv.Version,
	}
}

// wireHold converts a stack's hold.
func wireHold(h *store.Hold) apiv1.Hold {
	out := apiv1.Hold{
		Repo: h.Repo, Stack: h.Stack, RunID: h.RunID, Reason: h.Reason, Since: h.Since,
		StatePulled: h.StatePulled, StateSerial: h.StateSerial, StateLineage: h.StateLineage,
	}
	if h.Lock != nil {
		l := apiv1.StateLock(*h.Lock)
		out.Lock = &l
	}
	return out
}

// wireStackLock converts a stack's lock.
func wireStackLock(l *StackLock) apiv1.StackLock {
	out := apiv1.StackLock{Repo: l.Repo, Stack: l.Stack}
	if h := l.Holder; h != nil {
		out.Holder = &apiv1.LockHolder{RunID: h.RunID, Operation: h.Operation, Trigger: h.Trigger, TriggeredBy: h.TriggeredBy, Since: h.Since}
	}
	if l.Hold != nil {
		h := wireHold(l.Hold)
		out.Hold = &h
	}
	return out
}

// wireRelease converts the outcome of releasing a stack.
func wireRelease(r *Release) apiv1.Release {
	return apiv1.Release{Released: wireHold(&r.Released), Plan: wireRun(r.Plan)}
}

// wireAudit converts audit entries; nil becomes empty.
func wireAudit(entries []store.AuditEntry) []apiv1.AuditEntry {
	out := make([]apiv1.AuditEntry, len(entries))
	for i, e := range entries {
		out[i] = apiv1.AuditEntry{
			ID: e.ID, Time: e.Time, Actor: e.Actor, Action: apiv1.AuditAction(e.Action),
			Repo: e.Repo, Stack: e.Stack, RunID: e.RunID, Result: apiv1.AuditResult(e.Result), Detail: e.Detail,
		}
	}
	return out
}

// storeRunFilter converts the query of GET /api/v1/runs to the Service's
// filter.
func storeRunFilter(f apiv1.RunFilter) store.RunFilter {
	return store.RunFilter{Repo: f.Repo, Stack: f.Stack, Status: store.RunStatus(f.Status), PR: f.PR, Limit: f.Limit, Cursor: f.Cursor}
}

// storeAuditFilter converts the query of GET /api/v1/audit to the audit
// log's filter.
func storeAuditFilter(f apiv1.AuditFilter) store.AuditFilter {
	return store.AuditFilter{Repo: f.Repo, Stack: f.Stack, Actor: f.Actor, Action: store.AuditAction(f.Action), Limit: f.Limit, Cursor: f.Cursor}
}
