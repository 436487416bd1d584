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

// StateRef names a state by its serial and lineage, as a saved plan and
// `terraform state pull` report them; the zero StateRef is no state.
type StateRef struct {
	Serial  uint64
	Lineage string
}

func (r StateRef) String() string {
	if r == (StateRef{}) {
		return "no state"
	}
	return fmt.Sprintf("serial %d lineage %s", r.Serial, r.Lineage)
}

// StaleStateError reports that the state changed since a saved plan was
// made: applying it would apply changes computed against another state.
// It matches ErrStaleState.
type StaleStateError struct {
	// Want is the state the plan was made against.
	Want StateRef
	// Got is the state found before applying.
	Got StateRef
}

// Error says which state the plan was made against and which was found.
func (e *StaleStateError) Error() string {
	return fmt.Sprintf("the state changed since the plan: it was %s, it is now %s; plan again", e.Want, e.Got)
}

// Is reports whether target is ErrStaleState.
func (e *StaleStateError) Is(target error) bool { return target == ErrStaleState }
