package store

import "errors"

// Sentinel errors returned (wrapped) by the store. Test for them with
// errors.Is.
var (
	// ErrNotFound reports that the requested record does not exist.
	ErrNotFound = errors.New("not found")

	// ErrExists reports that a record with the same key already exists.
	ErrExists = errors.New("already exists")

	// ErrInvalid reports an argument the store cannot accept: a malformed
	// run id or cursor, an unknown run status, a name containing a NUL
	// byte, or a change to a run's repo or stack.
	ErrInvalid = errors.New("invalid argument")

	// ErrLocked reports that another process holds the data dir's database
	// file lock.
	ErrLocked = errors.New("another driftgate process holds the data dir")

	// ErrSchemaTooNew reports a database written by a newer driftgate than
	// this binary understands.
	ErrSchemaTooNew = errors.New("database schema is newer than this driftgate supports")

	// ErrConflict reports a change the record's current state does not
	// allow: a state version that differs from the one stored at its
	// serial, or a run change a caller's rule refuses (claiming a run that
	// is no longer queued, cancelling a finished run), which the caller
	// returns as a *ConflictError.
	ErrConflict = errors.New("conflict")

	// ErrPlanTampered reports a stored plan file whose bytes no longer hash
	// to the sha256 recorded when it was stored.
	ErrPlanTampered = errors.New("plan file does not match its recorded sha256")

	// ErrDamaged reports a database file that is not whole: cut short,
	// its meta pages overwritten, or records that do not decode.
	ErrDamaged = errors.New("database file is damaged")

	// ErrNoDatabase reports a missing or empty database file in a data dir
	// that an earlier install used: Open refuses to start over empty
	// unless Options.InitEmpty says so.
	ErrNoDatabase = errors.New("no database where driftgate ran before")
)
