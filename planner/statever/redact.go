package statever

import (
	"encoding/json"
	"fmt"
	"sort"
)

// stateV4 is the part of Terraform's state format v4 that Redact reads.
// Everything else (providers, private data, dependencies, check results)
// is dropped: private data in particular is opaque to driftgate and may
// hold secrets.
type stateV4 struct {
	Version          json.Number         `json:"version"`
	TerraformVersion string              `json:"terraform_version"`
	Serial           uint64              `json:"serial"`
	Lineage          string              `json:"lineage"`
	Outputs          map[string]outputV4 `json:"outputs"`
	Resources        []resourceV4        `json:"resources"`
}

type outputV4 struct {
	Value     any  `json:"value"`
	Sensitive bool `json:"sensitive"`
}

type resourceV4 struct {
	Module    string       `json:"module"`
	Mode      string       `json:"mode"`
	Type      string       `json:"type"`
	Name      string       `json:"name"`
	Instances []instanceV4 `json:"instances"`
}

type instanceV4 struct {
	IndexKey   any            `json:"index_key"`
	Deposed    string         `json:"deposed"`
	Attributes map[string]any `json:"attributes"`
	// AttributesFlat is the pre-0.12 encoding, kept by Terraform until the
	// provider upgrades the object.
	AttributesFlat map[string]string `json:"attributes_flat"`
	// SensitiveAttributes lists the paths Terraform marks sensitive, in
	// cty's path encoding (see sensitive.go).
	SensitiveAttributes json.RawMessage `json:"sensitive_attributes"`
}

// Redact parses raw, a state in format v4 as `terraform state pull` prints
// it, into a Version in which every sensitive value is replaced by a
// marker keyed with key (see marker.go): the attribute paths each instance
// lists in sensitive_attributes, and the values of sensitive outputs. A
// sensitive string (three bytes or more) that also shows up in a value not
// marked sensitive, whole or (six bytes or more) inside a longer string, is
// replaced there too. When an instance's sensitive paths cannot be read,
// all of its attributes are redacted.
//
// key must be at least MinKeySize bytes: one random secret per install.
// raw is not modified and nothing in the result aliases it.
func Redact(raw []byte, key []byte) (*Version, error) {
	if len(key) < MinKeySize {
		return nil, fmt.Errorf("%w: %d bytes, want at least %d", ErrKey, len(key), MinKeySize)
	}
	v, _, err := redactState(raw, key)
	return v, err
}

// redactState is Redact, also returning the strings it redacted.
func redactState(raw []byte, key []byte) (*Version, map[string]struct{}, error) {
	var st stateV4
	if err := decodeJSON(raw, &st); err != nil {
		return nil, nil, fmt.Errorf("decode state: %w", err)
	}
	if st.Version.String() != "4" {
		return nil, nil, fmt.Errorf("%w: state format version %q, want 4", ErrMalformed, st.Version)
	}
	r := redactor{key: key, secrets: map[string]struct{}{}}
	v := &Version{
		Serial:           st.Serial,
		Lineage:          st.Lineage,
		TerraformVersion: st.TerraformVersion,
		Resources:        []Resource{},
	}
	for _, rs := range st.Resources {
		if rs.Mode != "managed" && rs.Mode != "data" {
			return nil, nil, fmt.Errorf("%w: resource %s.%s has mode %q", ErrMalformed, rs.Type, rs.Name, rs.Mode)
		}
		for _, is := range rs.Instances {
			index, err := instanceKey(is.IndexKey)
			if err != nil {
				return nil, nil, fmt.Errorf("%w: resource %s.%s: %w", ErrMalformed, rs.Type, rs.Name, err)
			}
			res := Resource{
				Mode: rs.Mode, Type: rs.Type, Name: rs.Name, Module: rs.Module,
				Index: index, Deposed: is.Deposed,
			}
			res.Address = address(res.Module, res.Mode, res.Type, res.Name, index)
			res.Attributes = r.attributes(is)
			v.Resources = append(v.Resources, res)
		}
	}
	if len(st.Outputs) > 0 {
		v.Outputs = make(map[string]Output, len(st.Outputs))
		for name, o := range st.Outputs {
			out := Output(o)
			if o.Sensitive {
				out.Value = r.redact(o.Value)
			}
			v.Outputs[name] = out
		}
	}
	r.scrubVersion(v)
	sort.SliceStable(v.Resources, func(i, j int) bool { return v.Resources[i].key() < v.Resources[j].key() })
	return v, r.secrets, nil
}

// redactor replaces sensitive values by markers and remembers the strings
// it removed, for scrubbing them from the rest of the version.
type redactor struct {
	key     []byte
	secrets map[string]struct{}
}

// redact returns v's marker, recording the strings inside v as secrets. A
// null stays null: there is nothing in it to hide.
func (r *redactor) redact(v any) any {
	if v == nil {
		return nil
	}
	r.collect(v)
	return marker(r.key, v)
}

// collect records every string inside v as a secret.
func (r *redactor) collect(v any) {
	switch t := v.(type) {
	case string:
		r.secrets[t] = struct{}{}
	case map[string]any:
		for _, e := range t {
			r.collect(e)
		}
	case []any:
		for _, e := range t {
			r.collect(e)
		}
	}
}

// attributes returns an instance's attributes with its sensitive paths
// redacted.
func (r *redactor) attributes(is instanceV4) map[string]any {
	attrs := is.Attributes
	if attrs == nil && is.AttributesFlat != nil {
		attrs = make(map[string]any, len(is.AttributesFlat))
		for k, v := range is.AttributesFlat {
			attrs[k] = v
		}
	}
	if attrs == nil {
		return map[string]any{}
	}
	m := sensitiveMask(is.SensitiveAttributes)
	all := m.all || len(m.idx) > 0 // a list index into an object fits nothing
	out := make(map[string]any, len(attrs))
	for k, v := range attrs {
		if all {
			// The whole object is sensitive, or its paths are unreadable:
			// a marker per attribute still shows which ones changed.
			out[k] = r.redact(v)
			continue
		}
		out[k] = r.redactTree(v, m.keys[k])
	}
	return out
}

// redactTree returns v with the parts m marks replaced by markers. Where m
// does not fit v's shape (an index into an object, a step into a string),
// the whole of v is redacted: failing closed.
func (r *redactor) redactTree(v any, m *mask) any {
	if m == nil {
		return v
	}
	if m.all {
		return r.redact(v)
	}
	switch t := v.(type) {
	case nil:
		return nil
	case map[string]any:
		if len(m.idx) > 0 {
			return r.redact(v)
		}
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = r.redactTree(e, m.keys[k])
		}
		return out
	case []any:
		if len(m.keys) > 0 {
			return r.redact(v)
		}
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = r.redactTree(e, m.idx[i])
		}
		return out
	default:
		return r.redact(v)
	}
}
