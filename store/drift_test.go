package store

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func openDriftStore(t *testing.T) *Store {
	t.Helper()
	return openTestStore(t, Options{})
}

func TestDriftCheckRecordAndHistory(t *testing.T) {
	s := openDriftStore(t)
	ctx := t.Context()
	if _, err := s.StackDriftStatus(ctx, "infra", "net"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unchecked stack: %v", err)
	}
	t0 := time.Now().UTC()
	open := DriftFinding{ID: "01A", Address: "x.a", Kind: "changed", Cause: "out_of_band", FirstSeen: t0, LastSeen: t0,
		Attributes: []DriftAttribute{{Path: "size", Before: "s", After: "l"}}}
	if err := s.RecordDriftCheck(ctx, &StackDrift{Repo: "infra", Stack: "net", Status: DriftDrifted, Open: 1, CheckedAt: t0}, []DriftFinding{open}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordApplied(ctx, "infra", "net", AppliedInfo{RunID: "r1", Commit: "c1", At: t0}); err != nil {
		t.Fatal(err)
	}
	resolved := open
	resolved.ResolvedAt = t0.Add(time.Minute)
	newer := DriftFinding{ID: "01B", Address: "x.b", Kind: "deleted", Cause: "out_of_band", FirstSeen: t0, LastSeen: t0}
	if err := s.RecordDriftCheck(ctx, &StackDrift{Repo: "infra", Stack: "net", Status: DriftDrifted, Open: 1}, []DriftFinding{resolved, newer}); err != nil {
		t.Fatal(err)
	}
	sd, err := s.StackDriftStatus(ctx, "infra", "net")
	if err != nil || sd.Status != DriftDrifted || sd.LastApplied == nil || sd.LastApplied.Commit != "c1" {
		t.Fatalf("status = %+v, %v (LastApplied must survive a check)", sd, err)
	}
	got, err := s.DriftFindings(ctx, "infra", "net", true, 0)
	if err != nil || len(got) != 1 || got[0].ID != "01B" {
		t.Errorf("open findings = %+v, %v", got, err)
	}
	all, err := s.DriftFindings(ctx, "infra", "net", false, 0)
	if err != nil || len(all) != 2 || all[0].ID != "01B" || all[1].ResolvedAt.IsZero() || all[1].Attributes[0].After != "l" {
		t.Errorf("history = %+v, %v", all, err)
	}
	list, err := s.ListStackDrift(ctx)
	if err != nil || len(list) != 1 {
		t.Errorf("list = %+v, %v", list, err)
	}
}

func TestDriftFindingsPruneResolved(t *testing.T) {
	s := openDriftStore(t)
	ctx := t.Context()
	now := time.Now().UTC()
	var batch []DriftFinding
	for i := range maxResolvedFindings + 10 {
		batch = append(batch, DriftFinding{ID: fmt.Sprintf("%05d", i), Address: "x", Kind: "changed", FirstSeen: now, LastSeen: now, ResolvedAt: now})
	}
	batch = append(batch, DriftFinding{ID: "99999", Address: "still", Kind: "changed", FirstSeen: now, LastSeen: now})
	if err := s.RecordDriftCheck(ctx, &StackDrift{Repo: "infra", Stack: "net", Status: DriftDrifted}, batch); err != nil {
		t.Fatal(err)
	}
	all, _ := s.DriftFindings(ctx, "infra", "net", false, 0)
	if len(all) != maxResolvedFindings+1 {
		t.Errorf("kept %d findings, want %d", len(all), maxResolvedFindings+1)
	}
	if all[len(all)-1].ID != "00010" {
		t.Errorf("oldest kept = %s, want the 11th", all[len(all)-1].ID)
	}
}
