package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"testing"

	"github.com/driftgate/driftgate/store"
)

// planFile is a stand-in for a binary plan file (a zip archive).
var planFile = append([]byte("PK\x03\x04"), bytes.Repeat([]byte("plan file bytes "), 64)...)

func sha(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func testFinishRun(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t, Options{})
	r := createRun(t, s, store.Run{Repo: "infra", Stack: "net", Status: store.StatusRunning, StartedAt: at(1)})

	done := r
	done.Status = store.StatusPlanned
	done.FinishedAt = at(2)
	done.Summary = &store.PlanSummary{Add: 2, HasChanges: true}
	plan := &store.Plan{JSON: []byte(`{"format_version":"1.2"}`), Text: []byte("Plan: 2 to add"),
		Analysis: []byte(`{"risk":"low"}`), File: planFile}
	log := []byte("terraform plan\nPlan: 2 to add\n")
	mustNot(t, "FinishRun", s.FinishRun(ctx, &done, plan, log))
	if plan.RunID != r.ID || plan.SHA256 != sha(planFile) || plan.FileSize != int64(len(planFile)) {
		t.Errorf("FinishRun set plan RunID %q SHA256 %q FileSize %d; want %s, %s, %d",
			plan.RunID, plan.SHA256, plan.FileSize, r.ID, sha(planFile), len(planFile))
	}
	if got := getRun(t, s, r.ID); !same(*got, done) {
		t.Errorf("run after FinishRun = %+v, want %+v", got, done)
	}
	got, err := s.GetPlan(ctx, r.ID)
	mustNot(t, "GetPlan", err)
	if !bytes.Equal(got.JSON, plan.JSON) || !bytes.Equal(got.Text, plan.Text) || !bytes.Equal(got.Analysis, plan.Analysis) ||
		got.File != nil || got.SHA256 != sha(planFile) || got.FileSize != int64(len(planFile)) || got.RunID != r.ID {
		t.Errorf("GetPlan = %+v, want the plan without its file", got)
	}
	file, sum, err := s.GetPlanFile(ctx, r.ID)
	if err != nil || !bytes.Equal(file, planFile) || sum != sha(planFile) {
		t.Errorf("GetPlanFile = %d bytes, %s, %v; want the file", len(file), sum, err)
	}
	if gotLog, err := s.GetLog(ctx, r.ID); err != nil || !bytes.Equal(gotLog, log) {
		t.Errorf("GetLog = %q, %v; want %q", gotLog, err, log)
	}
	if active, _ := s.ActiveRuns(ctx); len(active) != 0 {
		t.Errorf("ActiveRuns after FinishRun = %v, want none", runIDs(active))
	}

	// Without plan and log only the run is written; a zero CreatedAt keeps
	// the stored one.
	r2 := createRun(t, s, store.Run{Repo: "infra", Stack: "net", Status: store.StatusRunning})
	done2 := store.Run{ID: r2.ID, Repo: "infra", Stack: "net", Status: store.StatusErrored, Error: "boom"}
	mustNot(t, "FinishRun without plan", s.FinishRun(ctx, &done2, nil, nil))
	if stored := getRun(t, s, r2.ID); stored.Status != store.StatusErrored || !sameTime(stored.CreatedAt, r2.CreatedAt) {
		t.Errorf("run = %+v, want errored with its CreatedAt", stored)
	}
	_, err = s.GetPlan(ctx, r2.ID)
	wantErr(t, "GetPlan of a run finished without plan", err, store.ErrNotFound)
	_, err = s.GetLog(ctx, r2.ID)
	wantErr(t, "GetLog of a run finished without log", err, store.ErrNotFound)

	// All or nothing: a run FinishRun may not write takes its plan and log
	// with it.
	r3 := createRun(t, s, store.Run{Repo: "infra", Stack: "net", Status: store.StatusRunning})
	for name, bad := range map[string]store.Run{
		"other stack":    {ID: r3.ID, Repo: "infra", Stack: "dns", Status: store.StatusPlanned},
		"unknown status": {ID: r3.ID, Repo: "infra", Stack: "net", Status: "sleeping"},
	} {
		wantErr(t, "FinishRun "+name, s.FinishRun(ctx, &bad, &store.Plan{Text: []byte("x"), File: planFile}, []byte("log")), store.ErrInvalid)
	}
	missing := store.Run{ID: unknownID, Repo: "infra", Stack: "net", Status: store.StatusPlanned}
	wantErr(t, "FinishRun unknown run", s.FinishRun(ctx, &missing, &store.Plan{Text: []byte("x")}, []byte("log")), store.ErrNotFound)
	if stored := getRun(t, s, r3.ID); stored.Status != store.StatusRunning {
		t.Errorf("refused FinishRun wrote the run: %+v", stored)
	}
	for _, id := range []string{r3.ID, unknownID} {
		_, err = s.GetPlan(ctx, id)
		wantErr(t, "GetPlan after a refused FinishRun", err, store.ErrNotFound)
		_, err = s.GetLog(ctx, id)
		wantErr(t, "GetLog after a refused FinishRun", err, store.ErrNotFound)
	}
	malformed := store.Run{ID: badID, Repo: "infra", Stack: "net", Status: store.StatusPlanned}
	wantErr(t, "FinishRun malformed id", s.FinishRun(ctx, &malformed, nil, nil), store.ErrInvalid)
}

