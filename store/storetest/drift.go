package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/driftgate/driftgate/store"
)

// findingIDs returns the ids of findings, in order.
func findingIDs(fs []store.DriftFinding) []string {
	ids := make([]string, len(fs))
	for i, f := range fs {
		ids[i] = f.ID
	}
	return ids
}

func testDrift(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t, Options{})

	_, err := s.StackDriftStatus(ctx, "infra", "net")
	wantErr(t, "StackDriftStatus of a stack never checked", err, store.ErrNotFound)
	if fs, err := s.DriftFindings(ctx, "infra", "net", false, 0); err != nil || len(fs) != 0 {
		t.Errorf("DriftFindings of a stack never checked = %v, %v", fs, err)
	}

	// RecordApplied on a stack never checked: status unknown.
	applied := store.AppliedInfo{RunID: unknownID, Commit: "c1", At: at(1), LockHash: "lh",
		TerraformVersion: "1.11.0", Product: "terraform", Providers: map[string]string{"registry.terraform.io/hashicorp/null": "3.2.0"}}
	mustNot(t, "RecordApplied", s.RecordApplied(ctx, "infra", "net", applied))
	sd, err := s.StackDriftStatus(ctx, "infra", "net")
	mustNot(t, "StackDriftStatus", err)
	if sd.Status != store.DriftUnknown || sd.LastApplied == nil || !same(*sd.LastApplied, applied) {
		t.Errorf("after RecordApplied: %+v, want unknown with LastApplied %+v", sd, applied)
	}

	// A check keeps LastApplied when it leaves it nil; findings take the
	// check's repo and stack.
	check := store.StackDrift{Repo: "infra", Stack: "net", Status: store.DriftDrifted, CheckedAt: at(2),
		RunID: unknownID, Commit: "c2", Open: 1, Accepted: 1}
	f1 := store.DriftFinding{ID: "0001", Repo: "elsewhere", Stack: "other", Address: "null_resource.a", Kind: "update",
		Cause: "out_of_band", Attributes: []store.DriftAttribute{{Path: "triggers.x", Before: "a", After: "b"}},
		FirstSeen: at(2), LastSeen: at(2), FirstRun: unknownID, LastRun: unknownID}
	f2 := store.DriftFinding{ID: "0002", Address: "null_resource.b", Kind: "delete", Cause: "out_of_band",
		Accepted: true, Rule: "ignore-b", FirstSeen: at(2), LastSeen: at(2)}
	f3 := store.DriftFinding{ID: "0003", Address: "null_resource.c", Kind: "update", Cause: "unapplied",
		FirstSeen: at(1), LastSeen: at(2), ResolvedAt: at(2)}
	mustNot(t, "RecordDriftCheck", s.RecordDriftCheck(ctx, &check, []store.DriftFinding{f1, f2, f3}))
	sd, err = s.StackDriftStatus(ctx, "infra", "net")
	mustNot(t, "StackDriftStatus", err)
	wantSD := check
	wantSD.LastApplied = &applied
	if !same(*sd, wantSD) {
		t.Errorf("StackDriftStatus = %+v, want %+v", *sd, wantSD)
	}
	all, err := s.DriftFindings(ctx, "infra", "net", false, 0)
	mustNot(t, "DriftFindings", err)
	if want := []string{"0003", "0002", "0001"}; !slices.Equal(findingIDs(all), want) {
		t.Fatalf("DriftFindings = %v, want %v (newest first, resolved included)", findingIDs(all), want)
	}
	wantF1 := f1
	wantF1.Repo, wantF1.Stack = "infra", "net"
	if !same(all[2], wantF1) {
		t.Errorf("finding 0001 = %+v, want %+v", all[2], wantF1)
	}
	if open, _ := s.DriftFindings(ctx, "infra", "net", true, 0); !slices.Equal(findingIDs(open), []string{"0002", "0001"}) {
		t.Errorf("open DriftFindings = %v, want [0002 0001]", findingIDs(open))
	}
	if some, _ := s.DriftFindings(ctx, "infra", "net", false, 1); !slices.Equal(findingIDs(some), []string{"0003"}) {
		t.Errorf("DriftFindings limit 1 = %v, want [0003]", findingIDs(some))
	}

	// The next check resolves 0001 and sets LastApplied.
	f1.ResolvedAt, f1.LastSeen = at(3), at(3)
	applied2 := store.AppliedInfo{RunID: unknownID, Commit: "c3", At: at(3)}
	next := store.StackDrift{Repo: "infra", Stack: "net", Status: store.DriftInSync, CheckedAt: at(3), LastApplied: &applied2}
	mustNot(t, "RecordDriftCheck", s.RecordDriftCheck(ctx, &next, []store.DriftFinding{f1}))
	if open, _ := s.DriftFindings(ctx, "infra", "net", true, 0); !slices.Equal(findingIDs(open), []string{"0002"}) {
		t.Errorf("open DriftFindings after the resolve = %v, want [0002]", findingIDs(open))
	}
	if sd, _ := s.StackDriftStatus(ctx, "infra", "net"); sd == nil || sd.Status != store.DriftInSync || sd.LastApplied == nil || sd.LastApplied.Commit != "c3" {
		t.Errorf("StackDriftStatus = %+v, want in sync, last applied c3", sd)
	}

	// A finding without id refuses the whole check.
	bad := store.StackDrift{Repo: "infra", Stack: "net", Status: store.DriftErrored}
	wantErr(t, "RecordDriftCheck with a finding without id",
		s.RecordDriftCheck(ctx, &bad, []store.DriftFinding{{Address: "x"}}), store.ErrInvalid)
	if sd, _ := s.StackDriftStatus(ctx, "infra", "net"); sd == nil || sd.Status != store.DriftInSync {
		t.Errorf("a refused RecordDriftCheck wrote the status: %+v", sd)
	}
	wantErr(t, "RecordDriftCheck without a stack",
		s.RecordDriftCheck(ctx, &store.StackDrift{Repo: "infra", Status: store.DriftInSync}, nil), store.ErrInvalid)

	// ListStackDrift: every stack, by repo and stack; local stacks are
	// found under the empty repo and LocalRepo alike.
	for _, st := range []store.StackDrift{
		{Repo: "app", Stack: "web", Status: store.DriftPendingChanges},
		{Repo: "infra", Stack: "dns", Status: store.DriftErrored, Error: "no creds"},
		{Stack: "local", Status: store.DriftInSync},
	} {
		mustNot(t, "RecordDriftCheck", s.RecordDriftCheck(ctx, &st, nil))
	}
	list, err := s.ListStackDrift(ctx)
	mustNot(t, "ListStackDrift", err)
	var keys []string
	for _, sd := range list {
		keys = append(keys, sd.Repo+"/"+sd.Stack+"="+string(sd.Status))
	}
	if want := []string{"app/web=pending_changes", "infra/dns=errored", "infra/net=in_sync", "/local=in_sync"}; !slices.Equal(keys, want) {
		t.Errorf("ListStackDrift = %v, want %v", keys, want)
	}
	if sd, err := s.StackDriftStatus(ctx, store.LocalRepo, "local"); err != nil || sd.Status != store.DriftInSync {
		t.Errorf("StackDriftStatus(LocalRepo, local) = %+v, %v", sd, err)
	}

	// Resolved findings are kept as history, the newest 500 of them.
	var many []store.DriftFinding
	for i := range 505 {
		many = append(many, store.DriftFinding{ID: fmt.Sprintf("h%04d", i), Address: "x", FirstSeen: at(1), LastSeen: at(1), ResolvedAt: at(2)})
	}
	many = append(many, store.DriftFinding{ID: "h9999", Address: "open", FirstSeen: at(1), LastSeen: at(1)})
	hist := store.StackDrift{Repo: "infra", Stack: "hist", Status: store.DriftDrifted}
	mustNot(t, "RecordDriftCheck", s.RecordDriftCheck(ctx, &hist, many))
	kept, err := s.DriftFindings(ctx, "infra", "hist", false, 0)
	mustNot(t, "DriftFindings", err)
	if len(kept) != 501 || kept[0].ID != "h9999" || kept[len(kept)-1].ID != "h0005" {
		t.Errorf("kept %d findings, first %s, last %s; want the open one and the newest 500 resolved (h0005..h0504)",
			len(kept), kept[0].ID, kept[len(kept)-1].ID)
	}
}

