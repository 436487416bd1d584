package tfrun

import "fmt"

// VersionMismatchError reports that the binary resolved for an apply is
// not the product and version that made the saved plan. Terraform and
// OpenTofu refuse a plan made by another version anyway, but only after
// init; this error comes before anything runs and says what to do. It
// matches ErrVersionMismatch.
type VersionMismatchError struct {
	// WantProduct and Want are the product and version that made the
	// plan; WantProduct is empty when the plan did not record it.
	WantProduct Product
	Want        string
	// GotProduct and Got are the product and version resolved for the
	// apply.
	GotProduct Product
	Got        string
}

// Error says which binary would apply the plan and what to do instead.
func (e *VersionMismatchError) Error() string {
	want := e.WantProduct
	if want == "" {
		want = e.GotProduct
	}
	return fmt.Sprintf("%s would apply a plan made by %s: plan again with the current version",
		Describe(string(e.GotProduct), e.Got), Describe(string(want), e.Want))
}

// Is reports whether target is ErrVersionMismatch.
func (e *VersionMismatchError) Is(target error) bool { return target == ErrVersionMismatch }

// checkVersion returns a *VersionMismatchError when bin is another
// version than wantVersion, or another product than wantProduct, of those
// that are set.
func checkVersion(bin *Binary, wantProduct Product, wantVersion string) error {
	got := bin.Version.String()
	if (wantVersion != "" && got != wantVersion) || (wantProduct != "" && bin.Product != wantProduct) {
		return &VersionMismatchError{WantProduct: wantProduct, Want: wantVersion, GotProduct: bin.Product, Got: got}
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
