package storetest

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/driftgate/driftgate/store"
)

// deliveryIDs returns the ids of deliveries, in order.
func deliveryIDs(ds []store.Delivery) []string {
	ids := make([]string, len(ds))
	for i, d := range ds {
		ids[i] = d.ID
	}
	return ids
}

func testDeliveries(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t, Options{})

	d := store.Delivery{EventID: "ev1", EventType: "drift_found", Sink: "slack", Repo: "infra", Stack: "net",
		Event: json.RawMessage(`{"type":"drift_found","stack":"net"}`)}
	mustNot(t, "PutDelivery", s.PutDelivery(ctx, &d))
	if len(d.ID) != 26 || d.Status != store.DeliveryPending || d.CreatedAt.IsZero() || d.UpdatedAt.IsZero() {
		t.Errorf("new delivery = %+v, want an id, pending, CreatedAt and UpdatedAt", d)
	}
	got, err := s.GetDelivery(ctx, d.ID)
	mustNot(t, "GetDelivery", err)
	gotEv, wantEv := got.Event, d.Event
	got.Event, d.Event = nil, nil
	if !same(*got, d) || !sameJSON(gotEv, wantEv) {
		t.Errorf("GetDelivery = %+v %s, want %+v %s", *got, gotEv, d, wantEv)
	}
	d.Event = wantEv

	// Replace: a zero CreatedAt keeps the stored one.
	created := d.CreatedAt
	d.Status, d.Attempts, d.LastError, d.DeliveredAt, d.CreatedAt = store.DeliveryDelivered, 2, "", at(4), time.Time{}
	mustNot(t, "PutDelivery update", s.PutDelivery(ctx, &d))
	if got, _ := s.GetDelivery(ctx, d.ID); got == nil || got.Status != store.DeliveryDelivered || got.Attempts != 2 ||
		!sameTime(got.CreatedAt, created) || !sameTime(got.DeliveredAt, at(4)) {
		t.Errorf("updated delivery = %+v, want delivered, 2 attempts, CreatedAt kept", got)
	}

	for name, bad := range map[string]store.Delivery{
		"no sink":        {EventID: "e"},
		"unknown status": {Sink: "s", Status: "lost"},
		"malformed id":   {ID: badID, Sink: "s"},
	} {
		wantErr(t, "PutDelivery "+name, s.PutDelivery(ctx, &bad), store.ErrInvalid)
	}
	unknown := store.Delivery{ID: unknownID, Sink: "s"}
	wantErr(t, "PutDelivery of an unknown id", s.PutDelivery(ctx, &unknown), store.ErrNotFound)
	unknown.CreatedAt = at(1)
	wantErr(t, "PutDelivery of an unknown id with CreatedAt", s.PutDelivery(ctx, &unknown), store.ErrNotFound)
	_, err = s.GetDelivery(ctx, unknownID)
	wantErr(t, "GetDelivery unknown", err, store.ErrNotFound)
	_, err = s.GetDelivery(ctx, badID)
	wantErr(t, "GetDelivery malformed", err, store.ErrNotFound, store.ErrInvalid)

	// Listing: newest first, by repo (LocalRepo for local), stack, status.
	var all []store.Delivery
	all = append(all, d)
	for i, st := range []store.DeliveryStatus{store.DeliveryPending, store.DeliveryFailed, store.DeliveryPending, store.DeliveryDelivered, store.DeliveryPending} {
		nd := store.Delivery{EventID: "ev", Sink: "hook", Repo: []string{"infra", "", "app"}[i%3], Stack: []string{"net", "dns"}[i%2], Status: st}
		mustNot(t, "PutDelivery", s.PutDelivery(ctx, &nd))
		all = append(all, nd)
	}
	slices.Reverse(all)
	want := func(keep func(store.Delivery) bool) []string {
		var ids []string
		for _, d := range all {
			if keep(d) {
				ids = append(ids, d.ID)
			}
		}
		return ids
	}
	for _, c := range []struct {
		name string
		f    store.DeliveryFilter
		want []string
	}{
		{"all", store.DeliveryFilter{}, want(func(store.Delivery) bool { return true })},
		{"repo", store.DeliveryFilter{Repo: "infra"}, want(func(d store.Delivery) bool { return d.Repo == "infra" })},
		{"local", store.DeliveryFilter{Repo: store.LocalRepo}, want(func(d store.Delivery) bool { return d.Repo == "" })},
		{"stack", store.DeliveryFilter{Stack: "dns"}, want(func(d store.Delivery) bool { return d.Stack == "dns" })},
		{"status", store.DeliveryFilter{Status: store.DeliveryPending}, want(func(d store.Delivery) bool { return d.Status == store.DeliveryPending })},
		{"limit", store.DeliveryFilter{Limit: 2}, want(func(store.Delivery) bool { return true })[:2]},
	} {
		got, err := s.ListDeliveries(ctx, c.f)
		if err != nil || !slices.Equal(deliveryIDs(got), c.want) {
			t.Errorf("ListDeliveries %s = %v, %v; want %v", c.name, deliveryIDs(got), err, c.want)
		}
	}
	_, err = s.ListDeliveries(ctx, store.DeliveryFilter{Status: "lost"})
	wantErr(t, "ListDeliveries unknown status", err, store.ErrInvalid)

	pending, err := s.PendingDeliveries(ctx)
	mustNot(t, "PendingDeliveries", err)
	wantPending := want(func(d store.Delivery) bool { return d.Status == store.DeliveryPending })
	slices.Reverse(wantPending)
	if !slices.Equal(deliveryIDs(pending), wantPending) {
		t.Errorf("PendingDeliveries = %v, want %v (oldest first)", deliveryIDs(pending), wantPending)
	}

	// Prune: finished deliveries created before the cutoff; pending ones
	// stay whatever their age.
	time.Sleep(5 * time.Millisecond)
	cutoff := time.Now()
	time.Sleep(5 * time.Millisecond)
	late := store.Delivery{Sink: "hook", Status: store.DeliveryFailed}
	mustNot(t, "PutDelivery", s.PutDelivery(ctx, &late))
	n, err := s.PruneDeliveries(ctx, cutoff)
	if err != nil || n != 3 {
		t.Errorf("PruneDeliveries = %d, %v; want the 3 finished ones before the cutoff", n, err)
	}
	left, _ := s.ListDeliveries(ctx, store.DeliveryFilter{})
	wantLeft := append([]string{late.ID}, want(func(d store.Delivery) bool { return d.Status == store.DeliveryPending })...)
	if !slices.Equal(deliveryIDs(left), wantLeft) {
		t.Errorf("deliveries after prune = %v, want %v", deliveryIDs(left), wantLeft)
	}
}

