package notify

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/driftgate/driftgate/store"
)

// Secrets the tests check never leak.
const (
	secretValue  = "hunter2-db-password"           // a sensitive attribute's value
	webhookKey   = "whsec-0123456789abcdef"        // a webhook's signing secret
	slackPath    = "/services/T0001/B0002/xoxTOKN" // the secret part of a Slack URL
	testEventID  = "01JDRIFT0000000000000000EV"
	testStackKey = "infra/network"
)

// request is one request a receiver got.
type request struct {
	Header http.Header
	Body   []byte
}

// receiver is an HTTP endpoint that answers with scripted statuses, the
// last one repeating, and records every request.
type receiver struct {
	srv *httptest.Server

	mu       sync.Mutex
	statuses []int
	reqs     []request
}

// newReceiver starts a receiver answering statuses in turn (200 if none).
func newReceiver(tb testing.TB, statuses ...int) *receiver {
	tb.Helper()
	r := &receiver{statuses: statuses}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.reqs = append(r.reqs, request{Header: req.Header.Clone(), Body: body})
		code := http.StatusOK
		if len(r.statuses) > 0 {
			code = r.statuses[0]
			if len(r.statuses) > 1 {
				r.statuses = r.statuses[1:]
			}
		}
		r.mu.Unlock()
		w.WriteHeader(code)
		// Echo the path, as a careless receiver might, to check that
		// errors scrub it.
		fmt.Fprintf(w, "status %d for %s", code, req.URL.Path)
	}))
	tb.Cleanup(r.srv.Close)
	return r
}

// url is the receiver's URL with a secret path, like a Slack webhook's.
func (r *receiver) url() string { return r.srv.URL + slackPath }

// requests returns a copy of the requests received so far.
func (r *receiver) requests() []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]request(nil), r.reqs...)
}

// logBuffer collects log output from many goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything logged.
func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// testLogger logs everything, debug included, to a buffer.
func testLogger() (*slog.Logger, *logBuffer) {
	buf := &logBuffer{}
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// openStore opens a real store in a temp dir.
func openStore(tb testing.TB) *store.Store {
	tb.Helper()
	s, err := store.Open(tb.TempDir(), store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// fastOptions retries quickly.
func fastOptions(logger *slog.Logger) Options {
	return Options{Attempts: 4, Backoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond, Logger: logger}
}

// startNotifier runs n until the test ends and returns a function that
// stops it and waits for Run to return.
func startNotifier(tb testing.TB, n *Notifier) (stop func()) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					tb.Errorf("Run: %v", err)
				}
			case <-time.After(10 * time.Second):
				tb.Errorf("Run did not return after cancel")
			}
		})
	}
	tb.Cleanup(stop)
	return stop
}

// waitDeliveries waits until the store holds want deliveries, none
// pending, and returns them newest first.
func waitDeliveries(tb testing.TB, s *store.Store, want int) []store.Delivery {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ds, err := s.ListDeliveries(tb.Context(), store.DeliveryFilter{})
		if err != nil {
			tb.Fatal(err)
		}
		settled := len(ds) == want
		for _, d := range ds {
			settled = settled && d.Status != store.DeliveryPending
		}
		if settled {
			return ds
		}
		if time.Now().After(deadline) {
			for _, d := range ds {
				tb.Logf("delivery %s to %s: %s after %d attempts (%s)", d.ID, d.Sink, d.Status, d.Attempts, d.LastError)
			}
			tb.Fatalf("timed out waiting for %d settled deliveries", want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// driftEvent is a drift_found event with a sensitive attribute whose value
// the caller forgot to redact.
func driftEvent() Event {
	return Event{
		ID:     testEventID,
		Type:   DriftFound,
		Time:   time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC),
		Repo:   "infra",
		Stack:  "network",
		RunID:  "01JDRUN0000000000000000000",
		Commit: "0123456789abcdef0123456789abcdef01234567",
		URL:    "https://driftgate.example/runs/01JDRUN0000000000000000000",
		Finding: &Finding{
			Address: "aws_instance.web",
			Kind:    "changed",
			Cause:   "out_of_band",
			Attributes: []Attribute{
				{Path: "instance_type", Before: "small", After: "large"},
				{Path: "user_data", Before: "old", After: secretValue, Sensitive: true},
			},
			FirstSeen: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC),
			LastSeen:  time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC),
		},
	}
}
