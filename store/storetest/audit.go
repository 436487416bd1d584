package storetest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/driftgate/driftgate/store"
)

// auditIDs returns the ids of entries, in order.
func auditIDs(es []store.AuditEntry) []string {
	ids := make([]string, len(es))
	for i, e := range es {
		ids[i] = e.ID
	}
	return ids
}

// listAudit returns every entry matching f, following the cursors.
func listAudit(t *testing.T, s Store, f store.AuditFilter) []store.AuditEntry {
	t.Helper()
	var out []store.AuditEntry
	for range 1000 {
		es, next, err := s.ListAudit(context.Background(), f)
		mustNot(t, "ListAudit", err)
		out = append(out, es...)
		if next == "" {
			return out
		}
		if len(es) == 0 {
			t.Fatalf("ListAudit returned an empty page with cursor %q", next)
		}
		f.Cursor = next
	}
	t.Fatal("ListAudit cursors never end")
	return nil
}

func testAudit(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t, Options{})

	before := time.Now()
	e := store.AuditEntry{Actor: "alice", Action: store.AuditApprove, Repo: "infra", Stack: "net",
		RunID: unknownID, Result: store.AuditOK, Detail: "looks good"}
	mustNot(t, "AppendAudit", s.AppendAudit(ctx, &e))
	if len(e.ID) != 26 || e.Time.Before(before.Add(-time.Second)) {
		t.Errorf("AppendAudit set id %q time %v; want a ULID and now", e.ID, e.Time)
	}
	got, _, err := s.ListAudit(ctx, store.AuditFilter{})
	if err != nil || len(got) != 1 || !same(got[0], e) {
		t.Errorf("ListAudit = %+v, %v; want [%+v]", got, err, e)
	}

	for name, bad := range map[string]store.AuditEntry{
		"with an id":     {ID: unknownID, Actor: "a", Action: store.AuditPlan, Result: store.AuditOK},
		"no actor":       {Action: store.AuditPlan, Result: store.AuditOK},
		"no action":      {Actor: "a", Result: store.AuditOK},
		"unknown result": {Actor: "a", Action: store.AuditPlan, Result: "maybe"},
		"no result":      {Actor: "a", Action: store.AuditPlan},
	} {
		orig := bad
		wantErr(t, "AppendAudit "+name, s.AppendAudit(ctx, &bad), store.ErrInvalid)
		if bad != orig {
			t.Errorf("refused AppendAudit (%s) changed the entry to %+v", name, bad)
		}
	}

	// Long fields are stored shortened, keeping their start.
	long := store.AuditEntry{Actor: strings.Repeat("a", 2*store.MaxAuditField), Action: store.AuditPlan,
		Result: store.AuditFailed, Detail: strings.Repeat("d", 3*store.MaxAuditDetail)}
	mustNot(t, "AppendAudit long", s.AppendAudit(ctx, &long))
	got, _, _ = s.ListAudit(ctx, store.AuditFilter{Limit: 1})
	if len(got) != 1 || len(got[0].Actor) > store.MaxAuditField || !strings.HasPrefix(got[0].Actor, "aaaa") ||
		len(got[0].Detail) > store.MaxAuditDetail || !strings.HasPrefix(got[0].Detail, "dddd") {
		t.Errorf("long entry stored as actor %d bytes, detail %d bytes; want at most %d and %d",
			len(got[0].Actor), len(got[0].Detail), store.MaxAuditField, store.MaxAuditDetail)
	}

	// Filters and pages.
	s = open(t, Options{})
	var all []store.AuditEntry
	actors := []string{"alice", "bob", store.AuditActor}
	actions := []store.AuditAction{store.AuditPlan, store.AuditApply, store.AuditCancel, store.AuditHold}
	for i := range 24 {
		e := store.AuditEntry{Actor: actors[i%3], Action: actions[i%4], Repo: []string{"infra", "app"}[i%2],
			Stack: []string{"net", "dns", "web"}[i%3], Result: store.AuditOK}
		mustNot(t, "AppendAudit", s.AppendAudit(ctx, &e))
		all = append(all, e)
	}
	slices.Reverse(all)
	want := func(keep func(e store.AuditEntry) bool) []string {
		var ids []string
		for _, e := range all {
			if keep(e) {
				ids = append(ids, e.ID)
			}
		}
		return ids
	}
	for _, c := range []struct {
		name string
		f    store.AuditFilter
		want []string
	}{
		{"all", store.AuditFilter{}, want(func(store.AuditEntry) bool { return true })},
		{"repo", store.AuditFilter{Repo: "app"}, want(func(e store.AuditEntry) bool { return e.Repo == "app" })},
		{"stack", store.AuditFilter{Stack: "dns"}, want(func(e store.AuditEntry) bool { return e.Stack == "dns" })},
		{"actor", store.AuditFilter{Actor: "bob"}, want(func(e store.AuditEntry) bool { return e.Actor == "bob" })},
		{"action", store.AuditFilter{Action: store.AuditCancel}, want(func(e store.AuditEntry) bool { return e.Action == store.AuditCancel })},
		{"every field", store.AuditFilter{Repo: "infra", Stack: "net", Actor: "alice", Action: store.AuditPlan},
			want(func(e store.AuditEntry) bool {
				return e.Repo == "infra" && e.Stack == "net" && e.Actor == "alice" && e.Action == store.AuditPlan
			})},
		{"no match", store.AuditFilter{Actor: "mallory"}, nil},
	} {
		f := c.f
		f.Limit = store.MaxListLimit
		got, next, err := s.ListAudit(ctx, f)
		if err != nil || next != "" || !slices.Equal(auditIDs(got), c.want) {
			t.Errorf("%s: ListAudit = %v, %q, %v\nwant %v", c.name, auditIDs(got), next, err, c.want)
		}
		f.Limit = 3
		if paged := auditIDs(listAudit(t, s, f)); !slices.Equal(paged, c.want) {
			t.Errorf("%s: by pages of 3 = %v\nwant %v", c.name, paged, c.want)
		}
	}
	got, next, err := s.ListAudit(ctx, store.AuditFilter{Limit: 24})
	if err != nil || len(got) != 24 || next != "" {
		t.Errorf("ListAudit of exactly a page = %d entries, cursor %q, %v; want 24 and no cursor", len(got), next, err)
	}
	_, _, err = s.ListAudit(ctx, store.AuditFilter{Cursor: badID})
	wantErr(t, "ListAudit malformed cursor", err, store.ErrInvalid)

	// Limit zero or negative is DefaultListLimit; a page also stops at
	// MaxAuditPageBytes.
	detail := strings.Repeat("x", store.MaxAuditDetail)
	for range store.DefaultListLimit + 20 {
		mustNot(t, "AppendAudit", s.AppendAudit(ctx, &store.AuditEntry{Actor: "big", Action: store.AuditPlan, Result: store.AuditOK, Detail: detail}))
	}
	for _, limit := range []int{0, -1} {
		got, next, err := s.ListAudit(ctx, store.AuditFilter{Limit: limit, Actor: "bob"})
		if err != nil || len(got) != 8 || next != "" {
			t.Errorf("ListAudit(limit %d, bob) = %d, %q, %v; want all 8", limit, len(got), next, err)
		}
		got, next, err = s.ListAudit(ctx, store.AuditFilter{Limit: limit, Actor: "big"})
		if err != nil || len(got) > store.DefaultListLimit || next == "" {
			t.Errorf("ListAudit(limit %d) = %d, %q, %v; want at most %d and a cursor", limit, len(got), next, err, store.DefaultListLimit)
		}
	}
	got, next, err = s.ListAudit(ctx, store.AuditFilter{Limit: store.MaxListLimit, Actor: "big"})
	mustNot(t, "ListAudit", err)
	size := 0
	for _, e := range got {
		size += len(e.Actor) + len(e.Action) + len(e.Repo) + len(e.Stack) + len(e.RunID) + len(e.Detail)
	}
	if size > store.MaxAuditPageBytes || next == "" {
		t.Errorf("a page of big entries holds %d bytes in %d entries, cursor %q; want at most %d bytes and a cursor",
			size, len(got), next, store.MaxAuditPageBytes)
	}
	if n := len(listAudit(t, s, store.AuditFilter{Limit: store.MaxListLimit, Actor: "big"})); n != store.DefaultListLimit+20 {
		t.Errorf("pages of big entries hold %d entries, want %d", n, store.DefaultListLimit+20)
	}
}
