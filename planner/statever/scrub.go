package statever

import (
	"sort"
	"strings"
)

// Scrubbing limits, as for plans (planner/analysis): a secret is replaced
// wherever it is a whole string once it is minExactSecret bytes long, and
// inside longer strings once it is minSubstringSecret long. Shorter
// secrets are still redacted where Terraform marks them; scrubbing them
// everywhere would erase unrelated words.
const (
	minExactSecret     = 3
	minSubstringSecret = 6
)

// scrubber replaces known secrets in values Terraform did not mark
// sensitive: a secret copied into a description, a connection string built
// from a password with nonsensitive().
type scrubber struct {
	exact    map[string]string // secret -> its marker
	replacer *strings.Replacer // nil when no secret is long enough
}

// scrubVersion scrubs the redactor's secrets from every resource's
// attributes and from the outputs not marked sensitive.
func (r *redactor) scrubVersion(v *Version) {
	if len(r.secrets) == 0 {
		return
	}
	s := scrubber{exact: map[string]string{}}
	var long []string
	for secret := range r.secrets {
		if len(secret) < minExactSecret || IsMarker(secret) {
			continue
		}
		s.exact[secret] = marker(r.key, secret)
		if len(secret) >= minSubstringSecret {
			long = append(long, secret)
		}
	}
	// At any position the replacer tries secrets in argument order:
	// longest first, so a secret that contains another is replaced whole.
	sort.Slice(long, func(i, j int) bool {
		if len(long[i]) != len(long[j]) {
			return len(long[i]) > len(long[j])
		}
		return long[i] < long[j]
	})
	if len(long) > 0 {
		pairs := make([]string, 0, 2*len(long))
		for _, secret := range long {
			pairs = append(pairs, secret, s.exact[secret])
		}
		s.replacer = strings.NewReplacer(pairs...)
	}
	for i := range v.Resources {
		v.Resources[i].Attributes = s.tree(v.Resources[i].Attributes).(map[string]any)
	}
	for name, o := range v.Outputs {
		if !o.Sensitive {
			o.Value = s.tree(o.Value)
			v.Outputs[name] = o
		}
	}
}

// tree returns v with every string and object key scrubbed. Markers are
// left alone.
func (s *scrubber) tree(v any) any {
	switch t := v.(type) {
	case string:
		return s.str(t)
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[s.str(k)] = s.tree(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = s.tree(e)
		}
		return out
	}
	return v
}

func (s *scrubber) str(x string) string {
	if IsMarker(x) {
		return x
	}
	if m, ok := s.exact[x]; ok {
		return m
	}
	if s.replacer != nil {
		return s.replacer.Replace(x)
	}
	return x
}
