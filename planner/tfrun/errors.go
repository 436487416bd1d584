package tfrun

import "errors"

// Sentinel errors of the package. Errors that carry details are typed
// (Error, NoBinaryError, VersionMismatchError, StaleStateError) and match these through
// errors.Is where one applies.
var (
	// ErrBadState reports output of `terraform state pull` that is not a
	// state driftgate reads: not JSON, not format v4, or without a lineage.
	ErrBadState = errors.New("unreadable state")
	// ErrNotPlanFile reports bytes that are not a saved plan as
	// `terraform plan -out` writes it: not a zip, or a zip without a
	// readable tfstate entry.
	ErrNotPlanFile = errors.New("not a terraform plan file")
	// ErrVersionMismatch reports a saved plan that the resolved terraform
	// would apply although another version made it (see
	// VersionMismatchError).
	ErrVersionMismatch = errors.New("terraform version differs from the plan's")
	// ErrStaleState reports a saved plan whose state changed since it was
	// made (see StaleStateError).
	ErrStaleState = errors.New("state changed since the plan")
	// ErrNoWorkspace reports a workspace missing from a state driftgate
	// must not create workspaces in (a Borrowed LocalState).
	ErrNoWorkspace = errors.New("no such workspace")
	// ErrNoLockProbe reports a backend whose state lock StateLock cannot
	// probe: the cloud and remote backends, whose plans run in HCP
	// Terraform or Terraform Enterprise, where the workspace shows its lock.
	ErrNoLockProbe = errors.New("state lock of this backend cannot be probed")
	// ErrNotTerraform reports a binary that says it is neither Terraform
	// nor OpenTofu when asked its version.
	ErrNotTerraform = errors.New("not a terraform or tofu binary")
	// errBadLockInfo reports a local lock info file that is not the JSON
	// Terraform writes.
	errBadLockInfo = errors.New("unreadable lock info")
)
