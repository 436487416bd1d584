package api

import (
	"reflect"
	"slices"
	"testing"

	"github.com/driftgate/driftgate/runner/api/apiv1"
	"github.com/driftgate/driftgate/store"
)

// TestWireFixturesFull checks that the full fixtures set every field of
// the wire types, so TestWireGolden pins every field's conversion and a
// field added to apiv1 without a conversion shows up here.
func TestWireFixturesFull(t *testing.T) {
	run, drift, hold := wireRunFull(), wireDriftFull(), wireHoldFull()
	sv := wireStateVersionFull()
	locks := wireLocks()
	full := []any{
		*wireRun(&run), *wireRun(&run).Summary, *wireRun(&run).Binding, wireRun(&run).Approvals[0],
		wireRepos(wireReposStored())[0], wireStacks(wireStacksStored())[0],
		wireStackDrift(&drift), *wireStackDrift(&drift).LastApplied, wireStackDrift(&drift).Findings[0],
		wireStateVersion(&sv), wireHold(&hold), *wireHold(&hold).Lock,
		wireStackLock(&locks[0]), *wireStackLock(&locks[0]).Holder,
		wireRelease(&Release{Released: hold, Plan: &run}), wireAudit(wireAuditStored())[0],
	}
	for _, v := range full {
		rv := reflect.ValueOf(v)
		for i := range rv.NumField() {
			if rv.Field(i).IsZero() {
				t.Errorf("%T.%s is zero in the full fixture: set it, so the golden test covers its conversion", v, rv.Type().Field(i).Name)
			}
		}
	}
}

// TestWireEnums checks that the wire enums name the stored ones.
func TestWireEnums(t *testing.T) {
	if apiv1.MaxListLimit != store.MaxListLimit {
		t.Errorf("apiv1.MaxListLimit = %d, the store's is %d", apiv1.MaxListLimit, store.MaxListLimit)
	}
	var valid []apiv1.RunStatus
	for _, s := range apiv1.Statuses() {
		st := store.RunStatus(s)
		if !st.Valid() {
			t.Errorf("apiv1 status %q is not a stored status", s)
		}
		if s.Terminal() != st.Terminal() {
			t.Errorf("status %q: apiv1 Terminal %v, store Terminal %v", s, s.Terminal(), st.Terminal())
		}
		valid = append(valid, s)
	}
	for _, s := range []store.RunStatus{"queued", "running", "planned", "no_changes", "errored", "interrupted", "superseded",
		"canceled", "awaiting_approval", "applied", "rejected", "refused", "bogus"} {
		if s.Valid() != slices.Contains(valid, apiv1.RunStatus(s)) {
			t.Errorf("status %q: store Valid %v, in apiv1.Statuses %v", s, s.Valid(), !s.Valid())
		}
	}
	pairs := [][2]string{
		{string(apiv1.OperationPlan), string(store.OperationPlan)}, {string(apiv1.OperationApply), string(store.OperationApply)},
		{string(apiv1.OperationDrift), string(store.OperationDrift)},
		{string(apiv1.DecisionApprove), string(store.DecisionApprove)}, {string(apiv1.DecisionReject), string(store.DecisionReject)},
		{apiv1.ApprovalSourceDriftgate, store.ApprovalSourceDriftgate},
		{string(apiv1.DriftInSync), string(store.DriftInSync)}, {string(apiv1.DriftDrifted), string(store.DriftDrifted)},
		{string(apiv1.DriftPendingChanges), string(store.DriftPendingChanges)}, {string(apiv1.DriftErrored), string(store.DriftErrored)},
		{string(apiv1.DriftUnknown), string(store.DriftUnknown)},
		{string(apiv1.AuditPlan), string(store.AuditPlan)}, {string(apiv1.AuditDriftCheck), string(store.AuditDriftCheck)},
		{string(apiv1.AuditCancel), string(store.AuditCancel)}, {string(apiv1.AuditApprove), string(store.AuditApprove)},
		{string(apiv1.AuditReject), string(store.AuditReject)}, {string(apiv1.AuditApply), string(store.AuditApply)},
		{string(apiv1.AuditHold), string(store.AuditHold)}, {string(apiv1.AuditRelease), string(store.AuditRelease)},
		{string(apiv1.AuditReadAudit), string(store.AuditReadAudit)},
		{string(apiv1.AuditOK), string(store.AuditOK)}, {string(apiv1.AuditRefused), string(store.AuditRefused)},
		{string(apiv1.AuditFailed), string(store.AuditFailed)},
	}
	for _, p := range pairs {
		if p[0] != p[1] {
			t.Errorf("wire %q != stored %q", p[0], p[1])
		}
	}
}
