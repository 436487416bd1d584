package analysis

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Marker replaces every sensitive value in what driftgate stores or prints.
// It matches the text Terraform itself prints for sensitive values.
const Marker = "(sensitive value)"

// Scrubbing limits: a secret is replaced wherever it appears as a whole JSON
// string once it is minExactSecret bytes long, and inside longer text (logs,
// human-readable plans, generated config) once it is minSubstringSecret long.
// Shorter secrets are still masked structurally by the sensitivity marks;
// scrubbing them everywhere would erase unrelated words.
const (
	minExactSecret     = 3
	minSubstringSecret = 6
)

// Secrets is the set of sensitive string values found in a plan. It is used
// to scrub the same values from everything else a run produces: the human
// readable plan, the log and the redacted plan JSON itself.
type Secrets struct {
	values map[string]struct{}
	order  []string // values longest first; nil when stale
}

// NewSecrets returns an empty set.
func NewSecrets() *Secrets {
	return &Secrets{values: map[string]struct{}{}}
}

// Len reports how many distinct secrets the set holds.
func (s *Secrets) Len() int { return len(s.values) }

// Add records v and every string nested inside it as secret.
func (s *Secrets) Add(v any) {
	switch v := v.(type) {
	case string:
		if len(v) >= minExactSecret {
			if _, ok := s.values[v]; !ok {
				s.values[v] = struct{}{}
				s.order = nil
			}
		}
	case map[string]any:
		for _, e := range v {
			s.Add(e)
		}
	case []any:
		for _, e := range v {
			s.Add(e)
		}
	}
}

// Merge adds every secret of o to s.
func (s *Secrets) Merge(o *Secrets) {
	for v := range o.values {
		s.values[v] = struct{}{}
	}
	s.order = nil
}

// sorted returns the secrets longest first, so that a secret containing
// another is replaced whole. The order is computed once per change of the
// set: scrubbing a plan calls it for every string.
func (s *Secrets) sorted() []string {
	if s.order != nil {
		return s.order
	}
	out := make([]string, 0, len(s.values))
	for v := range s.values {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool {
		if len(out[i]) != len(out[j]) {
			return len(out[i]) > len(out[j])
		}
		return out[i] < out[j]
	})
	s.order = out
	return out
}

// ScrubString replaces every secret in str with Marker.
func (s *Secrets) ScrubString(str string) string {
	if len(s.values) == 0 || str == "" {
		return str
	}
	if _, ok := s.values[str]; ok {
		return Marker
	}
	for _, v := range s.sorted() {
		if len(v) >= minSubstringSecret && strings.Contains(str, v) {
			str = strings.ReplaceAll(str, v, Marker)
		}
	}
	return str
}

// Scrub replaces every secret in text (a log, a human-readable plan) with
// Marker. The input is not modified.
func (s *Secrets) Scrub(text []byte) []byte {
	if len(s.values) == 0 {
		return text
	}
	out := text
	for _, v := range s.sorted() {
		if len(v) >= minSubstringSecret && bytes.Contains(out, []byte(v)) {
			out = bytes.ReplaceAll(out, []byte(v), []byte(Marker))
		}
	}
	return out
}

// scrubTree replaces secrets in every string of a decoded JSON tree, in place
// where it can, and returns the (possibly new) value.
func (s *Secrets) scrubTree(v any) any {
	switch t := v.(type) {
	case string:
		return s.ScrubString(t)
	case map[string]any:
		for k, e := range t {
			t[k] = s.scrubTree(e)
		}
	case []any:
		for i, e := range t {
			t[i] = s.scrubTree(e)
		}
	}
	return v
}

// redactValue returns v with every part that mask marks sensitive replaced
// by Marker, recording the replaced values in secrets. A mask is Terraform's
// sensitivity structure: true for a wholly sensitive value, or an object or
// array of masks mirroring v. The input is not modified.
func redactValue(v, mask any, secrets *Secrets) any {
	switch m := mask.(type) {
	case bool:
		if m && v != nil {
			secrets.Add(v)
			return Marker
		}
		return v
	case map[string]any:
		obj, ok := v.(map[string]any)
		if !ok {
			return v
		}
		out := make(map[string]any, len(obj))
		for k, e := range obj {
			out[k] = redactValue(e, m[k], secrets)
		}
		return out
	case []any:
		arr, ok := v.([]any)
		if !ok {
			return v
		}
		out := make([]any, len(arr))
		for i, e := range arr {
			var sub any
			if i < len(m) {
				sub = m[i]
			}
			out[i] = redactValue(e, sub, secrets)
		}
		return out
	}
	return v
}

// decodeJSON decodes raw keeping numbers exact.
func decodeJSON(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decode plan json: %w", err)
	}
	return nil
}
