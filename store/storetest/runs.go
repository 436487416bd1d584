package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/driftgate/driftgate/store"
)

// fullRun is a run with every field set.
func fullRun() store.Run {
	binding := store.Binding{PlanRun: unknownID, PlanSHA256: strings.Repeat("ab", 32), Commit: "c0ffee",
		StateSerial: 7, StateLineage: "lin", LockHash: strings.Repeat("cd", 32),
		TerraformVersion: "1.11.0", Product: "terraform", Destroys: true}
	return store.Run{
		Repo: "infra", Stack: "net", Dir: "stacks/net", Commit: "c0ffee", Trigger: "manual",
		Operation: store.OperationApply, Status: store.StatusAwaitingApproval,
		TerraformVersion: "1.11.0", Product: "terraform",
		CreatedAt: at(1), StartedAt: at(2), FinishedAt: at(3),
		Summary: &store.PlanSummary{Add: 1, Change: 2, Destroy: 3, Replace: 4, Import: 5, Drifted: 6, OutputChanges: 7, HasChanges: true},
		Error:   "boom", Binding: &binding,
		Approvals: []store.Approval{{Approver: "alice", Decision: store.DecisionApprove, Comment: "ok",
			At: at(4), Source: "driftgate", Binding: binding}},
		Reason: store.ReasonNeedsApproval, Waiting: "waiting for 1 approval",
		Attrs: map[store.AttrKey]string{store.AttrPlanRun: unknownID, store.AttrTriggeredBy: "alice"},
		PR:    42,
	}
}

