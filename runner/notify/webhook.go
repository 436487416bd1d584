package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Webhook request headers; the package doc describes them.
const (
	HeaderEvent     = "X-Driftgate-Event"
	HeaderDelivery  = "X-Driftgate-Delivery"
	HeaderTimestamp = "X-Driftgate-Timestamp"
	HeaderSignature = "X-Driftgate-Signature"
)

// userAgent is the User-Agent of every request.
const userAgent = "driftgate"

// webhook POSTs events as JSON, signed when it has a secret.
type webhook struct {
	name   string
	url    string
	secret []byte
	client *http.Client
	now    func() time.Time
}

// NewWebhook returns a sink that POSTs each event as JSON to url, signed
// with secret as the package doc describes; with an empty secret requests
// are not signed. The secret is copied. A nil client means one with a 30s
// timeout that does not follow redirects. Errors never quote the URL.
func NewWebhook(name, url string, secret []byte, client *http.Client) Sink {
	if client == nil {
		client = defaultClient()
	}
	return &webhook{name: name, url: url, secret: bytes.Clone(secret), client: client, now: time.Now}
}

// Name returns the sink's configured name.
func (w *webhook) Name() string { return w.name }

// signed reports whether the webhook signs its requests.
func (w *webhook) signed() bool { return len(w.secret) > 0 }

// Send POSTs the redacted event once.
func (w *webhook) Send(ctx context.Context, ev Event) error {
	body, err := json.Marshal(ev.Redacted())
	if err != nil {
		return fmt.Errorf("webhook %s: %w: encode event: %w", w.name, errPermanent, err)
	}
	ts := strconv.FormatInt(w.now().Unix(), 10)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", userAgent)
	h.Set(HeaderEvent, string(ev.Type))
	h.Set(HeaderDelivery, ev.ID)
	h.Set(HeaderTimestamp, ts)
	if w.signed() {
		h.Set(HeaderSignature, sign(w.secret, ts, body))
	}
	if err := post(ctx, w.client, w.url, h, body); err != nil {
		return fmt.Errorf("webhook %s: %w", w.name, err)
	}
	return nil
}
