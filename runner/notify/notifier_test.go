package notify

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/driftgate/driftgate/store"
)

// TestNotifyDeliversToEverySink sends one event to a signed webhook and a
// Slack channel and checks what they got, what was recorded, and that no
// secret shows anywhere.
func TestNotifyDeliversToEverySink(t *testing.T) {
	st := openStore(t)
	hook, chat := newReceiver(t), newReceiver(t)
	logger, logs := testLogger()
	n, err := New(st, []Route{
		{Sink: NewWebhook("hook", hook.url(), []byte(webhookKey), nil)},
		{Sink: NewSlack("chat", chat.url(), nil)},
	}, fastOptions(logger))
	if err != nil {
		t.Fatal(err)
	}
	stop := startNotifier(t, n)
	n.Notify(t.Context(), driftEvent())

	ds := waitDeliveries(t, st, 2)
	stop() // the workers have logged all they will
	for _, d := range ds {
		if d.Status != store.DeliveryDelivered || d.Attempts != 1 || d.DeliveredAt.IsZero() || d.LastError != "" {
			t.Errorf("delivery to %s = %+v", d.Sink, d)
		}
		if d.EventID != testEventID || d.EventType != "drift_found" || d.Repo != "infra" || d.Stack != "network" {
			t.Errorf("delivery to %s records %s %s %s/%s", d.Sink, d.EventID, d.EventType, d.Repo, d.Stack)
		}
		if strings.Contains(string(d.Event), secretValue) {
			t.Errorf("stored event holds the sensitive value: %s", d.Event)
		}
	}

	h := hook.requests()[0]
	if err := Verify([]byte(webhookKey), h.Header.Get(HeaderTimestamp), h.Header.Get(HeaderSignature), h.Body, time.Minute, time.Now()); err != nil {
		t.Errorf("webhook signature: %v", err)
	}
	var got Event
	if err := json.Unmarshal(h.Body, &got); err != nil || got.Finding == nil || got.Finding.Address != "aws_instance.web" {
		t.Errorf("webhook body = %s (%v)", h.Body, err)
	}
	if c := chat.requests()[0]; !strings.Contains(string(c.Body), "Drift found in infra/network: aws_instance.web") {
		t.Errorf("slack body = %s", c.Body)
	}

	for _, r := range append(hook.requests(), chat.requests()...) {
		if strings.Contains(string(r.Body), secretValue) {
			t.Errorf("a request body holds the sensitive value: %s", r.Body)
		}
	}
	for _, secret := range []string{secretValue, webhookKey, slackPath} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("logs show %q:\n%s", secret, logs)
		}
	}
}

func TestRetryUntilDelivered(t *testing.T) {
	st := openStore(t)
	r := newReceiver(t, 500, 500, 200)
	n, err := New(st, []Route{{Sink: NewWebhook("hook", r.url(), []byte(webhookKey), nil)}}, fastOptions(nil))
	if err != nil {
		t.Fatal(err)
	}
	startNotifier(t, n)
	n.Notify(t.Context(), driftEvent())

	d := waitDeliveries(t, st, 1)[0]
	if d.Status != store.DeliveryDelivered || d.Attempts != 3 || d.LastError != "" {
		t.Errorf("delivery = %s after %d attempts (%q), want delivered after 3", d.Status, d.Attempts, d.LastError)
	}
	reqs := r.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3", len(reqs))
	}
	for _, req := range reqs {
		if req.Header.Get(HeaderDelivery) != testEventID || string(req.Body) != string(reqs[0].Body) {
			t.Errorf("retry differs: %s %s", req.Header.Get(HeaderDelivery), req.Body)
		}
		if err := Verify([]byte(webhookKey), req.Header.Get(HeaderTimestamp), req.Header.Get(HeaderSignature), req.Body, time.Minute, time.Now()); err != nil {
			t.Errorf("retry signature: %v", err)
		}
	}
}

