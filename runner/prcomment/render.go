package prcomment

import (
	"fmt"
	"strconv"
	"strings"
)

// tableHead opens the summary table.
const tableHead = "| Stack | Result | Add | Change | Destroy | Replace | Target branch drifted |\n" +
	"|:--|:--|--:|--:|--:|--:|:--|\n"

// Render turns the PR's plan results into comment bodies, the first being
// the main comment. Body n (from 1) contains Marker(n); each is at most
// in.MaxLength bytes; while stacks are planning there are at least in.Keep
// bodies. It fails only on a limit below MinLength or an
// invalid public URL.
func Render(in Input) ([]string, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	showRepo := manyRepos(in.Stacks)
	p := &packer{in: &in}
	p.start()
	if len(in.Stacks) == 0 {
		p.cur.WriteString("No stack is affected by this pull request.\n")
	}
	for _, s := range in.Stacks {
		p.row(summaryRow(s, in.PublicURL, showRepo))
	}
	for _, s := range in.Stacks {
		if !hasSection(s) {
			continue
		}
		if err := p.section(s, showRepo); err != nil {
			return nil, err
		}
	}
	p.flush()
	if in.planning() {
		for len(p.bodies) < in.Keep {
			p.start()
			p.cur.WriteString(pendingNote)
			p.flush()
		}
	}
	return p.bodies, nil
}

// pendingNote is the text of a continuation comment kept while the stacks
// it carried are planned again (see Input.Keep).
const pendingNote = "_Planning… the rest of the plan follows here when the stacks are planned._\n"

// packer fills comments one after the other.
type packer struct {
	in      *Input
	bodies  []string
	cur     strings.Builder
	n       int  // number of the comment being filled
	inTable bool // the current comment's last line is a table row
}

// start begins the next comment with its marker and title.
func (p *packer) start() {
	p.n++
	p.cur.Reset()
	p.inTable = false
	p.cur.WriteString(Marker(p.n) + "\n" + p.title() + "\n\n")
}

func (p *packer) title() string {
	pr := "#" + strconv.Itoa(p.in.PR.Number)
	if p.n > 1 {
		return "### driftgate plan for " + pr + ", continued (part " + strconv.Itoa(p.n) + ")"
	}
	t := "### driftgate plan for " + pr
	if p.in.PR.HeadSHA != "" {
		t += " at " + code(p.in.PR.HeadSHA, 40)
	}
	return t
}

func (p *packer) flush() {
	p.bodies = append(p.bodies, p.cur.String())
}

func (p *packer) room() int { return p.in.MaxLength - p.cur.Len() }

// row adds a summary row, continuing the table in the next comment when
// the row does not fit.
func (p *packer) row(r string) {
	need := len(r)
	if !p.inTable {
		need += len(tableHead)
	}
	if need > p.room() {
		p.flush()
		p.start()
	}
	if !p.inTable {
		p.cur.WriteString(tableHead)
		p.inTable = true
	}
	p.cur.WriteString(r)
}

// section adds a stack's section: whole when it fits in what is left,
// truncated to what is left when that is at least a quarter of the limit,
// and otherwise in the next comment.
func (p *packer) section(s Stack, showRepo bool) error {
	text, cut, err := section(s, p.in.PublicURL, showRepo, p.room()-1) // -1: the blank line before it
	if err != nil || (cut && p.room() < p.in.MaxLength/4) {
		p.flush()
		p.start()
		text, _, err = section(s, p.in.PublicURL, showRepo, p.room()-1)
	}
	if err != nil {
		return err
	}
	p.cur.WriteString("\n" + text)
	p.inTable = false
	return nil
}

// summaryRow is a stack's row in the summary table.
func summaryRow(s Stack, publicURL string, showRepo bool) string {
	result := s.Result.label()
	if s.Result == ResultChanges {
		if _, reverting, _ := splitChanges(s.Analysis); len(reverting) > 0 {
			result += revertNote(len(reverting))
		}
	}
	if link := runLink(publicURL, s.RunID); link != "" {
		result = "[" + result + "](" + link + ")"
	}
	counts := "– | – | – | –"
	if a := s.Analysis; a != nil && (s.Result == ResultChanges || s.Result == ResultNoChanges) {
		counts = fmt.Sprintf("%d | %d | %d | %d", a.Summary.Add, a.Summary.Change, a.Summary.Destroy, a.Summary.Replace)
	}
	return "| " + stackTitle(s, showRepo) + " | " + result + " | " + counts + " | " + targetDrifted(s.TargetDrift) + " |\n"
}

// revertNote counts, in the summary, the resources whose change only
// reverts drift.
func revertNote(n int) string {
	if n == 1 {
		return " (1 reverts an out-of-band change)"
	}
	return fmt.Sprintf(" (%d revert out-of-band changes)", n)
}

// manyRepos reports whether the stacks come from more than one repo.
func manyRepos(stacks []Stack) bool {
	for _, s := range stacks[min(1, len(stacks)):] {
		if s.Repo != stacks[0].Repo {
			return true
		}
	}
	return false
}
