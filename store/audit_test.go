package store

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// appendAudit appends a copy of e and returns it with its assigned fields.
func appendAudit(tb testing.TB, s *Store, e AuditEntry) AuditEntry {
	tb.Helper()
	if err := s.AppendAudit(tb.Context(), &e); err != nil {
		tb.Fatalf("AppendAudit(%s by %s): %v", e.Action, e.Actor, err)
	}
	return e
}

// auditIDs returns the ids of es, in order.
func auditIDs(es []AuditEntry) []string {
	ids := make([]string, len(es))
	for i, e := range es {
		ids[i] = e.ID
	}
	return ids
}

func TestAppendAudit(t *testing.T) {
	s := openTestStore(t, Options{})
	before := time.Now().UTC()
	in := AuditEntry{
		Actor: "alice", Action: AuditApprove, Repo: "infra", Stack: "network",
		RunID: "01ARZ3NDEKTSV4RRFFQ69G5FAV", Result: AuditOK, Detail: "1 of 2 approvals",
	}
	got := appendAudit(t, s, in)
	if got.ID == "" || got.Time.Before(before) || got.Time.After(time.Now().UTC()) {
		t.Fatalf("appended entry = %+v, want an id and the time of the append", got)
	}
	want := in
	want.ID, want.Time = got.ID, got.Time
	if !reflect.DeepEqual(got, want) {
		t.Errorf("appended entry = %+v, want %+v", got, want)
	}
	list, next, err := s.ListAudit(t.Context(), AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || next != "" {
		t.Fatalf("ListAudit = %d entries, next %q; want 1 and none", len(list), next)
	}
	if !list[0].Time.Equal(got.Time) {
		t.Errorf("stored time %v, want %v", list[0].Time, got.Time)
	}
	list[0].Time = got.Time // drop the monotonic reading
	if !reflect.DeepEqual(list[0], got) {
		t.Errorf("stored entry = %+v, want %+v", list[0], got)
	}

	// A caller's time is replaced: entries cannot be back-dated.
	old := appendAudit(t, s, AuditEntry{Actor: "bob", Action: AuditPlan, Result: AuditOK, Time: before.Add(-time.Hour)})
	if old.Time.Before(before) {
		t.Errorf("back-dated entry kept time %v", old.Time)
	}
}

func TestAppendAuditRefuses(t *testing.T) {
	s := openTestStore(t, Options{})
	tests := []struct {
		name string
		e    AuditEntry
	}{
		{"id set", AuditEntry{ID: "01ARZ3NDEKTSV4RRFFQ69G5FAV", Actor: "a", Action: AuditPlan, Result: AuditOK}},
		{"no actor", AuditEntry{Action: AuditPlan, Result: AuditOK}},
		{"no action", AuditEntry{Actor: "a", Result: AuditOK}},
		{"no result", AuditEntry{Actor: "a", Action: AuditPlan}},
		{"unknown result", AuditEntry{Actor: "a", Action: AuditPlan, Result: "done"}},
	}
	for _, tt := range tests {
		e := tt.e
		err := s.AppendAudit(t.Context(), &e)
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", tt.name, err)
		}
		if !reflect.DeepEqual(e, tt.e) {
			t.Errorf("%s: refused entry changed to %+v", tt.name, e)
		}
	}
	if list, _, _ := s.ListAudit(t.Context(), AuditFilter{}); len(list) != 0 {
		t.Errorf("refused entries stored: %+v", list)
	}
}

func TestListAuditFilters(t *testing.T) {
	s := openTestStore(t, Options{})
	var all []AuditEntry // oldest first
	for _, e := range []AuditEntry{
		{Actor: "alice", Action: AuditPlan, Repo: "infra", Stack: "network", Result: AuditOK},
		{Actor: AuditActor, Action: AuditDriftCheck, Repo: "infra", Stack: "database", Result: AuditOK},
		{Actor: "bob", Action: AuditApprove, Repo: "infra", Stack: "network", Result: AuditRefused, Detail: "bob triggered the run"},
		{Actor: "alice", Action: AuditApprove, Repo: "platform", Stack: "network", Result: AuditOK},
		{Actor: "bob", Action: AuditCancel, Repo: "platform", Stack: "dns", Result: AuditFailed},
	} {
		all = append(all, appendAudit(t, s, e))
	}
	ids := func(is ...int) []string {
		out := []string{}
		for _, i := range is {
			out = append(out, all[i].ID)
		}
		return out
	}
	tests := []struct {
		name string
		f    AuditFilter
		want []string
	}{
		{"all, newest first", AuditFilter{}, ids(4, 3, 2, 1, 0)},
		{"repo", AuditFilter{Repo: "infra"}, ids(2, 1, 0)},
		{"stack in every repo", AuditFilter{Stack: "network"}, ids(3, 2, 0)},
		{"repo and stack", AuditFilter{Repo: "infra", Stack: "network"}, ids(2, 0)},
		{"actor", AuditFilter{Actor: "bob"}, ids(4, 2)},
		{"driftgate itself", AuditFilter{Actor: AuditActor}, ids(1)},
		{"action", AuditFilter{Action: AuditApprove}, ids(3, 2)},
		{"everything", AuditFilter{Repo: "platform", Stack: "network", Actor: "alice", Action: AuditApprove}, ids(3)},
		{"no match", AuditFilter{Actor: "carol"}, ids()},
		{"limit", AuditFilter{Limit: 2}, ids(4, 3)},
	}
	for _, tt := range tests {
		got, _, err := s.ListAudit(t.Context(), tt.f)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if g := auditIDs(got); !slices.Equal(g, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, g, tt.want)
		}
	}
}

