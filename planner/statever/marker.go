package statever

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
)

// A sensitive value is replaced by a marker that names it without holding
// it: "(sensitive value hmac:3f9a0c2b1d)", the first markerHexLen hex
// digits of HMAC-SHA256(key, canonical JSON of the value). Two versions
// holding the same secret get the same marker and a changed secret gets a
// different one, so a diff shows that a secret changed.
//
// The marker is keyed, not a plain hash: secrets are often short or
// guessable (a six-digit PIN, a dictionary password), and a plain SHA-256
// of one is reversed by trying candidates. Without the key, the marker
// gives an attacker nothing to test guesses against. The key is one random
// value per driftgate install, kept out of the store: whoever holds both
// the key and the store can still confirm a guess. Ten hex digits (40 bits)
// are enough to tell versions apart and too few to be a useful oracle.
const (
	markerPrefix = "(sensitive value hmac:"
	markerSuffix = ")"
	markerHexLen = 10
)

// MinKeySize is the shortest redaction key Redact accepts. Use 32 random
// bytes.
const MinKeySize = 16

// marker returns the marker of v, a decoded JSON value. The canonical JSON
// is encoding/json's: object keys sorted, numbers as the state wrote them.
func marker(key []byte, v any) string {
	canon, err := json.Marshal(v)
	if err != nil {
		// Values come from the JSON decoder and always encode; hash a
		// stable rendering all the same rather than fail open.
		canon = fmt.Appendf(nil, "%#v", v)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write(canon)
	return markerPrefix + hex.EncodeToString(mac.Sum(nil))[:markerHexLen] + markerSuffix
}

// IsMarker reports whether v is a redaction marker, i.e. a value Redact put
// in place of a sensitive one.
func IsMarker(v any) bool {
	s, ok := v.(string)
	if !ok || len(s) != len(markerPrefix)+markerHexLen+len(markerSuffix) {
		return false
	}
	if !strings.HasPrefix(s, markerPrefix) || !strings.HasSuffix(s, markerSuffix) {
		return false
	}
	_, err := hex.DecodeString(s[len(markerPrefix) : len(markerPrefix)+markerHexLen])
	return err == nil
}
