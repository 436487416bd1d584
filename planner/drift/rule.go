package drift

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Rule is one ignore_drift rule: findings it matches are accepted, shown
// but never alerted on.
//
// A finding matches when its address matches one of Resources (see the
// resource glob syntax in address.go: "aws_autoscaling_group.*",
// "module.app.**", "aws_instance.web\[0\]") and every one of its changed
// attributes lies under one of Attributes. An attribute path prefix covers
// the path itself and everything below it, step by step: "tags" covers tags,
// tags.env and tags["cost-center"] but not tags_all; "tags.env" and
// tags["env"] are the same prefix; a step "*" (or "[*]") covers any one
// step, as in "ingress[*].cidr_blocks". A rule without Attributes accepts
// any attribute, and is the only kind that accepts a deleted resource or a
// finding that names no attribute.
type Rule struct {
	// Resources are resource address globs; a rule without any matches
	// nothing ("**" matches every resource).
	Resources []string `json:"resources"`
	// Attributes are attribute path prefixes; empty means any attribute.
	Attributes []string `json:"attributes,omitempty"`
}

// String renders the rule for display, as Finding.Rule records it:
// `aws_autoscaling_group.* [desired_capacity]`, or
// `aws_autoscaling_group.* [all attributes]`.
func (r Rule) String() string {
	attrs := "all attributes"
	if len(r.Attributes) > 0 {
		attrs = strings.Join(r.Attributes, ", ")
	}
	return strings.Join(r.Resources, ", ") + " [" + attrs + "]"
}

// Validate reports every malformed glob or attribute path of the rule,
// wrapping ErrNoResources, ErrBadGlob or ErrBadAttributePath. Evaluate
// does not need valid rules: a malformed glob matches no address and a
// malformed attribute path covers no attribute, so a bad rule accepts less,
// never more.
func (r Rule) Validate() error {
	var errs []error
	if len(r.Resources) == 0 {
		errs = append(errs, ErrNoResources)
	}
	for _, p := range r.Resources {
		if _, err := compileAddressGlob(p); err != nil {
			errs = append(errs, err)
		}
	}
	for _, a := range r.Attributes {
		if _, ok := parseAttrPath(a); !ok {
			errs = append(errs, fmt.Errorf("attribute path %q: %w", a, ErrBadAttributePath))
		}
	}
	return errors.Join(errs...)
}

// compiledRule is a Rule ready to match.
type compiledRule struct {
	text     string
	globs    []*addressGlob
	anyAttr  bool
	prefixes [][]attrStep
}

// compileRules compiles rules, dropping the parts that do not compile: a
// malformed glob or attribute path matches nothing.
func compileRules(rules []Rule) []compiledRule {
	out := make([]compiledRule, 0, len(rules))
	for _, r := range rules {
		cr := compiledRule{text: r.String(), anyAttr: len(r.Attributes) == 0}
		for _, p := range r.Resources {
			if g, err := compileAddressGlob(p); err == nil {
				cr.globs = append(cr.globs, g)
			}
		}
		for _, a := range r.Attributes {
			if steps, ok := parseAttrPath(a); ok {
				cr.prefixes = append(cr.prefixes, steps)
			}
		}
		out = append(out, cr)
	}
	return out
}

// accept returns the text of the first rule that accepts f, or "".
func accept(rules []compiledRule, f *Finding) string {
	for i := range rules {
		if rules[i].accepts(f) {
			return rules[i].text
		}
	}
	return ""
}

// accepts reports whether the rule matches f's address and covers all of
// f's attributes.
func (r *compiledRule) accepts(f *Finding) bool {
	matched := false
	for _, g := range r.globs {
		if g.match(f.Address) {
			matched = true
			break
		}
	}
	switch {
	case !matched:
		return false
	case r.anyAttr:
		return true
	case f.Kind == KindDeleted || len(f.Attributes) == 0:
		return false
	}
	for _, a := range f.Attributes {
		if !r.covers(a.Path) {
			return false
		}
	}
	return true
}

// covers reports whether one of the rule's prefixes covers the path. A
// path that does not parse is covered by none.
func (r *compiledRule) covers(path string) bool {
	steps, ok := parseAttrPath(path)
	if !ok {
		return false
	}
	for _, prefix := range r.prefixes {
		if hasStepPrefix(steps, prefix) {
			return true
		}
	}
	return false
}

// attrStep is one step of an attribute path: an attribute name, a map key
// or a list index, all as text; wild is a "*" step, which matches any one.
type attrStep struct {
	name string
	wild bool
}

// parseAttrPath parses an attribute path as analysis.Path.String renders it
// (a, a.b, a["k"], a[0]) into steps, reporting whether it is well formed.
// An unquoted key in brackets (a[k]) is accepted as a["k"]. An unquoted "*"
// step ("a.*", "a[*]") is a wildcard.
func parseAttrPath(s string) ([]attrStep, bool) {
	var steps []attrStep
	i := 0
	readName := func() (string, bool) {
		j := i
		for j < len(s) && s[j] != '.' && s[j] != '[' {
			if s[j] == ']' || s[j] == '"' {
				return "", false
			}
			j++
		}
		name := s[i:j]
		i = j
		return name, name != ""
	}
	if i < len(s) && s[i] != '[' {
		name, ok := readName()
		if !ok {
			return nil, false
		}
		steps = append(steps, attrStep{name: name, wild: name == "*"})
	}
	for i < len(s) {
		switch s[i] {
		case '.':
			i++
			name, ok := readName()
			if !ok {
				return nil, false
			}
			steps = append(steps, attrStep{name: name, wild: name == "*"})
		case '[':
			i++
			if i < len(s) && s[i] == '"' {
				end := closingQuote(s, i)
				if end < 0 || end+1 >= len(s) || s[end+1] != ']' {
					return nil, false
				}
				key, err := strconv.Unquote(s[i : end+1])
				if err != nil {
					return nil, false
				}
				steps = append(steps, attrStep{name: key})
				i = end + 2
				continue
			}
			end := strings.IndexAny(s[i:], `]["`)
			if end <= 0 || s[i+end] != ']' {
				return nil, false
			}
			key := s[i : i+end]
			steps = append(steps, attrStep{name: key, wild: key == "*"})
			i += end + 1
		default:
			return nil, false
		}
	}
	return steps, len(steps) > 0
}

// closingQuote returns the index of the quote that closes the quoted string
// starting at s[open], or -1.
func closingQuote(s string, open int) int {
	for j := open + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '"':
			return j
		}
	}
	return -1
}

// hasStepPrefix reports whether prefix covers path: path is at least as
// long and each prefix step is a wildcard or the same step.
func hasStepPrefix(path, prefix []attrStep) bool {
	if len(path) < len(prefix) {
		return false
	}
	for i, p := range prefix {
		if !p.wild && p.name != path[i].name {
			return false
		}
	}
	return true
}
