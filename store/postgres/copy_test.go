package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/driftgate/driftgate/store"
)

// fillBolt writes one or more records of every kind into a bbolt store
// and returns the runs it made.
func fillBolt(t *testing.T, b *store.Store) (finished, local store.Run) {
	t.Helper()
	ctx := t.Context()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(b.PutRepo(ctx, &store.RepoRecord{Name: "infra", URL: "https://example.com/infra.git", Branch: "main"}))
	must(b.PutStack(ctx, &store.StackRecord{Repo: "infra", Name: "net", Dir: "stacks/net"}))
	must(b.PutStack(ctx, &store.StackRecord{Name: "local-stack"}))
	finished = store.Run{Repo: "infra", Stack: "net", Operation: store.OperationPlan, Commit: "abc", Status: store.StatusRunning}
	must(b.CreateRun(ctx, &finished))
	finished.Status = store.StatusPlanned
	finished.Summary = &store.PlanSummary{Add: 2, HasChanges: true}
	must(b.FinishRun(ctx, &finished, &store.Plan{JSON: []byte(`{"a":1}`), Text: []byte("plan text"),
		Analysis: []byte(`{}`), File: []byte("PK plan file")}, []byte("the log")))
	local = store.Run{Stack: "local-stack", Operation: store.OperationDrift}
	must(b.CreateRun(ctx, &local))
	must(b.PutStateVersion(ctx, &store.StateVersion{Repo: "infra", Stack: "net", Serial: 7, Lineage: "l",
		SHA256: "426647a91d7fa6ae8b3ee265ca759cfddbac32e24c62397d0bc4fb503b2dcec4", RunID: finished.ID,
		Version: json.RawMessage(`{"resources":[]}`)}))
	must(b.RecordDriftCheck(ctx, &store.StackDrift{Repo: "infra", Stack: "net", Status: store.DriftDrifted, Open: 1},
		[]store.DriftFinding{{ID: "f1", Address: "null_resource.a", Kind: "update", FirstSeen: time.Now().UTC()}}))
	must(b.RecordApplied(ctx, "infra", "net", store.AppliedInfo{RunID: finished.ID, Commit: "abc"}))
	must(b.HoldStack(ctx, &store.Hold{Repo: "infra", Stack: "net", RunID: finished.ID, Reason: "cut off"}))
	must(b.AppendAudit(ctx, &store.AuditEntry{Actor: "alice", Action: store.AuditApprove, Repo: "infra", Stack: "net",
		RunID: finished.ID, Result: store.AuditOK}))
	must(b.PutDelivery(ctx, &store.Delivery{EventID: "e1", EventType: "drift_found", Sink: "hook", Repo: "infra", Stack: "net"}))
	_, err := b.UpdatePR(ctx, "infra", 4, func(pr *store.PRRecord) error {
		pr.State, pr.MergeCommit = "merged", "abc"
		return nil
	})
	must(err)
	_, err = b.SeenDelivery(ctx, "infra", "gh-1", time.Now())
	must(err)
	must(b.QueueOutbox(ctx, store.OutboxItem{Repo: "infra", Kind: store.OutboxComment, PR: 4, Marker: "plan", Body: "hi"},
		store.OutboxItem{Repo: "infra", Kind: store.OutboxStatus, Commit: "abc", Context: "driftgate/net", State: "success"}))
	return finished, local
}