func testOutbox(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t, Options{})
	now := time.Now()

	comment := func(repo string, pr int, marker, body string) store.OutboxItem {
		return store.OutboxItem{Repo: repo, Kind: store.OutboxComment, PR: pr, Marker: marker, Body: body}
	}
	status := store.OutboxItem{Repo: "infra", Kind: store.OutboxStatus, Commit: "c1", Context: "driftgate/net",
		State: "success", Description: "no changes", TargetURL: "https://driftgate/runs/1"}
	mustNot(t, "QueueOutbox", s.QueueOutbox(ctx, status, comment("infra", 10, "plan", "v1"), comment("infra", 2, "plan", "x"),
		comment("infra2", 1, "plan", "other repo"), store.OutboxItem{Repo: "infra", Kind: store.OutboxDeleteComment, PR: 2, Marker: "old"}))
	pending, err := s.PendingOutbox(ctx, "infra", now)
	mustNot(t, "PendingOutbox", err)
	var got []string
	for _, it := range pending {
		got = append(got, string(it.Kind)+":"+it.Marker+it.Context)
	}
	// Key order: a repo's comments by PR number, then marker; then its
	// statuses.
	if want := []string{"delete_comment:old", "comment:plan", "comment:plan", "status:driftgate/net"}; !slices.Equal(got, want) {
		t.Errorf("PendingOutbox(infra) = %v, want %v", got, want)
	}
	if pending[1].PR != 2 || pending[2].PR != 10 {
		t.Errorf("comments in PR order %d, %d; want 2, 10", pending[1].PR, pending[2].PR)
	}
	if it := pending[3]; it.State != "success" || it.Description != "no changes" || it.TargetURL != status.TargetURL || it.Commit != "c1" {
		t.Errorf("status entry = %+v", it)
	}
	if every, _ := s.PendingOutbox(ctx, "", now); len(every) != 5 {
		t.Errorf("PendingOutbox(\"\") = %d entries, want 5", len(every))
	}

	// Queuing a target again replaces its pending update.
	v1 := pending[2]
	mustNot(t, "QueueOutbox", s.QueueOutbox(ctx, comment("infra", 10, "plan", "v2")))
	pending, _ = s.PendingOutbox(ctx, "infra", now)
	if len(pending) != 4 || pending[2].Body != "v2" || pending[2].Seq <= v1.Seq {
		t.Fatalf("after a second queue: %+v; want v2 in place of v1, with a higher Seq", pending)
	}
	v2 := pending[2]

	// Done and retry of a version replaced meanwhile do nothing.
	mustNot(t, "DoneOutbox stale", s.DoneOutbox(ctx, v1))
	mustNot(t, "RetryOutbox stale", s.RetryOutbox(ctx, v1, now.Add(time.Hour), errNo))
	if pending, _ = s.PendingOutbox(ctx, "infra", now); len(pending) != 4 || pending[2].Body != "v2" || pending[2].Attempts != 0 {
		t.Errorf("a stale done or retry changed the entry: %+v", pending)
	}

	// Retry: not due until next.
	next := now.Add(time.Hour)
	mustNot(t, "RetryOutbox", s.RetryOutbox(ctx, v2, next, errNo))
	if pending, _ = s.PendingOutbox(ctx, "infra", now); len(pending) != 3 {
		t.Errorf("PendingOutbox before the retry is due = %d entries, want 3", len(pending))
	}
	later, _ := s.PendingOutbox(ctx, "infra", next)
	if len(later) != 4 || later[2].Attempts != 1 || later[2].LastError != errNo.Error() || !sameTime(later[2].NextAt, next) {
		t.Errorf("retried entry at next = %+v, want 1 attempt, the error and NextAt", later)
	}
	// Retried again, then delivered.
	mustNot(t, "RetryOutbox again", s.RetryOutbox(ctx, later[2], next, errNo))
	later, _ = s.PendingOutbox(ctx, "infra", next)
	if later[2].Attempts != 2 {
		t.Errorf("attempts after a second retry = %d, want 2", later[2].Attempts)
	}
	mustNot(t, "DoneOutbox", s.DoneOutbox(ctx, later[2]))
	if later, _ = s.PendingOutbox(ctx, "infra", next); len(later) != 3 {
		t.Errorf("PendingOutbox after done = %d entries, want 3", len(later))
	}
	// Queuing a retried target resets its attempts and makes it due now.
	mustNot(t, "RetryOutbox", s.RetryOutbox(ctx, pending[0], next, errNo))
	mustNot(t, "QueueOutbox", s.QueueOutbox(ctx, store.OutboxItem{Repo: "infra", Kind: store.OutboxDeleteComment, PR: 2, Marker: "old"}))
	if pending, _ = s.PendingOutbox(ctx, "infra", now); len(pending) != 3 || pending[0].Attempts != 0 || pending[0].LastError != "" {
		t.Errorf("queued again after a retry: %+v, want due now with no attempts", pending)
	}
}