func TestGiveUp(t *testing.T) {
	tests := []struct {
		name         string
		status       int
		wantAttempts int
		wantError    string
	}{
		{"always failing", 503, 4, "slack chat: receiver answered 503 Service Unavailable: status 503 for [sink url]"},
		{"not retryable", 404, 1, "slack chat: receiver answered 404 Not Found: status 404 for [sink url]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := openStore(t)
			r := newReceiver(t, tt.status)
			logger, logs := testLogger()
			n, err := New(st, []Route{{Sink: NewSlack("chat", r.url(), nil)}}, fastOptions(logger))
			if err != nil {
				t.Fatal(err)
			}
			stop := startNotifier(t, n)
			n.Notify(t.Context(), driftEvent())

			d := waitDeliveries(t, st, 1)[0]
			stop() // the worker has logged all it will
			if d.Status != store.DeliveryFailed || d.Attempts != tt.wantAttempts || d.LastError != tt.wantError {
				t.Errorf("delivery = %s after %d attempts (%q), want failed after %d (%q)",
					d.Status, d.Attempts, d.LastError, tt.wantAttempts, tt.wantError)
			}
			if got := len(r.requests()); got != tt.wantAttempts {
				t.Errorf("%d requests, want %d", got, tt.wantAttempts)
			}
			if !d.DeliveredAt.IsZero() {
				t.Errorf("failed delivery has DeliveredAt %v", d.DeliveredAt)
			}
			if strings.Contains(logs.String(), slackPath) || strings.Contains(d.LastError, slackPath) {
				t.Errorf("the Slack URL shows in logs or errors:\n%s", logs)
			}
			if !strings.Contains(logs.String(), "giving up") {
				t.Errorf("no log of giving up:\n%s", logs)
			}
		})
	}
}

func TestEventFilters(t *testing.T) {
	st := openStore(t)
	all, resolvedOnly, drift := newReceiver(t), newReceiver(t), newReceiver(t)
	n, err := New(st, []Route{
		{Sink: NewWebhook("all", all.url(), nil, nil)},
		{Sink: NewWebhook("resolved", resolvedOnly.url(), nil, nil), Events: []EventType{DriftResolved}},
		{Sink: NewSlack("drift", drift.url(), nil), Events: []EventType{DriftFound, DriftChanged}},
		{Sink: NewSlack("apps", drift.url(), nil), Repos: []string{"apps"}},
		{Sink: NewSlack("both", drift.url(), nil), Repos: []string{"apps", "infra"}, Events: []EventType{CheckErrored}},
	}, fastOptions(nil))
	if err != nil {
		t.Fatal(err)
	}
	startNotifier(t, n)
	for _, et := range EventTypes {
		ev := driftEvent()
		ev.ID, ev.Type = "", et
		n.Notify(t.Context(), ev)
	}

	apps := driftEvent()
	apps.ID, apps.Repo = "", "apps"
	n.Notify(t.Context(), apps)

	ds := waitDeliveries(t, st, 11)
	got := map[string][]string{}
	for _, d := range slices.Backward(ds) { // oldest first
		got[d.Sink] = append(got[d.Sink], d.EventType)
	}
	want := map[string][]string{
		"all":      {"drift_found", "drift_changed", "drift_resolved", "check_errored", "drift_found"},
		"resolved": {"drift_resolved"},
		"drift":    {"drift_found", "drift_changed", "drift_found"},
		"apps":     {"drift_found"},
		"both":     {"check_errored"},
	}
	if !maps.EqualFunc(got, want, slices.Equal) {
		t.Errorf("deliveries by sink = %v, want %v", got, want)
	}
	// Each sink receives its events in order.
	var order []string
	for _, r := range all.requests() {
		order = append(order, r.Header.Get(HeaderEvent))
	}
	if !slices.Equal(order, want["all"]) {
		t.Errorf("sink all received %v, want %v in order", order, want["all"])
	}
}