// A bbolt history copied into PostgreSQL reads back the same through the
// PostgreSQL store, sealed values included (copied as stored, without the
// key), and a second copy changes nothing.
func TestCopyFromBolt(t *testing.T) {
	key := bytes.Repeat([]byte{9}, store.EncryptionKeySize)
	ctx := t.Context()
	b, err := store.Open(t.TempDir(), store.Options{EncryptionKey: key})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	finished, local := fillBolt(t, b)

	pg, url := openTest(t, Options{})
	counts, err := pg.CopyFrom(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range counts {
		if c.Copied == 0 || c.Present != 0 {
			t.Errorf("first copy of %s: %+v, want all copied", c.Kind, c)
		}
	}
	if len(counts) != 14 {
		t.Errorf("first copy counted %d kinds, want 14: %+v", len(counts), counts)
	}

	s := openURL(t, url, Options{EncryptionKey: key})
	same := func(what string, want, got any, err error) {
		t.Helper()
		if err != nil {
			t.Errorf("%s: %v", what, err)
			return
		}
		if !reflect.DeepEqual(want, got) {
			t.Errorf("%s copied as\n%+v\nwant\n%+v", what, got, want)
		}
	}
	for _, id := range []string{finished.ID, local.ID} {
		want, _ := b.GetRun(ctx, id)
		got, err := s.GetRun(ctx, id)
		same("run", want, got, err)
	}
	wantPlan, _ := b.GetPlan(ctx, finished.ID)
	gotPlan, err := s.GetPlan(ctx, finished.ID)
	same("plan", wantPlan, gotPlan, err)
	file, sum, err := s.GetPlanFile(ctx, finished.ID)
	same("plan file", []byte("PK plan file"), file, err)
	same("plan sha256", wantPlan.SHA256, sum, nil)
	log, err := s.GetLog(ctx, finished.ID)
	same("log", []byte("the log"), log, err)
	wantSV, _ := b.LatestStateVersion(ctx, "infra", "net")
	gotSV, err := s.LatestStateVersion(ctx, "infra", "net")
	same("state version", wantSV, gotSV, err)
	if noKey := openURL(t, url, Options{}); true {
		if _, err := noKey.LatestStateVersion(ctx, "infra", "net"); !errors.Is(err, store.ErrEncrypted) {
			t.Errorf("copied state version without the key: %v, want ErrEncrypted (still sealed)", err)
		}
	}
	lists := []struct {
		what      string
		bolt, dst func() (any, error)
	}{
		{"repos", func() (any, error) { return b.ListRepos(ctx) }, func() (any, error) { return s.ListRepos(ctx) }},
		{"stacks", func() (any, error) { return b.ListStacks(ctx, "") }, func() (any, error) { return s.ListStacks(ctx, "") }},
		{"drift", func() (any, error) { return b.ListStackDrift(ctx) }, func() (any, error) { return s.ListStackDrift(ctx) }},
		{"findings", func() (any, error) { return b.DriftFindings(ctx, "infra", "net", false, 0) },
			func() (any, error) { return s.DriftFindings(ctx, "infra", "net", false, 0) }},
		{"holds", func() (any, error) { return b.ListHolds(ctx) }, func() (any, error) { return s.ListHolds(ctx) }},
		{"audit", func() (any, error) { e, _, err := b.ListAudit(ctx, store.AuditFilter{}); return e, err },
			func() (any, error) { e, _, err := s.ListAudit(ctx, store.AuditFilter{}); return e, err }},
		{"deliveries", func() (any, error) { return b.ListDeliveries(ctx, store.DeliveryFilter{}) },
			func() (any, error) { return s.ListDeliveries(ctx, store.DeliveryFilter{}) }},
		{"PR", func() (any, error) { return b.PRByMergeCommit(ctx, "infra", "abc") },
			func() (any, error) { return s.PRByMergeCommit(ctx, "infra", "abc") }},
		{"outbox", func() (any, error) { return b.PendingOutbox(ctx, "", time.Now()) },
			func() (any, error) { return s.PendingOutbox(ctx, "", time.Now()) }},
	}
	for _, l := range lists {
		want, err := l.bolt()
		if err != nil {
			t.Fatal(err)
		}
		got, err := l.dst()
		same(l.what, want, got, err)
	}
	if fresh, err := s.SeenDelivery(ctx, "infra", "gh-1", time.Now()); err != nil || fresh {
		t.Errorf("SeenDelivery(copied id) = %v, %v; want a redelivery", fresh, err)
	}
	// Outbox versions queued after the copy number after the copied ones.
	if err := s.QueueOutbox(ctx, store.OutboxItem{Repo: "infra", Kind: store.OutboxComment, PR: 5, Marker: "plan"}); err != nil {
		t.Fatal(err)
	}
	items, _ := s.PendingOutbox(ctx, "infra", time.Now())
	if len(items) != 3 || items[1].Seq <= items[0].Seq || items[1].Seq <= items[2].Seq {
		t.Errorf("outbox after a new entry: %+v, want the new one numbered last", items)
	}

	before := dump(t, pg)
	counts, err = pg.CopyFrom(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range counts {
		if c.Copied != 0 || c.Present == 0 {
			t.Errorf("second copy of %s: %+v, want all present", c.Kind, c)
		}
	}
	if after := dump(t, pg); !reflect.DeepEqual(before, after) {
		t.Errorf("second copy changed the database")
	}
}

// dump reads every row of every table of the store's database, as text.
func dump(t *testing.T, s *Store) map[string][]string {
	t.Helper()
	ctx := context.Background()
	out := map[string][]string{}
	for _, table := range []string{"repos", "stacks", "runs", "plans", "logs", "state_versions", "drift_status",
		"drift_findings", "holds", "audit", "deliveries", "prs", "webhook_ids", "forge_outbox"} {
		rows, err := s.pool.Query(ctx, "SELECT t::text FROM "+table+" t ORDER BY 1")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var row string
			if err := rows.Scan(&row); err != nil {
				t.Fatal(err)
			}
			out[table] = append(out[table], row)
		}
		rows.Close()
	}
	return out
}
