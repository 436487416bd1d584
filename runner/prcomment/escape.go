package prcomment

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/driftgate/driftgate/planner/analysis"
)

// ellipsis ends a string cut short.
const ellipsis = "…"

// text writes s as plain text for markdown and HTML in at most max bytes
// (an ellipsis ends it when cut): punctuation that markdown or HTML read as
// markup becomes a numeric character reference, control characters and
// line breaks become spaces, bidi controls become U+FFFD and "@" is
// followed by a zero-width space so it mentions no one.
func text(s string, max int) string {
	var pieces []string
	total := 0
	for _, r := range strings.ToValidUTF8(prefix(s, 4*max+4), "\uFFFD") {
		if total > max {
			break // enough to know it is cut
		}
		switch {
		case r == '@':
			pieces = append(pieces, "@&#8203;")
		case r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029':
			pieces = append(pieces, " ")
		case isBidi(r):
			pieces = append(pieces, "\uFFFD")
		case r < 0x80 && strings.ContainsRune("\\`*_{}[]()#+!|~<>&\"':$=^", r):
			pieces = append(pieces, fmt.Sprintf("&#%d;", r))
		default:
			pieces = append(pieces, string(r))
		}
		total += len(pieces[len(pieces)-1])
	}
	return clip(pieces, max)
}

// clip joins pieces if they fit in max bytes, and otherwise as many as fit
// followed by an ellipsis. A piece is never cut.
func clip(pieces []string, max int) string {
	total := 0
	for _, p := range pieces {
		total += len(p)
	}
	if total <= max {
		return strings.Join(pieces, "")
	}
	var b strings.Builder
	for _, p := range pieces {
		if b.Len()+len(p) > max-len(ellipsis) {
			break
		}
		b.WriteString(p)
	}
	b.WriteString(ellipsis)
	return b.String()
}

func isBidi(r rune) bool {
	return (r >= '\u202A' && r <= '\u202E') || (r >= '\u2066' && r <= '\u2069') || r == '\u200E' || r == '\u200F' || r == '\u061C'
}

// oneLine makes s safe to put inside a code span: valid UTF-8, no line
// breaks or control characters, at most max bytes (an ellipsis ends it when
// cut).
func oneLine(s string, max int) string {
	var pieces []string
	total := 0
	for _, r := range strings.ToValidUTF8(prefix(s, 4*max+4), "\uFFFD") {
		if total > max {
			break // enough to know it is cut
		}
		if r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029' {
			r = ' '
		} else if isBidi(r) {
			r = '\uFFFD'
		}
		pieces = append(pieces, string(r))
		total += utf8.RuneLen(r)
	}
	return clip(pieces, max)
}

// code writes s as an inline code span of at most max+ a few bytes: the
// content is cut to max bytes, and the span's backtick fence is longer than
// any backtick run inside, so the content cannot end it.
func code(s string, max int) string {
	c := oneLine(s, max)
	if strings.TrimSpace(c) == "" {
		return "`" + `""` + "`"
	}
	fence := strings.Repeat("`", longestRun(c, '`')+1)
	if strings.HasPrefix(c, "`") || strings.HasSuffix(c, "`") || (strings.HasPrefix(c, " ") && strings.HasSuffix(c, " ")) {
		c = " " + c + " "
	}
	return fence + c + fence
}

// longestRun is the length of the longest run of ch in s.
func longestRun(s string, ch byte) int {
	best, n := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == ch {
			n++
			best = max(best, n)
		} else {
			n = 0
		}
	}
	return best
}

// blockText prepares s for a fenced code block: valid UTF-8, "\n" line
// ends, control characters other than tabs replaced, no trailing newlines.
func blockText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r == '\r' || r == '\u2028' || r == '\u2029':
			return '\n'
		case r < 0x20 || r == 0x7f || isBidi(r):
			return '\uFFFD'
		}
		return r
	}, s)
	return strings.TrimRight(s, "\n")
}

// fenceFor is the backtick fence for a code block holding s: at least
// three, and longer than any backtick run in s.
func fenceFor(s string) string {
	return strings.Repeat("`", max(3, longestRun(s, '`')+1))
}

// diffText moves the +, - and ~ of Terraform's plan lines to the start of
// the line, so that a diff block colours them: "  + x" becomes "+   x" and
// "  ~ x" becomes "!   x".
func diffText(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		t := strings.TrimLeft(l, " ")
		if len(t) < 2 || t[1] != ' ' || !strings.ContainsRune("+-~", rune(t[0])) {
			continue
		}
		sign := t[0]
		if sign == '~' {
			sign = '!'
		}
		lines[i] = string(sign) + strings.Repeat(" ", len(l)-len(t)) + t[1:]
	}
	return strings.Join(lines, "\n")
}

// maxValue bounds one rendered attribute value.
const maxValue = 200

// value renders an attribute value (already redacted) as JSON; a
// sensitive one is the redaction marker alone.
func value(v any, unknown, sensitive bool) string {
	switch {
	case unknown:
		return "(known after apply)"
	case sensitive:
		return analysis.Marker
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // code spans show it as is
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// maxLink bounds a run link; a longer one (from an outlandish run id) is
// left out.
const maxLink = 512

// runLink is the URL of a run's page, or "" when there is no public URL.
// Characters that could end a markdown link destination are percent-encoded.
func runLink(base, runID string) string {
	if base == "" || runID == "" {
		return ""
	}
	u := strings.TrimRight(base, "/") + "/runs/" + url.PathEscape(runID)
	var b strings.Builder
	for i := 0; i < len(u); i++ {
		c := u[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>[]"'\|`+"`", c) >= 0 {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	if b.Len() > maxLink {
		return ""
	}
	return b.String()
}