func testRuns(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t, Options{})

	t.Run("CreateRun defaults", func(t *testing.T) {
		before := time.Now()
		r := createRun(t, s, store.Run{Repo: "infra", Stack: "net"})
		if len(r.ID) != 26 || r.Status != store.StatusQueued {
			t.Errorf("created run id %q status %q, want a ULID and queued", r.ID, r.Status)
		}
		if r.CreatedAt.Before(before.Add(-time.Second)) || r.CreatedAt.After(time.Now().Add(time.Second)) {
			t.Errorf("CreatedAt = %v, want about now", r.CreatedAt)
		}
		if got := getRun(t, s, r.ID); !same(*got, r) {
			t.Errorf("GetRun = %+v, want %+v", *got, r)
		}
		// Ids sort by creation.
		next := createRun(t, s, store.Run{Repo: "app", Stack: "web"})
		if next.ID <= r.ID {
			t.Errorf("second run id %s does not sort after %s", next.ID, r.ID)
		}
	})

	t.Run("round trip", func(t *testing.T) {
		want := fullRun()
		r := createRun(t, s, want)
		want.ID = r.ID
		if !same(r, want) {
			t.Errorf("CreateRun changed given fields: %+v, want %+v", r, want)
		}
		if got := getRun(t, s, r.ID); !same(*got, want) {
			t.Errorf("GetRun = %+v\nwant %+v", *got, want)
		}
	})

	t.Run("given id", func(t *testing.T) {
		lower := strings.ToLower("01J0000000000000000000000A")
		r := createRun(t, s, store.Run{ID: lower, Repo: "infra", Stack: "given"})
		if r.ID != strings.ToUpper(lower) {
			t.Errorf("CreateRun id = %s, want the given id, upper case", r.ID)
		}
		if _, err := s.GetRun(ctx, lower); err != nil {
			t.Errorf("GetRun by the lower-case id: %v", err)
		}
		dup := store.Run{ID: r.ID, Repo: "infra", Stack: "given"}
		wantErr(t, "CreateRun duplicate id", s.CreateRun(ctx, &dup), store.ErrExists)
	})

	t.Run("CreateRun refusals", func(t *testing.T) {
		for name, r := range map[string]store.Run{
			"unknown status": {Repo: "infra", Stack: "net", Status: "sleeping"},
			"empty stack":    {Repo: "infra"},
			"NUL in repo":    {Repo: "in\x00fra", Stack: "net"},
			"NUL in stack":   {Repo: "infra", Stack: "n\x00et"},
			"malformed id":   {ID: badID, Repo: "infra", Stack: "net"},
		} {
			orig := r
			wantErr(t, "CreateRun "+name, s.CreateRun(ctx, &r), store.ErrInvalid)
			if !same(r, orig) {
				t.Errorf("refused CreateRun (%s) changed r to %+v", name, r)
			}
		}
	})

	t.Run("SaveRun", func(t *testing.T) {
		r := createRun(t, s, store.Run{Repo: "infra", Stack: "save", Commit: "a"})
		full := fullRun()
		full.ID, full.Stack, full.CreatedAt = r.ID, "save", time.Time{}
		mustNot(t, "SaveRun", s.SaveRun(ctx, &full))
		if !sameTime(full.CreatedAt, r.CreatedAt) {
			t.Errorf("SaveRun with zero CreatedAt set %v, want the stored %v", full.CreatedAt, r.CreatedAt)
		}
		if got := getRun(t, s, r.ID); !same(*got, full) {
			t.Errorf("GetRun after SaveRun = %+v\nwant %+v", *got, full)
		}
		// A full replace: fields left empty are gone.
		bare := store.Run{ID: r.ID, Repo: "infra", Stack: "save", Status: store.StatusErrored}
		mustNot(t, "SaveRun bare", s.SaveRun(ctx, &bare))
		got := getRun(t, s, r.ID)
		if got.Commit != "" || got.Summary != nil || len(got.Attrs) != 0 || got.Status != store.StatusErrored {
			t.Errorf("after a bare SaveRun the run is %+v, want a full replace", got)
		}

		moved := *got
		moved.Stack = "elsewhere"
		wantErr(t, "SaveRun to another stack", s.SaveRun(ctx, &moved), store.ErrInvalid)
		movedRepo := *got
		movedRepo.Repo = "app"
		wantErr(t, "SaveRun to another repo", s.SaveRun(ctx, &movedRepo), store.ErrInvalid)
		unknown := *got
		unknown.Status = "sleeping"
		wantErr(t, "SaveRun unknown status", s.SaveRun(ctx, &unknown), store.ErrInvalid)
		if after := getRun(t, s, r.ID); !same(*after, *got) {
			t.Errorf("refused SaveRuns changed the run to %+v", after)
		}
		missing := store.Run{ID: unknownID, Repo: "infra", Stack: "save", Status: store.StatusQueued}
		wantErr(t, "SaveRun unknown id", s.SaveRun(ctx, &missing), store.ErrNotFound)
		malformed := store.Run{ID: badID, Repo: "infra", Stack: "save", Status: store.StatusQueued}
		wantErr(t, "SaveRun malformed id", s.SaveRun(ctx, &malformed), store.ErrInvalid)
	})

	t.Run("LatestRun", func(t *testing.T) {
		_, err := s.LatestRun(ctx, "infra", "latest")
		wantErr(t, "LatestRun of a stack without runs", err, store.ErrNotFound)
		createRun(t, s, store.Run{Repo: "infra", Stack: "latest", Status: store.StatusPlanned})
		last := createRun(t, s, store.Run{Repo: "infra", Stack: "latest", Status: store.StatusErrored})
		createRun(t, s, store.Run{Repo: "infra", Stack: "other"})
		createRun(t, s, store.Run{Repo: "app", Stack: "latest"})
		got, err := s.LatestRun(ctx, "infra", "latest")
		if err != nil || got.ID != last.ID {
			t.Errorf("LatestRun = %v, %v; want %s, the newest whatever its status", got, err, last.ID)
		}
		local := createRun(t, s, store.Run{Stack: "latest"})
		for _, repo := range []string{"", store.LocalRepo} {
			if got, err := s.LatestRun(ctx, repo, "latest"); err != nil || got.ID != local.ID {
				t.Errorf("LatestRun(%q) = %v, %v; want the local run", repo, got, err)
			}
		}
		_, err = s.LatestRun(ctx, "infra", "")
		wantErr(t, "LatestRun empty stack", err, store.ErrInvalid)
	})
}
