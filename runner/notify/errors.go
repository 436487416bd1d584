package notify

import "errors"

// Sentinel errors returned (wrapped) by the package. Test for them with
// errors.Is.
var (
	// ErrNoSecret reports a Verify call with an empty secret.
	ErrNoSecret = errors.New("no webhook secret to verify with")

	// ErrSignature reports a missing, malformed or wrong signature.
	ErrSignature = errors.New("webhook signature does not match")

	// ErrTimestamp reports a malformed timestamp or one outside the
	// allowed age, as a replayed request has.
	ErrTimestamp = errors.New("webhook timestamp is malformed or too old")

	// errPermanent marks a send failure that retrying cannot fix.
	errPermanent = errors.New("permanent failure")
)
