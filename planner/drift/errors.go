package drift

import "errors"

// Errors of ignore_drift rules, reported by Rule.Validate.
var (
	// ErrBadGlob is a malformed resource glob.
	ErrBadGlob = errors.New("malformed resource glob")
	// ErrBadAttributePath is a malformed attribute path prefix.
	ErrBadAttributePath = errors.New("malformed attribute path")
	// ErrNoResources is a rule that names no resource.
	ErrNoResources = errors.New("rule names no resources")
)
