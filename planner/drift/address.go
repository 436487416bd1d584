package drift

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/driftgate/driftgate/planner/internal/globs"
)

// Resource globs match resource addresses. Their syntax is that of
// extra_triggers globs, with "." where paths have "/":
//
//   - an address is split into segments at each "." outside an index's
//     brackets and quotes: module.app.aws_instance.web["a.b"] has the
//     segments module, app, aws_instance and web["a.b"];
//   - within a segment, path.Match's syntax: "*" matches any run of
//     characters (never a ".", since "." separates segments), "?" one
//     character, "[a-z]" or "[^a-z]" ("[!a-z]" too) one of a class, and "\"
//     escapes the next character, so an index's brackets are written
//     "\[" and "\]": aws_instance.web\[0\];
//   - a segment "**" matches zero or more whole segments;
//   - "{a,b}" matches either alternative, and may nest;
//   - a pattern segment that does not match an indexed segment as a whole
//     is tried against the segment without its index, so, as in
//     Terraform, aws_instance.web names every instance of web.
//
// So "aws_autoscaling_group.*" matches aws_autoscaling_group.web and
// aws_autoscaling_group.web[0], but not the same resource in a module:
// "module.app.aws_autoscaling_group.*" or "**.aws_autoscaling_group.*"
// match that. "**" alone matches every address.

// maxAlternatives bounds brace expansion so a pattern such as
// "{a,b}{c,d}{e,f}..." cannot make matching explode.
const maxAlternatives = 256

// addressGlob is a compiled resource glob.
type addressGlob struct {
	pattern string
	alts    [][]string // brace-expanded alternatives, split into segments
}

// compileAddressGlob parses pattern, reporting ErrBadGlob when it is
// malformed.
func compileAddressGlob(pattern string) (*addressGlob, error) {
	if pattern == "" {
		return nil, fmt.Errorf("empty resource glob: %w", ErrBadGlob)
	}
	expanded, err := globs.Expand(pattern, maxAlternatives)
	if err != nil {
		return nil, fmt.Errorf("resource glob %q: %w: %w", pattern, ErrBadGlob, err)
	}
	g := &addressGlob{pattern: pattern}
	for _, alt := range expanded {
		segs := splitSegments(alt, true)
		for _, s := range segs {
			if s == "" {
				return nil, fmt.Errorf("resource glob %q: empty segment: %w", pattern, ErrBadGlob)
			}
			if err := checkSegment(s); err != nil {
				return nil, fmt.Errorf("resource glob %q: segment %q: %w", pattern, s, err)
			}
		}
		g.alts = append(g.alts, segs)
	}
	return g, nil
}

// match reports whether the resource address matches the glob.
func (g *addressGlob) match(address string) bool {
	name := splitSegments(address, false)
	for _, alt := range g.alts {
		if globs.MatchSegments(alt, name, matchAddressSegment) {
			return true
		}
	}
	return false
}

// splitSegments splits an address, or a glob when isGlob, at each "." that
// is outside double quotes and outside brackets. In a glob, "\" escapes the
// next character and brackets open a character class; in an address,
// brackets hold an index and "\" escapes only inside quotes.
func splitSegments(s string, isGlob bool) []string {
	var segs []string
	start := 0
	inQuote, inBracket := false, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && (isGlob || inQuote):
			i++
		case isGlob && inBracket:
			inBracket = c != ']' // a class: quotes and dots in it are members
		case c == '"':
			inQuote = !inQuote
		case inQuote:
		case c == '[':
			inBracket = true
		case c == ']':
			inBracket = false
		case c == '.' && !inBracket:
			segs = append(segs, s[start:i])
			start = i + 1
		}
	}
	return append(segs, s[start:])
}

// matchAddressSegment matches one glob segment against one address
// segment, or against the address segment without its index.
func matchAddressSegment(pat, seg string) bool {
	if matchSegment(pat, seg) {
		return true
	}
	if i := strings.IndexByte(seg, '['); i > 0 {
		return matchSegment(pat, seg[:i])
	}
	return false
}

