package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/mitchellh/go-wordwrap"

	"github.com/driftgate/driftgate/planner"
)

// FormatDiagnostics renders config diagnostics for a terminal: a
// "file:line:column: error: summary" line, the source line with the range
// underlined, and the detail that says how to fix it.
func FormatDiagnostics(parser *hclparse.Parser, diags hcl.Diagnostics) string {
	var files map[string]*hcl.File
	if parser != nil {
		files = parser.Files()
	}
	return formatDiagnostics(files, diags)
}

func formatDiagnostics(files map[string]*hcl.File, diags hcl.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		sev := "error"
		if d.Severity == hcl.DiagWarning {
			sev = "warning"
		}
		if d.Subject != nil {
			fmt.Fprintf(&b, "%s:%d:%d: ", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column)
		}
		fmt.Fprintf(&b, "%s: %s\n", sev, d.Summary)
		if d.Subject != nil {
			if f, ok := files[d.Subject.Filename]; ok {
				writeSnippet(&b, f.Bytes, *d.Subject)
			}
		}
		if d.Detail != "" {
			fmt.Fprintf(&b, "  %s\n", d.Detail)
		}
	}
	return b.String()
}

// writeSnippet prints the first line of rng with a caret line under it.
func writeSnippet(b *strings.Builder, src []byte, rng hcl.Range) {
	lines := strings.Split(string(src), "\n")
	n := rng.Start.Line
	if n < 1 || n > len(lines) {
		return
	}
	line := strings.TrimRight(lines[n-1], "\r")
	fmt.Fprintf(b, "%5d | %s\n", n, line)
	start := rng.Start.Column
	end := rng.End.Column
	if rng.End.Line != rng.Start.Line || end <= start {
		end = len(line) + 1
	}
	if start < 1 {
		start = 1
	}
	pad := strings.Map(func(r rune) rune {
		if r == '\t' {
			return '\t'
		}
		return ' '
	}, string([]rune(line)[:min(start-1, len([]rune(line)))]))
	fmt.Fprintf(b, "      | %s%s\n", pad, strings.Repeat("^", max(1, end-start)))
}

// writeProblems lists discovery problems: each directory's summary, then
// its diagnostics as "file:line:column: severity: summary" with the detail
// that says how to fix it wrapped below.
func writeProblems(w io.Writer, problems []planner.Problem) {
	for _, p := range problems {
		fmt.Fprintf(w, "  %s: %s\n", p.Dir, p.Summary)
		for _, diag := range p.Diagnostics {
			loc := diag.File
			if diag.Line > 0 {
				loc = fmt.Sprintf("%s:%d:%d", diag.File, diag.Line, diag.Column)
			}
			fmt.Fprintf(w, "    %s: %s: %s\n", loc, diag.Severity, diag.Summary)
			if diag.Detail != "" {
				fmt.Fprintf(w, "      %s\n", strings.ReplaceAll(wordwrap.WrapString(diag.Detail, 72), "\n", "\n      "))
			}
		}
	}
}
