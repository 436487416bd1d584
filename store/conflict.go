package store

import "fmt"

// ConflictError is the error of a change the run's (or record's) current
// state does not allow. Reason says why in words a user understands, so a
// caller can show it as it is; the error wraps ErrConflict.
type ConflictError struct {
	Reason string
}

// Error returns "conflict: " and the reason.
func (e *ConflictError) Error() string { return ErrConflict.Error() + ": " + e.Reason }

// Unwrap returns ErrConflict.
func (e *ConflictError) Unwrap() error { return ErrConflict }

// conflict returns a *ConflictError with the formatted reason.
func conflict(format string, args ...any) error {
	return &ConflictError{Reason: fmt.Sprintf(format, args...)}
}
