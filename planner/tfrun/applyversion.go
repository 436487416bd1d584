package tfrun

import "fmt"

// VersionMismatchError reports that the terraform binary resolved for an
// apply is not the version that made the saved plan. Terraform refuses a
// plan made by another version anyway, but only after init; this error
// comes before anything runs and says what to do. It matches
// ErrVersionMismatch.
type VersionMismatchError struct {
	// Want is the version that made the plan.
	Want string
	// Got is the version resolved for the apply.
	Got string
}

// Error says which version would apply the plan and what to do instead.
func (e *VersionMismatchError) Error() string {
	return fmt.Sprintf("terraform %s would apply a plan made by terraform %s: plan again with the current version", e.Got, e.Want)
}

// Is reports whether target is ErrVersionMismatch.
func (e *VersionMismatchError) Is(target error) bool { return target == ErrVersionMismatch }

// checkVersion returns a *VersionMismatchError when want is set and bin is
// another version.
func checkVersion(bin *Binary, want string) error {
	if want == "" {
		return nil
	}
	if got := bin.Version.String(); got != want {
		return &VersionMismatchError{Want: want, Got: got}
	}
	return nil
}
