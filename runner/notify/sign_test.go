package notify

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestVerify(t *testing.T) {
	secret := []byte(webhookKey)
	body := []byte(`{"id":"e1","type":"drift_found"}`)
	now := time.Unix(1_780_000_000, 0)
	ts := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).Unix(), 10) }
	good := ts(-time.Minute)

	tests := []struct {
		name      string
		secret    []byte
		timestamp string
		signature string
		body      string
		maxAge    time.Duration
		want      error
	}{
		{"valid", secret, good, sign(secret, good, body), string(body), 0, nil},
		{"valid at the edge of max age", secret, ts(-10 * time.Second), sign(secret, ts(-10*time.Second), body), string(body), 10 * time.Second, nil},
		{"wrong secret", []byte("other"), good, sign(secret, good, body), string(body), 0, ErrSignature},
		{"tampered body", secret, good, sign(secret, good, body), `{"id":"e1","type":"drift_resolved"}`, 0, ErrSignature},
		{"timestamp swapped", secret, ts(-30 * time.Second), sign(secret, good, body), string(body), 0, ErrSignature},
		{"old timestamp", secret, ts(-6 * time.Minute), sign(secret, ts(-6*time.Minute), body), string(body), 0, ErrTimestamp},
		{"older than max age", secret, good, sign(secret, good, body), string(body), 30 * time.Second, ErrTimestamp},
		{"future timestamp", secret, ts(time.Hour), sign(secret, ts(time.Hour), body), string(body), 0, ErrTimestamp},
		{"malformed timestamp", secret, "yesterday", sign(secret, "yesterday", body), string(body), 0, ErrTimestamp},
		{"no prefix", secret, good, sign(secret, good, body)[len(signaturePrefix):], string(body), 0, ErrSignature},
		{"not hex", secret, good, "sha256=zz", string(body), 0, ErrSignature},
		{"empty signature", secret, good, "", string(body), 0, ErrSignature},
		{"no secret", nil, good, sign(nil, good, body), string(body), 0, ErrNoSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Verify(tt.secret, tt.timestamp, tt.signature, []byte(tt.body), tt.maxAge, now)
			if !errors.Is(got, tt.want) || (tt.want == nil) != (got == nil) {
				t.Errorf("Verify = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestSignKnownVector pins the scheme to an independent implementation:
//
//	echo -n '1700000000.{}' | openssl dgst -sha256 -hmac key
func TestSignKnownVector(t *testing.T) {
	got := sign([]byte("key"), "1700000000", []byte("{}"))
	want := "sha256=9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae"
	if got != want {
		t.Errorf("sign = %s, want %s", got, want)
	}
}

// FuzzVerify checks that Verify never panics on outside input and accepts
// only the signature sign makes.
func FuzzVerify(f *testing.F) {
	f.Add([]byte("key"), "1700000000", "sha256=00", []byte("{}"))
	f.Add([]byte("key"), "-1", "sha256=", []byte(""))
	f.Add([]byte(""), "99999999999999999999", "sha1=abc", []byte("x"))
	f.Fuzz(func(t *testing.T, secret []byte, timestamp, signature string, body []byte) {
		now := time.Unix(1700000000, 0)
		err := Verify(secret, timestamp, signature, body, time.Hour, now)
		if err == nil && !strings.EqualFold(signature, sign(secret, timestamp, body)) {
			t.Errorf("Verify accepted %q for %q", signature, body)
		}
	})
}
