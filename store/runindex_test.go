package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"go.etcd.io/bbolt"
)

// checkOpen runs Check's verification on an open store.
func checkOpen(tb testing.TB, s *Store) *CheckReport {
	tb.Helper()
	rep := &CheckReport{Path: s.Path()}
	if err := s.db.View(func(tx *bbolt.Tx) error { return rep.check(context.Background(), tx) }); err != nil {
		tb.Fatalf("check: %v", err)
	}
	return rep
}

// allRunsByScan reads every stored run, newest first, from the runs bucket
// alone.
func allRunsByScan(tb testing.TB, s *Store) []Run {
	tb.Helper()
	var out []Run
	err := s.db.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket(runsBucket).Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			var r Run
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// listAll pages through ListRuns with a small page size.
func listAll(tb testing.TB, s *Store, f RunFilter) []string {
	tb.Helper()
	f.Limit = 3
	var ids []string
	for {
		runs, next, err := s.ListRuns(context.Background(), f)
		if err != nil {
			tb.Fatalf("ListRuns(%+v): %v", f, err)
		}
		ids = append(ids, runIDs(runs)...)
		if next == "" {
			return ids
		}
		f.Cursor = next
	}
}

// assertIndexes checks that the indexes hold exactly the stored runs and
// that every filter lists what a scan of all runs selects.
func assertIndexes(t *testing.T, s *Store, step string) {
	t.Helper()
	if rep := checkOpen(t, s); len(rep.Problems) > 0 {
		t.Fatalf("after %s: check found %q", step, rep.Problems)
	}
	all := allRunsByScan(t, s)
	var filters []RunFilter
	for _, repo := range []string{"", "infra", "apps", "nope"} {
		for _, stack := range []string{"", "net", "db", "nope"} {
			for _, status := range []RunStatus{"", StatusQueued, StatusRunning, StatusAwaitingApproval,
				StatusPlanned, StatusSuperseded, StatusInterrupted, StatusCanceled, StatusRejected, StatusErrored} {
				// Operations as literals, whatever string type they have.
				for _, f := range []RunFilter{{}, {Operation: "plan"}, {Operation: "apply"}} {
					f.Repo, f.Stack, f.Status = repo, stack, status
					filters = append(filters, f)
				}
			}
		}
	}
	for _, f := range filters {
		var want []string
		for _, r := range all {
			if f.match(&r) {
				want = append(want, r.ID)
			}
		}
		if got := listAll(t, s, f); !slices.Equal(got, want) {
			t.Fatalf("after %s: ListRuns(repo=%q stack=%q status=%q op=%q) = %v, want %v",
				step, f.Repo, f.Stack, f.Status, f.Operation, got, want)
		}
	}
}

// TestRunIndexesFollowEveryWrite drives a run through every store call that
// changes a run's status and checks after each that the indexes agree with
// the runs and that every filter answers what a full scan answers.
func TestRunIndexesFollowEveryWrite(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, Options{Retention: 4})
	s.db.NoSync = true
	binding := Binding{PlanRun: "p", PlanSHA256: "abc", Commit: "c1"}
	approval := Approval{Approver: "alice", Decision: DecisionApprove, Binding: binding}
	var ids []string
	enqueue := func(repo, stack string) string {
		r := Run{Repo: repo, Stack: stack, Operation: "plan", Commit: "c1"}
		// Each enqueue supersedes the older queued plans of its stack.
		_, err := s.Enqueue(ctx, &r, func(old *Run) (bool, error) {
			if old.Operation != r.Operation {
				return false, nil
			}
			old.Status, old.Error = StatusSuperseded, "superseded by "+r.ID
			return true, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
		return r.ID
	}
	set := func(id string, change func(*Run)) (*Run, error) {
		return s.UpdateRun(ctx, id, func(r *Run) error { change(r); return nil })
	}
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name string
		do   func()
	}{
		{"create", func() {
			for i := range 6 {
				createRun(t, s, Run{Repo: []string{"infra", "apps"}[i%2], Stack: []string{"net", "db"}[i/2%2],
					Operation: "plan", Status: StatusPlanned})
			}
			createRun(t, s, Run{Stack: "net", Status: StatusErrored}) // local, no operation
		}},
		{"enqueue", func() { enqueue("infra", "net") }},
		{"enqueue supersedes", func() { enqueue("infra", "net") }},
		{"claim", func() { must(set(ids[1], func(r *Run) { r.Status = StatusRunning })) }},
		{"finish", func() {
			r, err := s.GetRun(ctx, ids[1])
			if err != nil {
				t.Fatal(err)
			}
			r.Status = StatusPlanned
			must(nil, s.FinishRun(ctx, r, nil, []byte("log")))
		}},
		{"cancel", func() { must(set(enqueue("apps", "db"), func(r *Run) { r.Status, r.Error = StatusCanceled, "no" })) }},
		{"interrupt", func() {
			must(set(enqueue("apps", "net"), func(r *Run) { r.Status = StatusRunning }))
			must(s.UpdateActiveRuns(ctx, func(r *Run) (bool, error) {
				if r.Status != StatusRunning {
					return false, nil
				}
				r.Status = StatusInterrupted
				return true, nil
			}))
		}},
		{"awaiting approval", func() {
			r := Run{Repo: "infra", Stack: "db", Operation: "apply", Status: StatusAwaitingApproval, Binding: &binding}
			createRun(t, s, r)
			r2 := createRun(t, s, Run{Repo: "infra", Stack: "db", Operation: "apply", Status: StatusAwaitingApproval, Binding: &binding})
			ids = append(ids, r2.ID)
		}},
		{"approve", func() {
			must(set(ids[len(ids)-1], func(r *Run) {
				r.Approvals = append(r.Approvals, approval)
				r.Status = StatusQueued
			}))
		}},
		{"supersede live", func() {
			by := createRun(t, s, Run{Repo: "infra", Stack: "db", Operation: "apply", Status: StatusAwaitingApproval, Binding: &binding})
			must(s.UpdateStackRuns(ctx, "infra", "db", []RunStatus{StatusQueued, StatusAwaitingApproval}, func(r *Run) (bool, error) {
				if r.ID == by.ID {
					return false, nil
				}
				r.Status, r.Reason = StatusSuperseded, ReasonSuperseded
				return true, nil
			}))
			ids = append(ids, by.ID)
		}},
		{"reject", func() {
			a := approval
			a.Decision = DecisionReject
			must(set(ids[len(ids)-1], func(r *Run) {
				r.Approvals = append(r.Approvals, a)
				r.Status = StatusRejected
			}))
		}},
		{"update", func() {
			r, err := s.GetRun(ctx, ids[0])
			if err != nil {
				t.Fatal(err)
			}
			r.Status, r.Operation = StatusErrored, "apply"
			must(nil, s.SaveRun(ctx, r))
		}},
		{"retention", func() {
			for range 6 {
				createRun(t, s, Run{Repo: "infra", Stack: "net", Operation: "plan", Status: StatusPlanned})
			}
		}},
	}
	for _, st := range steps {
		st.do()
		assertIndexes(t, s, st.name)
	}
}

// TestMigrateRunIndexes opens a v7 database holding runs and checks that
// the v8 migration indexes them all.
func TestMigrateRunIndexes(t *testing.T) {
	dir := t.TempDir()
	db, err := bbolt.Open(filepath.Join(dir, DBFile), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A v7 binary wrote runs and the stack and queue indexes only.
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, m := range migrations[:7] {
			if err := m(tx); err != nil {
				return err
			}
		}
		if err := tx.Bucket(metaBucket).Put(schemaVersionKey, binary.BigEndian.AppendUint64(nil, 7)); err != nil {
			return err
		}
		for i, st := range []RunStatus{StatusPlanned, StatusQueued, StatusErrored, StatusAwaitingApproval} {
			run := Run{ID: fmt.Sprintf("01J00000000000000000000%03d", i), Repo: []string{"", "infra"}[i%2],
				Stack: "net", Status: st, Operation: "plan"}
			if i >= 2 {
				run.Operation = "apply"
			}
			key, _ := parseRunID(run.ID)
			v, _ := json.Marshal(run)
			if err := tx.Bucket(runsBucket).Put(key, v); err != nil {
				return err
			}
			idx, err := tx.Bucket(runsByStackBucket).CreateBucketIfNotExists(stackKey(run.Repo, run.Stack))
			if err != nil {
				return err
			}
			if err := idx.Put(key, []byte(st)); err != nil {
				return err
			}
			if !st.Terminal() {
				if err := tx.Bucket(activeRunsBucket).Put(key, []byte(st)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s := openTestStore2(t, dir)
	if rep := checkOpen(t, s); len(rep.Problems) > 0 {
		t.Fatalf("after migration: %q", rep.Problems)
	}
	if got := listAll(t, s, RunFilter{Status: StatusErrored}); len(got) != 1 {
		t.Errorf("errored runs after migration = %v, want one", got)
	}
	if got := listAll(t, s, RunFilter{Operation: "apply", Repo: "infra"}); len(got) != 1 {
		t.Errorf("apply runs of infra after migration = %v, want one", got)
	}
}

// openTestStore2 opens the store in dir and closes it at cleanup.
func openTestStore2(tb testing.TB, dir string) *Store {
	tb.Helper()
	s, err := Open(dir, Options{})
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}