func TestListAuditPages(t *testing.T) {
	s := openTestStore(t, Options{})
	var want []string
	for i := range 7 {
		actor := "alice"
		if i%2 == 1 {
			actor = "bob"
		}
		want = append(want, appendAudit(t, s, AuditEntry{Actor: actor, Action: AuditPlan, Result: AuditOK}).ID)
	}
	slices.Reverse(want)
	tests := []struct {
		f    AuditFilter
		want []string
	}{
		{AuditFilter{Limit: 3}, want},
		{AuditFilter{Limit: 1}, want},
		{AuditFilter{Limit: 7}, want},
		{AuditFilter{Limit: 500}, want},
		{AuditFilter{Limit: 2, Actor: "alice"}, []string{want[0], want[2], want[4], want[6]}},
	}
	for _, tt := range tests {
		var got []string
		f := tt.f
		for pages := 0; ; pages++ {
			if pages > len(want) {
				t.Fatalf("%+v: cursor never ends", tt.f)
			}
			page, next, err := s.ListAudit(t.Context(), f)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) > f.Limit || (next != "" && len(page) != f.Limit) {
				t.Errorf("%+v: page of %d with next %q", tt.f, len(page), next)
			}
			got = append(got, auditIDs(page)...)
			if next == "" {
				break
			}
			f.Cursor = next
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%+v: paged %v, want %v", tt.f, got, tt.want)
		}
	}
}

func TestListAuditBadCursor(t *testing.T) {
	s := openTestStore(t, Options{})
	for _, cursor := range []string{"nope", "01ARZ3NDEKTSV4RRFFQ69G5FA", "!!"} {
		if _, _, err := s.ListAudit(t.Context(), AuditFilter{Cursor: cursor}); !errors.Is(err, ErrInvalid) {
			t.Errorf("cursor %q: err = %v, want ErrInvalid", cursor, err)
		}
	}
}

// migrationIndex returns the index in migrations of m, the schema version
// it upgrades from, so tests of a migration still hold once later ones are
// appended.
func migrationIndex(tb testing.TB, m migration) int {
	tb.Helper()
	i := slices.IndexFunc(migrations, func(x migration) bool {
		return reflect.ValueOf(x).Pointer() == reflect.ValueOf(m).Pointer()
	})
	if i < 0 {
		tb.Fatal("migration not in migrations")
	}
	return i
}

// TestMigrateAudit opens a database written by the schema before the audit
// log, checks that the bucket is created after a backup, and that entries
// survive reopening.
func TestMigrateAudit(t *testing.T) {
	dir := t.TempDir()
	prev := migrations[:migrationIndex(t, migrateAudit)]
	db, err := bbolt.Open(filepath.Join(dir, DBFile), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, m := range prev {
			if err := m(tx); err != nil {
				return err
			}
		}
		if tx.Bucket(auditBucket) != nil {
			return errors.New("audit bucket exists before its migration")
		}
		return tx.Bucket(metaBucket).Put(schemaVersionKey, binary.BigEndian.AppendUint64(nil, uint64(len(prev))))
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}

	var e AuditEntry
	for range 2 {
		s, err := Open(dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if e.ID == "" {
			e = appendAudit(t, s, AuditEntry{Actor: "alice", Action: AuditHold, Repo: "infra", Stack: "network", Result: AuditOK})
		}
		got, _, err := s.ListAudit(t.Context(), AuditFilter{})
		if cerr := s.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].ID != e.ID || got[0].Action != AuditHold {
			t.Errorf("after reopening: %+v, want %s", got, e.ID)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, bak(uint64(len(prev))))); err != nil {
		t.Errorf("no backup of the v%d database: %v", len(prev), err)
	}
}
