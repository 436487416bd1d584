// Package statever turns a Terraform state, as `terraform state pull`
// prints it, into driftgate's record of one state version: every resource
// instance with its attributes and every root output, with each sensitive
// value replaced by a keyed fingerprint (see Redact). It also compares two
// such records (see Diff). Everything here is pure: bytes in, values out.
package statever

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Errors returned (wrapped) by Redact and Decode.
var (
	// ErrKey reports a redaction key too short to keep secrets secret.
	ErrKey = errors.New("redaction key too short")
	// ErrMalformed reports input that is not a state Redact understands,
	// or not a Version Decode can read.
	ErrMalformed = errors.New("malformed state")
)

// Version is the redacted record of one state version. No value in it is
// sensitive: Redact has replaced each by a marker (see IsMarker).
type Version struct {
	Serial           uint64            `json:"serial"`
	Lineage          string            `json:"lineage"`
	TerraformVersion string            `json:"terraform_version,omitempty"`
	Resources        []Resource        `json:"resources"`
	Outputs          map[string]Output `json:"outputs,omitempty"`
}

// Resource is one resource instance object in a state: the current object
// of an instance, or a deposed one (Deposed set) left by a
// create_before_destroy replacement that did not finish.
type Resource struct {
	// Address is the instance's address as Terraform prints it:
	// module.net["eu"].aws_subnet.a[0], data.aws_ami.ubuntu.
	Address string `json:"address"`
	// Mode is "managed" or "data".
	Mode string `json:"mode"`
	Type string `json:"type"`
	Name string `json:"name"`
	// Module is the module instance path, empty in the root module.
	Module string `json:"module,omitempty"`
	// Index is the instance key: an int (count), a string (for_each) or
	// nil.
	Index any `json:"index,omitempty"`
	// Deposed is the deposed object's key, empty for the current object.
	Deposed string `json:"deposed,omitempty"`
	// Attributes are the object's attributes, redacted.
	Attributes map[string]any `json:"attributes"`
}

// Output is one root module output, its value redacted when Sensitive.
type Output struct {
	Value     any  `json:"value"`
	Sensitive bool `json:"sensitive,omitempty"`
}

// key identifies r within a version: its address, and for a deposed object
// the deposed key too.
func (r *Resource) key() string {
	if r.Deposed == "" {
		return r.Address
	}
	return r.Address + " (deposed " + r.Deposed + ")"
}

// Decode reads a Version from its JSON encoding (as stored), keeping
// numbers exact (json.Number) so that Diff compares them as Redact made
// them.
func Decode(raw []byte) (*Version, error) {
	var v Version
	if err := decodeJSON(raw, &v); err != nil {
		return nil, err
	}
	for i := range v.Resources {
		if n, ok := v.Resources[i].Index.(json.Number); ok {
			idx, err := strconv.Atoi(n.String())
			if err != nil {
				return nil, fmt.Errorf("%w: resource %s: index %s", ErrMalformed, v.Resources[i].Address, n)
			}
			v.Resources[i].Index = idx
		}
	}
	return &v, nil
}

// decodeJSON decodes exactly one JSON value from raw into v, numbers as
// json.Number.
func decodeJSON(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: data after the top-level value", ErrMalformed)
	}
	return nil
}