func testHolds(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t, Options{})

	_, err := s.GetHold(ctx, "infra", "net")
	wantErr(t, "GetHold of a stack not held", err, store.ErrNotFound)
	h := store.Hold{Repo: "infra", Stack: "net", RunID: unknownID, Reason: "apply cut off",
		StatePulled: true, StateSerial: 7, StateLineage: "lin",
		Lock: &store.StateLock{ID: "lock-1", Path: "state", Who: "me@host", Operation: "OperationTypeApply", Created: at(1)}}
	mustNot(t, "HoldStack", s.HoldStack(ctx, &h))
	if h.Since.IsZero() {
		t.Error("HoldStack left Since zero")
	}
	got, err := s.GetHold(ctx, "infra", "net")
	if err != nil || !same(*got, h) {
		t.Errorf("GetHold = %+v, %v; want %+v", got, err, h)
	}
	// Holding again replaces the hold; Since given is kept.
	h2 := store.Hold{Repo: "infra", Stack: "net", RunID: unknownID, Reason: "again", Since: at(5)}
	mustNot(t, "HoldStack again", s.HoldStack(ctx, &h2))
	if got, _ := s.GetHold(ctx, "infra", "net"); got == nil || got.Reason != "again" || !sameTime(got.Since, at(5)) || got.Lock != nil {
		t.Errorf("GetHold after a second hold = %+v, want it replaced", got)
	}
	for _, hold := range []store.Hold{{Repo: "app", Stack: "web", RunID: unknownID}, {Stack: "local", RunID: unknownID}, {Repo: "infra", Stack: "dns", RunID: unknownID}} {
		mustNot(t, "HoldStack", s.HoldStack(ctx, &hold))
	}
	holds, err := s.ListHolds(ctx)
	mustNot(t, "ListHolds", err)
	var keys []string
	for _, h := range holds {
		keys = append(keys, h.Repo+"/"+h.Stack)
	}
	if want := []string{"app/web", "infra/dns", "infra/net", "/local"}; !slices.Equal(keys, want) {
		t.Errorf("ListHolds = %v, want %v (by repo, then stack)", keys, want)
	}

	released, err := s.ReleaseStack(ctx, "infra", "net")
	if err != nil || released.Reason != "again" {
		t.Errorf("ReleaseStack = %+v, %v; want the hold", released, err)
	}
	_, err = s.GetHold(ctx, "infra", "net")
	wantErr(t, "GetHold after release", err, store.ErrNotFound)
	_, err = s.ReleaseStack(ctx, "infra", "net")
	wantErr(t, "ReleaseStack of a stack not held", err, store.ErrNotFound)
	if _, err := s.ReleaseStack(ctx, store.LocalRepo, "local"); err != nil {
		t.Errorf("ReleaseStack(LocalRepo, local): %v", err)
	}

	wantErr(t, "HoldStack without run id", s.HoldStack(ctx, &store.Hold{Repo: "infra", Stack: "net"}), store.ErrInvalid)
	wantErr(t, "HoldStack without stack", s.HoldStack(ctx, &store.Hold{Repo: "infra", RunID: unknownID}), store.ErrInvalid)
	_, err = s.GetHold(ctx, "infra", "")
	wantErr(t, "GetHold without stack", err, store.ErrInvalid)
	_, err = s.ReleaseStack(ctx, "infra", "")
	wantErr(t, "ReleaseStack without stack", err, store.ErrInvalid)
}