// checkSegment reports ErrBadGlob when seg is not a valid path.Match
// pattern ("[!" accepted for "[^").
func checkSegment(seg string) error {
	for i := 0; i < len(seg); {
		switch seg[i] {
		case '\\':
			if i+1 >= len(seg) {
				return fmt.Errorf("trailing \\: %w", ErrBadGlob)
			}
			_, w := utf8.DecodeRuneInString(seg[i+1:])
			i += 1 + w
		case '[':
			_, n, ok := matchClass(seg[i:], 0)
			if !ok {
				return fmt.Errorf("malformed character class: %w", ErrBadGlob)
			}
			i += n
		default:
			i++
		}
	}
	return nil
}

// matchSegment reports whether name matches the path.Match pattern pat,
// except that "*", "?" and classes match "/" too (quoted index keys may hold
// one). A malformed pattern matches nothing.
func matchSegment(pat, name string) bool {
	px, nx := 0, 0
	starPx, starNx := -1, -1 // where to resume after the last "*"
	for px < len(pat) || nx < len(name) {
		if px < len(pat) {
			switch c := pat[px]; c {
			case '*':
				starPx, starNx = px, nx
				px++
				continue
			case '?':
				if nx < len(name) {
					_, w := utf8.DecodeRuneInString(name[nx:])
					px++
					nx += w
					continue
				}
			case '[':
				if nx < len(name) {
					r, w := utf8.DecodeRuneInString(name[nx:])
					in, n, ok := matchClass(pat[px:], r)
					if !ok {
						return false
					}
					if in {
						px += n
						nx += w
						continue
					}
				}
			default:
				lit := pat[px:]
				if c == '\\' {
					if px+1 >= len(pat) {
						return false
					}
					lit = pat[px+1:]
				}
				_, pw := utf8.DecodeRuneInString(lit)
				if strings.HasPrefix(name[nx:], lit[:pw]) {
					px += len(pat[px:]) - len(lit) + pw
					nx += pw
					continue
				}
			}
		}
		if starPx >= 0 && starNx < len(name) {
			_, w := utf8.DecodeRuneInString(name[starNx:])
			starNx += w
			px, nx = starPx+1, starNx
			continue
		}
		return false
	}
	return true
}

// matchClass parses the character class at the start of pat ("[...]") and
// reports whether r is in it, the class's length in bytes, and whether the
// class is well formed, with path.Match's rules: a class holds at least one
// character or range, "-" and "]" must be escaped where they would start
// one, and a range's ends must be in order.
func matchClass(pat string, r rune) (in bool, n int, ok bool) {
	i := 1
	negate := false
	if i < len(pat) && (pat[i] == '^' || pat[i] == '!') {
		negate = true
		i++
	}
	ranges := 0
	for {
		if i < len(pat) && pat[i] == ']' && ranges > 0 {
			return in != negate, i + 1, true
		}
		lo, w, ok := classChar(pat[i:])
		if !ok {
			return false, 0, false
		}
		i += w
		hi := lo
		if i < len(pat) && pat[i] == '-' {
			hi, w, ok = classChar(pat[i+1:])
			if !ok || hi < lo {
				return false, 0, false
			}
			i += 1 + w
		}
		if lo <= r && r <= hi {
			in = true
		}
		ranges++
	}
}

// classChar reads one, possibly escaped, character of a class.
func classChar(s string) (rune, int, bool) {
	if s == "" || s[0] == '-' || s[0] == ']' {
		return 0, 0, false
	}
	n := 0
	if s[0] == '\\' {
		n = 1
		if len(s) < 2 {
			return 0, 0, false
		}
	}
	r, w := utf8.DecodeRuneInString(s[n:])
	if r == utf8.RuneError && w == 1 {
		return 0, 0, false
	}
	return r, n + w, true
}
