package tfrun

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
)

// planStateEntry is the zip entry of a saved plan that holds the prior
// state: the state the plan was made against, as its backend held it.
const planStateEntry = "tfstate"

// PlanFileState returns the serial and lineage of the prior state recorded
// in a saved plan (the tfstate entry of the zip `terraform plan -out`
// writes). At apply, Terraform refuses the plan as stale unless the
// backend's state still has this serial and lineage.
//
// When the backend held no state at plan time, Terraform 1.11 still writes
// the entry, with serial 0 and an empty lineage. PullState reports the same
// stack as Empty, with Serial 0 and Lineage "" too, so comparing Serial and
// Lineage with a PulledState taken just before applying tells whether the
// plan is still current in both cases: a stack never applied, and one
// applied before.
//
// Bytes that are not a zip, or a zip without a v4 state in tfstate, give an
// error that matches ErrNotPlanFile.
func PlanFileState(planFile []byte) (serial uint64, lineage string, err error) {
	zr, err := zip.NewReader(bytes.NewReader(planFile), int64(len(planFile)))
	if err != nil {
		return 0, "", fmt.Errorf("%w: %w", ErrNotPlanFile, err)
	}
	f, err := zr.Open(planStateEntry)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, "", fmt.Errorf("%w: no %s entry", ErrNotPlanFile, planStateEntry)
	}
	if err != nil {
		return 0, "", fmt.Errorf("%w: open %s: %w", ErrNotPlanFile, planStateEntry, err)
	}
	defer f.Close()
	var h stateHeader
	if err := json.NewDecoder(f).Decode(&h); err != nil {
		return 0, "", fmt.Errorf("%w: %s entry: %w", ErrNotPlanFile, planStateEntry, err)
	}
	if h.Version != "4" {
		return 0, "", fmt.Errorf("%w: %s entry has state format %q, want 4", ErrNotPlanFile, planStateEntry, h.Version)
	}
	return h.Serial, h.Lineage, nil
}
