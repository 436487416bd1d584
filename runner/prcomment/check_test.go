package prcomment

import (
	"fmt"
	"strings"
	"testing"
)

// checkBodies asserts the properties every rendering keeps: each body is
// within the limit, carries its own marker once, and has balanced code
// fences, <details> and <summary>, with no other markup than driftgate's
// own outside code.
func checkBodies(t testing.TB, bodies []string, limit int) {
	t.Helper()
	if len(bodies) == 0 {
		t.Fatal("no bodies")
	}
	for i, b := range bodies {
		if len(b) > limit {
			t.Errorf("body %d: %d bytes, over the limit %d", i+1, len(b), limit)
		}
		if !strings.HasPrefix(b, Marker(i+1)+"\n") {
			t.Errorf("body %d does not start with its marker %q", i+1, Marker(i+1))
		}
		if n := strings.Count(b, markerPrefix); n != 1 {
			t.Errorf("body %d: %d markers, want 1", i+1, n)
		}
		if err := checkMarkup(b); err != nil {
			t.Errorf("body %d: %v\n%s", i+1, err, b)
		}
	}
}

// ownTags are the only HTML a body may contain outside code.
var ownTags = []string{"<details>", "<details open>", "</details>", "<summary>", "</summary>", markerPrefix}

// checkMarkup reads a body as CommonMark would for what matters here:
// fenced code blocks must close, and outside them (and outside code spans)
// the only HTML is driftgate's own, with <details> and <summary> balanced.
func checkMarkup(body string) error {
	var fence string // the open fence, or ""
	details, summary := 0, 0
	for n, line := range strings.Split(body, "\n") {
		t := trimIndent(line)
		if fence != "" {
			run := leadingRun(t, fence[0])
			if len(run) >= len(fence) && strings.TrimSpace(t[len(run):]) == "" {
				fence = ""
			}
			continue
		}
		if run := leadingRun(t, '`'); len(run) >= 3 && !strings.Contains(t[len(run):], "`") {
			fence = run
			continue
		}
		if run := leadingRun(t, '~'); len(run) >= 3 {
			return fmt.Errorf("line %d: a ~~~ fence driftgate never writes: %q", n+1, line)
		}
		rest := stripCodeSpans(line)
		if strings.HasPrefix(line, "|") && strings.Count(rest, "|") != 8 {
			return fmt.Errorf("line %d: table row with %d cell separators, want 8: %q", n+1, strings.Count(rest, "|"), line)
		}
		for i := strings.IndexByte(rest, '<'); i >= 0; i = strings.IndexByte(rest, '<') {
			rest = rest[i:]
			tag := ""
			for _, own := range ownTags {
				if strings.HasPrefix(rest, own) {
					tag = own
				}
			}
			switch tag {
			case "":
				return fmt.Errorf("line %d: markup driftgate did not write: %q", n+1, line)
			case "<details>", "<details open>":
				details++
			case "</details>":
				details--
			case "<summary>":
				summary++
			case "</summary>":
				summary--
			}
			if details < 0 || summary < 0 || summary > 1 {
				return fmt.Errorf("line %d: unbalanced %s", n+1, tag)
			}
			rest = rest[len(tag):]
		}
	}
	if fence != "" {
		return fmt.Errorf("code block opened with %q never closed", fence)
	}
	if details != 0 || summary != 0 {
		return fmt.Errorf("unbalanced: %d <details>, %d <summary> left open", details, summary)
	}
	return nil
}

// trimIndent removes up to three leading spaces, as a fence may have.
func trimIndent(s string) string {
	for i := 0; i < 3 && strings.HasPrefix(s, " "); i++ {
		s = s[1:]
	}
	return s
}

func leadingRun(s string, ch byte) string {
	i := 0
	for i < len(s) && s[i] == ch {
		i++
	}
	return s[:i]
}

// stripCodeSpans removes CommonMark code spans from a line: a backtick run
// opens one that the next run of the same length closes; a run without a
// closing one is literal.
func stripCodeSpans(line string) string {
	var b strings.Builder
	for i := 0; i < len(line); {
		if line[i] != '`' {
			b.WriteByte(line[i])
			i++
			continue
		}
		run := leadingRun(line[i:], '`')
		end := closingRun(line[i+len(run):], len(run))
		if end < 0 {
			b.WriteString(run)
			i += len(run)
			continue
		}
		i += len(run) + end + len(run)
	}
	return b.String()
}

// closingRun finds a backtick run of exactly n in s.
func closingRun(s string, n int) int {
	for i := 0; i < len(s); {
		if s[i] != '`' {
			i++
			continue
		}
		run := leadingRun(s[i:], '`')
		if len(run) == n {
			return i
		}
		i += len(run)
	}
	return -1
}

func TestCheckMarkupCatchesBreakage(t *testing.T) {
	for name, body := range map[string]string{
		"open fence":      "```\nx\n",
		"short close":     "````\nx\n```\n",
		"raw tag":         "hello <script>\n",
		"closing details": "</details>\n",
		"open details":    "<details>\n<summary>x</summary>\n",
		"extra cell":      "| a | b \\| c | d | e | f | g | h |\n",
	} {
		if checkMarkup(body) == nil {
			t.Errorf("%s: checkMarkup accepted %q", name, body)
		}
	}
	if err := checkMarkup("````\n```\n</details>\n````\n`<b>` and ``a`<b>``\n"); err != nil {
		t.Errorf("checkMarkup refused markup inside code: %v", err)
	}
}
