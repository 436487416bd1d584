package planner

import (
	"fmt"
	"path"
	"strings"

	"github.com/driftgate/driftgate/planner/internal/globs"
)

// maxGlobAlternatives bounds brace expansion so a pattern such as
// "{a,b}{c,d}{e,f}..." cannot make matching explode.
const maxGlobAlternatives = 256

// glob is a compiled doublestar pattern. Its syntax is path.Match's within
// one path segment ("*", "?", "[a-z]", "\" escapes) plus "{a,b}" alternatives
// and a "**" segment, which matches zero or more whole segments.
type glob struct {
	pattern string
	prefix  string     // literal leading directories without the last "/", for cheap rejection
	alts    [][]string // brace-expanded alternatives, split into segments
}

// compileGlob parses pattern, reporting ErrBadGlob when it is malformed.
func compileGlob(pattern string) (*glob, error) {
	if pattern == "" {
		return nil, fmt.Errorf("empty pattern: %w", ErrBadGlob)
	}
	expanded, err := globs.Expand(pattern, maxGlobAlternatives)
	if err != nil {
		return nil, fmt.Errorf("%q: %w: %w", pattern, ErrBadGlob, err)
	}
	g := &glob{pattern: pattern, prefix: strings.TrimSuffix(literalPrefix(pattern), "/")}
	for _, alt := range expanded {
		segs := strings.Split(alt, "/")
		for i, s := range segs {
			if s == "**" {
				continue
			}
			s = negateClasses(s)
			segs[i] = s
			if _, err := path.Match(s, ""); err != nil {
				return nil, fmt.Errorf("%q: segment %q: %w", pattern, s, ErrBadGlob)
			}
		}
		g.alts = append(g.alts, segs)
	}
	return g, nil
}

// literalPrefix returns the leading directories of pattern that contain no
// special characters, ending in "/" (or "" when there are none).
func literalPrefix(pattern string) string {
	i := strings.IndexAny(pattern, `*?[{\`)
	if i < 0 {
		i = len(pattern)
	}
	j := strings.LastIndexByte(pattern[:i], '/')
	return pattern[:j+1]
}

// negateClasses rewrites "[!...]" classes, which doublestar and shells
// accept, as path.Match's "[^...]".
func negateClasses(seg string) string {
	if !strings.Contains(seg, "[!") {
		return seg
	}
	b := []byte(seg)
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '[':
			if i+1 < len(b) && b[i+1] == '!' {
				b[i+1] = '^'
			}
			for i++; i < len(b) && b[i] != ']'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
		}
	}
	return string(b)
}

// match reports whether the slash-separated path name matches the pattern.
func (g *glob) match(name string) bool {
	if !strings.HasPrefix(name, g.prefix) {
		return false
	}
	segs := strings.Split(name, "/")
	for _, alt := range g.alts {
		if globs.MatchSegments(alt, segs, matchSegment) {
			return true
		}
	}
	return false
}

func matchSegment(pat, name string) bool {
	ok, _ := path.Match(pat, name) // validated by compileGlob
	return ok
}
