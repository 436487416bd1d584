// Package notify delivers driftgate's drift notifications to webhooks and
// Slack, with retries, and records every delivery in the store.
//
// # Delivery
//
// Notifier.Notify redacts an event, records one pending delivery per
// matching sink in the store (the event's JSON included) and returns; it
// never waits on the network. Notifier.Run delivers in the background, one
// worker per sink, each sink's deliveries in the order they were queued,
// retrying failures with exponential backoff and jitter. Every attempt
// updates the delivery's record: delivered, failed (after the last attempt
// or at once on an answer that retrying cannot fix, such as 404), or still
// pending. The queue is durable: deliveries still pending when Run returns,
// including one cut off mid-request, stay pending and are resumed when Run
// starts again, so a delivery may arrive twice but is never lost to a
// restart. Receivers deduplicate by the X-Driftgate-Delivery header.
//
// Sensitive attribute values never leave the process: Event.Redacted
// replaces the values of every attribute marked Sensitive with
// "(sensitive value)", and both Notify and every sink's Send apply it
// whatever the caller passed.
//
// # Webhook requests
//
// A webhook sink POSTs the event as compact JSON with snake_case fields and
// these headers:
//
//	Content-Type:          application/json
//	User-Agent:            driftgate
//	X-Driftgate-Event:     the event type, such as drift_found
//	X-Driftgate-Delivery:  the event id, the same on every retry and sink
//	X-Driftgate-Timestamp: when this attempt was signed, in unix seconds
//	X-Driftgate-Signature: sha256=<hex HMAC-SHA256>, only with a secret
//
// The signature is the lowercase hex HMAC-SHA256, keyed with the sink's
// secret, of the timestamp header's exact value, a dot, and the raw request
// body:
//
//	X-Driftgate-Signature: sha256=hex(HMAC-SHA256(secret, timestamp + "." + body))
//
// A receiver recomputes it over the body bytes it received (before any
// JSON decoding), compares in constant time, and rejects requests whose
// timestamp is more than a few minutes from its clock, which stops the
// replay of a captured request; it drops repeated delivery ids to ignore
// retries. Verify does the first two steps. Each attempt is signed afresh,
// so a retry carries a new timestamp. A webhook configured without a secret
// sends no signature header, and the notifier logs a warning for it once
// when it is built.
package notify
