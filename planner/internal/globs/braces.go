// Package globs holds what the planner's path globs and the drift engine's
// address globs share: "{a,b}" expansion and "**" segment matching.
package globs

import (
	"errors"
	"fmt"
)

// ErrMalformed reports an unmatched or unclosed brace, or too many
// alternatives.
var ErrMalformed = errors.New("malformed brace group")

// Expand expands the "{a,b}" alternatives of p, nested or not, into at most
// max patterns, keeping "\" escapes and braces inside "[...]" classes
// untouched for the matcher that follows.
func Expand(p string, max int) ([]string, error) {
	open, depth := -1, 0
	inClass := false
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == '\\':
			i++
		case inClass:
			if c == ']' {
				inClass = false
			}
		case c == '[':
			inClass = true
		case c == '{':
			if depth == 0 {
				open = i
			}
			depth++
		case c == '}' && depth > 0:
			depth--
			if depth == 0 {
				return expandGroup(p[:open], p[open+1:i], p[i+1:], max)
			}
		case c == '}':
			return nil, fmt.Errorf("unmatched '}': %w", ErrMalformed)
		}
	}
	if depth > 0 {
		return nil, fmt.Errorf("unclosed '{': %w", ErrMalformed)
	}
	return []string{p}, nil
}

// expandGroup expands prefix{body}suffix where body is the group's content.
func expandGroup(prefix, body, suffix string, max int) ([]string, error) {
	rest, err := Expand(suffix, max)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, choice := range splitTopLevel(body) {
		heads, err := Expand(prefix+choice, max)
		if err != nil {
			return nil, err
		}
		for _, h := range heads {
			for _, r := range rest {
				if len(out) == max {
					return nil, fmt.Errorf("more than %d alternatives: %w", max, ErrMalformed)
				}
				out = append(out, h+r)
			}
		}
	}
	return out, nil
}

// splitTopLevel splits a brace group's body at commas outside nested groups
// and classes.
func splitTopLevel(body string) []string {
	var parts []string
	depth, start := 0, 0
	inClass := false
	for i := 0; i < len(body); i++ {
		switch c := body[i]; {
		case c == '\\':
			i++
		case inClass:
			if c == ']' {
				inClass = false
			}
		case c == '[':
			inClass = true
		case c == '{':
			depth++
		case c == '}':
			depth--
		case c == ',' && depth == 0:
			parts = append(parts, body[start:i])
			start = i + 1
		}
	}
	return append(parts, body[start:])
}
