package notify

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestWebhookSend(t *testing.T) {
	r := newReceiver(t)
	secret := []byte(webhookKey)
	sink := NewWebhook("hook", r.url(), secret, nil)
	secret[0] = 'X' // the sink keeps its own copy
	ev := driftEvent()
	before := time.Now()
	if err := sink.Send(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	reqs := r.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	req := reqs[0]

	for header, want := range map[string]string{
		"Content-Type":  "application/json",
		"User-Agent":    "driftgate",
		HeaderEvent:     "drift_found",
		HeaderDelivery:  testEventID,
		HeaderSignature: sign([]byte(webhookKey), req.Header.Get(HeaderTimestamp), req.Body),
	} {
		if got := req.Header.Get(header); got != want {
			t.Errorf("%s = %q, want %q", header, got, want)
		}
	}
	ts, err := strconv.ParseInt(req.Header.Get(HeaderTimestamp), 10, 64)
	if err != nil || ts < before.Unix() || ts > time.Now().Unix() {
		t.Errorf("%s = %q, want the time of sending", HeaderTimestamp, req.Header.Get(HeaderTimestamp))
	}

	// The receiver's side.
	sig, stamp := req.Header.Get(HeaderSignature), req.Header.Get(HeaderTimestamp)
	if err := Verify([]byte(webhookKey), stamp, sig, req.Body, time.Minute, time.Now()); err != nil {
		t.Errorf("Verify rejects a genuine request: %v", err)
	}
	if err := Verify([]byte("wrong secret"), stamp, sig, req.Body, time.Minute, time.Now()); !errors.Is(err, ErrSignature) {
		t.Errorf("Verify with a wrong secret = %v, want ErrSignature", err)
	}
	tampered := bytes.Replace(req.Body, []byte("large"), []byte("small"), 1)
	if err := Verify([]byte(webhookKey), stamp, sig, tampered, time.Minute, time.Now()); !errors.Is(err, ErrSignature) {
		t.Errorf("Verify of a tampered body = %v, want ErrSignature", err)
	}
	if err := Verify([]byte(webhookKey), stamp, sig, req.Body, time.Minute, time.Now().Add(time.Hour)); !errors.Is(err, ErrTimestamp) {
		t.Errorf("Verify of a replay an hour later = %v, want ErrTimestamp", err)
	}

	// The body is the redacted event, compact, snake_case.
	var got Event
	if err := json.Unmarshal(req.Body, &got); err != nil {
		t.Fatal(err)
	}
	want := ev.Redacted()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("body decodes to\n%+v\nwant\n%+v", got, want)
	}
	for _, field := range []string{`"run_id":`, `"first_seen":`, `"attributes":[{"path":"instance_type","before":"small","after":"large"}`} {
		if !bytes.Contains(req.Body, []byte(field)) {
			t.Errorf("body lacks %s: %s", field, req.Body)
		}
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, req.Body); err != nil || compact.Len() != len(req.Body) {
		t.Errorf("body is not compact JSON: %s", req.Body)
	}
	if bytes.Contains(req.Body, []byte(secretValue)) {
		t.Errorf("body holds the sensitive value: %s", req.Body)
	}
}

func TestWebhookWithoutSecretIsUnsigned(t *testing.T) {
	r := newReceiver(t)
	if err := NewWebhook("hook", r.url(), nil, nil).Send(t.Context(), driftEvent()); err != nil {
		t.Fatal(err)
	}
	req := r.requests()[0]
	if _, ok := req.Header[HeaderSignature]; ok {
		t.Errorf("unsigned webhook sent %s: %q", HeaderSignature, req.Header.Get(HeaderSignature))
	}
	if req.Header.Get(HeaderTimestamp) == "" {
		t.Errorf("no %s", HeaderTimestamp)
	}

	logger, logs := testLogger()
	_, err := New(openStore(t), []Route{
		{Sink: NewWebhook("unsigned", r.url(), nil, nil)},
		{Sink: NewWebhook("signed", r.url(), []byte(webhookKey), nil)},
	}, Options{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(logs.String(), "webhook has no secret"); n != 1 || !strings.Contains(logs.String(), "sink=unsigned") {
		t.Errorf("want one warning about sink unsigned, got logs:\n%s", logs)
	}
}
