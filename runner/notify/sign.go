package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// DefaultMaxAge is the signature age Verify accepts when given none.
const DefaultMaxAge = 5 * time.Minute

// signaturePrefix starts every X-Driftgate-Signature value.
const signaturePrefix = "sha256="

// sign returns the X-Driftgate-Signature value of body sent at timestamp.
func sign(secret []byte, timestamp string, body []byte) string {
	return signaturePrefix + hex.EncodeToString(mac(secret, timestamp, body))
}

// mac is HMAC-SHA256(secret, timestamp + "." + body).
func mac(secret []byte, timestamp string, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(timestamp))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks a webhook request as a receiver should: timestamp and
// signature are the X-Driftgate-Timestamp and X-Driftgate-Signature header
// values, body the raw request body. It fails with ErrTimestamp when the
// timestamp is not unix seconds or is more than maxAge away from now
// (either way, for clock skew), and with ErrSignature when the signature is
// not the HMAC-SHA256 of the package doc's scheme. A zero or negative
// maxAge means DefaultMaxAge; an empty secret fails with ErrNoSecret.
func Verify(secret []byte, timestamp, signature string, body []byte, maxAge time.Duration, now time.Time) error {
	if len(secret) == 0 {
		return ErrNoSecret
	}
	if maxAge <= 0 {
		maxAge = DefaultMaxAge
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %q is not unix seconds", ErrTimestamp, clip(timestamp, 32))
	}
	if age := now.Sub(time.Unix(ts, 0)); age > maxAge || age < -maxAge {
		return fmt.Errorf("%w: signed %s from now, more than %s", ErrTimestamp, age.Round(time.Second), maxAge)
	}
	digest, ok := strings.CutPrefix(signature, signaturePrefix)
	if !ok {
		return fmt.Errorf("%w: no %s prefix", ErrSignature, signaturePrefix)
	}
	got, err := hex.DecodeString(digest)
	if err != nil {
		return fmt.Errorf("%w: not hex", ErrSignature)
	}
	if !hmac.Equal(got, mac(secret, timestamp, body)) {
		return ErrSignature
	}
	return nil
}

// clip shortens s to at most n bytes, marking the cut, on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
