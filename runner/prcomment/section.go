package prcomment

import (
	"fmt"
	"strings"

	"github.com/driftgate/driftgate/planner/analysis"
)

// Bounds on the strings a section repeats, in bytes before escaping.
const (
	maxName    = 120 // stack and repo names
	maxAddress = 300 // resource addresses and output names
	maxPath    = 200 // attribute paths
	maxRunID   = 80  // a run id shown as text
)

// bounded is a writer that refuses what would take it over its limit; the
// first refusal marks it full, and it takes nothing after that.
type bounded struct {
	b     strings.Builder
	limit int
	full  bool
}

func (w *bounded) room() int { return w.limit - w.b.Len() }

// add writes s whole, or nothing and marks w full.
func (w *bounded) add(s string) bool {
	if w.full || len(s) > w.room() {
		w.full = true
		return false
	}
	w.b.WriteString(s)
	return true
}

// list writes a heading and its items: the heading only with its first
// item, then as many items as fit.
func (w *bounded) list(heading string, items []string) {
	if len(items) == 0 || !w.add(heading+"\n\n"+items[0]) {
		return
	}
	for _, it := range items[1:] {
		if !w.add(it) {
			return
		}
	}
	w.add("\n")
}

// codeBlock writes content as a fenced code block with info string info,
// cut between lines when it does not fit (inside the first line when even
// that one does not), and always closed.
func (w *bounded) codeBlock(heading, info, content string) {
	cut := len(content) > w.room()
	if cut { // only what fits can be shown: spare the work on the rest
		content = prefix(content, w.room()+1)
	}
	content = blockText(content)
	if info == "diff" {
		content = diffText(content)
	}
	defer func() { w.full = w.full || cut }()
	if w.full || content == "" {
		return
	}
	fence := fenceFor(content)
	open, closing := heading+"\n\n"+fence+info+"\n", fence+"\n\n"
	if w.room() < len(open)+len(closing)+min(40, len(content)+1) { // not even a line of it
		w.full = true
		return
	}
	w.b.WriteString(open)
	w.limit -= len(closing)
	for i, line := range strings.Split(content, "\n") {
		if w.add(line + "\n") {
			continue
		}
		if i == 0 { // a first line too long for the space: cut inside it
			if p := prefix(line, w.room()-1); p != "" {
				w.b.WriteString(p + "\n")
			}
		}
		break
	}
	w.limit += len(closing)
	w.b.WriteString(closing)
}

// prefix is the longest prefix of s, on a rune boundary, of at most n
// bytes.
func prefix(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// stackTitle names a stack in text: its name, with its repo when the PR's
// stacks come from more than one repo.
func stackTitle(s Stack, showRepo bool) string {
	if showRepo {
		return text(s.Repo, maxName) + " / " + text(s.Name, maxName)
	}
	return text(s.Name, maxName)
}

// hasSection reports whether a stack gets a section: planned with changes,
// or errored.
func hasSection(s Stack) bool {
	return s.Result == ResultChanges || s.Result == ResultErrored
}

// section renders a stack's collapsible section in at most budget bytes,
// and reports whether it had to cut it. It fails when not even the
// section's frame fits.
func section(s Stack, publicURL string, showRepo bool, budget int) (string, bool, error) {
	head := "<details>\n"
	summary := stackTitle(s, showRepo) + ": " + countsText(s.Analysis)
	if s.Result == ResultErrored {
		head = "<details open>\n"
		summary = stackTitle(s, showRepo) + ": errored"
	}
	head += "<summary>" + summary + "</summary>\n\n"
	link := runLink(publicURL, s.RunID)
	var tail, truncTail string
	if link != "" {
		tail = "[Run " + text(s.RunID, maxRunID) + "](" + link + ")\n\n"
		truncTail = "\n_Truncated to fit the comment: the full plan is at " + tail[:len(tail)-2] + "._\n\n"
	} else {
		truncTail = "\n_Truncated to fit the comment: the full plan is shown by " +
			code("driftgate show "+s.RunID+" --plan", maxRunID+30) + "._\n\n"
	}
	const end = "</details>\n"
	w := &bounded{limit: budget - len(head) - max(len(tail), len(truncTail)) - len(end)}
	if w.limit < 0 {
		return "", false, fmt.Errorf("render the section of stack %q: does not fit in %d bytes", s.Name, budget)
	}
	body(w, s)
	out := head + w.b.String()
	if w.full {
		out += truncTail
	} else {
		out += tail
	}
	return out + end, w.full, nil
}

// body writes a section's content: the error first, then the PR's
// changes, the reverts of drift, the output changes and the plan.
func body(w *bounded, s Stack) {
	if s.Result == ResultErrored {
		w.codeBlock("**Error**", "", s.Error)
	}
	own, reverting, idx := splitChanges(s.Analysis)
	w.list("**Changes from this PR**", changeItems(own, idx, false))
	w.list("**Reverts out-of-band changes** (made outside Terraform; this plan puts them back)",
		changeItems(reverting, idx, true))
	if s.Analysis != nil {
		w.list("**Outputs**", outputItems(s.Analysis.Outputs))
	}
	w.codeBlock("**Plan**", "diff", s.PlanText)
}

// changeItems renders resource changes as list items, one line per
// resource and one per changed attribute, each its own item so that a
// resource with many attributes can be cut between them.
func changeItems(changes []analysis.ResourceChange, idx driftIndex, reverting bool) []string {
	var items []string
	for _, c := range changes {
		var b strings.Builder
		b.WriteString("- " + code(c.Address, maxAddress) + ": " + text(string(c.Action), 20))
		if c.Importing {
			b.WriteString(" (import)")
		}
		if reverting {
			b.WriteString(", reverts out-of-band change")
		}
		b.WriteString("\n")
		items = append(items, b.String())
		for _, at := range c.Attributes {
			b.Reset()
			b.WriteString("  - " + code(at.Path, maxPath) + ": " +
				code(value(at.Before, false, at.Sensitive), maxValue) + " → " + code(value(at.After, at.Unknown, at.Sensitive), maxValue))
			if !reverting && idx.revertsAttr(c.Address, at) {
				b.WriteString(" (reverts out-of-band change)")
			}
			b.WriteString("\n")
			items = append(items, b.String())
		}
	}
	return items
}

// outputItems renders output changes as list items.
func outputItems(outputs []analysis.OutputChange) []string {
	var items []string
	for _, o := range outputs {
		items = append(items, "- "+code(o.Name, maxAddress)+": "+text(string(o.Action), 20)+", "+
			code(value(o.Before, false, o.Sensitive), maxValue)+" → "+code(value(o.After, o.Unknown, o.Sensitive), maxValue)+"\n")
	}
	return items
}

// countsText is the plan's counts in words.
func countsText(a *analysis.Analysis) string {
	if a == nil {
		return "changes"
	}
	s := a.Summary
	return fmt.Sprintf("%d to add, %d to change, %d to destroy, %d to replace", s.Add, s.Change, s.Destroy, s.Replace)
}
