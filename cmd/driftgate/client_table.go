package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/driftgate/driftgate/runner/api/apiv1"
)

// Table layout.
const (
	tableWidth = 80 // tables never exceed this many columns
	tableGap   = 2  // spaces between columns
	minCell    = 5  // a shrunk column keeps at least this many characters
	commitLen  = 7  // characters of a commit hash shown in tables
	shortIDLen = 10 // characters of a run id shown in tables: its last ones
)

// column is a column of a table.
type column struct {
	// title is the column's header.
	title string
	// max, when not zero, is the widest the column gets.
	max int
	// flex columns give up width, widest first, when the table would be
	// wider than tableWidth; they keep at least their title's width.
	flex bool
}

// writeTable writes rows under the titles of cols as aligned columns no
// wider than tableWidth, cutting cells that do not fit with "…". Control
// characters in cells become spaces, so a multi-line error stays on its row.
func writeTable(w io.Writer, cols []column, rows [][]string) error {
	header := make([]string, len(cols))
	for i, c := range cols {
		header[i] = c.title
	}
	all := append([][]string{header}, rows...)
	widths := make([]int, len(cols))
	for _, row := range all {
		for i := range row {
			row[i] = oneLine(row[i])
			widths[i] = max(widths[i], utf8.RuneCountInString(row[i]))
		}
	}
	excess := tableGap*(len(cols)-1) - tableWidth
	for i, c := range cols {
		if c.max > 0 {
			widths[i] = min(widths[i], max(c.max, utf8.RuneCountInString(c.title)))
		}
		excess += widths[i]
	}
	for ; excess > 0; excess-- {
		widest := -1
		for i, c := range cols {
			floor := max(minCell, utf8.RuneCountInString(c.title))
			if c.flex && widths[i] > floor && (widest < 0 || widths[i] > widths[widest]) {
				widest = i
			}
		}
		if widest < 0 {
			break // nothing left to shrink
		}
		widths[widest]--
	}
	tw := tabwriter.NewWriter(w, 0, 0, tableGap, ' ', 0)
	for _, row := range all {
		cells := make([]string, len(row))
		for i, c := range row {
			cells[i] = truncate(c, widths[i])
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// oneLine replaces control characters (newlines, tabs) with spaces and
// trims the result.
func oneLine(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s))
}

// truncate shortens s to n characters, ending in "…" when it cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// dash returns s, or "-" for an empty s.
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// shortCommit returns the first commitLen characters of a commit hash.
func shortCommit(c string) string {
	return dash(truncateRaw(c, commitLen))
}

// shortRunID returns the last shortIDLen characters of a run id, which the
// run commands accept in place of the whole id.
func shortRunID(id string) string {
	if len(id) <= shortIDLen {
		return id
	}
	return id[len(id)-shortIDLen:]
}

// truncateRaw cuts s to n bytes without a mark, for hashes.
func truncateRaw(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// age formats how long ago t was in at most four characters: 45s, 12m, 5h,
// 3d.
func age(now, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := max(now.Sub(t), 0)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d/time.Hour))
	}
	return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
}

// summary formats a plan summary as "+add ~change -destroy", with "±N" for
// replacements; "-" when the plan is not known yet.
func summary(s *apiv1.PlanSummary) string {
	if s == nil {
		return "-"
	}
	out := fmt.Sprintf("+%d ~%d -%d", s.Add, s.Change, s.Destroy)
	if s.Replace > 0 {
		out += fmt.Sprintf(" ±%d", s.Replace)
	}
	return out
}

// stackName is "repo/stack", or the stack alone for local runs.
func stackName(repo, stack string) string {
	if repo == "" {
		return stack
	}
	return repo + "/" + stack
}

// took is how long a finished run ran, "" when unknown.
func took(r *apiv1.Run) string {
	start := r.StartedAt
	if start.IsZero() {
		start = r.CreatedAt
	}
	if start.IsZero() || r.FinishedAt.IsZero() {
		return ""
	}
	return r.FinishedAt.Sub(start).Round(time.Second).String()
}