func testRetention(t *testing.T, open Open) {
	ctx := context.Background()

	t.Run("on create", func(t *testing.T) {
		s := open(t, Options{Retention: 2})
		f1 := createRun(t, s, store.Run{Repo: "infra", Stack: "net", Status: store.StatusPlanned})
		mustNot(t, "PutPlan", s.PutPlan(ctx, &store.Plan{RunID: f1.ID, Text: []byte("plan"), File: planFile}))
		mustNot(t, "PutLog", s.PutLog(ctx, f1.ID, []byte("log")))
		q := createRun(t, s, store.Run{Repo: "infra", Stack: "net", Status: store.StatusQueued})
		w := createRun(t, s, store.Run{Repo: "infra", Stack: "net", Status: store.StatusAwaitingApproval})
		f2 := createRun(t, s, store.Run{Repo: "infra", Stack: "net", Status: store.StatusErrored})
		dns := createRun(t, s, store.Run{Repo: "infra", Stack: "dns", Status: store.StatusPlanned})
		f3 := createRun(t, s, store.Run{Repo: "infra", Stack: "net", Status: store.StatusNoChanges})
		f4 := createRun(t, s, store.Run{Repo: "infra", Stack: "net", Status: store.StatusApplied})

		got, _, err := s.ListRuns(ctx, store.RunFilter{Repo: "infra", Stack: "net"})
		mustNot(t, "ListRuns", err)
		if want := []string{f4.ID, f3.ID, w.ID, q.ID}; !slices.Equal(runIDs(got), want) {
			t.Errorf("runs kept = %v, want %v: the 2 newest finished and every live run", runIDs(got), want)
		}
		for _, id := range []string{f1.ID, f2.ID} {
			_, err := s.GetRun(ctx, id)
			wantErr(t, "GetRun pruned", err, store.ErrNotFound)
		}
		_, err = s.GetPlan(ctx, f1.ID)
		wantErr(t, "GetPlan of a pruned run", err, store.ErrNotFound)
		_, _, err = s.GetPlanFile(ctx, f1.ID)
		wantErr(t, "GetPlanFile of a pruned run", err, store.ErrNotFound)
		_, err = s.GetLog(ctx, f1.ID)
		wantErr(t, "GetLog of a pruned run", err, store.ErrNotFound)
		for _, f := range []store.RunFilter{{Status: store.StatusPlanned}, {Repo: "infra"}, {Operation: ""}} {
			got, _, _ := s.ListRuns(ctx, f)
			if slices.Contains(runIDs(got), f1.ID) || slices.Contains(runIDs(got), f2.ID) {
				t.Errorf("ListRuns(%+v) still lists a pruned run: %v", f, runIDs(got))
			}
		}
		if _, err := s.GetRun(ctx, dns.ID); err != nil {
			t.Errorf("another stack's run was pruned: %v", err)
		}
		if n, err := s.Prune(ctx, "infra", "net"); err != nil || n != 0 {
			t.Errorf("Prune of a pruned stack = %d, %v; want 0", n, err)
		}
	})

	t.Run("Prune after lowering", func(t *testing.T) {
		s := open(t, Options{Retention: -1})
		var finished []string
		for range 4 {
			finished = append(finished, createRun(t, s, store.Run{Stack: "local", Status: store.StatusPlanned}).ID)
		}
		running := createRun(t, s, store.Run{Stack: "local", Status: store.StatusRunning})
		if n, err := s.Prune(ctx, "", "local"); err != nil || n != 0 {
			t.Errorf("Prune with retention disabled = %d, %v; want 0", n, err)
		}
		mustNot(t, "Close", s.Close())

		s = open(t, Options{Retention: 1, Reopen: s})
		n, err := s.Prune(ctx, store.LocalRepo, "local")
		if err != nil || n != 3 {
			t.Errorf("Prune with retention 1 = %d, %v; want 3", n, err)
		}
		got, _, _ := s.ListRuns(ctx, store.RunFilter{Repo: store.LocalRepo})
		if want := []string{running.ID, finished[3]}; !slices.Equal(runIDs(got), want) {
			t.Errorf("runs kept = %v, want %v", runIDs(got), want)
		}
		if n, err := s.Prune(ctx, "infra", "none"); err != nil || n != 0 {
			t.Errorf("Prune of a stack without runs = %d, %v", n, err)
		}
		_, err = s.Prune(ctx, "infra", "")
		wantErr(t, "Prune empty stack", err, store.ErrInvalid)
	})
}