func TestNotifyFillsIDAndTimeAndDropsUnknownTypes(t *testing.T) {
	st := openStore(t)
	logger, logs := testLogger()
	n, err := New(st, []Route{{Sink: NewSlack("chat", "http://127.0.0.1:1"+slackPath, nil)}}, fastOptions(logger))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // recorded even so: the event must not be lost at shutdown
	n.Notify(ctx, Event{Type: CheckErrored, Repo: "infra", Stack: "dns", Error: "boom"})
	n.Notify(ctx, Event{Type: "drift_exploded", Stack: "dns"})

	ds, err := st.PendingDeliveries(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 {
		t.Fatalf("%d pending deliveries, want 1", len(ds))
	}
	var ev Event
	if err := json.Unmarshal(ds[0].Event, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.ID == "" || ev.ID != ds[0].EventID || ev.Time.IsZero() {
		t.Errorf("stored event id %q time %v, delivery event id %q", ev.ID, ev.Time, ds[0].EventID)
	}
	if !strings.Contains(logs.String(), "unknown event type") {
		t.Errorf("no log for the dropped event:\n%s", logs)
	}
}

// TestResumePendingDelivery stores a pending delivery, as an earlier run
// left it, before the notifier starts: Run delivers it, continuing its
// attempt count, and fails the one whose sink is gone.
func TestResumePendingDelivery(t *testing.T) {
	st := openStore(t)
	body, err := json.Marshal(driftEvent().Redacted())
	if err != nil {
		t.Fatal(err)
	}
	left := store.Delivery{EventID: testEventID, EventType: "drift_found", Sink: "hook", Repo: "infra", Stack: "network",
		Attempts: 2, LastError: "receiver answered 502 Bad Gateway", Event: body}
	orphan := store.Delivery{EventID: testEventID, EventType: "drift_found", Sink: "removed", Event: body}
	for _, d := range []*store.Delivery{&left, &orphan} {
		if err := st.PutDelivery(t.Context(), d); err != nil {
			t.Fatal(err)
		}
	}

	r := newReceiver(t)
	n, err := New(st, []Route{{Sink: NewWebhook("hook", r.url(), []byte(webhookKey), nil)}}, fastOptions(nil))
	if err != nil {
		t.Fatal(err)
	}
	startNotifier(t, n)
	waitDeliveries(t, st, 2)

	got, err := st.GetDelivery(t.Context(), left.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != store.DeliveryDelivered || got.Attempts != 3 || got.LastError != "" {
		t.Errorf("resumed delivery = %s after %d attempts (%q), want delivered after 3", got.Status, got.Attempts, got.LastError)
	}
	if reqs := r.requests(); len(reqs) != 1 || reqs[0].Header.Get(HeaderDelivery) != testEventID {
		t.Errorf("receiver got %d requests, want the resumed one", len(reqs))
	}
	got, err = st.GetDelivery(t.Context(), orphan.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != store.DeliveryFailed || !strings.Contains(got.LastError, `sink "removed" is no longer configured`) {
		t.Errorf("delivery to a removed sink = %s (%q)", got.Status, got.LastError)
	}
}

// TestShutdownLeavesDeliveriesPending stops the notifier while a delivery
// waits to retry: it stays pending with its attempts, and the next
// notifier on the same store delivers it.
func TestShutdownLeavesDeliveriesPending(t *testing.T) {
	st := openStore(t)
	failing := newReceiver(t, 500)
	opts := fastOptions(nil)
	opts.Backoff, opts.MaxBackoff = time.Hour, time.Hour
	n, err := New(st, []Route{{Sink: NewWebhook("hook", failing.url(), nil, nil)}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	stop := startNotifier(t, n)
	n.Notify(t.Context(), driftEvent())
	var pending []store.Delivery
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if pending, err = st.PendingDeliveries(t.Context()); err != nil {
			t.Fatal(err)
		}
		if len(pending) == 1 && pending[0].Attempts == 1 {
			break // the first attempt is recorded; the retry waits an hour
		}
	}
	stop()
	if pending, err = st.PendingDeliveries(t.Context()); err != nil {
		t.Fatal(err)
	}
	if len(pending) != 1 || pending[0].Attempts != 1 || !strings.Contains(pending[0].LastError, "500") {
		t.Fatalf("after shutdown pending = %+v, want one delivery after 1 attempt", pending)
	}

	ok := newReceiver(t)
	n2, err := New(st, []Route{{Sink: NewWebhook("hook", ok.url(), nil, nil)}}, fastOptions(nil))
	if err != nil {
		t.Fatal(err)
	}
	startNotifier(t, n2)
	d := waitDeliveries(t, st, 1)[0]
	if d.Status != store.DeliveryDelivered || d.Attempts != 2 {
		t.Errorf("after restart = %s after %d attempts, want delivered after 2", d.Status, d.Attempts)
	}
}

func TestNewRejects(t *testing.T) {
	st := openStore(t)
	sink := NewSlack("chat", "http://127.0.0.1:1", nil)
	tests := []struct {
		name   string
		routes []Route
		want   string
	}{
		{"nil sink", []Route{{}}, "a route has no sink"},
		{"no name", []Route{{Sink: NewSlack("", "http://x", nil)}}, "a sink has no name"},
		{"duplicate", []Route{{Sink: sink}, {Sink: NewWebhook("chat", "http://x", nil, nil)}}, `two sinks are named "chat"`},
		{"unknown event", []Route{{Sink: sink, Events: []EventType{"drift"}}}, `unknown event type "drift"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(st, tt.routes, Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New err = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestResumeDeliversWhatAnotherNotifierRecorded: a notifier that does not
// run (a cluster node that does not lead) records the delivery; the running
// one delivers it at its next Resume, once.
func TestResumeDeliversWhatAnotherNotifierRecorded(t *testing.T) {
	st := openStore(t)
	r := newReceiver(t)
	routes := func() []Route { return []Route{{Sink: NewWebhook("hook", r.url(), []byte(webhookKey), nil)}} }
	follower, err := New(st, routes(), fastOptions(nil))
	if err != nil {
		t.Fatal(err)
	}
	leader, err := New(st, routes(), fastOptions(nil))
	if err != nil {
		t.Fatal(err)
	}
	startNotifier(t, leader)
	// Run resumes once as it starts, then its workers deliver: once the
	// leader has delivered an event of its own, that resume is behind it,
	// and what the follower records next waits for a Resume.
	own := driftEvent()
	own.ID = "01JDRIFT0000000000000000E0"
	leader.Notify(t.Context(), own)
	waitDeliveries(t, st, 1)
	follower.Notify(t.Context(), driftEvent())
	time.Sleep(100 * time.Millisecond)
	if reqs := r.requests(); len(reqs) != 1 {
		t.Fatalf("%d requests before the leader resumed, want its own 1", len(reqs))
	}
	for range 2 {
		if err := leader.Resume(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	waitDeliveries(t, st, 2)
	time.Sleep(100 * time.Millisecond)
	if err := leader.Resume(t.Context()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if reqs := r.requests(); len(reqs) != 2 {
		t.Errorf("receiver got %d requests, want 2 (the leader's own and the follower's, once each)", len(reqs))
	}
}

// TestNotifyWithoutRun: a notifier that does not run (a cluster node that
// does not lead) records the delivery and keeps nothing in memory; when it
// runs, it delivers what it recorded.
func TestNotifyWithoutRun(t *testing.T) {
	st := openStore(t)
	r := newReceiver(t)
	n, err := New(st, []Route{{Sink: NewWebhook("hook", r.url(), []byte(webhookKey), nil)}}, fastOptions(nil))
	if err != nil {
		t.Fatal(err)
	}
	n.Notify(t.Context(), driftEvent())
	n.mu.Lock()
	queued := len(n.queued) + len(n.queues["hook"])
	n.mu.Unlock()
	if queued != 0 {
		t.Errorf("a notifier that does not run queued %d deliveries in memory", queued)
	}
	pending, err := st.PendingDeliveries(t.Context())
	if err != nil || len(pending) != 1 {
		t.Fatalf("pending deliveries = %d, %v; want the one recorded", len(pending), err)
	}
	startNotifier(t, n)
	waitDeliveries(t, st, 1)
	if reqs := r.requests(); len(reqs) != 1 {
		t.Errorf("receiver got %d requests, want 1", len(reqs))
	}
}
